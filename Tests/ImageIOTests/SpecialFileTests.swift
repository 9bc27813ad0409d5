import Foundation
import XCTest
@testable import ImageIO

/// Writing to a device or FIFO (`--output /dev/null`, `/dev/stdout`) writes into it; the
/// atomic rename would replace the node itself (as root, deleting /dev/null).
final class SpecialFileTests: XCTestCase {
    func testWritingToAFIFOWritesInPlace() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("naio-fifo-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("pipe").path
        XCTAssertEqual(mkfifo(path, 0o644), 0)
        let reader = open(path, O_RDONLY | O_NONBLOCK)
        XCTAssertGreaterThanOrEqual(reader, 0)
        defer { close(reader) }
        let bytes: [UInt8] = Array("written in place".utf8)
        try FileAccess.writeAtomically(bytes, to: path)
        var back = [UInt8](repeating: 0, count: 64)
        let n = read(reader, &back, back.count)
        XCTAssertEqual(Array(back[0..<max(0, n)]), bytes)
        var info = stat()
        XCTAssertEqual(stat(path, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFIFO, "the FIFO was replaced by a regular file")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["pipe"], "temporary file left behind")
    }

    /// Reading a FIFO with no writer must fail at once: a blocking open would wait forever.
    func testReadingAFIFOFailsAtOnce() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("naio-fifo-read-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("content.png").path
        XCTAssertEqual(mkfifo(path, 0o644), 0)
        let error = try readWithTimeout(path, seconds: 5)
        XCTAssertEqual(error?.kind, .notAFile)
        XCTAssertEqual(error?.description, "cannot read '\(path)': a FIFO (named pipe), not a regular file")
    }

    func testReadingADeviceIsRefused() throws {
        let error = try readWithTimeout("/dev/zero", seconds: 5)
        XCTAssertEqual(error?.kind, .notAFile)
        XCTAssertTrue(error?.description.contains("character device") ?? false, "\(String(describing: error))")
    }
}

/// `ImageFile.read(path)` on a background thread; fails the test (and unblocks a FIFO reader by
/// opening the FIFO for writing) when it has not returned after `seconds`. Returns its error.
func readWithTimeout(_ path: String, seconds: Double, file: StaticString = #filePath, line: UInt = #line) throws -> ImageIOError? {
    final class Box: @unchecked Sendable { var error: Error? }
    let box = Box()
    let done = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
        do { _ = try ImageFile.read(path) } catch { box.error = error }
        done.signal()
    }
    if done.wait(timeout: .now() + seconds) == .timedOut {
        XCTFail("reading \(path) blocked for \(seconds) s", file: file, line: line)
        let writer = open(path, O_WRONLY | O_NONBLOCK)  // lets a blocked FIFO open return
        done.wait()
        if writer >= 0 { close(writer) }
    }
    guard let error = box.error else { return nil }
    return try XCTUnwrap(error as? ImageIOError, "\(error)", file: file, line: line)
}

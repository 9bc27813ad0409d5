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
}

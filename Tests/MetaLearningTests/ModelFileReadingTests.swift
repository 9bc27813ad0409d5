import Foundation
import XCTest
@testable import MetaLearning

/// What a user sees for a --model (or --checkpoint, --baselines) that is not a model file:
/// one line that says what the path is, at once.
final class ModelFileReadingTests: XCTestCase {
    /// `ModelFile.load(path:)` on a background thread; fails the test (and unblocks a FIFO by
    /// opening it for writing) when it has not returned after 5 s. Returns its error's text.
    func loadError(_ path: String, file: StaticString = #filePath, line: UInt = #line) -> String? {
        final class Box: @unchecked Sendable { var error: Error? }
        let box = Box(), done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            do { _ = try ModelFile.load(path: path) } catch { box.error = error }
            done.signal()
        }
        if done.wait(timeout: .now() + 5) == .timedOut {
            XCTFail("loading \(path) blocked", file: file, line: line)
            let writer = open(path, O_WRONLY | O_NONBLOCK)
            done.wait()
            if writer >= 0 { close(writer) }
        }
        guard let error = box.error else { return nil }
        XCTAssertTrue(error is ModelFileError, "untyped \(error)", file: file, line: line)
        XCTAssertFalse("\(error)".contains("\n"), file: file, line: line)
        return "\(error)"
    }

    func testSpecialFilesAndDirectoriesSayWhatTheyAre() throws {
        let dir = try temporaryDirectory(self)
        let fifo = dir.appendingPathComponent("m.lstm").path
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        XCTAssertEqual(loadError(fifo), "cannot read \(fifo): is a FIFO (named pipe), not a regular file")
        XCTAssertEqual(loadError("/dev/zero"), "cannot read /dev/zero: is a device, not a regular file")
        XCTAssertEqual(loadError(dir.path), "cannot read \(dir.path): is a directory, not a file")
        XCTAssertEqual(loadError(dir.path + "/none.lstm"), "cannot read \(dir.path)/none.lstm: no such file")
    }

    func testExtraBytesAreNotCalledTruncated() throws {
        let config = LSTMConfiguration(hiddenSize: 3)
        let model = ModelFile(configuration: config, weights: randomWeights(config, seed: 1, scale: 0.3),
                              task: TaskDescription(QuadraticTask()), training: nil, metadata: ModelMetadata())
        let path = try temporaryDirectory(self).appendingPathComponent("long.lstm").path
        try (model.encoded() + Data([1, 2, 3, 4])).write(to: URL(fileURLWithPath: path))
        let text = try XCTUnwrap(loadError(path))
        XCTAssertTrue(text.hasPrefix("\(path) is damaged: 4 extra byte(s) after its end"), text)
        XCTAssertFalse(text.contains("truncated"), text)
    }
}

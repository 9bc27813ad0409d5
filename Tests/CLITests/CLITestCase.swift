import Foundation
import XCTest

/// Runs the real `neural-art` binary built next to the test bundle.
class CLITestCase: XCTestCase {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The folder holding the built products (the test bundle's folder on Linux).
    static var productsDirectory: URL {
        #if os(macOS)
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent()
        }
        fatalError("couldn't find the products directory")
        #else
        return Bundle.main.bundleURL
        #endif
    }

    /// The package root (for the bundled images).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    var tempDir: URL!

    override func setUpWithError() throws {
        tempDir = FileManager.default.temporaryDirectory.appendingPathComponent("neural-art-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tempDir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: tempDir)
    }

    func temp(_ name: String) -> String { tempDir.appendingPathComponent(name).path }
    func image(_ name: String) -> String { Self.packageRoot.appendingPathComponent("images/\(name)").path }

    /// Runs the binary in `directory` (default: the package root). With `timeout`, a run still
    /// going after that many seconds is killed and reported as a test failure; with `until`, the
    /// run is ended (SIGTERM, not a failure) as soon as its stderr contains that text;
    /// `environment` adds variables to the test's own; `launcher` (e.g. `["/usr/bin/mpirun", "-np",
    /// "2"]`) runs the binary through that command; `started` gets the launched process's id.
    @discardableResult
    func run(_ arguments: [String], in directory: URL? = nil, timeout: Double? = nil, until: String? = nil,
             environment: [String: String] = [:], launcher: [String] = [], started: ((Int32) -> Void)? = nil,
             file: StaticString = #filePath, line: UInt = #line) throws -> Result {
        let process = Process()
        let binary = Self.productsDirectory.appendingPathComponent("neural-art")
        if let command = launcher.first {
            process.executableURL = URL(fileURLWithPath: command)
            process.arguments = Array(launcher.dropFirst()) + [binary.path] + arguments
        } else {
            process.executableURL = binary
            process.arguments = arguments
        }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.currentDirectoryURL = directory ?? Self.packageRoot
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        final class Collected: @unchecked Sendable {
            let lock = NSLock()
            var out = Data(), err = Data()
        }
        let collected = Collected()
        let finished = DispatchGroup()
        finished.enter(); finished.enter()
        for (handle, isErr) in [(out.fileHandleForReading, false), (err.fileHandleForReading, true)] {
            DispatchQueue.global().async {
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    collected.lock.lock()
                    if isErr { collected.err.append(chunk) } else { collected.out.append(chunk) }
                    let seen = until.map { String(decoding: collected.err, as: UTF8.self).contains($0) } ?? false
                    collected.lock.unlock()
                    if seen && process.isRunning { process.terminate() }
                }
                finished.leave()
            }
        }
        try process.run()
        started?(process.processIdentifier)
        if let timeout, finished.wait(timeout: .now() + timeout) == .timedOut {
            XCTFail("neural-art \(arguments.joined(separator: " ")) still running after \(timeout) s; killed", file: file, line: line)
            kill(process.processIdentifier, SIGKILL)
        }
        finished.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: collected.out, as: UTF8.self),
                      stderr: String(decoding: collected.err, as: UTF8.self))
    }

    /// Asserts a failure: non-zero exit and exactly one non-empty line on stderr containing `needle`.
    func assertFails(_ r: Result, mentioning needle: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNotEqual(r.status, 0, "expected failure; stderr: \(r.stderr)", file: file, line: line)
        let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: true)
        XCTAssertEqual(lines.count, 1, "expected one line, got: \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stderr.contains(needle), "'\(needle)' not in: \(r.stderr)", file: file, line: line)
    }

    /// Asserts an argument error: exit status 64 (EX_USAGE) and exactly one line, `Error: …`,
    /// naming `needle`.
    func assertUsageError(_ r: Result, mentioning needle: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 64, "stderr: \(r.stderr)", file: file, line: line)
        let lines = r.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "expected one line, got: \(r.stderr)", file: file, line: line)
        let first = lines.first.map(String.init) ?? ""
        XCTAssertTrue(first.hasPrefix("Error: ") && first.contains(needle), "got: \(r.stderr)", file: file, line: line)
    }
}

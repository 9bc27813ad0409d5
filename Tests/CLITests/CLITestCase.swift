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

    @discardableResult
    func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = Self.productsDirectory.appendingPathComponent("neural-art")
        process.arguments = arguments
        process.currentDirectoryURL = Self.packageRoot
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                      stderr: String(decoding: e, as: UTF8.self))
    }

    /// Asserts a failure: non-zero exit and exactly one non-empty line on stderr containing `needle`.
    func assertFails(_ r: Result, mentioning needle: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNotEqual(r.status, 0, "expected failure; stderr: \(r.stderr)", file: file, line: line)
        let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: true)
        XCTAssertEqual(lines.count, 1, "expected one line, got: \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stderr.contains(needle), "'\(needle)' not in: \(r.stderr)", file: file, line: line)
    }

    /// Asserts an argument error: exit status 64 (EX_USAGE) and a first line `Error: …` naming
    /// `needle` (swift-argument-parser then adds the usage line and a pointer to --help).
    func assertUsageError(_ r: Result, mentioning needle: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 64, "stderr: \(r.stderr)", file: file, line: line)
        let first = r.stderr.split(separator: "\n").first.map(String.init) ?? ""
        XCTAssertTrue(first.hasPrefix("Error: ") && first.contains(needle), "got: \(r.stderr)", file: file, line: line)
    }
}

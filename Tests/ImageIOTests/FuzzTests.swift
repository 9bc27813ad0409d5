import Foundation
import XCTest

@testable import ImageIO

/// Mutated copies of small real PNG and JPEG files must decode or throw `ImageIOError`,
/// never crash, hang or return a malformed image.
final class FuzzTests: TemporaryDirectoryTestCase {
    static let copiesPerSource = 500

    enum Mutation: CaseIterable { case truncate, flipBits, appendGarbage, mutateHeader, overwriteRun }

    static func mutate(_ source: [UInt8], _ mutation: Mutation, using rng: inout SplitMix64) -> [UInt8] {
        var bytes = source
        switch mutation {
        case .truncate:
            bytes.removeLast(Int.random(in: 1...(bytes.count - 1), using: &rng))
        case .flipBits:
            for _ in 0..<Int.random(in: 1...8, using: &rng) {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= 1 << UInt8.random(in: 0...7, using: &rng)
            }
        case .appendGarbage:
            bytes += (0..<Int.random(in: 1...256, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        case .mutateHeader:  // signature, IHDR / SOI, APPn, DQT, SOF: the first 200 bytes
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let i = Int.random(in: 0..<min(200, bytes.count), using: &rng)
                bytes[i] = [0, 0xFF, UInt8.random(in: 0...255, using: &rng), bytes[i] &+ 1][Int.random(in: 0...3, using: &rng)]
            }
        case .overwriteRun:
            let start = Int.random(in: 0..<bytes.count, using: &rng)
            let end = min(bytes.count, start + Int.random(in: 1...32, using: &rng))
            for i in start..<end { bytes[i] = UInt8.random(in: 0...255, using: &rng) }
        }
        return bytes
    }

    func testMutatedFilesNeverCrash() throws {
        // Small real sources, so each decode takes microseconds: a 48×32 crop of a repo image.
        let crop = try ImageFile.read(repoImage("astronaut.png")).cropped(x: 200, y: 100, width: 48, height: 32)
        // Wide, tall and tiny pictures too: a 300×2 strip, a 2×300 column and single pixels.
        let source = try ImageFile.read(repoImage("astronaut.png"))
        let wide = source.cropped(x: 50, y: 200, width: 300, height: 2)
        let tall = source.cropped(x: 200, y: 50, width: 2, height: 300)
        let tiny = source.cropped(x: 250, y: 250, width: 1, height: 1)
        let sources: [(String, [UInt8])] = [
            ("png", try ImageFile.encode(crop, as: .png)),
            ("jpeg", try JPEG.encode(crop, quality: 85)),
            ("progressive jpeg", try JPEG.encode(crop, quality: 85, progressive: true)),
            ("wide png", try ImageFile.encode(wide, as: .png)),
            ("tall jpeg", try JPEG.encode(tall, quality: 85)),
            ("tiny png", try ImageFile.encode(tiny, as: .png)),
            ("tiny jpeg", try JPEG.encode(tiny, quality: 85)),
        ]
        var rng = SplitMix64(seed: 0x5EED_1234)
        var report: [String] = []
        var total = 0
        let start = Date()
        for (name, source) in sources {
            XCTAssertGreaterThanOrEqual(try ImageFile.decode(source, path: name).width, 1)
            var decoded = 0, kinds: [ImageIOError.Kind: Int] = [:]
            for copy in 0..<(name.hasPrefix("tiny") ? 100 : FuzzTests.copiesPerSource) {
                let mutation = Mutation.allCases[copy % Mutation.allCases.count]
                let bytes = FuzzTests.mutate(source, mutation, using: &rng)
                let file = try writeBytes(bytes, "fuzz")
                do {
                    let image = try ImageFile.read(file, strict: copy % 2 == 0) { _ in }
                    decoded += 1
                    XCTAssertEqual(image.pixels.count, 3 * image.width * image.height)
                    XCTAssertTrue(image.pixels.allSatisfy { $0 >= 0 && $0 <= 1 }, "\(name) copy \(copy)")
                } catch let error as ImageIOError {
                    kinds[error.kind, default: 0] += 1
                    XCTAssertFalse(error.description.contains("\n"))
                    XCTAssertTrue(error.description.contains(file))
                } catch {
                    XCTFail("\(name) copy \(copy) (\(mutation)): unexpected error \(error)")
                }
                total += 1
            }
            let errors = kinds.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key) \($0.value)" }
            report.append("\(name): \(decoded) decoded, \(kinds.values.reduce(0, +)) errors (\(errors.joined(separator: ", ")))")
        }
        XCTAssertGreaterThanOrEqual(total, 2500)
        print("ImageIO fuzz, \(total) mutated files in \(String(format: "%.2f", Date().timeIntervalSince(start))) s: "
              + report.joined(separator: "; "))
    }

    /// Non-regular files fail at once with one line, never block: FIFOs (with no writer, and
    /// one whose writer holds it open), a directory and a character device.
    func testFIFOsAndSpecialFilesFailAtOnce() throws {
        let fifo = path("fifo.png")
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        XCTAssertEqual(try readWithTimeout(fifo, seconds: 5)?.kind, .notAFile)
        let reader = open(fifo, O_RDONLY | O_NONBLOCK), writer = open(fifo, O_WRONLY | O_NONBLOCK)
        defer { close(writer); close(reader) }
        XCTAssertGreaterThanOrEqual(writer, 0)
        XCTAssertEqual(try readWithTimeout(fifo, seconds: 5)?.kind, .notAFile)
        XCTAssertEqual(try readWithTimeout(tmp, seconds: 5)?.kind, .notAFile)
        XCTAssertEqual(try readWithTimeout("/dev/null", seconds: 5)?.kind, .notAFile)
    }
}

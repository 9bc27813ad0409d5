import Foundation
import XCTest

@testable import ImageIO

/// SplitMix64: a tiny, fast, seeded generator so fuzz inputs and random crops are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The repository's `images/` folder, found from this file's location.
let imagesDirectory: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }  // ImageIOTests → Tests → package root
    return url.appendingPathComponent("images").path
}()

func repoImage(_ name: String) -> String { imagesDirectory + "/" + name }

func repoImageBytes(_ name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: repoImage(name))))
}

/// A fresh temporary directory, removed when the test case ends.
class TemporaryDirectoryTestCase: XCTestCase {
    private(set) var tmp = ""

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory
            .appendingPathComponent("ImageIOTests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: tmp)
    }

    func path(_ name: String) -> String { tmp + "/" + name }

    @discardableResult
    func writeBytes(_ bytes: [UInt8], _ name: String) throws -> String {
        let p = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: tmp).sorted()
    }
}

/// Asserts that `body` throws an `ImageIOError` of `kind` whose one-line description names
/// `path`; returns the error.
@discardableResult
func assertImageIOError<T>(_ kind: ImageIOError.Kind, path: String, file: StaticString = #filePath,
                           line: UInt = #line, _ body: () throws -> T) -> ImageIOError? {
    do {
        _ = try body()
        XCTFail("expected ImageIOError.\(kind), but the call succeeded", file: file, line: line)
    } catch let error as ImageIOError {
        XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
        XCTAssertEqual(error.path, path, file: file, line: line)
        XCTAssertTrue(error.description.contains("'\(path)'"), error.description, file: file, line: line)
        XCTAssertFalse(error.description.contains("\n"), error.description, file: file, line: line)
        return error
    } catch {
        XCTFail("expected ImageIOError.\(kind), got \(type(of: error)): \(error)", file: file, line: line)
    }
    return nil
}

/// An image whose every value is a multiple of 1/255 (so 8-bit files store it exactly):
/// continuous gradients that differ per channel.
func gradientImage(width: Int, height: Int) -> Image {
    var image = Image(width: width, height: height)
    for c in 0..<3 {
        for y in 0..<height {
            for x in 0..<width {
                let t = (x * 255 / max(width - 1, 1) + c * 80 + y * 255 / max(height - 1, 1) / 2) % 510
                image[c, y, x] = Float(t < 256 ? t : 510 - t) / 255  // triangle wave: no jumps
            }
        }
    }
    return image
}

func meanAbsoluteDifference(_ a: Image, _ b: Image) -> Float {
    precondition(a.width == b.width && a.height == b.height)
    var sum: Float = 0
    for i in a.pixels.indices { sum += abs(a.pixels[i] - b.pixels[i]) }
    return sum / Float(a.pixels.count)
}

func maxAbsoluteDifference(_ a: Image, _ b: Image) -> Float {
    precondition(a.width == b.width && a.height == b.height)
    var m: Float = 0
    for i in a.pixels.indices { m = max(m, abs(a.pixels[i] - b.pixels[i])) }
    return m
}

// MARK: - Byte-level helpers for crafting PNG and JPEG files

/// CRC-32 (ISO-HDLC), as used by PNG chunks.
func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

func putBigEndian32(_ value: UInt32, into bytes: inout [UInt8], at offset: Int) {
    for k in 0..<4 { bytes[offset + k] = UInt8(truncatingIfNeeded: value >> (24 - 8 * UInt32(k))) }
}

/// A PNG chunk: its type, where it starts (its length field) and its total size.
struct PNGChunk { let type: String; let offset: Int; let size: Int }

func pngChunks(_ png: [UInt8]) -> [PNGChunk] {
    var chunks: [PNGChunk] = []
    var i = 8
    while i + 12 <= png.count {
        let length = Int(png[i]) << 24 | Int(png[i + 1]) << 16 | Int(png[i + 2]) << 8 | Int(png[i + 3])
        let type = String(decoding: png[(i + 4)..<(i + 8)], as: UTF8.self)
        chunks.append(PNGChunk(type: type, offset: i, size: length + 12))
        i += length + 12
    }
    return chunks
}

/// The PNG without its chunks of the given types.
func pngRemovingChunks(_ png: [UInt8], _ types: Set<String>) -> [UInt8] {
    var out = Array(png[0..<8])
    for chunk in pngChunks(png) where !types.contains(chunk.type) {
        out += png[chunk.offset..<(chunk.offset + chunk.size)]
    }
    return out
}

/// IHDR bit depth and colour type of a PNG.
func pngBitDepthAndColorType(_ png: [UInt8]) -> (bitDepth: Int, colorType: Int) {
    (Int(png[24]), Int(png[25]))
}

/// Sets the IHDR size of a PNG; with `fixCRC` the chunk CRC is recomputed so libpng
/// accepts the header.
func pngWithHeaderSize(_ png: [UInt8], width: UInt32, height: UInt32, fixCRC: Bool) -> [UInt8] {
    var bytes = png
    putBigEndian32(width, into: &bytes, at: 16)
    putBigEndian32(height, into: &bytes, at: 20)
    if fixCRC { putBigEndian32(crc32(bytes[12..<29]), into: &bytes, at: 29) }
    return bytes
}

/// Offset of the first SOFn marker (0xFFC0…0xFFCF except DHT, JPG, DAC) of a JPEG.
func jpegSOFOffset(_ jpeg: [UInt8]) -> Int? {
    var i = 2
    while i + 4 <= jpeg.count, jpeg[i] == 0xFF {
        let marker = jpeg[i + 1]
        if (0xC0...0xCF).contains(marker) && ![0xC4, 0xC8, 0xCC].contains(marker) { return i }
        let length = Int(jpeg[i + 2]) << 8 | Int(jpeg[i + 3])
        i += 2 + length
    }
    return nil
}

/// Sets the frame size in a JPEG's SOF marker.
func jpegWithFrameSize(_ jpeg: [UInt8], width: Int, height: Int) -> [UInt8] {
    var bytes = jpeg
    let sof = jpegSOFOffset(jpeg)!
    bytes[sof + 5] = UInt8(height >> 8)
    bytes[sof + 6] = UInt8(height & 0xFF)
    bytes[sof + 7] = UInt8(width >> 8)
    bytes[sof + 8] = UInt8(width & 0xFF)
    return bytes
}

/// A JPEG with an EXIF APP1 segment holding only an orientation tag, inserted after SOI.
func jpegWithEXIFOrientation(_ jpeg: [UInt8], _ orientation: UInt8, bigEndian: Bool) -> [UInt8] {
    let header: [UInt8] = bigEndian ? [0x4D, 0x4D, 0, 42, 0, 0, 0, 8] : [0x49, 0x49, 42, 0, 8, 0, 0, 0]
    let entries: [UInt8] = bigEndian
        ? [0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, 0, 0, 0, 0]
        : [1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, orientation, 0, 0, 0, 0, 0, 0, 0]
    let payload: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0, 0] + header + entries  // "Exif\0\0"
    let length = payload.count + 2
    let segment: [UInt8] = [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload
    return Array(jpeg[0..<2]) + segment + Array(jpeg[2...])
}

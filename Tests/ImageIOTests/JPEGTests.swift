import Foundation
import XCTest

@testable import ImageIO

/// JPEG variants encoded through the CJPEG shim and decoded through `ImageFile.read`.
final class JPEGTests: TemporaryDirectoryTestCase {
    private func encode(_ samples: [UInt8], width: Int, height: Int, components: Int,
                        quality: Int = 95, progressive: Bool = false) throws -> [UInt8] {
        try samples.withUnsafeBytes {
            try JPEG.encode(samples: $0, width: width, height: height, components: components,
                            quality: quality, progressive: progressive)
        }
    }

    private func markerPresent(_ jpeg: [UInt8], _ marker: UInt8) -> Bool {
        guard let sof = jpegSOFOffset(jpeg) else { return false }
        return jpeg[sof + 1] == marker
    }

    /// A JPEG with bytes libjpeg skips with a warning ("Corrupt JPEG data: … extraneous bytes
    /// before marker 0xd9"): decoded with a one-line warning, or refused when strict.
    func testRecoverableDamageWarnsOrIsRefusedWhenStrict() throws {
        let image = gradientImage(width: 40, height: 24)
        var jpeg = try JPEG.encode(image, quality: 90)
        XCTAssertEqual(Array(jpeg.suffix(2)), [0xFF, 0xD9])
        jpeg.insert(contentsOf: [UInt8](repeating: 0x55, count: 32), at: jpeg.count - 2)
        let file = try writeBytes(jpeg, "damaged.jpg")
        var warnings: [ImageIOWarning] = []
        let back = try ImageFile.read(file, strict: false) { warnings.append($0) }
        XCTAssertEqual(back.width, 40)
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings.first?.message.contains("Corrupt JPEG data") ?? false, "\(warnings)")
        XCTAssertTrue(warnings.first?.description.hasPrefix("'\(file)': damaged JPEG data, decoded anyway (") ?? false)
        XCTAssertFalse(warnings.first?.description.contains("\n") ?? true)
        assertImageIOError(.corrupt, path: file) { _ = try ImageFile.read(file, strict: true) { _ in XCTFail("warned in strict mode") } }
        // An intact file gives no warning either way.
        let clean = try writeBytes(try JPEG.encode(image, quality: 90), "clean.jpg")
        _ = try ImageFile.read(clean, strict: true) { XCTFail("unexpected warning \($0)") }
    }

    func testBaselineColour() throws {
        let image = gradientImage(width: 40, height: 24)
        let jpeg = try JPEG.encode(image, quality: 95)
        XCTAssertTrue(markerPresent(jpeg, 0xC0), "baseline SOF0")
        let back = try ImageFile.read(try writeBytes(jpeg, "baseline.jpg"))
        XCTAssertEqual(back.width, 40)
        XCTAssertEqual(back.height, 24)
        XCTAssertLessThan(meanAbsoluteDifference(image, back), 0.01)
    }

    func testProgressiveColour() throws {
        let image = gradientImage(width: 40, height: 24)
        let jpeg = try JPEG.encode(image, quality: 90, progressive: true)
        XCTAssertTrue(markerPresent(jpeg, 0xC2), "progressive SOF2")
        let back = try ImageFile.read(try writeBytes(jpeg, "progressive.jpg"))
        XCTAssertLessThan(meanAbsoluteDifference(image, back), 0.01)
    }

    func testBaselineAndProgressiveGreyAreReplicated() throws {
        let grey: [UInt8] = (0..<(32 * 16)).map { UInt8(($0 % 32) * 8) }
        for progressive in [false, true] {
            let jpeg = try encode(grey, width: 32, height: 16, components: 1, progressive: progressive)
            let sof = jpegSOFOffset(jpeg)!
            XCTAssertEqual(jpeg[sof + 9], 1, "one component")
            let image = try ImageFile.read(try writeBytes(jpeg, "grey-\(progressive).jpg"))
            let n = image.planeSize
            var error: Float = 0
            for i in 0..<n {
                XCTAssertEqual(image.pixels[i], image.pixels[n + i])
                XCTAssertEqual(image.pixels[i], image.pixels[2 * n + i])
                error += abs(image.pixels[i] - Float(grey[i]) / 255)
            }
            XCTAssertLessThan(error / Float(n), 0.02)
        }
    }

    func testCMYKIsConverted() throws {
        // Adobe-inverted CMYK (255 = no ink): pure cyan ink, then no ink at all.
        var cmyk: [UInt8] = []
        for i in 0..<(16 * 16) { cmyk += i < 128 ? [0, 255, 255, 255] : [255, 255, 255, 255] }
        let jpeg = try encode(cmyk, width: 16, height: 16, components: 4)
        let image = try ImageFile.read(try writeBytes(jpeg, "cmyk.jpg"))
        XCTAssertEqual(image[0, 2, 2], 0, accuracy: 0.03)  // cyan: no red
        XCTAssertEqual(image[1, 2, 2], 1, accuracy: 0.03)
        XCTAssertEqual(image[2, 2, 2], 1, accuracy: 0.03)
        for c in 0..<3 { XCTAssertEqual(image[c, 13, 8], 1, accuracy: 0.03) }  // white
    }

    func testEXIFOrientationIsApplied() throws {
        // 32×16: left half black, right half white.
        var source = Image(width: 32, height: 16)
        for c in 0..<3 { for y in 0..<16 { for x in 16..<32 { source[c, y, x] = 1 } } }
        let jpeg = try JPEG.encode(source, quality: 95)
        let expected: [Int: Image] = [
            1: source, 2: source.flippedHorizontally(), 3: source.rotated180(),
            4: source.flippedVertically(), 6: source.rotatedClockwise(),
            8: source.rotatedCounterclockwise(),
            5: source.rotatedClockwise().flippedHorizontally(),  // transpose
            7: source.rotatedCounterclockwise().flippedHorizontally(),  // transverse
        ]
        for (orientation, want) in expected.sorted(by: { $0.key < $1.key }) {
            for bigEndian in [true, false] {
                let tagged = jpegWithEXIFOrientation(jpeg, UInt8(orientation), bigEndian: bigEndian)
                let image = try ImageFile.read(try writeBytes(tagged, "exif-\(orientation).jpg"))
                XCTAssertEqual(image.width, want.width, "orientation \(orientation)")
                XCTAssertEqual(image.height, want.height, "orientation \(orientation)")
                XCTAssertLessThan(meanAbsoluteDifference(image, want), 0.02, "orientation \(orientation)")
            }
        }
        // Rotation 6 puts the black (left) half on top.
        let rotated = try ImageFile.read(try writeBytes(jpegWithEXIFOrientation(jpeg, 6, bigEndian: true), "r.jpg"))
        XCTAssertEqual(rotated[0, 2, 4], 0, accuracy: 0.05)
        XCTAssertEqual(rotated[0, 29, 4], 1, accuracy: 0.05)
    }

    func testTransposeAndTransverseDefinitions() {
        var image = Image(width: 3, height: 2)
        for i in image.pixels.indices { image.pixels[i] = Float(i) }
        let transposed = image.applyingEXIFOrientation(5)
        let transverse = image.applyingEXIFOrientation(7)
        for y in 0..<2 {
            for x in 0..<3 {
                XCTAssertEqual(transposed[1, x, y], image[1, y, x])
                XCTAssertEqual(transverse[1, 2 - x, 1 - y], image[1, y, x])
            }
        }
    }

    func testQualityIsClampedAndHigherQualityIsCloser() throws {
        let image = gradientImage(width: 48, height: 32)
        let low = try ImageFile.decode(try JPEG.encode(image, quality: -5), path: "low")
        let high = try ImageFile.decode(try JPEG.encode(image, quality: 1000), path: "high")
        XCTAssertLessThan(meanAbsoluteDifference(image, high), meanAbsoluteDifference(image, low))
    }
}

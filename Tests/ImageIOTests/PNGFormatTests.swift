import Foundation
import XCTest

@testable import ImageIO

/// Every PNG colour type and bit depth, from fixtures written with libpng's simplified API
/// (through the internal `PNG.encode(samples:…)`) and read back through `ImageFile.read`.
final class PNGFormatTests: TemporaryDirectoryTestCase {
    let width = 5, height = 3

    private func encode<T>(_ samples: [T], _ format: PNG.Format, colormap: [UInt8]? = nil) throws -> [UInt8] {
        try samples.withUnsafeBytes { raw in
            if let colormap {
                return try colormap.withUnsafeBytes { map in
                    try PNG.encode(samples: raw, width: width, height: height, format: format, colormap: map,
                                   colormapEntries: colormap.count / format.channels)
                }
            }
            return try PNG.encode(samples: raw, width: width, height: height, format: format)
        }
    }

    private func readBack(_ png: [UInt8], _ name: String) throws -> Image {
        let image = try ImageFile.read(try writeBytes(png, name))
        XCTAssertEqual(image.width, width)
        XCTAssertEqual(image.height, height)
        return image
    }

    private func assertPixel(_ image: Image, _ i: Int, _ rgb: (Float, Float, Float), accuracy: Float = 0,
                             file: StaticString = #filePath, line: UInt = #line) {
        let n = image.planeSize
        XCTAssertEqual(image.pixels[i], rgb.0, accuracy: accuracy, "red of pixel \(i)", file: file, line: line)
        XCTAssertEqual(image.pixels[n + i], rgb.1, accuracy: accuracy, "green of pixel \(i)", file: file, line: line)
        XCTAssertEqual(image.pixels[2 * n + i], rgb.2, accuracy: accuracy, "blue of pixel \(i)", file: file, line: line)
    }

    func testGray8IsReplicated() throws {
        let grey: [UInt8] = (0..<15).map { UInt8($0 * 17) }
        let png = try encode(grey, .gray)
        XCTAssertEqual(pngBitDepthAndColorType(png).colorType, 0)
        let image = try readBack(png, "gray.png")
        for i in 0..<15 {
            let v = Float(grey[i]) / 255
            assertPixel(image, i, (v, v, v))
        }
    }

    func testGrayAlphaIsCompositedOverWhite() throws {
        var samples: [UInt8] = []
        for i in 0..<15 { samples += [UInt8(i * 17), [255, 0, 128][i % 3]] }
        let png = try encode(samples, .grayAlpha)
        XCTAssertEqual(pngBitDepthAndColorType(png).colorType, 4)
        let image = try readBack(png, "ga.png")
        for i in 0..<15 {
            let g = Float(i * 17) / 255
            switch i % 3 {
            case 0: assertPixel(image, i, (g, g, g))  // opaque: exact
            case 1: assertPixel(image, i, (1, 1, 1))  // transparent: white
            default:  // half transparent: between the grey and white, all channels equal
                XCTAssertGreaterThanOrEqual(image.pixels[i], g - 1e-6)
                XCTAssertLessThanOrEqual(image.pixels[i], 1)
                XCTAssertEqual(image.pixels[i], image.pixels[image.planeSize + i])
            }
        }
    }

    func testRGB8AndRGBA8() throws {
        var rgb: [UInt8] = [], rgba: [UInt8] = []
        for i in 0..<15 {
            let px = [UInt8(i * 17), UInt8(255 - i * 17), UInt8((i * 53) % 256)]
            rgb += px
            rgba += px + [i % 2 == 0 ? 255 : 0]
        }
        let rgbImage = try readBack(try encode(rgb, .rgb), "rgb.png")
        let rgbaPNG = try encode(rgba, .rgba)
        XCTAssertEqual(pngBitDepthAndColorType(rgbaPNG).colorType, 6)
        let rgbaImage = try readBack(rgbaPNG, "rgba.png")
        for i in 0..<15 {
            let expected = (Float(rgb[3 * i]) / 255, Float(rgb[3 * i + 1]) / 255, Float(rgb[3 * i + 2]) / 255)
            assertPixel(rgbImage, i, expected)
            assertPixel(rgbaImage, i, i % 2 == 0 ? expected : (1, 1, 1))
        }
    }

    func testSixteenBitLinearIsConvertedToSRGB() throws {
        // Written as 16-bit linear (with gAMA 1.0): read back gamma-encoded at 8 bits. libpng
        // encodes with its sRGB approximation, a 1/2.2 power law.
        let values: [UInt16] = (0..<45).map { UInt16(($0 * 1489) % 65536) }
        let png = try encode(values, .linearRGB)
        XCTAssertEqual(pngBitDepthAndColorType(png).bitDepth, 16)
        XCTAssertTrue(pngChunks(png).contains { $0.type == "gAMA" })
        let image = try readBack(png, "linear16.png")
        for i in 0..<15 {
            let expected = (0..<3).map { Float(pow(Double(values[3 * i + $0]) / 65535, 1 / 2.2)) }
            assertPixel(image, i, (expected[0], expected[1], expected[2]), accuracy: 1.5 / 255)
        }
    }

    func testSixteenBitWithoutGammaIsTakenAsSRGB() throws {
        // Most tools write 16-bit PNGs without gAMA: the samples are sRGB values / 65535
        // (libpng alone would take them as linear and brighten them).
        let values: [UInt16] = (0..<45).map { UInt16(($0 * 7919) % 65536) }
        let png = pngRemovingChunks(try encode(values, .linearRGB), ["gAMA", "sRGB", "cHRM", "iCCP"])
        XCTAssertEqual(pngChunks(png).map(\.type), ["IHDR", "IDAT", "IEND"])
        let image = try readBack(png, "srgb16.png")
        for i in 0..<15 {
            let expected = (0..<3).map { Float(values[3 * i + $0]) / 65535 }
            assertPixel(image, i, (expected[0], expected[1], expected[2]), accuracy: 0.51 / 255)
        }
    }

    func testSixteenBitGrayAndAlpha() throws {
        let grey: [UInt16] = (0..<15).map { UInt16($0 * 4681) }
        let greyImage = try readBack(try encode(grey, .linearGray), "gray16.png")
        for i in 0..<15 {
            let v = Float(pow(Double(grey[i]) / 65535, 1 / 2.2))
            assertPixel(greyImage, i, (v, v, v), accuracy: 1.5 / 255)
        }
        // Premultiplied linear RGBA: composited over white (in linear light).
        var rgba: [UInt16] = []
        for i in 0..<15 {
            let alpha = UInt16([65535, 0, 32768][i % 3])
            let colour = [20000, 40000, 60000].map { UInt16(UInt32($0) * UInt32(alpha) / 65535) }
            rgba += colour + [alpha]
        }
        let image = try readBack(try encode(rgba, .linearRGBA), "rgba16.png")
        for i in 0..<15 {
            let a = Double(rgba[4 * i + 3]) / 65535
            let expected = (0..<3).map { c -> Float in
                let premultiplied = Double(rgba[4 * i + c]) / 65535
                return Float(pow(min(premultiplied + 1 - a, 1), 1 / 2.2))
            }
            assertPixel(image, i, (expected[0], expected[1], expected[2]), accuracy: 1.5 / 255)
        }
    }

    func testPaletteImagesIncludingLowBitDepthAndTransparency() throws {
        let indices: [UInt8] = (0..<15).map { UInt8($0 % 4) }
        let colours: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]
        let png = try encode(indices, .rgbColormap, colormap: colours)
        let (bitDepth, colorType) = pngBitDepthAndColorType(png)
        XCTAssertEqual(colorType, 3)
        XCTAssertEqual(bitDepth, 2, "four palette entries are stored at 2 bits per pixel")
        let image = try readBack(png, "palette.png")
        for i in 0..<15 {
            let k = Int(indices[i]) * 3
            assertPixel(image, i, (Float(colours[k]) / 255, Float(colours[k + 1]) / 255, Float(colours[k + 2]) / 255))
        }

        let rgbaColours: [UInt8] = [255, 0, 0, 255, 0, 255, 0, 0]  // red opaque, green transparent
        let twoIndices: [UInt8] = (0..<15).map { UInt8($0 % 2) }
        let transparentPNG = try encode(twoIndices, .rgbaColormap, colormap: rgbaColours)
        XCTAssertEqual(pngBitDepthAndColorType(transparentPNG).bitDepth, 1)
        XCTAssertTrue(pngChunks(transparentPNG).contains { $0.type == "tRNS" })
        let transparent = try readBack(transparentPNG, "palette-trns.png")
        for i in 0..<15 { assertPixel(transparent, i, i % 2 == 0 ? (1, 0, 0) : (1, 1, 1)) }
    }

    func testEncodedPNGIsEightBitRGB() throws {
        let png = try ImageFile.encode(gradientImage(width: 20, height: 10), as: .png)
        XCTAssertEqual(Array(png.prefix(8)), PNG.signature)
        XCTAssertEqual(pngBitDepthAndColorType(png).bitDepth, 8)
        XCTAssertEqual(pngBitDepthAndColorType(png).colorType, 2)
        XCTAssertEqual(pngChunks(png).last?.type, "IEND")
    }

    func testIncompressibleImageStillEncodes() throws {
        // Random noise does not compress: exercises the output-buffer bound.
        var rng = SplitMix64(seed: 7)
        let image = Image(width: 97, height: 61, pixels: (0..<(3 * 97 * 61)).map { _ in
            Float(rng.next() % 256) / 255
        })
        let file = path("noise.png")
        try ImageFile.write(image, to: file)
        XCTAssertEqual(try ImageFile.read(file), image)
    }
}

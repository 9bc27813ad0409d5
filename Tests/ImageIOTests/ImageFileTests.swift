import Foundation
import XCTest

@testable import ImageIO

/// Round trips through files, write errors and atomic output.
final class ImageFileTests: TemporaryDirectoryTestCase {
    func testImageLayoutIsPlanarCHW() {
        var image = Image(width: 3, height: 2, fill: 0.25)
        XCTAssertEqual(image.pixels.count, 18)
        XCTAssertEqual(image.planeSize, 6)
        image[2, 1, 0] = 0.75
        XCTAssertEqual(image.pixels[2 * 6 + 1 * 3 + 0], 0.75)
        XCTAssertEqual(Image(width: 3, height: 2, pixels: image.pixels), image)
    }

    func testPNGRoundTripIsExactAtEightBits() throws {
        var image = gradientImage(width: 37, height: 23)
        for k in 0...255 { image.pixels[k] = Float(k) / 255 }  // every 8-bit level
        let file = path("round.png")
        try ImageFile.write(image, to: file)
        let back = try ImageFile.read(file)
        XCTAssertEqual(back.width, 37)
        XCTAssertEqual(back.height, 23)
        XCTAssertEqual(back, image)
        XCTAssertEqual(try contents(), ["round.png"], "no temporary file left behind")
    }

    func testWriteClampsAndRounds() throws {
        let image = Image(width: 6, height: 1, pixels: [-0.5, 1.7, .nan, 0.5, 1.0 / 255 * 0.49, 1.0 / 255 * 0.51]
            + [Float](repeating: 0, count: 12))
        let file = path("clamp.png")
        try ImageFile.write(image, to: file)
        let back = try ImageFile.read(file)
        XCTAssertEqual(Array(back.pixels[0..<6]), [0, 1, 0, 128.0 / 255, 0, 1.0 / 255])
    }

    func testJPEGRoundTripIsClose() throws {
        let image = gradientImage(width: 64, height: 48)
        for (name, quality, tolerance) in [("q92.jpg", 92, Float(0.01)), ("q60.JPEG", 60, 0.03)] {
            let file = path(name)
            try ImageFile.write(image, to: file, quality: quality)
            XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: file)).prefix(3)), [0xFF, 0xD8, 0xFF])
            let back = try ImageFile.read(file)
            XCTAssertEqual(back.width, 64)
            XCTAssertEqual(back.height, 48)
            let error = meanAbsoluteDifference(image, back)
            XCTAssertLessThan(error, tolerance, "\(name): mean abs error \(error)")
        }
    }

    func testFormatIsChosenByContentOnReadAndExtensionOnWrite() throws {
        let image = gradientImage(width: 8, height: 8)
        try ImageFile.write(image, to: path("a.PNG"))
        try ImageFile.write(image, to: path("b.Jpg"))
        // Swap the names: reading goes by magic bytes, not by extension.
        try FileManager.default.moveItem(atPath: path("a.PNG"), toPath: path("really-png.jpg"))
        try FileManager.default.moveItem(atPath: path("b.Jpg"), toPath: path("really-jpeg.png"))
        XCTAssertEqual(try ImageFile.read(path("really-png.jpg")), image)
        XCTAssertLessThan(meanAbsoluteDifference(try ImageFile.read(path("really-jpeg.png")), image), 0.02)
        XCTAssertEqual(ImageFile.Format(pathExtensionOf: "x/y.JPEG"), .jpeg)
        XCTAssertEqual(ImageFile.Format(pathExtensionOf: "dir.png/file"), nil)
        XCTAssertEqual(ImageFile.Format(pathExtensionOf: ".png"), nil)
    }

    func testUnsupportedExtensionsAreRefused() throws {
        let image = Image(width: 2, height: 2)
        for name in ["out.bmp", "out", "out.png.txt", "dir.png/"] {
            let file = path(name)
            let error = assertImageIOError(.unsupportedExtension, path: file) {
                try ImageFile.write(image, to: file)
            }
            XCTAssertTrue(error?.description.hasPrefix("cannot write '") ?? false)
        }
        XCTAssertEqual(try contents(), [])
    }

    func testWritingIntoMissingDirectoryFailsCleanly() throws {
        let file = path("missing/sub/out.png")
        let error = assertImageIOError(.writeFailed, path: file) {
            try ImageFile.write(Image(width: 2, height: 2), to: file)
        }
        XCTAssertTrue(error?.reason.contains("does not exist") ?? false, error?.reason ?? "")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("missing")))
        XCTAssertEqual(try contents(), [])
    }

    func testWriteOverDirectoryFailsAndLeavesNoTemporaryFile() throws {
        try FileManager.default.createDirectory(atPath: path("taken.png"), withIntermediateDirectories: false)
        assertImageIOError(.writeFailed, path: path("taken.png")) {
            try ImageFile.write(Image(width: 2, height: 2), to: path("taken.png"))
        }
        XCTAssertEqual(try contents(), ["taken.png"])
    }

    func testAtomicOverwriteReplacesWholeFileAndKeepsMode() throws {
        let file = path("out.png")
        try ImageFile.write(gradientImage(width: 300, height: 200), to: file)
        XCTAssertEqual(chmod(file, 0o640), 0)
        let small = Image(width: 3, height: 3, fill: 0.5)
        try ImageFile.write(small, to: file)
        XCTAssertEqual(try ImageFile.read(file), Image(width: 3, height: 3, fill: 128.0 / 255))
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o640)
        XCTAssertEqual(try contents(), ["out.png"])
    }

    func testRelativePathWriteAndRead() throws {
        let previous = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(tmp))
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        try ImageFile.write(Image(width: 4, height: 4, fill: 1), to: "relative.png")
        XCTAssertEqual(try ImageFile.read("relative.png"), Image(width: 4, height: 4, fill: 1))
        XCTAssertEqual(try contents(), ["relative.png"])
    }

    func testErrorDescriptionIsOneLine() {
        let error = ImageIOError(path: "x.png", kind: .corrupt,
                                 reason: "corrupt PNG data (IDAT: invalid distance too far back)")
        XCTAssertEqual(error.description, "cannot read 'x.png': corrupt PNG data (IDAT: invalid distance too far back)")
        let multiline = ImageIOError(path: "a\nb.jpg", kind: .writeFailed, reason: "x\ny")
        XCTAssertEqual(multiline.description, "cannot write 'a b.jpg': x y")
    }
}

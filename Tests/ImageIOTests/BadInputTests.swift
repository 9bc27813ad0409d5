import Foundation
import XCTest

@testable import ImageIO

/// Every kind of bad input gives the right typed error, quickly, with a one-line message.
final class BadInputTests: TemporaryDirectoryTestCase {
    func testMissingFile() {
        assertImageIOError(.notFound, path: path("nope.png")) { try ImageFile.read(path("nope.png")) }
        assertImageIOError(.notFound, path: path("nodir/x.jpg")) { try ImageFile.read(path("nodir/x.jpg")) }
        assertImageIOError(.notFound, path: "") { try ImageFile.read("") }
    }

    func testEmptyFile() throws {
        let file = try writeBytes([], "empty.png")
        let error = assertImageIOError(.empty, path: file) { try ImageFile.read(file) }
        XCTAssertEqual(error?.description, "cannot read '\(file)': file is empty (0 bytes)")
    }

    func testDirectory() throws {
        try FileManager.default.createDirectory(atPath: path("folder.png"), withIntermediateDirectories: false)
        assertImageIOError(.notAFile, path: path("folder.png")) { try ImageFile.read(path("folder.png")) }
        assertImageIOError(.notAFile, path: "/dev/null") { try ImageFile.read("/dev/null") }
    }

    func testUnreadableFile() throws {
        let file = try writeBytes(try repoImageBytes("coins.png"), "secret.png")
        XCTAssertEqual(chmod(file, 0), 0)
        defer { chmod(file, 0o644) }
        if geteuid() == 0 {
            XCTAssertNoThrow(try ImageFile.read(file), "root reads anything")
        } else {
            assertImageIOError(.unreadable, path: file) { try ImageFile.read(file) }
        }
    }

    func testTextFileNamedPNG() throws {
        let file = try writeBytes(Array("hello, this is not an image\n".utf8), "text.png")
        let error = assertImageIOError(.unsupportedFormat, path: file) { try ImageFile.read(file) }
        XCTAssertEqual(error?.description,
                       "cannot read '\(file)': not a PNG or JPEG file; only PNG and JPEG can be read")
        let gif = try writeBytes(Array("GIF89a".utf8) + [1, 0, 1, 0, 0, 0, 0], "anim.png")
        let gifError = assertImageIOError(.unsupportedFormat, path: gif) { try ImageFile.read(gif) }
        XCTAssertTrue(gifError?.reason.contains("GIF") ?? false)
        let stub = try writeBytes([0x89, 0x50, 0x4E], "stub.png")
        assertImageIOError(.corrupt, path: stub) { try ImageFile.read(stub) }
    }

    func testTruncatedPNG() throws {
        let png = try repoImageBytes("coins.png")
        for cut in [png.count / 2, png.count - 13, 40] {
            let file = try writeBytes(Array(png.prefix(cut)), "cut-\(cut).png")
            let error = assertImageIOError(.corrupt, path: file) { try ImageFile.read(file) }
            XCTAssertTrue(error?.reason.contains("PNG") ?? false, error?.reason ?? "")
        }
    }

    func testCorruptPNGData() throws {
        var png = try repoImageBytes("coins.png")
        let idat = pngChunks(png).first { $0.type == "IDAT" }!
        for k in 0..<64 { png[idat.offset + 8 + 100 + k] ^= 0x5A }
        let file = try writeBytes(png, "bad-idat.png")
        let error = assertImageIOError(.corrupt, path: file) { try ImageFile.read(file) }
        XCTAssertTrue(error?.description.hasPrefix("cannot read '\(file)': corrupt PNG data (") ?? false,
                      error?.description ?? "")
    }

    func testTruncatedJPEG() throws {
        let jpeg = try repoImageBytes("rocket.jpg")
        for cut in [jpeg.count / 2, jpeg.count - 2, 300] {
            let file = try writeBytes(Array(jpeg.prefix(cut)), "cut-\(cut).jpg")
            let error = assertImageIOError(.corrupt, path: file) { try ImageFile.read(file) }
            XCTAssertTrue(error?.reason.contains("JPEG") ?? false, error?.reason ?? "")
        }
        let progressive = try JPEG.encode(gradientImage(width: 64, height: 64), quality: 90, progressive: true)
        let file = try writeBytes(Array(progressive.prefix(progressive.count * 3 / 4)), "cut-progressive.jpg")
        assertImageIOError(.corrupt, path: file) { try ImageFile.read(file) }
    }

    func testHugePNGHeaderIsRefusedQuickly() throws {
        let png = try repoImageBytes("coins.png")
        for fixCRC in [true, false] {
            let huge = pngWithHeaderSize(png, width: 100_000, height: 100_000, fixCRC: fixCRC)
            let file = try writeBytes(huge, "huge-\(fixCRC).png")
            let start = Date()
            let error = assertImageIOError(.tooLarge, path: file) { try ImageFile.read(file) }
            XCTAssertLessThan(Date().timeIntervalSince(start), 0.5)
            XCTAssertTrue(error?.reason.contains("100000x100000") ?? false, error?.reason ?? "")
        }
        // With a valid CRC, libpng itself parses the header and the post-header check fires.
        let decoded = pngWithHeaderSize(png, width: 100_000, height: 100_000, fixCRC: true)
        XCTAssertThrowsError(try decoded.withUnsafeBytes { try PNG.decode($0, path: "p") })
        // One side over 30,000 px is refused even when the area is small.
        let tall = try writeBytes(pngWithHeaderSize(png, width: 1, height: 40_000, fixCRC: true), "tall.png")
        assertImageIOError(.tooLarge, path: tall) { try ImageFile.read(tall) }
    }

    func testHugeJPEGHeaderIsRefusedQuickly() throws {
        let jpeg = try repoImageBytes("rocket.jpg")
        for side in [60_000, 65_535] {
            let file = try writeBytes(jpegWithFrameSize(jpeg, width: side, height: side), "huge-\(side).jpg")
            let start = Date()
            let error = assertImageIOError(.tooLarge, path: file) { try ImageFile.read(file) }
            XCTAssertLessThan(Date().timeIntervalSince(start), 0.5)
            XCTAssertTrue(error?.reason.contains("\(side)x\(side)") ?? false, error?.reason ?? "")
        }
        // 8000×6000 = 48 megapixels: every side is fine, the area is not.
        let wide = try writeBytes(jpegWithFrameSize(jpeg, width: 8000, height: 6000), "48mp.jpg")
        assertImageIOError(.tooLarge, path: wide) { try ImageFile.read(wide) }
    }

    func testOversizedFileIsRefusedBeforeReading() throws {
        let file = path("sparse.png")
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data(PNG.signature)))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        try handle.truncate(atOffset: UInt64(ImageFile.maxFileBytes) + 1)  // sparse: no disk used
        try handle.close()
        let error = assertImageIOError(.tooLarge, path: file) { try ImageFile.read(file) }
        XCTAssertTrue(error?.reason.contains("512 MB") ?? false, error?.reason ?? "")
    }
}

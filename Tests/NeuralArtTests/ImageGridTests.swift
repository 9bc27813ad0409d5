import Foundation
import XCTest
import ImageIO
@testable import NeuralArt

/// `ImageGrid`: overall size from hand-computed layouts, where cell images and text land,
/// determinism, and an example grid written from the bundled images.
final class ImageGridTests: XCTestCase {
    /// The repository root, found from this file's location (NeuralArtTests → Tests → root).
    static let repoRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    func solid(_ width: Int, _ height: Int, _ rgb: (Float, Float, Float)) -> Image {
        let n = width * height
        return Image(width: width, height: height,
                     pixels: [Float](repeating: rgb.0, count: n) + [Float](repeating: rgb.1, count: n)
                         + [Float](repeating: rgb.2, count: n))
    }

    func isDark(_ image: Image, _ y: Int, _ x: Int) -> Bool {
        (0..<3).allSatisfy { image[$0, y, x] < 0.5 }
    }

    func emptyCells(_ rows: Int, _ columns: Int) -> [[Image?]] {
        [[Image?]](repeating: [Image?](repeating: nil, count: columns), count: rows)
    }

    /// No text at all: the grid is cells and padding only.
    func testSizeWithoutLabels() {
        let grid = ImageGrid(columns: ["", "", ""], rows: ["", ""], cells: emptyCells(2, 3),
                             cellSize: 32, padding: 4)
        let image = grid.render()
        XCTAssertEqual(image.width, 4 + 32 + 4 + 32 + 4 + 32 + 4)
        XCTAssertEqual(image.height, 4 + 32 + 4 + 32 + 4)
        XCTAssertTrue(image.pixels.allSatisfy { $0 == 1 }, "empty cells and no text: all white")
    }

    /// Title, column titles, row titles and a caption wider than its cell, at text scale 2
    /// (glyphs 10 × 18 px, 12 px advance).
    func testSizeWithTitlesAndCaptions() {
        let grid = ImageGrid(
            columns: ["adam", "lstm"], rows: ["content", "x"], cells: emptyCells(2, 2),
            captions: [["loss 0.53", ""], ["", "ok"]], title: "Compare",
            cellSize: 64, padding: 8, textScale: 2)
        let textHeight = 18
        let rowTitleWidth = 7 * 12 - 2            // "content"
        let column0 = 9 * 12 - 2                  // "loss 0.53" is wider than the 64 px cell
        let expectedWidth = 8 + rowTitleWidth + 8 + column0 + 8 + 64 + 8
        let expectedHeight = 8 + (textHeight + 8)  // title
            + (textHeight + 4)                     // column titles, then padding / 2
            + 2 * (64 + 4 + textHeight + 8)        // cell, caption gap, caption, padding
        let image = grid.render()
        XCTAssertEqual(image.width, expectedWidth)
        XCTAssertEqual(image.height, expectedHeight)
    }

    /// A title wider than the grid widens the image.
    func testLongTitleWidensTheImage() {
        let title = String(repeating: "W", count: 30)
        let image = ImageGrid(columns: [""], rows: [""], cells: emptyCells(1, 1), title: title,
                              cellSize: 16, padding: 5, textScale: 1).render()
        XCTAssertEqual(image.width, 5 + (30 * 6 - 1) + 5)
        XCTAssertEqual(image.height, 5 + 9 + 5 + 16 + 5)
    }

    /// A solid red 40 × 20 image fitted into a 32 px cell: red at the cell centre, white in
    /// the letterbox above and below it and in the empty neighbouring cell.
    func testCellImageAppearsCentredInItsCell() {
        let grid = ImageGrid(columns: ["", ""], rows: [""], cells: [[solid(40, 20, (1, 0, 0)), nil]],
                             cellSize: 32, padding: 4)
        let image = grid.render()
        XCTAssertEqual(image.width, 4 + 32 + 4 + 32 + 4)
        // Cell box: x 4..<36, y 4..<36; the fitted 32 × 16 image covers y 12..<28.
        for (y, x) in [(20, 20), (12, 4), (27, 35)] {
            XCTAssertEqual(image[0, y, x], 1, accuracy: 1e-5, "red at (\(x), \(y))")
            XCTAssertEqual(image[1, y, x], 0, accuracy: 1e-5)
            XCTAssertEqual(image[2, y, x], 0, accuracy: 1e-5)
        }
        for (y, x) in [(11, 20), (28, 20), (20, 3), (20, 36), (20, 56)] {
            XCTAssertEqual((0..<3).map { image[$0, y, x] }, [1, 1, 1], "white at (\(x), \(y))")
        }
    }

    /// All text goes to its band: dark pixels appear in the title band, the column-title
    /// band and the row-title column, and nowhere else (not in the cells, not in the margin).
    func testTitlesDrawDarkPixelsOnlyInTheirBands() {
        let grid = ImageGrid(columns: ["SGD", "ADAM"], rows: ["lr 0.1", "lr 1"], cells: emptyCells(2, 2),
                             title: "Optimizers", cellSize: 48, padding: 6, textScale: 2)
        let image = grid.render()
        let l = grid.layout()
        let titleBand = l.titleY ..< l.titleY + 18
        let headerBand = l.headerY ..< l.headerY + l.headerHeight
        let rowTitleColumn = 6 ..< l.columnX[0] - 6
        XCTAssertEqual(l.titleY, 6)
        XCTAssertEqual(l.headerY, 6 + 18 + 6)
        XCTAssertEqual(rowTitleColumn, 6 ..< 6 + 6 * 12 - 2)  // "lr 0.1"

        var darkInTitle = 0, darkInHeader = 0, darkInRowTitles = 0
        for y in 0..<image.height {
            for x in 0..<image.width where isDark(image, y, x) {
                if titleBand.contains(y) {
                    darkInTitle += 1
                } else if headerBand.contains(y), x >= l.columnX[0] {
                    darkInHeader += 1
                } else if rowTitleColumn.contains(x), y >= l.rowY[0] {
                    darkInRowTitles += 1
                } else {
                    XCTFail("dark pixel outside the text bands at (\(x), \(y))")
                    return
                }
                XCTAssertTrue(x >= 6 && x < image.width - 6 && y >= 6 && y < image.height - 6,
                              "ink in the margin at (\(x), \(y))")
            }
        }
        XCTAssertGreaterThan(darkInTitle, 0)
        XCTAssertGreaterThan(darkInHeader, 0)
        XCTAssertGreaterThan(darkInRowTitles, 0)
    }

    /// A caption is drawn in the band under its cell, centred on the column; the cell above
    /// keeps its image untouched.
    func testCaptionSitsUnderItsCell() {
        let grid = ImageGrid(columns: [""], rows: [""], cells: [[solid(8, 8, (0, 0, 1))]],
                             captions: [["Loss 0.53"]], cellSize: 120, padding: 10, textScale: 2)
        let image = grid.render()
        let captionTop = 10 + 120 + 5
        XCTAssertEqual(image.height, captionTop + 18 + 10)
        var ink: [(Int, Int)] = []
        for y in 0..<image.height {
            for x in 0..<image.width where image[1, y, x] < 0.5 && image[2, y, x] < 0.5 { ink.append((x, y)) }
        }
        XCTAssertFalse(ink.isEmpty)
        XCTAssertTrue(ink.allSatisfy { (captionTop ..< captionTop + 18).contains($0.1) })
        let captionWidth = 9 * 12 - 2
        XCTAssertEqual(ink.map(\.0).min(), 10 + (120 - captionWidth) / 2)
        XCTAssertEqual(image[2, 70, 70], 1, accuracy: 1e-5, "blue cell intact")
    }

    func testRenderIsDeterministic() throws {
        let chelsea = try ImageFile.read(Self.repoRoot.appendingPathComponent("images/chelsea.png").path)
        let grid = ImageGrid(columns: ["a", "b"], rows: ["r"], cells: [[chelsea, chelsea.resized(longestSide: 50)]],
                             captions: [["x 1", "y 2"]], title: "t", cellSize: 40)
        XCTAssertEqual(grid.render(), grid.render())
    }

    /// The example a "compare" run would produce, from the bundled images: written as PNG
    /// with `ImageFile.write` and read back at the rendered size.
    func testExampleGridFromBundledImagesIsWritten() throws {
        let images = Self.repoRoot.appendingPathComponent("images")
        let chelsea = try ImageFile.read(images.appendingPathComponent("chelsea.png").path)
        let swirls = try ImageFile.read(images.appendingPathComponent("swirls.png").path)
        let grid = ImageGrid(
            columns: ["content", "style", "ADAM", "LSTM (ours)"],
            rows: ["chelsea", "swirls", ""],
            cells: [[chelsea, swirls, chelsea, nil],
                    [swirls, chelsea, nil, swirls],
                    [nil, nil, swirls, chelsea]],
            captions: [["451x300", "", "loss 0.53", "n/a"],
                       ["", "", "", "loss 0.41"],
                       ["", "", "lr=1e-2; 100%", "[x] @#_'()"]],
            title: "Neural Art: compare optimizers (128 px, 100 steps)")
        let rendered = grid.render()

        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("ImageGridTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("compare-grid.png").path
        try ImageFile.write(rendered, to: path)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path))
        let back = try ImageFile.read(path)
        XCTAssertEqual(back.width, rendered.width)
        XCTAssertEqual(back.height, rendered.height)
    }
}

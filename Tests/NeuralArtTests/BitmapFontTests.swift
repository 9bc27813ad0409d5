import XCTest
import ImageIO
@testable import NeuralArt

/// `BitmapFont`: glyph table sanity, exact pixel patterns at scale 1 and 2, sizes, colour,
/// clipping at every border and characters without a glyph.
final class BitmapFontTests: XCTestCase {
    let font = BitmapFont.standard

    /// Pixels of channel 0 as strings, `#` where the value is below 0.5 (ink on white).
    func inkRows(_ image: Image) -> [String] {
        (0..<image.height).map { y in
            String((0..<image.width).map { x in image[0, y, x] < 0.5 ? "#" : "." })
        }
    }

    /// Every printable ASCII character has its own glyph that fits 5 columns; all glyphs
    /// differ (a copy-paste slip in the table shows up here); only the space is blank.
    func testGlyphTableCoversPrintableASCIIWithDistinctGlyphs() {
        var seen: [[UInt8]: Character] = [:]
        for v in UInt8(32)...126 {
            let c = Character(Unicode.Scalar(v))
            XCTAssertTrue(font.hasGlyph(c), "no glyph for \(c)")
            let rows = font.rows(for: c)
            XCTAssertEqual(rows.count, font.glyphHeight)
            XCTAssertTrue(rows.allSatisfy { $0 < 0x20 }, "glyph \(c) wider than 5 columns")
            XCTAssertEqual(rows.allSatisfy { $0 == 0 }, c == " ", "blankness of \(c)")
            if let other = seen[rows] { XCTFail("\(c) and \(other) share a glyph") }
            seen[rows] = c
        }
        XCTAssertTrue(font.hasGlyph("×"))
        XCTAssertTrue(font.hasGlyph("°"))
    }

    /// "I" at scale 1, drawn at (1, 1) on a 7 × 11 white image: exactly the glyph's bits.
    func testLetterIAtScale1() {
        var image = Image(width: 7, height: 11, fill: 1)
        font.draw("I", into: &image, x: 1, y: 1, scale: 1)
        XCTAssertEqual(inkRows(image), [
            ".......",
            "..###..",
            "...#...",
            "...#...",
            "...#...",
            "...#...",
            "...#...",
            "..###..",
            ".......",
            ".......",
            ".......",
        ])
    }

    /// "L" at scale 2: every glyph pixel becomes a 2 × 2 block, nothing else is touched.
    func testLetterLAtScale2() {
        var image = Image(width: 12, height: 20, fill: 1)
        font.draw("L", into: &image, x: 1, y: 1, scale: 2)
        let glyph = ["#....", "#....", "#....", "#....", "#....", "#....", "#####", ".....", "....."]
        var expected = [String](repeating: String(repeating: ".", count: 12), count: 20)
        for (r, line) in glyph.enumerated() {
            let wide = "." + line.map { String(repeating: String($0), count: 2) }.joined() + "."
            expected[1 + 2 * r] = wide
            expected[2 + 2 * r] = wide
        }
        XCTAssertEqual(inkRows(image), expected)
    }

    /// Descender letters reach rows 7 and 8; "g" differs from "q" only in its hook.
    func testDescendersUseTheLastTwoRows() {
        for c: Character in ["g", "j", "p", "q", "y", ",", ";", "_"] {
            XCTAssertTrue(font.rows(for: c)[7...8].contains { $0 != 0 }, "\(c) has no descender")
        }
        for c: Character in ["A", "a", "x", "0", "."] {
            XCTAssertTrue(font.rows(for: c)[7...8].allSatisfy { $0 == 0 }, "\(c) reaches below the baseline")
        }
    }

    /// Ink takes the requested colour in all three planes; unset pixels keep the background.
    func testColourIsWrittenToAllChannels() {
        var image = Image(width: 7, height: 9, fill: 1)
        font.draw("-", into: &image, x: 1, y: 0, color: (1, 0, 0.25))
        // "-" is row 3, all five columns.
        XCTAssertEqual(image[0, 3, 3], 1)
        XCTAssertEqual(image[1, 3, 3], 0)
        XCTAssertEqual(image[2, 3, 3], 0.25)
        XCTAssertEqual(image[1, 3, 0], 1)
        XCTAssertEqual(image[1, 2, 3], 1)
    }

    func testSizeOfText() {
        XCTAssertTrue(font.size(of: "AB") == (11, 9))
        XCTAssertTrue(font.size(of: "AB", scale: 2) == (22, 18))
        XCTAssertTrue(font.size(of: "loss 0.53", scale: 3) == ((9 * 6 - 1) * 3, 27))
        XCTAssertTrue(font.size(of: "") == (0, 9))
        XCTAssertTrue(font.size(of: "abc\nde") == (17, 20))
        XCTAssertTrue(font.size(of: "é😀×") == (17, 9), "one advance per Character")
    }

    /// The drawn ink lies inside the box `size(of:)` reports, and touches all its edges.
    func testInkFitsTheMeasuredBox() {
        let text = "Jy|_q\nWg@"
        let s = font.size(of: text, scale: 2)
        var image = Image(width: s.width + 6, height: s.height + 6, fill: 1)
        font.draw(text, into: &image, x: 3, y: 3, scale: 2)
        let ink = inkRows(image)
        let inkY = ink.indices.filter { ink[$0].contains("#") }
        let inkX = (0..<image.width).filter { x in ink.contains { Array($0)[x] == "#" } }
        XCTAssertEqual(inkY.first, 3)
        XCTAssertEqual(inkY.last, 3 + s.height - 1)
        XCTAssertEqual(inkX.first, 3)
        XCTAssertEqual(inkX.last, 3 + s.width - 1)
    }

    /// Text hanging over every edge, far outside, or at huge offsets draws only the visible
    /// part and never writes out of bounds.
    func testClippingAtBorders() {
        var reference = Image(width: 7, height: 11, fill: 1)
        font.draw("L", into: &reference, x: 1, y: 1)
        // Shifted up-left by (2, 3): the visible part is the reference's shifted window.
        var clipped = Image(width: 7, height: 11, fill: 1)
        font.draw("L", into: &clipped, x: -2, y: -3)
        for y in 0..<11 {
            for x in 0..<7 {
                let sx = x + 3, sy = y + 4
                let want: Float = (sx < 7 && sy < 11) ? reference[0, sy, sx] : 1
                XCTAssertEqual(clipped[0, y, x], want, "pixel (\(x), \(y))")
            }
        }
        // Over the right and bottom edges, at large scale, and wildly outside.
        var image = Image(width: 5, height: 4, fill: 1)
        font.draw("WWW\nWWW", into: &image, x: 3, y: 2, scale: 3)
        XCTAssertEqual(image[0, 3, 4], 0)
        XCTAssertEqual(image[0, 0, 0], 1)
        // Entirely outside: nothing changes (the pen never overflows, even at Int.max).
        let before = image
        for (x, y, scale) in [(-1000, 0, 1), (0, -1000, 1), (1000, 0, 1), (0, 1000, 1), (5, 0, 1), (0, 4, 1),
                              (Int.max, Int.max, 4096), (Int.min, Int.min, 4096), (Int.max, 0, 4096),
                              (0, Int.max, 4096), (Int.min, 0, 4096), (0, Int.min, 4096)] {
            font.draw("\nHello\nworld\n", into: &image, x: x, y: y, scale: scale)
        }
        XCTAssertEqual(image, before)
        // Huge glyphs overlapping the image from far away cover it without a crash.
        font.draw("H", into: &image, x: -1000, y: -1000, scale: 4096)
        XCTAssertTrue(image.pixels.allSatisfy { $0 == 0 })
    }

    /// Characters without a glyph (accents, emoji, CJK, tab) draw the box, without a crash.
    func testUnknownCharactersDrawTheBox() {
        for c: Character in ["é", "😀", "中", "\t", "e\u{301}"] {
            XCTAssertFalse(font.hasGlyph(c), "\(c)")
            XCTAssertEqual(font.rows(for: c), [0x1F, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1F, 0, 0])
        }
        var image = Image(width: 40, height: 12, fill: 1)
        font.draw("a😀é中\u{0}", into: &image, x: 1, y: 1, scale: 1)
        XCTAssertEqual(image[0, 1, 7], 0, "box corner of the second character")
        XCTAssertEqual(image[0, 7, 11], 0, "box corner of the second character")
        XCTAssertEqual(image[0, 4, 9], 1, "box is hollow")
    }
}

import XCTest
import ImageIO
import Numerics
@testable import NeuralArt

final class ProceduralStyleTests: XCTestCase {
    /// A small synthetic colour photo for photo palettes (no files needed).
    static let photo: Image = {
        let w = 40, h = 30
        var px = [Float](repeating: 0, count: 3 * w * h)
        for y in 0..<h { for x in 0..<w {
            px[y * w + x] = Float(x) / Float(w)
            px[w * h + y * w + x] = Float(y) / Float(h)
            px[2 * w * h + y * w + x] = Float((x + y) % 7) / 7
        }}
        return Image(width: w, height: h, pixels: px)
    }()

    /// Standard deviation of the Rec. 601 luma.
    func lumaStd(_ image: Image) -> Float {
        let n = image.planeSize
        var sum = 0.0, sum2 = 0.0
        for i in 0..<n {
            let l = Double(0.299 * image.pixels[i] + 0.587 * image.pixels[n + i] + 0.114 * image.pixels[2 * n + i])
            sum += l; sum2 += l * l
        }
        let mean = sum / Double(n)
        return Float(max(0, sum2 / Double(n) - mean * mean).squareRoot())
    }

    /// Mean absolute difference of horizontally neighbouring lumas: structure at the pixel scale
    /// (a smooth gradient has plenty of variance but almost none of this).
    func lumaEdges(_ image: Image) -> Float {
        let w = image.width, h = image.height, n = image.planeSize
        func l(_ i: Int) -> Float { 0.299 * image.pixels[i] + 0.587 * image.pixels[n + i] + 0.114 * image.pixels[2 * n + i] }
        var s: Float = 0
        for y in 0..<h { for x in 1..<w { s += abs(l(y * w + x) - l(y * w + x - 1)) } }
        return s / Float(h * (w - 1))
    }

    func testSameSeedGivesTheSameBytesAndSeedsDiffer() {
        for family in ProceduralFamily.allCases {
            let a = ProceduralStyle.render(family, seed: 42, size: 48, photos: [Self.photo])
            let b = ProceduralStyle.render(family, seed: 42, size: 48, photos: [Self.photo])
            XCTAssertEqual(a.pixels.map(\.bitPattern), b.pixels.map(\.bitPattern), "\(family)")
            XCTAssertNotEqual(a, ProceduralStyle.render(family, seed: 43, size: 48, photos: [Self.photo]), "\(family)")
        }
        XCTAssertNotEqual(ProceduralStyle.render(.cells, seed: 1, size: 32), ProceduralStyle.render(.marble, seed: 1, size: 32))
    }

    /// Every family, over several seeds (with and without photo palettes), gives values in
    /// [0, 1] at the requested size, and visible structure: luma spread and pixel-scale edges.
    func testEveryFamilyIsInRangeWithStructure() {
        for family in ProceduralFamily.allCases {
            for seed in UInt64(0)..<6 {
                for size in [32, 64] {
                    let image = ProceduralStyle.render(family, seed: seed, size: size, photos: seed % 2 == 0 ? [Self.photo] : [])
                    XCTAssertEqual([image.width, image.height], [size, size])
                    XCTAssertTrue(image.pixels.allSatisfy { $0 >= 0 && $0 <= 1 }, "\(family) seed \(seed): values outside [0, 1]")
                    XCTAssertGreaterThan(lumaStd(image), 0.04, "\(family) seed \(seed) size \(size): almost flat")
                    XCTAssertGreaterThan(lumaEdges(image), 0.004, "\(family) seed \(seed) size \(size): no fine structure")
                }
            }
        }
    }

    /// The families of commit 6e6078d paint the same pictures, bit for bit, now that families
    /// have been appended (their streams and code are unchanged). Printed by that commit's code.
    func testEarlierFamiliesAreUnchanged() {
        let expected: [(ProceduralFamily, UInt64, UInt64)] = [   // (family, at seed 42 and 64 px with the photo, at seed 7 and 160 px)
            (.cells, 17995684965703579202, 3473521217296227758), (.marble, 14109357479301178512, 14541632416186572404),
            (.stripes, 11118597006253399914, 14474240725785517771), (.dots, 1102343113991492752, 10176644789252819407),
            (.strokes, 11413863530988792181, 13590243809361571503), (.mosaic, 9476743435421408367, 6179203296978414106),
            (.wash, 13118878939200157392, 16330365714898514972),
        ]
        func fingerprint(_ image: Image) -> UInt64 {
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for v in image.pixels { h = (h ^ UInt64(v.bitPattern)) &* 0x100_0000_01b3 }
            return h
        }
        for (family, small, large) in expected {
            XCTAssertEqual(fingerprint(ProceduralStyle.render(family, seed: 42, size: 64, photos: [Self.photo])), small, "\(family)")
            XCTAssertEqual(fingerprint(ProceduralStyle.render(family, seed: 7, size: 160)), large, "\(family)")
        }
    }

    /// Before clamping, every family paints finite values (clamping would turn a NaN into 0 and hide it).
    func testCanvasesAreFinite() {
        for family in ProceduralFamily.allCases {
            for seed in UInt64(0)..<2 {
                let canvas = ProceduralStyle.canvas(family, seed: seed, side: ProceduralStyle.baseSize, photos: seed == 0 ? [Self.photo] : [])
                XCTAssertTrue(canvas.pixels.allSatisfy(\.isFinite), "\(family) seed \(seed)")
            }
        }
    }

    /// The families differ from one another: no two give nearly the same picture for one seed
    /// (each draws from its own stream, and paints its own kind of structure).
    func testFamiliesDiffer() {
        let pictures = ProceduralFamily.allCases.map { ProceduralStyle.render($0, seed: 3, size: 32).pixels }
        for a in pictures.indices {
            for b in pictures.indices where b > a {
                let mean = zip(pictures[a], pictures[b]).map { abs($0 - $1) }.reduce(0, +) / Float(pictures[a].count)
                XCTAssertGreaterThan(mean, 0.02, "\(ProceduralFamily.allCases[a]) and \(ProceduralFamily.allCases[b])")
            }
        }
    }

    /// Small sizes are the base-size picture shrunk (the same style at every size).
    func testSmallSizesAreTheBasePictureShrunk() {
        let big = ProceduralStyle.render(.stripes, seed: 7, size: ProceduralStyle.baseSize)
        XCTAssertEqual(ProceduralStyle.render(.stripes, seed: 7, size: 40), big.resized(width: 40, height: 40))
        XCTAssertEqual(ProceduralStyle.render(.strokes, seed: 7, size: 160).width, 160)
    }

    func testPalettesAreSortedWithContrast() {
        var g = SeededGenerator(seed: 5)
        for k in 0..<40 {
            let p = k % 2 == 0 ? StylePalette.harmonious(using: &g) : StylePalette.fromPhotos([Self.photo], using: &g)
            let l = p.colors.map(StylePalette.luma)
            XCTAssertEqual(l, l.sorted())
            XCTAssertGreaterThanOrEqual(l.last! - l.first!, StylePalette.minimumContrast - 1e-3)
            XCTAssertTrue(p.colors.allSatisfy { ($0.x...$0.x).clamped(to: 0...1) == $0.x...$0.x && $0.y >= 0 && $0.y <= 1 && $0.z >= 0 && $0.z <= 1 })
        }
    }
}

import XCTest
import ImageIO
import Numerics
@testable import NeuralArt

final class ColorTransferTests: XCTestCase {
    func testSymmetricSquareRootSquaresBack() {
        let m: [Double] = [0.04, 0.01, -0.005, 0.01, 0.03, 0.002, -0.005, 0.002, 0.02]
        let r = Symmetric3.power(m, 0.5)
        let back = Symmetric3.multiply(r, r)
        for i in 0..<9 { XCTAssertEqual(back[i], m[i], accuracy: 1e-12) }
        let inv = Symmetric3.multiply(Symmetric3.power(m, -0.5), r)
        for i in 0..<9 { XCTAssertEqual(inv[i], i % 4 == 0 ? 1 : 0, accuracy: 1e-9) }
    }

    /// The recoloured image has the palette's mean and covariance (the values stay inside [0, 1]
    /// here, so clamping does not interfere), and a grey photo takes on colour.
    func testRecolouredImageHasThePalettesStatistics() {
        func image(_ seed: UInt64, _ f: (Float, Float, Float) -> (Float, Float, Float)) -> Image {
            var g = SeededGenerator(seed: seed)
            let n = 40 * 30
            var p = [Float](repeating: 0, count: 3 * n)
            for i in 0..<n {
                let c = f(Float(g.nextUniform()), Float(g.nextUniform()), Float(g.nextUniform()))
                p[i] = c.0; p[n + i] = c.1; p[2 * n + i] = c.2
            }
            return Image(width: 40, height: 30, pixels: p)
        }
        let photo = image(1) { a, b, c in (0.3 + 0.2 * a, 0.4 + 0.1 * b + 0.1 * a, 0.5 + 0.15 * c) }
        let palette = image(2) { a, b, c in (0.6 + 0.1 * a, 0.3 + 0.1 * b, 0.2 + 0.05 * c + 0.05 * a) }
        let out = photo.matchingColorStatistics(of: [palette])
        let (m1, s1) = out.colorMoments(), (m2, s2) = palette.colorMoments()
        let c1 = Image.covariance(mean: m1, second: s1), c2 = Image.covariance(mean: m2, second: s2)
        for i in 0..<3 { XCTAssertEqual(m1[i], m2[i], accuracy: 1e-4) }
        for i in 0..<9 { XCTAssertEqual(c1[i], c2[i], accuracy: 0.01 * c2[0] + 1e-6) }

        let grey = image(3) { a, _, _ in (a, a, a) }
        let tinted = grey.matchingColorStatistics(of: [palette])
        let (mg, _) = tinted.colorMoments()
        XCTAssertGreaterThan(mg[0] - mg[2], 0.2, "a grey photo takes the palette's warm mean colour")
    }
}

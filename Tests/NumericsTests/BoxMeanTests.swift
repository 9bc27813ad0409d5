import XCTest
@testable import Numerics

/// `BoxMean` against the window mean computed directly, on planes that are not square and
/// radii from 0 to beyond the plane.
final class BoxMeanTests: XCTestCase {
    func testMatchesTheDirectWindowMean() {
        var g = SeededGenerator(seed: 7)
        for (h, w) in [(1, 1), (1, 7), (5, 3), (9, 13)] {
            let x = (0..<(h * w)).map { _ in Float(g.nextNormal()) }
            for r in [0, 1, 2, 4, 20] {
                var y = [Float](repeating: .nan, count: h * w), t = [Float](repeating: 0, count: h * w)
                x.withUnsafeBufferPointer { xp in
                    BoxMean.apply(xp.baseAddress!, into: &y, scratch: &t, height: h, width: w, radius: r)
                }
                for i in 0..<h {
                    for j in 0..<w {
                        var sum = 0.0, n = 0
                        for a in max(0, i - r)...min(h - 1, i + r) {
                            for b in max(0, j - r)...min(w - 1, j + r) { sum += Double(x[a * w + b]); n += 1 }
                        }
                        XCTAssertEqual(Double(y[i * w + j]), sum / Double(n), accuracy: 1e-5, "\(h)×\(w), r \(r), (\(i), \(j))")
                    }
                }
            }
        }
    }

    func testRadiusZeroIsTheIdentityAndAConstantPlaneStaysConstant() {
        let x: [Float] = [1, -2, 3, 4.5, 0, 7]
        var y = [Float](repeating: 0, count: 6), t = y
        x.withUnsafeBufferPointer { BoxMean.apply($0.baseAddress!, into: &y, scratch: &t, height: 2, width: 3, radius: 0) }
        XCTAssertEqual(y, x)
        let c = [Float](repeating: 0.25, count: 6)
        c.withUnsafeBufferPointer { BoxMean.apply($0.baseAddress!, into: &y, scratch: &t, height: 3, width: 2, radius: 1) }
        XCTAssertEqual(y, c)
    }
}

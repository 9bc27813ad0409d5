import Foundation
import XCTest
import Numerics

final class FastMathTests: XCTestCase {
    /// A dense grid plus the interesting points.
    private func grid(_ lo: Double, _ hi: Double, _ n: Int) -> [Float] {
        (0...n).map { Float(lo + (hi - lo) * Double($0) / Double(n)) } + [0, -0.0, 1e-8, -1e-8, 0.5, -0.5]
    }

    func testExpRelativeErrorAtMost2e7() {
        var worst = 0.0
        for x in grid(-87, 88, 400_000) {
            let ref = Foundation.exp(Double(x))
            let rel = abs(Double(FastMath.exp(x)) - ref) / ref
            worst = max(worst, rel)
        }
        XCTAssertLessThan(worst, 2e-7, "max relative error of FastMath.exp")
    }

    func testSigmoidAndTanhAbsoluteErrorAtMost3e7() {
        var worstS = 0.0, worstT = 0.0
        for x in grid(-100, 100, 400_000) {
            let d = Double(x)
            worstS = max(worstS, abs(Double(FastMath.sigmoid(x)) - 1 / (1 + Foundation.exp(-d))))
            worstT = max(worstT, abs(Double(FastMath.tanh(x)) - Foundation.tanh(d)))
        }
        XCTAssertLessThan(worstS, 2e-7, "sigmoid")
        XCTAssertLessThan(worstT, 3e-7, "tanh")
    }

    /// tanh reaches exactly 1 at its clamp and never exceeds it below (every Float in [1, bound];
    /// below 1 it is far from 1), so sigmoid stays in [0, 1].
    func testTanhSaturatesAtItsBoundAndNeverExceedsOne() {
        XCTAssertEqual(FastMath.tanh(FastMath.tanhBound), 1)
        XCTAssertEqual(FastMath.tanh(-FastMath.tanhBound), -1)
        XCTAssertLessThan(FastMath.tanh(FastMath.tanhBound.nextDown), 1)
        var x: Float = 1, worst: Float = 0
        while x <= FastMath.tanhBound {
            worst = max(worst, FastMath.tanh(x))
            x = x.nextUp
        }
        XCTAssertEqual(worst, 1)
    }

    /// sigmoid folds its halvings into the coefficients; it must equal ½ + ½·tanh(x/2) exactly.
    func testSigmoidIsHalfTanhOfHalfBitForBit() {
        for x in grid(-40, 40, 200_000) + [1e-30, -1e-30, 1e-42, 2 * FastMath.tanhBound, .infinity, -.infinity] {
            XCTAssertEqual(FastMath.sigmoid(x).bitPattern, Float(0.5).addingProduct(0.5, FastMath.tanh(0.5 * x)).bitPattern,
                           "sigmoid(\(x))")
        }
    }

    func testClampingAndSpecialValues() {
        XCTAssertTrue(FastMath.exp(-1000).isFinite)
        XCTAssertGreaterThan(FastMath.exp(-1000), 0)
        XCTAssertTrue(FastMath.exp(1000).isFinite)
        XCTAssertEqual(FastMath.exp(0), 1, accuracy: 1e-7)
        XCTAssertEqual(FastMath.sigmoid(.infinity), 1)
        XCTAssertEqual(FastMath.sigmoid(-.infinity), 0)
        XCTAssertEqual(FastMath.sigmoid(0), 0.5)
        XCTAssertEqual(FastMath.tanh(0), 0)
        XCTAssertEqual(FastMath.tanh(.infinity), 1)
        XCTAssertEqual(FastMath.tanh(-.infinity), -1)
        XCTAssertTrue(FastMath.exp(.nan).isNaN)
        XCTAssertTrue(FastMath.sigmoid(.nan).isNaN)
        XCTAssertTrue(FastMath.tanh(.nan).isNaN)
    }

    func testBufferVariantsMatchScalar() {
        let xs = grid(-20, 20, 999)
        var a = [Float](repeating: 0, count: xs.count), b = a, c = a
        xs.withUnsafeBufferPointer { x in
            FastMath.exp(x.baseAddress!, &a, count: xs.count)
            FastMath.sigmoid(x.baseAddress!, &b, count: xs.count)
            FastMath.tanh(x.baseAddress!, &c, count: xs.count)
        }
        for i in xs.indices {
            XCTAssertEqual(a[i], FastMath.exp(xs[i]))
            XCTAssertEqual(b[i], FastMath.sigmoid(xs[i]))
            XCTAssertEqual(c[i], FastMath.tanh(xs[i]))
        }
    }

    func testSIMD8MatchesScalarBitForBit() {
        let xs = grid(-120, 120, 8 * 5000) + [.nan, .infinity, -.infinity, 88.5, -87.5]
        var i = 0
        while i + 8 <= xs.count {
            let v = SIMD8<Float>(xs[i..<(i + 8)])
            let e = FastMath.exp(v), s = FastMath.sigmoid(v), t = FastMath.tanh(v)
            for k in 0..<8 {
                let x = xs[i + k]
                if x.isNaN {
                    XCTAssertTrue(e[k].isNaN && s[k].isNaN && t[k].isNaN)
                    continue
                }
                XCTAssertEqual(e[k].bitPattern, FastMath.exp(x).bitPattern, "exp(\(x))")
                XCTAssertEqual(s[k].bitPattern, FastMath.sigmoid(x).bitPattern, "sigmoid(\(x))")
                XCTAssertEqual(t[k].bitPattern, FastMath.tanh(x).bitPattern, "tanh(\(x))")
            }
            i += 8
        }
        var buffer: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
        buffer.withUnsafeMutableBufferPointer { b in
            XCTAssertEqual(FastMath.load8(b.baseAddress!, lanes: 3), SIMD8<Float>(1, 2, 3, 0, 0, 0, 0, 0))
            FastMath.store8(SIMD8<Float>(repeating: -1), b.baseAddress! + 1, lanes: 2)
        }
        XCTAssertEqual(buffer, [1, -1, -1, 4, 5, 6, 7, 8, 9])
    }

    /// Not an assertion on time (shared machines are noisy): prints the throughput.
    func testThroughputReport() {
        let n = 1 << 20
        let x = Tensor(shape: [n]), y = Tensor(shape: [n])
        for i in 0..<n { x.data[i] = Float(i % 2000) / 100 - 10 }
        let t0 = Date()
        for _ in 0..<20 { FastMath.sigmoid(x.data, y.data, count: n) }
        let fast = Date().timeIntervalSince(t0)
        let t1 = Date()
        for _ in 0..<20 { for i in 0..<n { y.data[i] = 1 / (1 + Foundation.exp(-x.data[i])) } }
        let libm = Date().timeIntervalSince(t1)
        print(String(format: "FastMath.sigmoid: %.2f ns/element (libm %.2f ns/element)",
                     fast / Double(20 * n) * 1e9, libm / Double(20 * n) * 1e9))
    }
}

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

    func testSigmoidAndTanhAbsoluteErrorAtMost1e6() {
        var worstS = 0.0, worstT = 0.0
        for x in grid(-100, 100, 400_000) {
            let d = Double(x)
            worstS = max(worstS, abs(Double(FastMath.sigmoid(x)) - 1 / (1 + Foundation.exp(-d))))
            worstT = max(worstT, abs(Double(FastMath.tanh(x)) - Foundation.tanh(d)))
        }
        XCTAssertLessThan(worstS, 1e-6, "sigmoid")
        XCTAssertLessThan(worstT, 1e-6, "tanh")
    }

    func testClampingAndSpecialValues() {
        XCTAssertTrue(FastMath.exp(-1000).isFinite)
        XCTAssertGreaterThan(FastMath.exp(-1000), 0)
        XCTAssertTrue(FastMath.exp(1000).isFinite)
        XCTAssertEqual(FastMath.exp(0), 1, accuracy: 1e-7)
        XCTAssertEqual(FastMath.sigmoid(.infinity), 1)
        XCTAssertEqual(FastMath.sigmoid(-.infinity), 0, accuracy: 1e-30)
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

import Foundation
import XCTest
import Numerics
@testable import MetaLearning

/// SGD, NAG, RMSprop and ADAM against values computed by hand from their update rules.
final class HandDesignedOptimizerTests: XCTestCase {
    let g1: [Float] = [1, -2], g2: [Float] = [0.5, 1]

    func run<O: Optimizer>(_ o: O) -> [[Float]] {
        let s = o.makeState(count: 2)
        var d: [Float] = [0, 0]
        o.update(gradient: g1, delta: &d, state: s)
        let first = d
        o.update(gradient: g2, delta: &d, state: s)
        XCTAssertEqual(s.step, 2)
        return [first, d]
    }

    func assertClose(_ a: [Float], _ b: [Double], _ message: String) {
        for i in a.indices { XCTAssertEqual(Double(a[i]), b[i], accuracy: 1e-6 * max(1, abs(b[i])), message) }
    }

    func testSGD() {
        let d = run(SGD(learningRate: 0.1))
        assertClose(d[0], [-0.1, 0.2], "step 1")
        assertClose(d[1], [-0.05, -0.1], "step 2")
    }

    func testNAG() {
        // v₁ = g₁; Δ₁ = −0.1(g₁ + 0.9v₁) = −0.19·g₁.  v₂ = 0.9v₁ + g₂ = (1.4, −0.8); Δ₂ = −0.1(g₂ + 0.9v₂).
        let d = run(NAG(learningRate: 0.1, momentum: 0.9))
        assertClose(d[0], [-0.19, 0.38], "step 1")
        assertClose(d[1], [-0.176, -0.028], "step 2")
    }

    func testRMSprop() {
        // s₁ = 0.01·g₁² = (0.01, 0.04): Δ₁ = −0.01·g₁/√s₁ = (−0.1, 0.1).
        // s₂ = 0.99·s₁ + 0.01·g₂² = (0.0124, 0.0496): Δ₂ = −0.01·(0.5/√0.0124, 1/√0.0496).
        let d = run(RMSprop(learningRate: 0.01))
        assertClose(d[0], [-0.1, 0.1], "step 1")
        assertClose(d[1], [-0.01 * 0.5 / 0.0124.squareRoot(), -0.01 / 0.0496.squareRoot()], "step 2")
    }

    func testAdam() {
        // Step 1: m̂ = g, v̂ = g² ⇒ Δ₁ = −lr·sign(g).
        // Step 2: m = 0.09g₁ + 0.1g₂, v = 0.000999g₁² + 0.001g₂²; m̂ = m/0.19, v̂ = v/0.001999.
        let d = run(Adam(learningRate: 0.1))
        assertClose(d[0], [-0.1, 0.1], "step 1")
        let expected = (0..<2).map { i -> Double in
            let a = Double(g1[i]), b = Double(g2[i])
            let m = (0.09 * a + 0.1 * b) / 0.19, v = (0.000999 * a * a + 0.001 * b * b) / 0.001999
            return -0.1 * m / (v.squareRoot() + 1e-8)
        }
        assertClose(d[1], expected, "step 2")
    }

    func testOptimizersConvergeOnAQuadratic() {
        let task = QuadraticTask(dimension: 5)
        let problems = (0..<5).map { task.makeProblem(split: .validation, index: $0) }
        for b in Baseline.allCases {
            let lr: Float = [.sgd: 0.01, .nag: 0.005, .rmsprop: 0.01, .adam: 0.1][b]!
            let curve = Evaluator.meanLossCurve(b.make(learningRate: lr), problems: problems, steps: 200)
            XCTAssertLessThan(curve.last!, 0.5 * curve[0], "\(b) does not descend")
        }
    }

    /// Large updates are split over threads; every coordinate must come out bit-identical.
    func testThreadedUpdatesEqualSerialBitForBit() {
        let n = 50_001, saved = BLAS.threads
        defer { BLAS.threads = saved }
        var rng = SeededGenerator(seed: 9)
        let grads = (0..<3).map { _ in (0..<n).map { _ in Float.random(in: -2...2, using: &rng) } }
        func deltas<O: Optimizer>(_ o: O, threads: Int) -> [UInt32] {
            BLAS.threads = threads
            let s = o.makeState(count: n)
            var d = [Float](repeating: 0, count: n)
            for g in grads { o.update(gradient: g, delta: &d, state: s) }
            return d.map(\.bitPattern)
        }
        for b in Baseline.allCases {
            let o = b.make(learningRate: 0.01)
            XCTAssertEqual(deltas(o, threads: 1), deltas(o, threads: 2), "\(b)")
        }
    }
}

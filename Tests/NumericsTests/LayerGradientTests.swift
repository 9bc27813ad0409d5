import XCTest
@testable import Numerics

final class LayerGradientTests: XCTestCase {
    func testAvgPoolForwardAndGradient() {
        for (h, w) in [(4, 6), (5, 7)] {   // even and odd (last row/column dropped)
            let c = 2
            let x = randomTensor([c, h, w], seed: 11)
            let out = Tensor(shape: [c, h / 2, w / 2])
            AvgPool2x2.forward(x.data, channels: c, height: h, width: w, output: out.data)
            XCTAssertEqual(out.data[0], (x.data[0] + x.data[1] + x.data[w] + x.data[w + 1]) / 4, accuracy: 1e-6)
            let r = randomTensor([c, h / 2, w / 2], seed: 12)
            let grad = Tensor(shape: [c, h, w]); grad.fill(7) // must be overwritten
            AvgPool2x2.backward(outputGradient: r.data, channels: c, height: h, width: w, inputGradient: grad.data)
            checkGradient(x, analytic: grad, h: 0.5, rtol: 1e-4, atol: 1e-5) { x in
                AvgPool2x2.forward(x.data, channels: c, height: h, width: w, output: out.data)
                return dot(out.data, r.data, out.count)
            }
            let acc = Tensor(shape: [c, h, w]); acc.fill(1)
            AvgPool2x2.backward(outputGradient: r.data, channels: c, height: h, width: w,
                                inputGradient: acc.data, accumulate: true)
            for i in 0..<acc.count { XCTAssertEqual(acc.data[i], grad.data[i] + 1, accuracy: 1e-6) }
        }
    }

    func testReLUGradientAwayFromKink() {
        let x = randomTensor([50], seed: 13)
        for i in 0..<x.count where abs(x.data[i]) < 0.05 { x.data[i] = 0.5 } // keep FD steps off the kink
        let r = randomTensor([50], seed: 14)
        let y = x.copy(); ReLU.forward(y.data, count: y.count)
        let grad = r.copy(); ReLU.backward(output: y.data, gradient: grad.data, count: grad.count)
        checkGradient(x, analytic: grad, h: 1e-2, rtol: 1e-3, atol: 1e-5) { x in
            let y = x.copy(); ReLU.forward(y.data, count: y.count)
            return dot(y.data, r.data, y.count)
        }
    }

    /// L(F) = ⟨R, Gram(F)⟩ with R symmetric ⇒ ∂L/∂F = Gram.backward(R). L is quadratic in F,
    /// so central differences are exact up to rounding: rtol 1e-3.
    func testGramForwardAndGradient() {
        let c = 5, n = 11
        let f = randomTensor([c, n], seed: 15)
        let g = Tensor(shape: [c, c])
        Gram.forward(features: f.data, channels: c, positions: n, gram: g.data)
        for i in 0..<c { for j in 0..<c {
            var s = 0.0
            for p in 0..<n { s += Double(f.data[i * n + p]) * Double(f.data[j * n + p]) }
            XCTAssertEqual(Double(g.data[i * c + j]), s / Double(n), accuracy: 1e-5)
        }}
        let r0 = randomTensor([c, c], seed: 16)
        let r = Tensor(shape: [c, c])
        for i in 0..<c { for j in 0..<c { r.data[i * c + j] = r0.data[i * c + j] + r0.data[j * c + i] } }
        let grad = Tensor(shape: [c, n])
        Gram.backward(gramGradient: r.data, features: f.data, channels: c, positions: n,
                      featureGradient: grad.data, accumulate: false)
        checkGradient(f, analytic: grad, h: 0.05, rtol: 1e-3, atol: 1e-4) { f in
            Gram.forward(features: f.data, channels: c, positions: n, gram: g.data)
            return dot(g.data, r.data, g.count)
        }
    }

    func testGemmAndSyrkAgainstNaive() {
        let m = 7, n = 5, k = 9
        let a = randomTensor([k, m], seed: 17), b = randomTensor([k, n], seed: 18)
        let c = Tensor(shape: [m, n])
        BLAS.gemm(transA: true, m: m, n: n, k: k, alpha: 2, a: a.data, lda: m, b: b.data, ldb: n, c: c.data, ldc: n)
        for i in 0..<m { for j in 0..<n {
            var s: Float = 0
            for p in 0..<k { s += a.data[p * m + i] * b.data[p * n + j] }
            XCTAssertEqual(c.data[i * n + j], 2 * s, accuracy: 1e-4)
        }}
    }
}

final class GramKernelTests: XCTestCase {
    override func tearDown() { BLAS.threads = defaultChunks }

    /// Odd channel counts and positions exercise the kernel's edge tiles and tails; rows split
    /// between threads must give bit-identical results.
    func testGramMatchesDoublePrecisionAndIsThreadCountInvariant() {
        for (c, n) in [(37, 1_031), (64, 4_096), (6, 3)] {
            let f = randomTensor([c, n], seed: 21)
            let g1 = Tensor(shape: [c, c]), g2 = Tensor(shape: [c, c])
            BLAS.threads = 1
            Gram.forward(features: f.data, channels: c, positions: n, gram: g1.data)
            BLAS.threads = 3
            Gram.forward(features: f.data, channels: c, positions: n, gram: g2.data)
            XCTAssertEqual(g1.toArray(), g2.toArray())
            for i in 0..<c { for j in 0..<c {
                var s = 0.0
                for p in 0..<n { s += Double(f.data[i * n + p]) * Double(f.data[j * n + p]) }
                XCTAssertEqual(Double(g1.data[i * c + j]), s / Double(n), accuracy: 1e-5 * max(1, abs(s / Double(n))))
            }}
        }
    }
}

import XCTest
@testable import Numerics

final class Conv3x3Tests: XCTestCase {
    let cin = 3, cout = 4, h = 5, w = 7

    func makeConv() -> Conv3x3 {
        Conv3x3(weights: randomTensor([cout, cin, 3, 3], seed: 1), bias: randomTensor([cout], seed: 2))
    }

    /// Direct definition: out[co,y,x] = b[co] + Σ w[co,ci,ky,kx]·in[ci,y+ky−1,x+kx−1] (zero padding).
    func naive(_ conv: Conv3x3, _ input: Tensor) -> [Float] {
        var out = [Float](repeating: 0, count: cout * h * w)
        for co in 0..<cout { for y in 0..<h { for x in 0..<w {
            var s = Double(conv.bias.data[co])
            for ci in 0..<cin { for ky in 0..<3 { for kx in 0..<3 {
                let sy = y + ky - 1, sx = x + kx - 1
                if sy < 0 || sy >= h || sx < 0 || sx >= w { continue }
                s += Double(conv.weights.data[((co * cin + ci) * 3 + ky) * 3 + kx]) * Double(input.data[(ci * h + sy) * w + sx])
            }}}
            out[(co * h + y) * w + x] = Float(s)
        }}}
        return out
    }

    func testForwardMatchesDirectConvolution() {
        let conv = makeConv()
        let input = randomTensor([cin, h, w], seed: 3)
        let out = Tensor(shape: [cout, h, w])
        let ws = Tensor(shape: [conv.workspaceCount(height: h, width: w)])
        conv.forward(input: input.data, height: h, width: w, output: out.data, relu: false, workspace: ws.data)
        let ref = naive(conv, input)
        for i in 0..<out.count { XCTAssertEqual(out.data[i], ref[i], accuracy: 1e-4) }
        // With ReLU: the same, clipped at zero.
        conv.forward(input: input.data, height: h, width: w, output: out.data, relu: true, workspace: ws.data)
        for i in 0..<out.count { XCTAssertEqual(out.data[i], max(0, ref[i]), accuracy: 1e-4) }
    }

    /// L(x) = ⟨r, conv(x)⟩ ⇒ ∂L/∂x = backwardInput(r). Tolerance: rtol 1e-3 (L is linear in x,
    /// so central differences are exact up to Float rounding).
    func testInputGradientMatchesFiniteDifferences() {
        let conv = makeConv()
        let x = randomTensor([cin, h, w], seed: 4)
        let r = randomTensor([cout, h, w], seed: 5)
        let ws = Tensor(shape: [conv.workspaceCount(height: h, width: w)])
        let grad = Tensor(shape: [cin, h, w])
        conv.backwardInput(outputGradient: r.data, height: h, width: w, inputGradient: grad.data, workspace: ws.data)
        let out = Tensor(shape: [cout, h, w])
        checkGradient(x, analytic: grad, h: 0.5, rtol: 1e-3, atol: 1e-3) { x in
            conv.forward(input: x.data, height: h, width: w, output: out.data, relu: false, workspace: ws.data)
            return dot(out.data, r.data, out.count)
        }
        // accumulate: adds on top of what is there.
        let acc = Tensor(shape: [cin, h, w]); acc.fill(1)
        conv.backwardInput(outputGradient: r.data, height: h, width: w, inputGradient: acc.data,
                           accumulate: true, workspace: ws.data)
        for i in 0..<acc.count { XCTAssertEqual(acc.data[i], grad.data[i] + 1, accuracy: 1e-5) }
    }

    func testIm2colAndCol2imAreAdjoint() {
        // ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩ for all x, c.
        let x = randomTensor([cin, h, w], seed: 6)
        let c = randomTensor([cin * 9, h * w], seed: 7)
        let cols = Tensor(shape: [cin * 9, h * w])
        Conv3x3.im2col(x.data, channels: cin, height: h, width: w, columns: cols.data)
        let back = Tensor(shape: [cin, h, w])
        Conv3x3.col2imAdd(c.data, channels: cin, height: h, width: w, into: back.data)
        XCTAssertEqual(dot(cols.data, c.data, c.count), dot(x.data, back.data, x.count), accuracy: 1e-3)
    }

    func testOnePixelImage() {
        // Width and height 1: only the centre tap sees data.
        let conv = makeConv()
        let x = randomTensor([cin, 1, 1], seed: 8)
        let out = Tensor(shape: [cout, 1, 1])
        let ws = Tensor(shape: [conv.workspaceCount(height: 1, width: 1)])
        conv.forward(input: x.data, height: 1, width: 1, output: out.data, relu: false, workspace: ws.data)
        for co in 0..<cout {
            var s = conv.bias.data[co]
            for ci in 0..<cin { s += conv.weights.data[((co * cin + ci) * 3 + 1) * 3 + 1] * x.data[ci] }
            XCTAssertEqual(out.data[co], s, accuracy: 1e-5)
        }
    }
}

final class Conv3x3RowBlockTests: XCTestCase {
    override func tearDown() { BLAS.threads = defaultChunks }

    /// The row-blocked kernels must match the plain ones for any thread count (the blocks and
    /// thread boundaries only change where work happens and, backward, the summation order).
    /// The second shape is short with many channels, so it takes the channel-split kernels.
    func testRowBlockedForwardAndBackwardMatchPlain() {
        for (cin, cout, h, w) in [(5, 7, 13, 9), (24, 36, 10, 7)] { checkRowBlocked(cin: cin, cout: cout, h: h, w: w) }
    }

    private func checkRowBlocked(cin: Int, cout: Int, h: Int, w: Int) {
        let conv = Conv3x3(weights: randomTensor([cout, cin, 3, 3], seed: 31), bias: randomTensor([cout], seed: 32))
        let x = randomTensor([cin, h, w], seed: 33), dy = randomTensor([cout, h, w], seed: 34)
        let ws = Tensor(shape: [conv.rowBlockWorkspaceCount(height: h, width: w, threads: 8)])
        let ref = Tensor(shape: [cout, h, w]), refGrad = Tensor(shape: [cin, h, w])
        conv.forward(input: x.data, height: h, width: w, output: ref.data, relu: true, workspace: ws.data)
        conv.backwardInput(outputGradient: dy.data, height: h, width: w, inputGradient: refGrad.data, workspace: ws.data)
        for threads in [1, 2, 3] {
            BLAS.threads = threads
            let out = Tensor(shape: [cout, h, w]), pooled = Tensor(shape: [cout, h / 2, w / 2])
            let grad = Tensor(shape: [cin, h, w]); grad.fill(9)
            conv.forwardReLUPool(input: x.data, height: h, width: w, output: out.data, pooled: pooled.data, workspace: ws.data)
            for i in 0..<out.count { XCTAssertEqual(out.data[i], ref.data[i], accuracy: 1e-5 * max(1, abs(ref.data[i]))) }
            XCTAssertEqual(pooled.data[w / 2 + 1],
                           0.25 * (out.data[2 * w + 2] + out.data[2 * w + 3] + out.data[3 * w + 2] + out.data[3 * w + 3]),
                           accuracy: 1e-6)
            conv.backwardInputRows(outputGradient: dy.data, height: h, width: w, scale: 2, inputGradient: grad.data,
                                   workspace: ws.data, workspaceCount: ws.count)
            for i in 0..<grad.count { XCTAssertEqual(grad.data[i], 2 * refGrad.data[i], accuracy: 1e-4) }
        }
    }
}

/// Symmetric padding: the direct definition with mirrored indices, its adjoint, and the row-blocked
/// kernels (whose thread boundaries must route mirrored contributions to the right rows). The
/// circular subclass runs the same tests with wrapped indices.
class Conv3x3SymmetricPaddingTests: XCTestCase {
    override func tearDown() { BLAS.threads = defaultChunks }

    var padding: Conv3x3.Padding = .symmetric

    func mirror(_ i: Int, _ n: Int) -> Int {
        padding == .circular ? (i < 0 ? n - 1 : (i >= n ? 0 : i)) : (i < 0 ? 0 : (i >= n ? n - 1 : i))
    }

    func naive(_ conv: Conv3x3, _ input: Tensor, h: Int, w: Int) -> [Float] {
        let cin = conv.inChannels, cout = conv.outChannels
        var out = [Float](repeating: 0, count: cout * h * w)
        for co in 0..<cout { for y in 0..<h { for x in 0..<w {
            var s = Double(conv.bias.data[co])
            for ci in 0..<cin { for ky in 0..<3 { for kx in 0..<3 {
                let sy = mirror(y + ky - 1, h), sx = mirror(x + kx - 1, w)
                s += Double(conv.weights.data[((co * cin + ci) * 3 + ky) * 3 + kx]) * Double(input.data[(ci * h + sy) * w + sx])
            }}}
            out[(co * h + y) * w + x] = Float(s)
        }}}
        return out
    }

    func testForwardGradientAndAdjoint() {
        for (cin, cout, h, w) in [(3, 4, 5, 7), (2, 3, 1, 4), (2, 2, 3, 1)] {
            let conv = Conv3x3(weights: randomTensor([cout, cin, 3, 3], seed: 41), bias: randomTensor([cout], seed: 42),
                               padding: padding)
            let x = randomTensor([cin, h, w], seed: 43), r = randomTensor([cout, h, w], seed: 44)
            let ws = Tensor(shape: [conv.workspaceCount(height: h, width: w)])
            let out = Tensor(shape: [cout, h, w])
            conv.forward(input: x.data, height: h, width: w, output: out.data, relu: false, workspace: ws.data)
            let ref = naive(conv, x, h: h, w: w)
            for i in 0..<out.count { XCTAssertEqual(out.data[i], ref[i], accuracy: 1e-4) }
            let grad = Tensor(shape: [cin, h, w])
            conv.backwardInput(outputGradient: r.data, height: h, width: w, inputGradient: grad.data, workspace: ws.data)
            checkGradient(x, analytic: grad, h: 0.5, rtol: 1e-3, atol: 1e-3) { x in
                conv.forward(input: x.data, height: h, width: w, output: out.data, relu: false, workspace: ws.data)
                return dot(out.data, r.data, out.count)
            }
        }
    }

    func testRowBlockedKernelsMatchPlain() {
        for (cin, cout, h, w) in [(5, 7, 13, 9), (24, 36, 10, 7), (3, 4, 6, 5)] {
            let conv = Conv3x3(weights: randomTensor([cout, cin, 3, 3], seed: 51), bias: randomTensor([cout], seed: 52),
                               padding: padding)
            let x = randomTensor([cin, h, w], seed: 53), dy = randomTensor([cout, h, w], seed: 54)
            let ws = Tensor(shape: [conv.rowBlockWorkspaceCount(height: h, width: w, threads: 8)])
            let ref = Tensor(shape: [cout, h, w]), refGrad = Tensor(shape: [cin, h, w])
            conv.forward(input: x.data, height: h, width: w, output: ref.data, relu: true, workspace: ws.data)
            conv.backwardInput(outputGradient: dy.data, height: h, width: w, inputGradient: refGrad.data, workspace: ws.data)
            for threads in [1, 2, 3] {
                BLAS.threads = threads
                let out = Tensor(shape: [cout, h, w]), pooled = Tensor(shape: [cout, h / 2, w / 2])
                let grad = Tensor(shape: [cin, h, w]); grad.fill(9)
                conv.forwardReLUPool(input: x.data, height: h, width: w, output: out.data, pooled: pooled.data,
                                     workspace: ws.data)
                for i in 0..<out.count { XCTAssertEqual(out.data[i], ref.data[i], accuracy: 1e-5 * max(1, abs(ref.data[i]))) }
                conv.backwardInputRows(outputGradient: dy.data, height: h, width: w, inputGradient: grad.data,
                                       workspace: ws.data, workspaceCount: ws.count)
                for i in 0..<grad.count { XCTAssertEqual(grad.data[i], refGrad.data[i], accuracy: 1e-4, "h \(h) threads \(threads)") }
            }
        }
    }
}

final class Conv3x3CircularPaddingTests: Conv3x3SymmetricPaddingTests {
    override func setUp() { padding = .circular }
}

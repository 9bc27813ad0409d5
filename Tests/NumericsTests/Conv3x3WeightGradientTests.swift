import XCTest
@testable import Numerics

/// `Conv3x3.backwardWeights` against central finite differences and a direct sum.
final class Conv3x3WeightGradientTests: XCTestCase {
    let cin = 3, cout = 4, h = 5, w = 6

    /// L(W, b) = ⟨r, conv_{W,b}(x)⟩ is linear in W and b, so central differences are exact up
    /// to Float rounding: tolerance rtol 1e-3, atol 1e-3 with step 0.5.
    func testWeightAndBiasGradientsMatchFiniteDifferences() {
        let weights = randomTensor([cout, cin, 3, 3], seed: 11), bias = randomTensor([cout], seed: 12)
        let conv = Conv3x3(weights: weights, bias: bias)
        let x = randomTensor([cin, h, w], seed: 13)
        let r = randomTensor([cout, h, w], seed: 14)
        let ws = Tensor(shape: [conv.workspaceCount(height: h, width: w)])
        let gw = Tensor(shape: [cout, cin, 3, 3]), gb = Tensor(shape: [cout])
        conv.backwardWeights(input: x.data, outputGradient: r.data, height: h, width: w,
                             weightGradient: gw.data, biasGradient: gb.data, workspace: ws.data)
        let out = Tensor(shape: [cout, h, w])
        let loss = { [h, w] () -> Double in
            conv.forward(input: x.data, height: h, width: w, output: out.data, relu: false, workspace: ws.data)
            return dot(out.data, r.data, out.count)
        }
        checkGradient(weights, analytic: gw, h: 0.5, rtol: 1e-3, atol: 1e-3) { _ in loss() }
        checkGradient(bias, analytic: gb, h: 0.5, rtol: 1e-3, atol: 1e-3) { _ in loss() }
    }

    /// Through a ReLU layer (non-linear): FD step 1e-2, rtol 1e-2, atol 1e-3 on a loss ½‖relu(conv(x))‖².
    func testGradientThroughReLUMatchesFiniteDifferences() {
        let weights = randomTensor([cout, cin, 3, 3], seed: 21, std: 0.5), bias = randomTensor([cout], seed: 22)
        let conv = Conv3x3(weights: weights, bias: bias)
        let x = randomTensor([cin, h, w], seed: 23)
        let ws = Tensor(shape: [conv.workspaceCount(height: h, width: w)])
        let out = Tensor(shape: [cout, h, w])
        conv.forward(input: x.data, height: h, width: w, output: out.data, relu: true, workspace: ws.data)
        let g = out.copy()   // ∂(½‖y‖²)/∂y = y
        ReLU.backward(output: out.data, gradient: g.data, count: g.count)
        let gw = Tensor(shape: [cout, cin, 3, 3]), gb = Tensor(shape: [cout])
        conv.backwardWeights(input: x.data, outputGradient: g.data, height: h, width: w,
                             weightGradient: gw.data, biasGradient: gb.data, workspace: ws.data)
        let loss = { [h, w] () -> Double in
            conv.forward(input: x.data, height: h, width: w, output: out.data, relu: true, workspace: ws.data)
            return 0.5 * dot(out.data, out.data, out.count)
        }
        checkGradient(weights, analytic: gw, h: 1e-2, rtol: 1e-2, atol: 1e-3) { _ in loss() }
        checkGradient(bias, analytic: gb, h: 1e-2, rtol: 1e-2, atol: 1e-3) { _ in loss() }
    }

    /// Accumulating over two images equals the sum of the two gradients, added to what was there.
    func testAccumulateSumsOverImages() {
        let conv = Conv3x3(weights: randomTensor([cout, cin, 3, 3], seed: 31), bias: randomTensor([cout], seed: 32))
        let x1 = randomTensor([cin, h, w], seed: 33), x2 = randomTensor([cin, h, w], seed: 34)
        let r1 = randomTensor([cout, h, w], seed: 35), r2 = randomTensor([cout, h, w], seed: 36)
        let ws = Tensor(shape: [conv.workspaceCount(height: h, width: w)])
        let a = Tensor(shape: [cout * cin * 9]), ab = Tensor(shape: [cout])
        let b = Tensor(shape: [cout * cin * 9]), bb = Tensor(shape: [cout])
        let sum = Tensor(shape: [cout * cin * 9]), sumb = Tensor(shape: [cout])
        sum.fill(1); sumb.fill(1)
        conv.backwardWeights(input: x1.data, outputGradient: r1.data, height: h, width: w,
                             weightGradient: a.data, biasGradient: ab.data, workspace: ws.data)
        conv.backwardWeights(input: x2.data, outputGradient: r2.data, height: h, width: w,
                             weightGradient: b.data, biasGradient: bb.data, workspace: ws.data)
        for (x, r) in [(x1, r1), (x2, r2)] {
            conv.backwardWeights(input: x.data, outputGradient: r.data, height: h, width: w,
                                 weightGradient: sum.data, biasGradient: sumb.data, accumulate: true, workspace: ws.data)
        }
        for i in 0..<sum.count { XCTAssertEqual(sum.data[i], 1 + a.data[i] + b.data[i], accuracy: 1e-4) }
        for i in 0..<cout { XCTAssertEqual(sumb.data[i], 1 + ab.data[i] + bb.data[i], accuracy: 1e-4) }
        // Direct definition for one entry: ∂L/∂W[co,ci,ky,kx] = Σ_{y,x} r[co,y,x]·x[ci,y+ky−1,x+kx−1].
        let co = 2, ci = 1, ky = 0, kx = 2
        var s = 0.0
        for y in 0..<h { for xx in 0..<w {
            let sy = y + ky - 1, sx = xx + kx - 1
            if sy < 0 || sy >= h || sx < 0 || sx >= w { continue }
            s += Double(r1.data[(co * h + y) * w + xx]) * Double(x1.data[(ci * h + sy) * w + sx])
        }}
        XCTAssertEqual(Double(a.data[((co * cin + ci) * 3 + ky) * 3 + kx]), s, accuracy: 1e-4)
    }
}

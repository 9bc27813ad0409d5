import XCTest
@testable import Numerics

final class TentPoolTests: XCTestCase {
    override func tearDown() { BLAS.threads = defaultChunks }

    func index(_ i: Int, _ n: Int, _ circular: Bool) -> Int {
        circular ? ((i % n) + n) % n : min(max(i, 0), n - 1)
    }

    /// Forward against the definition, the adjoint against finite differences of ⟨pool(x), r⟩,
    /// even and odd sides, both edge modes, one and two threads.
    func testForwardAndAdjoint() {
        for (c, h, w) in [(3, 6, 8), (4, 7, 5), (2, 1, 3)] {
            for circular in [false, true] {
                for threads in [1, 2] {
                    BLAS.threads = threads
                    let (oh, ow) = TentPool.outputSize(height: h, width: w)
                    let x = randomTensor([c, h, w], seed: 71), r = randomTensor([c, oh, ow], seed: 72)
                    let y = Tensor(shape: [c, oh, ow])
                    TentPool.forward(x.data, channels: c, height: h, width: w, output: y.data, circular: circular)
                    let wt: [Float] = [0.25, 0.5, 0.25]
                    for ch in 0..<c { for oy in 0..<oh { for ox in 0..<ow {
                        var s: Float = 0
                        for i in -1...1 { for j in -1...1 {
                            s += wt[i + 1] * wt[j + 1] * x.data[(ch * h + index(2 * oy + i, h, circular)) * w + index(2 * ox + j, w, circular)]
                        }}
                        XCTAssertEqual(y.data[(ch * oh + oy) * ow + ox], s, accuracy: 1e-5)
                    }}}
                    let grad = Tensor(shape: [c, h, w]); grad.fill(1)
                    TentPool.backwardAdd(outputGradient: r.data, channels: c, height: h, width: w,
                                         inputGradient: grad.data, circular: circular)
                    for i in 0..<grad.count { grad.data[i] -= 1 }
                    checkGradient(x, analytic: grad, h: 0.5, rtol: 1e-4, atol: 1e-5) { x in
                        TentPool.forward(x.data, channels: c, height: h, width: w, output: y.data, circular: circular)
                        return dot(y.data, r.data, y.count)
                    }
                }
            }
        }
    }
}

import XCTest
@testable import Numerics

final class Downsample2xTests: XCTestCase {
    override func tearDown() { BLAS.threads = defaultChunks }

    func testConstantImageStaysConstantAndShapesHalve() {
        let (c, h, w) = (3, 9, 12)
        let x = Tensor(shape: [c, h, w]); x.fill(0.7)
        let y = Tensor(shape: [c, h / 2, w / 2])
        let ws = Tensor(shape: [Downsample2x.workspaceCount(channels: c, height: h, width: w)])
        Downsample2x.forward(input: x.data, channels: c, height: h, width: w, output: y.data, workspace: ws.data)
        for i in 0..<y.count { XCTAssertEqual(y.data[i], 0.7, accuracy: 1e-6) }
        XCTAssertEqual(Downsample2x.taps.reduce(0, +), 1, accuracy: 1e-7)
    }

    /// Direct definition of one interior output pixel (no mirroring involved).
    func testInteriorPixelMatchesDefinition() {
        let (h, w) = (16, 16)
        let x = randomTensor([1, h, w], seed: 61)
        let y = Tensor(shape: [1, h / 2, w / 2])
        let ws = Tensor(shape: [Downsample2x.workspaceCount(channels: 1, height: h, width: w)])
        Downsample2x.forward(input: x.data, channels: 1, height: h, width: w, output: y.data, workspace: ws.data)
        let t = Downsample2x.taps, (oy, ox) = (4, 3)
        var s = 0.0
        for ky in 0..<8 { for kx in 0..<8 {
            s += Double(t[ky] * t[kx]) * Double(x.data[(2 * oy - 3 + ky) * w + 2 * ox - 3 + kx])
        }}
        XCTAssertEqual(Double(y.data[oy * (w / 2) + ox]), s, accuracy: 1e-5)
    }

    /// ⟨D x, r⟩ = ⟨x, Dᵀ r⟩ for random x and r, odd and even sides, tiny sides (where the
    /// mirror folds several times), any thread count; `accumulate` adds.
    func testAdjointMatchesForward() {
        for (c, h, w) in [(3, 11, 8), (2, 2, 5), (3, 64, 40)] {
            for (threads, periodic) in [(1, false), (2, false), (1, true), (2, true)] {
                BLAS.threads = threads
                let x = randomTensor([c, h, w], seed: 62), r = randomTensor([c, h / 2, w / 2], seed: 63)
                let y = Tensor(shape: [c, h / 2, w / 2]), back = Tensor(shape: [c, h, w])
                let ws = Tensor(shape: [Downsample2x.workspaceCount(channels: c, height: h, width: w)])
                Downsample2x.forward(input: x.data, channels: c, height: h, width: w, output: y.data, workspace: ws.data,
                                     periodic: periodic)
                Downsample2x.backward(outputGradient: r.data, channels: c, height: h, width: w,
                                      inputGradient: back.data, accumulate: false, workspace: ws.data, periodic: periodic)
                XCTAssertEqual(dot(y.data, r.data, y.count), dot(x.data, back.data, x.count), accuracy: 1e-3)
                let acc = Tensor(shape: [c, h, w]); acc.fill(1)
                Downsample2x.backward(outputGradient: r.data, channels: c, height: h, width: w,
                                      inputGradient: acc.data, accumulate: true, workspace: ws.data, periodic: periodic)
                for i in 0..<acc.count { XCTAssertEqual(acc.data[i], back.data[i] + 1, accuracy: 1e-5) }
            }
        }
    }

    /// Periodic, even sides: a uniform output gradient comes back uniform (every pixel has the
    /// same total weight: no edge is special).
    func testPeriodicAdjointOfUniformIsUniform() {
        let (c, h, w) = (2, 12, 16)
        let r = Tensor(shape: [c, h / 2, w / 2]); r.fill(1)
        let back = Tensor(shape: [c, h, w])
        let ws = Tensor(shape: [Downsample2x.workspaceCount(channels: c, height: h, width: w)])
        Downsample2x.backward(outputGradient: r.data, channels: c, height: h, width: w, inputGradient: back.data,
                              accumulate: false, workspace: ws.data, periodic: true)
        for i in 0..<back.count { XCTAssertEqual(back.data[i], 0.25, accuracy: 1e-6) }
    }
}

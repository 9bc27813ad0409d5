import XCTest
import Numerics
@testable import NeuralArt

/// Total variation computed by row ranges (as the stylization problem does, inside the network's
/// backward pass) must equal one whole-image pass bit for bit, for any split of the rows.
final class TotalVariationTests: XCTestCase {
    func testRowSplitsEqualOnePassBitForBit() {
        let c = 3, h = 131, w = 127   // large enough for evaluate to split its rows
        let x = randomImage(seed: 11, height: h, width: w)
        let base = randomImage(seed: 12, height: h, width: w)   // gradient terms already present
        let saved = BLAS.threads
        defer { BLAS.threads = saved }
        BLAS.threads = 1
        let whole = base.copy()
        let tv = TotalVariation.evaluate(x.data, channels: c, height: h, width: w, gradient: whole.data, weight: 0.3)
        for cuts in [[0, 131], [0, 1, 131], [0, 60, 61, 131], [0, 5, 12, 77, 130, 131]] {
            let split = base.copy(), sums = Tensor(shape: [c, h])
            for (lo, hi) in zip(cuts, cuts.dropFirst()) {
                TotalVariation.accumulate(x.data, channels: c, height: h, width: w, rows: lo..<hi,
                                          gradient: split.data, weight: 0.3, rowSums: sums.data)
            }
            let t = TotalVariation.total(rowSums: sums.data, channels: c, height: h, width: w)
            XCTAssertEqual(t.bitPattern, tv.bitPattern, "cuts \(cuts)")
            XCTAssertEqual((0..<split.count).filter { split.data[$0] != whole.data[$0] }.count, 0, "cuts \(cuts)")
        }
        BLAS.threads = 2
        let threaded = base.copy()
        let t2 = TotalVariation.evaluate(x.data, channels: c, height: h, width: w, gradient: threaded.data, weight: 0.3)
        XCTAssertEqual(t2.bitPattern, tv.bitPattern)
        XCTAssertEqual((0..<threaded.count).filter { threaded.data[$0] != whole.data[$0] }.count, 0)
    }

    /// The loss value is the same with and without the gradient (the two paths sum TV alike).
    func testLossWithAndWithoutGradientAgree() {
        let p = makeTestProblem(LossWeights(content: 1, style: 10, tv: 5))
        let theta = randomImage(seed: 13, height: testHeight, width: testWidth)
        let grad = Tensor(shape: [3, testHeight, testWidth])
        let a = p.evaluate(at: theta.data, gradient: grad.data), b = p.evaluate(at: theta.data, gradient: nil)
        XCTAssertEqual(a.tv.bitPattern, b.tv.bitPattern)
        XCTAssertEqual(a.total.bitPattern, b.total.bitPattern)
    }
}

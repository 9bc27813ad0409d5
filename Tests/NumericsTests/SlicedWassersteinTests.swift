import XCTest
import Numerics

/// The sliced Wasserstein kernel: its radix sort, its quantile resampling, its value against a
/// direct computation, and its gradient against finite differences.
final class SlicedWassersteinTests: XCTestCase {
    /// The radix argsort orders like a comparison sort, with ties kept in index order, across
    /// signs, zeros (both signs), infinities and repeated values.
    func testRadixSortMatchesComparisonSort() {
        var g = SeededGenerator(seed: 11)
        for n in [1, 2, 7, 300, 5000] {
            var values = (0..<n).map { _ in Float(g.nextNormal()) * 3 }
            for i in stride(from: 0, to: n, by: 5) { values[i] = 0 }
            for i in stride(from: 3, to: n, by: 17) { values[i] = -0.0 }
            for i in stride(from: 4, to: n, by: 23) { values[i] = values[i / 2] }
            if n > 10 { values[9] = .infinity; values[10] = -.infinity; values[1] = 1e-40; values[2] = -1e-40 }
            let keys = UnsafeMutablePointer<UInt64>.allocate(capacity: 2 * n)
            defer { keys.deallocate() }
            SlicedWasserstein.sortIndices(values, count: n, keys: keys)
            let got = (0..<n).map { Int(keys[$0] & 0xFFFF_FFFF) }
            // −0.0 sorts just below +0.0 here; compare against a sort on the same order.
            let expected = (0..<n).sorted { a, b in
                let ka = orderKey(values[a]), kb = orderKey(values[b])
                return ka != kb ? ka < kb : a < b
            }
            XCTAssertEqual(got, expected, "n = \(n)")
            for i in 1..<n { XCTAssertLessThanOrEqual(values[got[i - 1]], values[got[i]]) }
        }
    }

    private func orderKey(_ v: Float) -> UInt32 {
        let b = v.bitPattern
        return b & 0x8000_0000 != 0 ? ~b : b | 0x8000_0000
    }

    func testResampleQuantiles() {
        let sorted: [Float] = [0, 1, 2, 3]
        var same = [Float](repeating: 0, count: 4)
        SlicedWasserstein.resampleQuantiles(sorted, count: 4, into: &same, count: 4)
        XCTAssertEqual(same, sorted)
        // 8 quantiles of 4 samples: ranks (i + ½)/8 → positions (i + ½)/2 − ½, clamped.
        var up = [Float](repeating: 0, count: 8)
        SlicedWasserstein.resampleQuantiles(sorted, count: 4, into: &up, count: 8)
        XCTAssertEqual(up, [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3])
        var down = [Float](repeating: 0, count: 2)
        SlicedWasserstein.resampleQuantiles(sorted, count: 4, into: &down, count: 2)
        XCTAssertEqual(down, [0.5, 2.5])
    }

    /// Value against projecting, sorting and summing directly; gradient against central
    /// differences.
    func testValueAndGradient() {
        let c = 5, n = 37, m = 4, q = 64
        let features = randomTensor([c, n], seed: 1)
        let directions = randomTensor([c, m], seed: 2)
        let quantiles = randomTensor([m, q], seed: 3)
        for r in 0..<m {
            var row = UnsafeMutableBufferPointer(start: quantiles.data + r * q, count: q)
            row.sort()
        }
        let counts = SlicedWasserstein.workspaceCounts(projections: m, positions: n)
        let work = UnsafeMutablePointer<Float>.allocate(capacity: counts.floats)
        let keys = UnsafeMutablePointer<UInt64>.allocate(capacity: counts.keys)
        defer { work.deallocate(); keys.deallocate() }
        func loss(_ f: Tensor, gradient: Tensor? = nil, scale: Float = 1) -> Double {
            SlicedWasserstein.evaluate(features: f.data, channels: c, positions: n, directions: directions.data,
                                       projections: m, targetQuantiles: quantiles.data, quantileCount: q,
                                       projectionWorkspace: work, keys: keys, scale: scale,
                                       featureGradient: gradient?.data)
        }
        // Direct: P = VᵀF, sort each row, compare with the resampled targets.
        var direct = 0.0
        for r in 0..<m {
            var p = (0..<n).map { j in (0..<c).reduce(Float(0)) { $0 + directions.data[$1 * m + r] * features.data[$1 * n + j] } }
            p.sort()
            var t = [Float](repeating: 0, count: n)
            SlicedWasserstein.resampleQuantiles(quantiles.data + r * q, count: q, into: &t, count: n)
            for i in 0..<n { direct += Double((p[i] - t[i]) * (p[i] - t[i])) }
        }
        XCTAssertEqual(loss(features), direct, accuracy: 1e-4 * direct)
        // The gradient is added (accumulated) with its scale.
        let grad = Tensor(shape: [c, n])
        for i in 0..<grad.count { grad.data[i] = 1 }
        _ = loss(features, gradient: grad, scale: 0.5)
        for i in 0..<grad.count { grad.data[i] = (grad.data[i] - 1) * 2 }
        // The loss has kinks where two projections swap ranks; check the coordinates whose ±h step
        // keeps every row's order (most of them), where it is smooth.
        let h: Float = 1e-3
        func orders(_ f: Tensor) -> [[Int]] {
            (0..<m).map { r in
                let p = (0..<n).map { j in (0..<c).reduce(Float(0)) { $0 + directions.data[$1 * m + r] * f.data[$1 * n + j] } }
                return (0..<n).sorted { p[$0] < p[$1] }
            }
        }
        let base = orders(features)
        let smooth = (0..<features.count).filter { i in
            let saved = features.data[i]
            defer { features.data[i] = saved }
            features.data[i] = saved + h
            guard orders(features) == base else { return false }
            features.data[i] = saved - h
            return orders(features) == base
        }
        XCTAssertGreaterThan(smooth.count, features.count * 3 / 4)
        checkGradient(features, analytic: grad, h: h, rtol: 1e-2, atol: 1e-3, indices: smooth) { loss($0) }
    }

    /// Rows split over threads give the same value and gradient, bit for bit.
    func testThreadsDoNotChangeTheResult() {
        let c = 6, n = 500, m = 5, q = 32
        let features = randomTensor([c, n], seed: 4), directions = randomTensor([c, m], seed: 5)
        let quantiles = randomTensor([m, q], seed: 6)
        for r in 0..<m {
            var row = UnsafeMutableBufferPointer(start: quantiles.data + r * q, count: q)
            row.sort()
        }
        func run(threads: Int) -> (Double, [Float]) {
            let counts = SlicedWasserstein.workspaceCounts(projections: m, positions: n, threads: threads)
            let work = UnsafeMutablePointer<Float>.allocate(capacity: counts.floats)
            let keys = UnsafeMutablePointer<UInt64>.allocate(capacity: counts.keys)
            defer { work.deallocate(); keys.deallocate() }
            let grad = Tensor(shape: [c, n])
            let v = SlicedWasserstein.evaluate(
                features: features.data, channels: c, positions: n, directions: directions.data, projections: m,
                targetQuantiles: quantiles.data, quantileCount: q, projectionWorkspace: work, keys: keys,
                threads: threads, featureGradient: grad.data)
            return (v, Array(UnsafeBufferPointer(start: grad.data, count: grad.count)))
        }
        let one = run(threads: 1), two = run(threads: 2), three = run(threads: 3)
        XCTAssertEqual(one.0, two.0)
        XCTAssertEqual(one.0, three.0)
        XCTAssertEqual(one.1, two.1)
        XCTAssertEqual(one.1, three.1)
    }
}

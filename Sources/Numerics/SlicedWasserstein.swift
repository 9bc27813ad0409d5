/// The sliced Wasserstein style loss (Heitz et al., "A Sliced Wasserstein Loss for Neural Texture
/// Synthesis", CVPR 2021): feature vectors are projected on fixed directions and the sorted
/// projections (the empirical quantile functions of the 1-D marginals) are compared with the
/// style's. Where a Gram matrix matches second moments only, this matches each projected
/// distribution whole, so flat regions, sharp edges and the share of dark pixels are matched too.
///
/// Shapes: features `F` `[C, N]` (row-major, one row per channel, N positions), directions `V`
/// `[C, M]` (one unit column per projection), projections `P = VᵀF` `[M, N]`, target quantile
/// functions `Q` `[M, q]` (rows ascending, sampled at ranks (k + ½)/q), resampled to `T` `[M, N]`
/// (`resampleQuantiles`). The loss is Σ_m Σ_i (sort(P_m)_i − T_{m,i})², and its
/// gradient ∂/∂P_m[j] = 2(P_m[j] − T_{m,rank(j)}) (exact wherever the projections have no ties
/// between different values; ties between equal values do not change the loss).
public enum SlicedWasserstein {
    /// Floats of `projectionWorkspace` and `UInt64`s of `keys` that `evaluate` needs with up to
    /// `threads` row threads (the floats hold P and one resampled target row per thread).
    public static func workspaceCounts(projections m: Int, positions n: Int, threads: Int = 1)
        -> (floats: Int, keys: Int) {
        ((m + threads) * n, 2 * n * threads)
    }

    /// Returns Σ_m Σ_i (sort(P_m)_i − T_{m,i})² and, with `featureGradient`, adds
    /// `scale`·∂/∂F into it (`[C, N]`).
    /// - Parameters:
    ///   - projectionWorkspace: `workspaceCounts(…, threads:).floats` floats (overwritten).
    ///   - keys: `workspaceCounts(…, threads:).keys` sort keys of workspace.
    ///   - threads: rows are split over this many threads (1: serial, e.g. inside a parallel
    ///     region). The result does not depend on it: each row's sum is kept apart and the rows
    ///     are added in order.
    public static func evaluate(
        features: UnsafePointer<Float>, channels c: Int, positions n: Int,
        directions: UnsafePointer<Float>, projections m: Int,
        targetQuantiles: UnsafePointer<Float>, quantileCount q: Int,
        projectionWorkspace p: UnsafeMutablePointer<Float>, keys: UnsafeMutablePointer<UInt64>,
        threads: Int = 1, scale: Float = 1, featureGradient: UnsafeMutablePointer<Float>?
    ) -> Double {
        // P = Vᵀ F: [M, C]·[C, N].
        BLAS.gemm(transA: true, m: m, n: n, k: c, a: directions, lda: m, b: features, ldb: n,
                  c: p, ldc: n)
        let chunks = max(1, min(threads, m))
        // Each row's sum apart (added in row order below): no heap allocation per call.
        let total = withUnsafeTemporaryAllocation(of: Double.self, capacity: m) { sums -> Double in
            let rowSums = sums.baseAddress!
            let g = 2 * scale, writes = featureGradient != nil
            parallelFor(chunks: chunks) { chunk in
                let t = p + (m + chunk) * n, k = keys + 2 * n * chunk
                for row in evenRange(chunk, of: chunks, count: m) {
                    let pr = p + row * n
                    resampleQuantiles(targetQuantiles + row * q, count: q, into: t, count: n)
                    sortIndices(pr, count: n, keys: k)
                    // Each position is visited once, so its projection can be replaced by its
                    // gradient 2·scale·(P_m[j] − T_{m,rank(j)}) in place for the product below.
                    var sq: Double = 0
                    for i in 0..<n {
                        let j = Int(truncatingIfNeeded: k[i] & 0xFFFF_FFFF)
                        let d = pr[j] - t[i]
                        sq += Double(d * d)
                        if writes { pr[j] = g * d }
                    }
                    rowSums[row] = sq
                }
            }
            var total: Double = 0
            for row in 0..<m { total += rowSums[row] }
            return total
        }
        if let featureGradient {
            // ∂/∂F += V·∂/∂P: [C, M]·[M, N].
            BLAS.gemm(m: c, n: n, k: m, a: directions, lda: m, b: p, ldb: n, beta: 1,
                      c: featureGradient, ldc: n)
        }
        return total
    }

    /// Sorts positions 0..<count by `values`, ascending: afterwards the low 32 bits of `keys[i]`
    /// hold the index of the i-th smallest value (equal values keep their index order). The
    /// values become order-preserving integer keys (IEEE bits with the sign flipped) in the high
    /// 32 bits, sorted by a least-significant-digit radix sort: four stable passes over bytes,
    /// skipping bytes that all keys share. `keys` holds `2·count` (the second half is scratch).
    public static func sortIndices(_ values: UnsafePointer<Float>, count n: Int, keys: UnsafeMutablePointer<UInt64>) {
        guard n > 0 else { return }
        var histogram = [Int](repeating: 0, count: 4 * 256)
        histogram.withUnsafeMutableBufferPointer { h in
            let h = h.baseAddress!
            for i in 0..<n {
                let b = values[i].bitPattern
                let ordered = b & 0x8000_0000 != 0 ? ~b : b | 0x8000_0000
                keys[i] = UInt64(ordered) << 32 | UInt64(i)
                h[Int(ordered & 0xFF)] += 1
                h[256 + Int((ordered >> 8) & 0xFF)] += 1
                h[512 + Int((ordered >> 16) & 0xFF)] += 1
                h[768 + Int(ordered >> 24)] += 1
            }
            var src = keys, dst = keys + n
            for pass in 0..<4 {
                let counts = h + 256 * pass
                let shift = UInt64(32 + 8 * pass)
                if counts[Int((src[0] >> shift) & 0xFF)] == n { continue }   // one byte value: nothing moves
                var offset = 0
                for d in 0..<256 {
                    let c = counts[d]
                    counts[d] = offset
                    offset += c
                }
                for i in 0..<n {
                    let k = src[i], d = Int((k >> shift) & 0xFF)
                    dst[counts[d]] = k
                    counts[d] += 1
                }
                swap(&src, &dst)
            }
            if src != keys { keys.update(from: src, count: n) }
        }
    }

    /// The `count`-point quantile function of `sorted` (ascending, `n ≥ 1` values): entry i is the
    /// linear interpolation of `sorted` at fractional rank (i + ½)·n/count − ½ (clamped), so that
    /// sorted samples of different sizes describe the same distribution on a common grid.
    public static func resampleQuantiles(_ sorted: UnsafePointer<Float>, count n: Int,
                                         into out: UnsafeMutablePointer<Float>, count q: Int) {
        precondition(n >= 1 && q >= 1, "resampleQuantiles: \(n) values to \(q) quantiles")
        if n == q {
            out.update(from: sorted, count: n)
            return
        }
        let step = Double(n) / Double(q)
        for i in 0..<q {
            let r = min(max((Double(i) + 0.5) * step - 0.5, 0), Double(n - 1))
            let lo = Int(r), hi = min(lo + 1, n - 1), f = Float(r - Double(lo))
            out[i] = sorted[lo] + f * (sorted[hi] - sorted[lo])
        }
    }
}

import Numerics

/// Smoothness loss: the mean squared difference of horizontally and vertically neighbouring
/// pixels of a `[channels, height, width]` image,
/// tv = (Σ (x[c,y,x+1] − x[c,y,x])² + Σ (x[c,y+1,x] − x[c,y,x])²) / (N_h + N_v),
/// with N_h = C·H·(W−1) and N_v = C·(H−1)·W differences.
///
/// The work is organized by rows: row y of channel c owns its horizontal differences and the
/// vertical ones to row y + 1 (one partial sum per row), and the gradient of row y is gathered
/// from its four neighbours, so any split of the rows between threads writes disjoint rows and
/// gives bit-identical results.
public enum TotalVariation {
    /// Returns tv and, if `gradient` is given, adds `weight·∂tv/∂x` into it (same layout as `x`).
    /// Large images split their rows over `BLAS.threads` (outside a parallel region).
    public static func evaluate(
        _ x: UnsafePointer<Float>, channels: Int, height h: Int, width w: Int,
        gradient: UnsafeMutablePointer<Float>?, weight: Float
    ) -> Float {
        guard differenceCount(channels: channels, height: h, width: w) > 0 else { return 0 }
        let rowSums = UnsafeMutablePointer<Float>.allocate(capacity: channels * h)
        defer { rowSums.deallocate() }
        let chunks = min(h, elementwiseChunks(count: channels * h * w, minimum: 16_384))
        parallelFor(chunks: chunks) { p in
            accumulate(x, channels: channels, height: h, width: w, rows: evenRange(p, of: chunks, count: h),
                       gradient: gradient, weight: weight, rowSums: rowSums)
        }
        return total(rowSums: rowSums, channels: channels, height: h, width: w)
    }

    /// N_h + N_v, the number of squared differences tv averages.
    public static func differenceCount(channels: Int, height h: Int, width w: Int) -> Int {
        channels * (h * (w - 1) + (h - 1) * w)
    }

    /// The rows `rows` (of every channel) of `evaluate`: writes their partial sums to
    /// `rowSums[c·height + y]` (`channels·height` floats) and, if `gradient` is given, adds
    /// `weight·∂tv/∂x` into those rows of it only. Reads rows `rows.lowerBound − 1 …
    /// rows.upperBound` of `x`. Serial.
    public static func accumulate(
        _ x: UnsafePointer<Float>, channels: Int, height h: Int, width w: Int, rows: Range<Int>,
        gradient: UnsafeMutablePointer<Float>?, weight: Float, rowSums: UnsafeMutablePointer<Float>
    ) {
        let count = differenceCount(channels: channels, height: h, width: w)
        guard count > 0 else { return }
        let g2 = 2 * weight * (1 / Float(count))
        for c in 0..<channels {
            let plane = x + c * h * w
            for y in rows {
                let row = plane + y * w
                var s = sumOfSquaredDifferences(row, row + 1, count: w - 1)
                if y + 1 < h { s += sumOfSquaredDifferences(row, row + w, count: w) }
                rowSums[c * h + y] = s
                guard let gradient else { continue }
                // ∂/∂x[y,i] in a fixed order: + from the pair above, + from the left pair,
                // − from the right pair, − from the pair below.
                let gr = gradient + c * h * w + y * w
                if y > 0 {
                    let up = row - w
                    for i in 0..<w { let d = g2 * (row[i] - up[i]); gr[i] += d }
                }
                if w > 1 {
                    for i in 1..<w { let d = g2 * (row[i] - row[i - 1]); gr[i] += d }
                    for i in 0..<(w - 1) { let d = g2 * (row[i + 1] - row[i]); gr[i] -= d }
                }
                if y + 1 < h {
                    let down = row + w
                    for i in 0..<w { let d = g2 * (down[i] - row[i]); gr[i] -= d }
                }
            }
        }
    }

    /// tv from the partial sums written by `accumulate` for every row (summed in row order).
    public static func total(rowSums: UnsafePointer<Float>, channels: Int, height h: Int, width w: Int) -> Float {
        let count = differenceCount(channels: channels, height: h, width: w)
        guard count > 0 else { return 0 }
        var sum: Double = 0
        for i in 0..<channels * h { sum += Double(rowSums[i]) }
        return Float(sum) * (1 / Float(count))
    }

    /// Σ (b[i] − a[i])² over `count` values, in 8 SIMD lanes then the tail (a fixed order).
    @inline(__always)
    static func sumOfSquaredDifferences(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        typealias V = SIMD8<Float>
        var acc = V()
        var i = 0
        while i + 8 <= count {
            let d = UnsafeRawPointer(b + i).loadUnaligned(as: V.self) - UnsafeRawPointer(a + i).loadUnaligned(as: V.self)
            acc = acc.addingProduct(d, d)
            i += 8
        }
        var s = acc.sum()
        while i < count { let d = b[i] - a[i]; s += d * d; i += 1 }
        return s
    }
}

extension Gram {
    /// Positions per pass of the kernel: every tile sums this many products per entry in SIMD
    /// lanes, reduces them, and adds the result to the Gram entry. Fixed, so the summation order
    /// (and hence every bit of the result) does not depend on the thread count.
    @usableFromInline static let positionBlock = 512

    /// gram[i, j] ← α·Σ_p F[i, p]·F[j, p] for the rows `rows` of the **upper triangle** (j ≥ i;
    /// a few entries just below the diagonal inside 4×2 tiles are written too, and are left for
    /// the caller's symmetrization to overwrite).
    ///
    /// F is `[channels, positions]` row-major; gram is `channels × channels` row-major. Serial;
    /// `rows` should start at a multiple of 4 (callers split the rows between threads).
    ///
    /// Why not BLAS SYRK: the Gram of a feature map has few rows and very long rows
    /// (e.g. 32 × 16,384), a shape on which OpenBLAS's SYRK reaches ~25 GFLOP/s on one core;
    /// this 4×2-tile SIMD kernel reaches ~75 (measured at C = 32 … 256).
    /// - Complexity: about channels·|rows|·positions multiply-adds.
    static func upperTriangle(
        features f: UnsafePointer<Float>, channels c: Int, positions n: Int, alpha: Float,
        rows: Range<Int>, gram g: UnsafeMutablePointer<Float>
    ) {
        for i in rows { (g + i * c + i).update(repeating: 0, count: c - i) }
        var p0 = 0
        while p0 < n {
            let len = min(positionBlock, n - p0)
            var i0 = rows.lowerBound
            while i0 + 4 <= rows.upperBound {
                var j0 = i0
                while j0 + 2 <= c {
                    tile4x2(f + i0 * n + p0, f + j0 * n + p0, stride: n, count: len, into: g + i0 * c + j0, ldg: c)
                    j0 += 2
                }
                if j0 < c {
                    for i in i0..<(i0 + 4) { g[i * c + j0] += dot(f + i * n + p0, f + j0 * n + p0, count: len) }
                }
                i0 += 4
            }
            for i in i0..<rows.upperBound {
                for j in i..<c { g[i * c + j] += dot(f + i * n + p0, f + j * n + p0, count: len) }
            }
            p0 += len
        }
        if alpha != 1 {
            for i in rows {
                let r = g + i * c
                for j in i..<c { r[j] *= alpha }
            }
        }
    }

    /// g[r, s] += Σ_p a_r[p]·b_s[p] for the 4 rows a_r = a + r·stride and 2 rows b_s = b + s·stride.
    @inline(__always)
    private static func tile4x2(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, stride n: Int, count: Int,
        into g: UnsafeMutablePointer<Float>, ldg: Int
    ) {
        typealias V = SIMD8<Float>
        @inline(__always) func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        let a0 = a, a1 = a + n, a2 = a1 + n, a3 = a2 + n, b0 = b, b1 = b + n
        var s00 = V(), s01 = V(), s10 = V(), s11 = V(), s20 = V(), s21 = V(), s30 = V(), s31 = V()
        var p = 0
        while p + 8 <= count {
            let x0 = load(b0 + p), x1 = load(b1 + p)
            let y0 = load(a0 + p)
            s00 = s00.addingProduct(y0, x0); s01 = s01.addingProduct(y0, x1)
            let y1 = load(a1 + p)
            s10 = s10.addingProduct(y1, x0); s11 = s11.addingProduct(y1, x1)
            let y2 = load(a2 + p)
            s20 = s20.addingProduct(y2, x0); s21 = s21.addingProduct(y2, x1)
            let y3 = load(a3 + p)
            s30 = s30.addingProduct(y3, x0); s31 = s31.addingProduct(y3, x1)
            p += 8
        }
        var t00 = s00.sum(), t01 = s01.sum(), t10 = s10.sum(), t11 = s11.sum()
        var t20 = s20.sum(), t21 = s21.sum(), t30 = s30.sum(), t31 = s31.sum()
        while p < count {
            let x0 = b0[p], x1 = b1[p]
            t00 += a0[p] * x0; t01 += a0[p] * x1; t10 += a1[p] * x0; t11 += a1[p] * x1
            t20 += a2[p] * x0; t21 += a2[p] * x1; t30 += a3[p] * x0; t31 += a3[p] * x1
            p += 1
        }
        g[0] += t00; g[1] += t01
        g[ldg] += t10; g[ldg + 1] += t11
        g[2 * ldg] += t20; g[2 * ldg + 1] += t21
        g[3 * ldg] += t30; g[3 * ldg + 1] += t31
    }

    /// Σ_p a[p]·b[p] over `count` values (8 SIMD lanes, then the tail).
    @inline(__always)
    private static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var s = SIMD8<Float>()
        var p = 0
        while p + 8 <= count {
            s = s.addingProduct(UnsafeRawPointer(a + p).loadUnaligned(as: SIMD8<Float>.self),
                                UnsafeRawPointer(b + p).loadUnaligned(as: SIMD8<Float>.self))
            p += 8
        }
        var t = s.sum()
        while p < count { t += a[p] * b[p]; p += 1 }
        return t
    }

    /// Splits the rows `0..<channels` of an upper triangle into `parts` ranges of about equal
    /// area (row i holds channels − i entries), each starting at a multiple of 4.
    static func triangleRows(_ part: Int, of parts: Int, channels c: Int) -> Range<Int> {
        func boundary(_ q: Int) -> Int {
            if q <= 0 { return 0 }
            if q >= parts { return c }
            // Rows [0, r) hold c·r − r²/2 entries; solve for a share q/parts of c²/2.
            let r = Double(c) * (1 - (1 - Double(q) / Double(parts)).squareRoot())
            return min(c, Int((r / 4).rounded()) * 4)
        }
        return boundary(part)..<max(boundary(part), boundary(part + 1))
    }
}

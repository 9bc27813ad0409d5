import Numerics

/// The batched LSTM layer and read-out, forward and backward side by side.
///
/// Layout (feature-major, `N` coordinates as columns): the input of layer l is one matrix
/// `xh` of `columns = in + H + 1` rows × N — its input features (in rows), its previous hidden
/// state (H rows) and a row of ones (so the last weight column is the bias). The layer's
/// weights `W` are row-major 4H × columns with gate blocks (i, f, g, o). Then
///
///     z = W · xh                                  (one GEMM: 4H × N)
///     i, f, o = σ(z_i, z_f, z_o),  g = tanh(z_g)
///     c' = f ⊙ c + i ⊙ g,  h' = o ⊙ tanh(c')
///
/// and the read-out is Δ = s · (w · h'_top + b). Each coordinate (column) has its own state;
/// one set of weights serves all.
///
/// Every function works on a column range `r` of buffers whose row stride is N: coordinates
/// are independent, so callers split 0..<N into blocks (`Blocks`) and run a whole step (GEMMs
/// included) per block, threads taking blocks — one dispatch per step.
enum LSTMCell {
    /// The largest block of coordinates one product covers (see `Blocks`).
    static let blockSize = 4096

    /// Column blocks that never straddle a segment (a problem): segment k of n coordinates is
    /// cut into ⌈n / `blockSize`⌉ blocks (`chunkRange`), a split that depends on n alone.
    ///
    /// Why: OpenBLAS's SGEMM does not compute a column the same way in every product — with
    /// K ≳ 40 the value of a column of C depends on the other columns of the call (its kernels
    /// treat column tails differently) — so a coordinate's LSTM step is reproducible only if
    /// its products always cover the same columns. Running every step block by block (each
    /// block as one chunk: `forEach`) makes each problem's updates, and the meta-gradient's
    /// per-block accumulators, independent of the thread count and of the problems batched
    /// with it (so of how problems are shared among processes).
    struct Blocks {
        /// Each block's segment and coordinate range, in order (segments ascending).
        let segment: [Int]
        let ranges: [Range<Int>]

        /// Blocks of the segments starting at `offsets[k]` (`offsets.last` = the total).
        init(offsets: [Int]) {
            var segment: [Int] = [], ranges: [Range<Int>] = []
            for k in 0..<(offsets.count - 1) {
                let lo = offsets[k], n = offsets[k + 1] - lo
                let pieces = max(1, (n + LSTMCell.blockSize - 1) / LSTMCell.blockSize)
                for i in 0..<pieces {
                    let r = chunkRange(i, of: pieces, count: n)
                    guard !r.isEmpty else { continue }
                    segment.append(k)
                    ranges.append((lo + r.lowerBound)..<(lo + r.upperBound))
                }
            }
            self.segment = segment
            self.ranges = ranges
        }

        var count: Int { ranges.count }

        /// Runs `body(block index, range)` for every block: threads (`BLAS.threads`, one unless
        /// called outside a parallel region) take contiguous runs of blocks, and each block runs
        /// as one chunk (its products are never split).
        func forEach(_ body: (Int, Range<Int>) -> Void) {
            let ranges = self.ranges, count = ranges.count
            let chunks = ParallelRegion.isInside ? 1 : max(1, min(BLAS.threads, count))
            ranges.withUnsafeBufferPointer { r in
                parallelFor(chunks: chunks) { chunk in
                    ParallelRegion.asOneChunk {
                        for b in evenRange(chunk, of: chunks, count: count) { body(b, r[b]) }
                    }
                }
            }
        }
    }

    /// Forward through one layer for all N coordinates.
    ///
    /// - Parameters:
    ///   - weights: W, 4H × columns, row-major.
    ///   - xh: the layer input (columns × N). Read by the GEMM only, so `hOut` may point into it.
    ///   - gates: 4H × N; receives the *activated* gates (i, f, g, o) — what backward needs.
    ///   - cPrev, cNext: H × N each; may be the same buffer (in-place inference).
    ///   - hOut: receives h' (H × N, stride N), e.g. the recurrent rows of the next input.
    ///   - hCopy: optional second destination for h' (the next layer's input rows).
    static func forward(
        hidden H: Int, columns: Int, count N: Int, range r: Range<Int>,
        weights: UnsafePointer<Float>, xh: UnsafePointer<Float>, gates: UnsafeMutablePointer<Float>,
        cPrev: UnsafePointer<Float>, cNext: UnsafeMutablePointer<Float>,
        hOut: UnsafeMutablePointer<Float>, hCopy: UnsafeMutablePointer<Float>?
    ) {
        guard !r.isEmpty else { return }
        BLAS.gemm(m: 4 * H, n: r.count, k: columns, a: weights, lda: columns, b: xh + r.lowerBound, ldb: N,
                  c: gates + r.lowerBound, ldc: N)
        do {
            for j in 0..<H {
                let zi = gates + j * N, zf = gates + (H + j) * N
                let zg = gates + (2 * H + j) * N, zo = gates + (3 * H + j) * N
                let cp = cPrev + j * N, cn = cNext + j * N, ho = hOut + j * N
                let hc = hCopy.map { $0 + j * N }
                var n = r.lowerBound
                while n + 8 <= r.upperBound {
                    let i = FastMath.sigmoid(FastMath.load8(zi + n)), f = FastMath.sigmoid(FastMath.load8(zf + n))
                    let g = FastMath.tanh(FastMath.load8(zg + n)), o = FastMath.sigmoid(FastMath.load8(zo + n))
                    let c = f * FastMath.load8(cp + n) + i * g
                    let h = o * FastMath.tanh(c)
                    FastMath.store8(i, zi + n); FastMath.store8(f, zf + n)
                    FastMath.store8(g, zg + n); FastMath.store8(o, zo + n)
                    FastMath.store8(c, cn + n); FastMath.store8(h, ho + n)
                    if let hc { FastMath.store8(h, hc + n) }
                    n += 8
                }
                while n < r.upperBound {  // the same, one coordinate at a time
                    let i = FastMath.sigmoid(zi[n]), f = FastMath.sigmoid(zf[n])
                    let g = FastMath.tanh(zg[n]), o = FastMath.sigmoid(zo[n])
                    let c = f * cp[n] + i * g
                    let h = o * FastMath.tanh(c)
                    zi[n] = i; zf[n] = f; zg[n] = g; zo[n] = o
                    cn[n] = c; ho[n] = h
                    if let hc { hc[n] = h }
                    n += 1
                }
            }
        }
    }

    /// Backward through one layer at one step: from the adjoints of h' and c' to those of the
    /// gate pre-activations, the weights, the layer input and c.
    ///
    /// - Parameters:
    ///   - dh: ∂L/∂h' (H × N), read. For the top layer `outputAdjoint`/`outputCoefficients`
    ///     add the read-out's contribution s·w_j·∂L/∂Δ on the fly.
    ///   - dc: in: ∂L/∂c' (H × N); out: ∂L/∂c (the previous step's cell adjoint).
    ///   - dz: workspace 4H × N, receives ∂L/∂z.
    ///   - dWeights: accumulates ∂L/∂W += dz · xhᵀ (bias included through the ones row).
    ///   - dInput: if given, `dInput += W[:, 0..<inputs]ᵀ · dz` (inputs × N) — the adjoint of the
    ///     input rows of xh: the layer below's h', or for the first layer the input features
    ///   (what second-order meta-gradients differentiate further).
    ///   - dRecurrent: receives `W[:, in..<in+H]ᵀ · dz`, the adjoint of the previous hidden state.
    static func backward(
        hidden H: Int, inputs: Int, columns: Int, count N: Int, range r: Range<Int>,
        weights: UnsafePointer<Float>, xh: UnsafePointer<Float>, gates: UnsafePointer<Float>,
        cPrev: UnsafePointer<Float>, cCur: UnsafePointer<Float>,
        dh: UnsafePointer<Float>, outputAdjoint: UnsafePointer<Float>?, outputCoefficients: UnsafePointer<Float>?,
        dc: UnsafeMutablePointer<Float>, dz: UnsafeMutablePointer<Float>,
        dWeights: UnsafeMutablePointer<Float>,
        dInput: UnsafeMutablePointer<Float>?, dRecurrent: UnsafeMutablePointer<Float>
    ) {
        guard !r.isEmpty else { return }
        do {
            for j in 0..<H {
                let gi = gates + j * N, gf = gates + (H + j) * N
                let gg = gates + (2 * H + j) * N, go = gates + (3 * H + j) * N
                let di = dz + j * N, df = dz + (H + j) * N
                let dg = dz + (2 * H + j) * N, dout = dz + (3 * H + j) * N
                let cp = cPrev + j * N, cc = cCur + j * N, dhj = dh + j * N, dcj = dc + j * N
                let cj = outputCoefficients?[j] ?? 0
                var n = r.lowerBound
                while n + 8 <= r.upperBound {
                    var dhv = FastMath.load8(dhj + n)
                    if let a = outputAdjoint { dhv += cj * FastMath.load8(a + n) }
                    let i = FastMath.load8(gi + n), f = FastMath.load8(gf + n)
                    let g = FastMath.load8(gg + n), o = FastMath.load8(go + n)
                    let tc = FastMath.tanh(FastMath.load8(cc + n))
                    let dcv = FastMath.load8(dcj + n) + dhv * o * (1 - tc * tc)
                    FastMath.store8(dhv * tc * o * (1 - o), dout + n)
                    FastMath.store8(dcv * g * i * (1 - i), di + n)
                    FastMath.store8(dcv * i * (1 - g * g), dg + n)
                    FastMath.store8(dcv * FastMath.load8(cp + n) * f * (1 - f), df + n)
                    FastMath.store8(dcv * f, dcj + n)
                    n += 8
                }
                while n < r.upperBound {  // the same, one coordinate at a time
                    var dhv = dhj[n]
                    if let a = outputAdjoint { dhv += cj * a[n] }
                    let i = gi[n], f = gf[n], g = gg[n], o = go[n]
                    let tc = FastMath.tanh(cc[n])
                    let dcv = dcj[n] + dhv * o * (1 - tc * tc)
                    dout[n] = dhv * tc * o * (1 - o)
                    di[n] = dcv * g * i * (1 - i)
                    dg[n] = dcv * i * (1 - g * g)
                    df[n] = dcv * cp[n] * f * (1 - f)
                    dcj[n] = dcv * f
                    n += 1
                }
            }
        }
        let lo = r.lowerBound, n = r.count
        // ∂W += dz · xhᵀ   (4H × n) · (n × columns)
        BLAS.gemm(transB: true, m: 4 * H, n: columns, k: n, a: dz + lo, lda: N, b: xh + lo, ldb: N,
                  beta: 1, c: dWeights, ldc: columns)
        if let dInput {
            // the input rows 0..<inputs of xh: (W[:, 0..<inputs])ᵀ · dz
            BLAS.gemm(transA: true, m: inputs, n: n, k: 4 * H, a: weights, lda: columns, b: dz + lo, ldb: N,
                      beta: 1, c: dInput + lo, ldc: N)
        }
        BLAS.gemm(transA: true, m: H, n: n, k: 4 * H, a: weights + inputs, lda: columns, b: dz + lo, ldb: N,
                  beta: 0, c: dRecurrent + lo, ldc: N)
    }

    /// Read-out forward: Δ[n] = s · (Σ_j w[j]·h[j][n] + w[H]) for the coordinates in `r`.
    static func readout(
        hidden H: Int, count N: Int, range r: Range<Int>, scale s: Float,
        weights w: UnsafePointer<Float>, h: UnsafePointer<Float>, delta: UnsafeMutablePointer<Float>
    ) {
        do {
            let b = w[H]
            for n in r { delta[n] = b }
            for j in 0..<H {
                let wj = w[j], hj = h + j * N
                for n in r { delta[n] += wj * hj[n] }
            }
            for n in r { delta[n] *= s }
        }
    }

    /// Read-out backward for the weights: ∂w[0..H] += s · adjoint · [h; 1]ᵀ (one GEMM over N).
    /// `hOnes` is h (H × N) immediately followed by a row of ones, as the recurrent rows of xh are.
    static func readoutBackward(
        hidden H: Int, count N: Int, range r: Range<Int>, scale s: Float,
        adjoint: UnsafePointer<Float>, hOnes: UnsafePointer<Float>, dWeights: UnsafeMutablePointer<Float>
    ) {
        guard !r.isEmpty else { return }
        BLAS.gemm(transB: true, m: 1, n: H + 1, k: r.count, alpha: s, a: adjoint + r.lowerBound, lda: N,
                  b: hOnes + r.lowerBound, ldb: N, beta: 1, c: dWeights, ldc: H + 1)
    }
}

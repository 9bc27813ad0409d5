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
/// one set of weights serves all. Elementwise work runs in `parallelFor` chunks for large N.
enum LSTMCell {
    /// Elementwise chunks for `n` coordinates (one below ~4k coordinates).
    @inline(__always)
    static func chunks(for n: Int) -> Int { n >= 4096 ? defaultChunks : 1 }

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
        hidden H: Int, columns: Int, count N: Int,
        weights: UnsafePointer<Float>, xh: UnsafePointer<Float>, gates: UnsafeMutablePointer<Float>,
        cPrev: UnsafePointer<Float>, cNext: UnsafeMutablePointer<Float>,
        hOut: UnsafeMutablePointer<Float>, hCopy: UnsafeMutablePointer<Float>?
    ) {
        BLAS.gemm(m: 4 * H, n: N, k: columns, a: weights, lda: columns, b: xh, ldb: N, c: gates, ldc: N)
        let parts = chunks(for: N)
        parallelFor(chunks: parts) { chunk in
            let r = chunkRange(chunk, of: parts, count: N)
            guard !r.isEmpty else { return }
            for j in 0..<H {
                let zi = gates + j * N, zf = gates + (H + j) * N
                let zg = gates + (2 * H + j) * N, zo = gates + (3 * H + j) * N
                let cp = cPrev + j * N, cn = cNext + j * N, ho = hOut + j * N
                for n in r {
                    let i = FastMath.sigmoid(zi[n]), f = FastMath.sigmoid(zf[n])
                    let g = FastMath.tanh(zg[n]), o = FastMath.sigmoid(zo[n])
                    zi[n] = i; zf[n] = f; zg[n] = g; zo[n] = o
                    let c = f * cp[n] + i * g
                    cn[n] = c
                    ho[n] = o * FastMath.tanh(c)
                }
                if let hCopy {
                    let hc = hCopy + j * N
                    for n in r { hc[n] = ho[n] }
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
    ///   - dInput: if given, `dInput += W[:, 0..<H]ᵀ · dz` — the adjoint of the rows 0..<H of xh
    ///     (the layer below's h'); only for layers above the first.
    ///   - dRecurrent: receives `W[:, in..<in+H]ᵀ · dz`, the adjoint of the previous hidden state.
    static func backward(
        hidden H: Int, inputs: Int, columns: Int, count N: Int,
        weights: UnsafePointer<Float>, xh: UnsafePointer<Float>, gates: UnsafePointer<Float>,
        cPrev: UnsafePointer<Float>, cCur: UnsafePointer<Float>,
        dh: UnsafePointer<Float>, outputAdjoint: UnsafePointer<Float>?, outputCoefficients: UnsafePointer<Float>?,
        dc: UnsafeMutablePointer<Float>, dz: UnsafeMutablePointer<Float>,
        dWeights: UnsafeMutablePointer<Float>,
        dInput: UnsafeMutablePointer<Float>?, dRecurrent: UnsafeMutablePointer<Float>
    ) {
        let parts = chunks(for: N)
        parallelFor(chunks: parts) { chunk in
            let r = chunkRange(chunk, of: parts, count: N)
            guard !r.isEmpty else { return }
            for j in 0..<H {
                let gi = gates + j * N, gf = gates + (H + j) * N
                let gg = gates + (2 * H + j) * N, go = gates + (3 * H + j) * N
                let di = dz + j * N, df = dz + (H + j) * N
                let dg = dz + (2 * H + j) * N, dout = dz + (3 * H + j) * N
                let cp = cPrev + j * N, cc = cCur + j * N, dhj = dh + j * N, dcj = dc + j * N
                @inline(__always) func body(_ n: Int, _ dhv: Float) {
                    let i = gi[n], f = gf[n], g = gg[n], o = go[n]
                    let tc = FastMath.tanh(cc[n])
                    let dcv = dcj[n] + dhv * o * (1 - tc * tc)
                    dout[n] = dhv * tc * o * (1 - o)
                    di[n] = dcv * g * i * (1 - i)
                    dg[n] = dcv * i * (1 - g * g)
                    df[n] = dcv * cp[n] * f * (1 - f)
                    dcj[n] = dcv * f
                }
                if let a = outputAdjoint, let coefficients = outputCoefficients {
                    let cj = coefficients[j]
                    for n in r { body(n, dhj[n] + cj * a[n]) }
                } else {
                    for n in r { body(n, dhj[n]) }
                }
            }
        }
        // ∂W += dz · xhᵀ   (4H × N) · (N × columns)
        BLAS.gemm(transB: true, m: 4 * H, n: columns, k: N, a: dz, lda: N, b: xh, ldb: N,
                  beta: 1, c: dWeights, ldc: columns)
        if let dInput {
            // rows 0..<H of xh: (W[:, 0..<H])ᵀ · dz
            BLAS.gemm(transA: true, m: H, n: N, k: 4 * H, a: weights, lda: columns, b: dz, ldb: N,
                      beta: 1, c: dInput, ldc: N)
        }
        BLAS.gemm(transA: true, m: H, n: N, k: 4 * H, a: weights + inputs, lda: columns, b: dz, ldb: N,
                  beta: 0, c: dRecurrent, ldc: N)
    }

    /// Read-out forward: Δ[n] = s · (Σ_j w[j]·h[j][n] + w[H]) for all N coordinates.
    static func readout(
        hidden H: Int, count N: Int, scale s: Float,
        weights w: UnsafePointer<Float>, h: UnsafePointer<Float>, delta: UnsafeMutablePointer<Float>
    ) {
        let parts = chunks(for: N)
        parallelFor(chunks: parts) { chunk in
            let r = chunkRange(chunk, of: parts, count: N)
            guard !r.isEmpty else { return }
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
        hidden H: Int, count N: Int, scale s: Float,
        adjoint: UnsafePointer<Float>, hOnes: UnsafePointer<Float>, dWeights: UnsafeMutablePointer<Float>
    ) {
        BLAS.gemm(transB: true, m: 1, n: H + 1, k: N, alpha: s, a: adjoint, lda: N, b: hOnes, ldb: N,
                  beta: 1, c: dWeights, ldc: H + 1)
    }
}

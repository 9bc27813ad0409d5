extension Conv3x3 {
    /// Gradients of the loss with respect to the weights and bias, for one CHW image.
    ///
    /// With columns = im2col(input) (`9·inChannels × height·width`) and G = outputGradient
    /// (`outChannels × height·width`, the gradient of the *linear* conv output; apply
    /// `ReLU.backward` first if the layer had one):
    ///   weightGradient (`outChannels × 9·inChannels`, the layout of `weights`) = G · columnsᵀ,
    ///   biasGradient[co] = Σ over pixels of G[co].
    ///
    /// - Parameters:
    ///   - input: the layer's input `[inChannels, height, width]` (the one `forward` saw).
    ///   - weightGradient: `outChannels·inChannels·9` floats.
    ///   - biasGradient: `outChannels` floats.
    ///   - accumulate: add into the gradients instead of overwriting them (sum over a batch by
    ///     calling once per image in a fixed order — deterministic).
    ///   - workspace: `workspaceCount(height:width:)` floats (overwritten with the columns).
    /// - Complexity: 2·outChannels·9·inChannels·height·width FLOP (one GEMM) plus the im2col.
    public func backwardWeights(
        input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>, height: Int, width: Int,
        weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>,
        accumulate: Bool = false, workspace: UnsafeMutablePointer<Float>
    ) {
        let n = height * width, k = 9 * inChannels
        Self.im2col(input, channels: inChannels, height: height, width: width, columns: workspace)
        BLAS.gemm(transB: true, m: outChannels, n: k, k: n,
                  a: outputGradient, lda: n, b: workspace, ldb: n,
                  beta: accumulate ? 1 : 0, c: weightGradient, ldc: k)
        for co in 0..<outChannels {
            let g = outputGradient + co * n
            var s: Float = 0
            for i in 0..<n { s += g[i] }
            biasGradient[co] = accumulate ? biasGradient[co] + s : s
        }
    }
}

import Numerics

/// 3×3 convolutions (zero padding 1, stride 1) over a whole batch with one GEMM each, in the
/// *channel-major batch* layout `[channels, batch, height, width]`.
///
/// The columns matrix is `[9·inChannels, batch·height·width]`, made by Numerics' batched
/// `Conv3x3.im2col` (and its adjoint `Conv3x3.col2imAdd`). So forward, weight gradient and input
/// gradient of a batch are one GEMM each (instead of one per image), with weights
/// `[outChannels, inChannels, 3, 3]`.
enum BatchedConv3x3 {
    /// output `[cout, batch·h·w]` = weights `[cout, 9·cin]` · columns + bias (per output channel).
    static func forward(weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, inChannels cin: Int, outChannels cout: Int,
                        columns: UnsafePointer<Float>, count n: Int, output: UnsafeMutablePointer<Float>) {
        for co in 0..<cout { (output + co * n).update(repeating: bias[co], count: n) }
        BLAS.gemm(m: cout, n: n, k: 9 * cin, a: weights, lda: 9 * cin, b: columns, ldb: n, beta: 1, c: output, ldc: n)
    }

    /// weightGradient `[cout, 9·cin]` = G · columnsᵀ and biasGradient = row sums of G, where G
    /// `[cout, n]` is the gradient of the (linear) conv output. Overwrites both.
    static func backwardWeights(outputGradient g: UnsafePointer<Float>, columns: UnsafePointer<Float>,
                                inChannels cin: Int, outChannels cout: Int, count n: Int,
                                weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>) {
        BLAS.gemm(transB: true, m: cout, n: 9 * cin, k: n, a: g, lda: n, b: columns, ldb: n, c: weightGradient, ldc: 9 * cin)
        for co in 0..<cout {
            let r = g + co * n
            var s: Float = 0
            for i in 0..<n { s += r[i] }
            biasGradient[co] = s
        }
    }

    /// columnsGradient `[9·cin, n]` = weightsᵀ · G (then `col2imAdd` gives the input gradient).
    static func backwardColumns(weights: UnsafePointer<Float>, outputGradient g: UnsafePointer<Float>,
                                inChannels cin: Int, outChannels cout: Int, count n: Int,
                                columnsGradient: UnsafeMutablePointer<Float>) {
        BLAS.gemm(transA: true, m: 9 * cin, n: n, k: cout, a: weights, lda: 9 * cin, b: g, ldb: n, c: columnsGradient, ldc: n)
    }

    /// `[batch, channels, plane]` ↔ `[channels, batch, plane]` (its own inverse with the two
    /// counts swapped): out[c, b] = in[b, c].
    static func transpose(_ input: UnsafePointer<Float>, outer: Int, inner: Int, plane: Int,
                          into output: UnsafeMutablePointer<Float>) {
        for o in 0..<outer {
            for i in 0..<inner { (output + (i * outer + o) * plane).update(from: input + (o * inner + i) * plane, count: plane) }
        }
    }
}

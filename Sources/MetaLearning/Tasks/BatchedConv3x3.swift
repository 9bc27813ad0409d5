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

    /// 2×2 average pooling with stride 2 over `channels` maps of `height × width`, rounding
    /// down: an odd last row or column is dropped (PyTorch's default, and the conv task's since
    /// its models were trained; Numerics' `AvgPool2x2` keeps odd edges for pictures instead).
    /// Output `[channels, height/2, width/2]`.
    static func avgPool(_ input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                        output: UnsafeMutablePointer<Float>) {
        let oh = height / 2, ow = width / 2
        for c in 0..<channels {
            let src = input + c * height * width, dst = output + c * oh * ow
            for y in 0..<oh {
                let r0 = src + 2 * y * width, r1 = r0 + width, o = dst + y * ow
                for x in 0..<ow {
                    o[x] = 0.25 * ((r0[2 * x] + r0[2 * x + 1]) + (r1[2 * x] + r1[2 * x + 1]))
                }
            }
        }
    }

    /// The adjoint of `avgPool`: each output's gradient spread as ¼ over its 2×2 window, dropped
    /// rows and columns 0. Overwrites `inputGradient`.
    static func avgPoolBackward(outputGradient: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                                inputGradient: UnsafeMutablePointer<Float>) {
        let oh = height / 2, ow = width / 2
        for c in 0..<channels {
            let g = outputGradient + c * oh * ow, dst = inputGradient + c * height * width
            if height % 2 == 1 { (dst + (height - 1) * width).update(repeating: 0, count: width) }
            for y in 0..<oh {
                let r0 = dst + 2 * y * width, r1 = r0 + width, gy = g + y * ow
                for x in 0..<ow {
                    let v = 0.25 * gy[x]
                    r0[2 * x] = v; r0[2 * x + 1] = v; r1[2 * x] = v; r1[2 * x + 1] = v
                }
                if width % 2 == 1 { r0[width - 1] = 0; r1[width - 1] = 0 }
            }
        }
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

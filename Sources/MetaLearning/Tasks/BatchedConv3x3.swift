import Numerics

/// 3×3 convolutions (zero padding 1, stride 1) over a whole batch with one GEMM each, in the
/// *channel-major batch* layout `[channels, batch, height, width]`.
///
/// The columns matrix is `[9·inChannels, batch·height·width]`: row `ci·9 + ky·3 + kx` holds,
/// image after image, input channel ci shifted by (ky−1, kx−1) — `Conv3x3.im2col`'s rows with
/// the batch folded into the columns. So forward, weight gradient and input gradient of a batch
/// are one GEMM each (instead of one per image), with weights `[outChannels, inChannels, 3, 3]`.
enum BatchedConv3x3 {
    /// Expands `input` `[channels, batch, h, w]` into `columns` `[channels·9, batch·h·w]`.
    static func im2col(_ input: UnsafePointer<Float>, channels: Int, batch: Int, height h: Int, width w: Int,
                       columns: UnsafeMutablePointer<Float>) {
        let n = h * w, row = batch * n
        let chunks = kernelChunks(channels: channels, elements: 9 * channels * row)
        parallelFor(chunks: chunks) { chunk in
            for c in evenRange(chunk, of: chunks, count: channels) {
                for ky in 0..<3 {
                    let dy = ky - 1
                    for kx in 0..<3 {
                        let dx = kx - 1
                        let x0 = max(0, -dx), x1 = min(w, w - dx)
                        let dstRow = columns + (c * 9 + ky * 3 + kx) * row
                        for b in 0..<batch {
                            let plane = input + (c * batch + b) * n, dstPlane = dstRow + b * n
                            for y in 0..<h {
                                let dst = dstPlane + y * w, sy = y + dy
                                if sy < 0 || sy >= h || x1 <= x0 { dst.update(repeating: 0, count: w); continue }
                                if x0 > 0 { dst[0] = 0 }
                                if x1 < w { dst[w - 1] = 0 }
                                (dst + x0).update(from: plane + sy * w + x0 + dx, count: x1 - x0)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Adjoint of `im2col`: adds each shifted column row back into `output` `[channels, batch, h, w]`.
    static func col2imAdd(_ columns: UnsafePointer<Float>, channels: Int, batch: Int, height h: Int, width w: Int,
                          into output: UnsafeMutablePointer<Float>) {
        let n = h * w, row = batch * n
        let chunks = kernelChunks(channels: channels, elements: 9 * channels * row)
        parallelFor(chunks: chunks) { chunk in
            for c in evenRange(chunk, of: chunks, count: channels) {
                for ky in 0..<3 {
                    let dy = ky - 1
                    for kx in 0..<3 {
                        let dx = kx - 1
                        let x0 = max(0, -dx), x1 = min(w, w - dx), y0 = max(0, -dy), y1 = min(h, h - dy)
                        if x1 <= x0 { continue }
                        let srcRow = columns + (c * 9 + ky * 3 + kx) * row
                        for b in 0..<batch {
                            let plane = output + (c * batch + b) * n, srcPlane = srcRow + b * n
                            for y in y0..<y1 {
                                let src = srcPlane + y * w + x0, dst = plane + (y + dy) * w + x0 + dx
                                for i in 0..<(x1 - x0) { dst[i] += src[i] }
                            }
                        }
                    }
                }
            }
        }
    }

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

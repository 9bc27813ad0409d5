/// A 3×3 convolution with padding 1 (zero, symmetric or circular) and stride 1 over one CHW
/// image, through im2col + GEMM.
///
/// Shapes: input `[inChannels, height, width]`, output `[outChannels, height, width]`,
/// weights `[outChannels, inChannels, 3, 3]` (row-major, i.e. an `outChannels × 9·inChannels`
/// matrix), bias `[outChannels]`. The column workspace is a `9·inChannels × height·width`
/// matrix whose row `ci·9 + ky·3 + kx` holds the input shifted by `(ky−1, kx−1)`.
///
/// Cost: 2·outChannels·9·inChannels·height·width FLOP for the forward product and the same
/// for the input gradient (weights are fixed here: no weight gradient is computed).
public struct Conv3x3: Sendable {
    public let inChannels: Int
    public let outChannels: Int
    /// `[outChannels, inChannels, 3, 3]`.
    public let weights: Tensor
    /// `[outChannels]`.
    public let bias: Tensor
    /// What the kernel sees beyond the image's edges.
    public let padding: Padding

    /// How the image is extended by one pixel on every side.
    public enum Padding: Sendable, Equatable {
        /// Zeros (the classic "same" convolution).
        case zero
        /// Half-sample symmetric (the edge repeated, as numpy's "symmetric"): row −1 reads row 0,
        /// row H reads row H − 1, and likewise for columns.
        case symmetric
        /// Periodic: row −1 reads row H − 1, row H reads row 0, and likewise for columns. The
        /// convolution is then exactly translation-equivariant on the torus: no pixel is an edge
        /// pixel. With zero or mirrored padding the loss's gradient at a flat image is not flat
        /// near the borders (the adjoint of mirroring adds some taps twice and drops others), and
        /// an optimized picture grows a coloured frame there.
        case circular

        /// The source index of `i ∈ [−1, n]` for a side of `n ≥ 1`.
        @inline(__always) @usableFromInline
        func source(_ i: Int, _ n: Int) -> Int {
            switch self {
            case .zero, .symmetric: return i < 0 ? 0 : (i >= n ? n - 1 : i)
            case .circular: return i < 0 ? n - 1 : (i >= n ? 0 : i)
            }
        }
    }

    public init(weights: Tensor, bias: Tensor, padding: Padding = .zero) {
        precondition(weights.shape.count == 4 && weights.shape[2] == 3 && weights.shape[3] == 3,
                     "Conv3x3: weights must be [out, in, 3, 3], got \(weights.shape)")
        precondition(bias.count == weights.shape[0], "Conv3x3: bias \(bias.shape) for weights \(weights.shape)")
        self.outChannels = weights.shape[0]
        self.inChannels = weights.shape[1]
        self.weights = weights
        self.bias = bias
        self.padding = padding
    }

    /// Floats needed by the column workspace for an image of `height × width`.
    public func workspaceCount(height: Int, width: Int) -> Int { 9 * inChannels * height * width }

    /// FLOPs of one forward product (equal to those of one input-gradient product).
    public func flops(height: Int, width: Int) -> Double {
        2 * Double(outChannels) * Double(9 * inChannels) * Double(height * width)
    }

    /// output = conv(input) + bias, optionally followed by ReLU (`relu: true`).
    public func forward(
        input: UnsafePointer<Float>, height: Int, width: Int,
        output: UnsafeMutablePointer<Float>, relu: Bool,
        workspace: UnsafeMutablePointer<Float>
    ) {
        let n = height * width
        Self.im2col(input, channels: inChannels, height: height, width: width, columns: workspace, padding: padding)
        for co in 0..<outChannels { (output + co * n).update(repeating: bias.data[co], count: n) }
        BLAS.gemm(m: outChannels, n: n, k: 9 * inChannels,
                  a: weights.data, lda: 9 * inChannels, b: workspace, ldb: n,
                  beta: 1, c: output, ldc: n)
        if relu { ReLU.forward(output, count: outChannels * n) }
    }

    /// inputGradient = ∂L/∂input given outputGradient = ∂L/∂output (of the linear conv; apply
    /// `ReLU.backward` to the output gradient first if the layer had a ReLU).
    /// - Parameter accumulate: add into `inputGradient` instead of overwriting it.
    public func backwardInput(
        outputGradient: UnsafePointer<Float>, height: Int, width: Int,
        inputGradient: UnsafeMutablePointer<Float>, accumulate: Bool = false,
        workspace: UnsafeMutablePointer<Float>
    ) {
        let n = height * width
        BLAS.gemm(transA: true, m: 9 * inChannels, n: n, k: outChannels,
                  a: weights.data, lda: 9 * inChannels, b: outputGradient, ldb: n,
                  c: workspace, ldc: n)
        if !accumulate { inputGradient.update(repeating: 0, count: inChannels * n) }
        Self.col2imAdd(workspace, channels: inChannels, height: height, width: width, into: inputGradient,
                       padding: padding)
    }

    /// Expands `input` `[channels, height, width]` into `columns` `[channels·9, height·width]`.
    public static func im2col(
        _ input: UnsafePointer<Float>, channels: Int, height h: Int, width w: Int,
        columns: UnsafeMutablePointer<Float>, padding: Padding = .zero
    ) {
        let chunks = kernelChunks(channels: channels, elements: 9 * channels * h * w)
        parallelFor(chunks: chunks) { chunk in
            im2col(input, channels: evenRange(chunk, of: chunks, count: channels), height: h, width: w,
                   rows: 0..<h, columns: columns, padding: padding)
        }
    }

    /// Expands a batch `[channels, batch, height, width]` (channel-major) into `columns`
    /// `[channels·9, batch·height·width]` (zero padding): row `ci·9 + ky·3 + kx` holds, image after
    /// image, input channel ci shifted by (ky−1, kx−1) — `im2col`'s rows with the batch folded
    /// into the columns, so a batch's forward, weight gradient and input gradient are one GEMM each.
    public static func im2col(
        _ input: UnsafePointer<Float>, channels: Int, batch: Int, height h: Int, width w: Int,
        columns: UnsafeMutablePointer<Float>
    ) {
        let n = h * w
        let chunks = kernelChunks(channels: channels, elements: 9 * channels * batch * n)
        parallelFor(chunks: chunks) { chunk in
            let mine = evenRange(chunk, of: chunks, count: channels)
            for b in 0..<batch {
                im2col(input + b * n, channels: mine, height: h, width: w, rows: 0..<h, columns: columns + b * n,
                       planeStride: batch * n, rowStride: batch * n)
            }
        }
    }

    /// im2col restricted to the output rows `rows`: `columns` is `[channels·9, rows.count·width]`
    /// (row stride rows.count·width), column `(y − rows.lowerBound)·width + x` for output (y, x).
    /// With zero padding, `rowStride` may set another row stride of `columns` and `planeStride`
    /// where channel c of the input starts (`input + c·planeStride`; default h·w).
    static func im2col(
        _ input: UnsafePointer<Float>, channels: Range<Int>, height h: Int, width w: Int,
        rows: Range<Int>, columns: UnsafeMutablePointer<Float>, padding: Padding = .zero,
        planeStride: Int? = nil, rowStride: Int? = nil
    ) {
        let n = planeStride ?? h * w, ld = rowStride ?? rows.count * w
        if padding != .zero {
            precondition(planeStride == nil && rowStride == nil, "im2col: strides are for zero padding")
            im2colPadded(input, channels: channels, height: h, width: w, rows: rows, columns: columns, padding: padding)
            return
        }
        for c in channels {
            let plane = input + c * n
            for ky in 0..<3 {
                let dy = ky - 1
                for kx in 0..<3 {
                    let dx = kx - 1
                    let row = columns + (c * 9 + ky * 3 + kx) * ld
                    let x0 = max(0, -dx), x1 = min(w, w - dx)   // valid output columns
                    for y in rows {
                        let dst = row + (y - rows.lowerBound) * w
                        let sy = y + dy
                        if sy < 0 || sy >= h || x1 <= x0 {
                            dst.update(repeating: 0, count: w)
                            continue
                        }
                        if x0 > 0 { dst[0] = 0 }
                        if x1 < w { dst[w - 1] = 0 }
                        (dst + x0).update(from: plane + sy * w + x0 + dx, count: x1 - x0)
                    }
                }
            }
        }
    }

    /// Adjoint of `im2col`: adds each shifted column row back into `output` `[channels, h, w]`.
    public static func col2imAdd(
        _ columns: UnsafePointer<Float>, channels: Int, height h: Int, width w: Int,
        into output: UnsafeMutablePointer<Float>, padding: Padding = .zero
    ) {
        let chunks = kernelChunks(channels: channels, elements: 9 * channels * h * w)
        parallelFor(chunks: chunks) { chunk in
            col2imAdd(columns, channels: evenRange(chunk, of: chunks, count: channels), height: h, width: w,
                      positions: 0..<h, targets: 0..<h, into: output, padding: padding)
        }
    }

    /// Adjoint of the batched `im2col`: adds each shifted column row back into `output`
    /// `[channels, batch, h, w]`.
    public static func col2imAdd(
        _ columns: UnsafePointer<Float>, channels: Int, batch: Int, height h: Int, width w: Int,
        into output: UnsafeMutablePointer<Float>
    ) {
        let n = h * w
        let chunks = kernelChunks(channels: channels, elements: 9 * channels * batch * n)
        parallelFor(chunks: chunks) { chunk in
            let mine = evenRange(chunk, of: chunks, count: channels)
            for b in 0..<batch {
                col2imAdd(columns + b * n, channels: mine, height: h, width: w, positions: 0..<h, targets: 0..<h,
                          into: output + b * n, planeStride: batch * n, rowStride: batch * n)
            }
        }
    }

    /// col2imAdd for the columns of output rows `positions` (`columns` is
    /// `[channels·9, positions.count·width]`), adding only into the input rows `targets`. With
    /// zero padding, `rowStride` and `planeStride` as in `im2col`.
    static func col2imAdd(
        _ columns: UnsafePointer<Float>, channels: Range<Int>, height h: Int, width w: Int,
        positions: Range<Int>, targets: Range<Int>, into output: UnsafeMutablePointer<Float>,
        padding: Padding = .zero, planeStride: Int? = nil, rowStride: Int? = nil
    ) {
        if padding != .zero {
            precondition(planeStride == nil && rowStride == nil, "col2imAdd: strides are for zero padding")
            col2imAddPadded(columns, channels: channels, height: h, width: w, positions: positions,
                            targets: targets, into: output, padding: padding)
            return
        }
        let n = planeStride ?? h * w, ld = rowStride ?? positions.count * w
        let t0 = max(0, targets.lowerBound), t1 = min(h, targets.upperBound)
        for c in channels {
            let plane = output + c * n
            for ky in 0..<3 {
                let dy = ky - 1
                // Positions y whose target row y + dy lies in [t0, t1).
                let y0 = max(positions.lowerBound, t0 - dy), y1 = min(positions.upperBound, t1 - dy)
                if y1 <= y0 { continue }
                for kx in 0..<3 {
                    let dx = kx - 1
                    let row = columns + (c * 9 + ky * 3 + kx) * ld
                    let x0 = max(0, -dx), x1 = min(w, w - dx)
                    if x1 <= x0 { continue }
                    for y in y0..<y1 {
                        let src = row + (y - positions.lowerBound) * w + x0
                        let dst = plane + (y + dy) * w + x0 + dx
                        for i in 0..<(x1 - x0) { dst[i] += src[i] }
                    }
                }
            }
        }
    }
}

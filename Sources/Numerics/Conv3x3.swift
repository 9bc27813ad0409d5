/// A 3×3 convolution with zero padding 1 and stride 1 over one CHW image, through im2col + GEMM.
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

    public init(weights: Tensor, bias: Tensor) {
        precondition(weights.shape.count == 4 && weights.shape[2] == 3 && weights.shape[3] == 3,
                     "Conv3x3: weights must be [out, in, 3, 3], got \(weights.shape)")
        precondition(bias.count == weights.shape[0], "Conv3x3: bias \(bias.shape) for weights \(weights.shape)")
        self.outChannels = weights.shape[0]
        self.inChannels = weights.shape[1]
        self.weights = weights
        self.bias = bias
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
        Self.im2col(input, channels: inChannels, height: height, width: width, columns: workspace)
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
        Self.col2imAdd(workspace, channels: inChannels, height: height, width: width, into: inputGradient)
    }

    /// Expands `input` `[channels, height, width]` into `columns` `[channels·9, height·width]`.
    public static func im2col(
        _ input: UnsafePointer<Float>, channels: Int, height h: Int, width w: Int,
        columns: UnsafeMutablePointer<Float>
    ) {
        let chunks = kernelChunks(channels: channels, elements: 9 * channels * h * w)
        parallelFor(chunks: chunks) { chunk in
            im2col(input, channels: evenRange(chunk, of: chunks, count: channels), height: h, width: w, columns: columns)
        }
    }

    private static func im2col(
        _ input: UnsafePointer<Float>, channels: Range<Int>, height h: Int, width w: Int,
        columns: UnsafeMutablePointer<Float>
    ) {
        im2col(input, channels: channels, height: h, width: w, rows: 0..<h, columns: columns)
    }

    /// Expands a batch `[channels, batch, height, width]` (channel-major) into `columns`
    /// `[channels·9, batch·height·width]`: row `ci·9 + ky·3 + kx` holds, image after image,
    /// input channel ci shifted by (ky−1, kx−1) — `im2col`'s rows with the batch folded into the
    /// columns, so a batch's forward, weight gradient and input gradient are one GEMM each.
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
    /// (row stride `rowStride`, default rows.count·width), column `(y − rows.lowerBound)·width + x`
    /// for output (y, x). Channel c of the input starts at `input + c·planeStride` (default h·w).
    static func im2col(
        _ input: UnsafePointer<Float>, channels: Range<Int>, height h: Int, width w: Int,
        rows: Range<Int>, columns: UnsafeMutablePointer<Float>, planeStride: Int? = nil, rowStride: Int? = nil
    ) {
        let n = planeStride ?? h * w, ld = rowStride ?? rows.count * w
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
        into output: UnsafeMutablePointer<Float>
    ) {
        let chunks = kernelChunks(channels: channels, elements: 9 * channels * h * w)
        parallelFor(chunks: chunks) { chunk in
            col2imAdd(columns, channels: evenRange(chunk, of: chunks, count: channels), height: h, width: w, into: output)
        }
    }

    private static func col2imAdd(
        _ columns: UnsafePointer<Float>, channels: Range<Int>, height h: Int, width w: Int,
        into output: UnsafeMutablePointer<Float>
    ) {
        col2imAdd(columns, channels: channels, height: h, width: w, positions: 0..<h, targets: 0..<h, into: output)
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
    /// `[channels·9, positions.count·width]`, row stride `rowStride`, default positions.count·width),
    /// adding only into the input rows `targets`; channel c of `output` starts at
    /// `output + c·planeStride` (default h·w).
    static func col2imAdd(
        _ columns: UnsafePointer<Float>, channels: Range<Int>, height h: Int, width w: Int,
        positions: Range<Int>, targets: Range<Int>, into output: UnsafeMutablePointer<Float>,
        planeStride: Int? = nil, rowStride: Int? = nil
    ) {
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

/// 2×2 average pooling with stride 2 over CHW feature maps, keeping odd edges.
///
/// Input `[channels, height, width]` → output `[channels, ⌈height/2⌉, ⌈width/2⌉]`. An odd last
/// row or column is not dropped: its windows average the values that exist (as if the edge
/// were repeated). Dropping it, as PyTorch's default does, leaves that row unseen by every later
/// stage, and an optimized picture then grows a line of off colours along that edge.
public enum AvgPool2x2 {
    /// The pooled size of a `height × width` map.
    @inlinable
    public static func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        ((height + 1) / 2, (width + 1) / 2)
    }

    /// output[c, y, x] = mean of the existing values of input[c, 2y..2y+1, 2x..2x+1].
    public static func forward(
        _ input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
        output: UnsafeMutablePointer<Float>
    ) {
        let (oh, ow) = outputSize(height: height, width: width)
        for c in 0..<channels {
            forwardRows(input + c * height * width, height: height, width: width,
                        rows: 0..<oh, output: output + c * oh * ow)
        }
    }

    /// Pools one channel's output rows `rows` (`input` `[height, width]`, `output`
    /// `[⌈height/2⌉, ⌈width/2⌉]`).
    @inlinable
    public static func forwardRows(
        _ input: UnsafePointer<Float>, height: Int, width: Int, rows: Range<Int>,
        output: UnsafeMutablePointer<Float>
    ) {
        let ow = (width + 1) / 2, pairs = width / 2, oddColumn = width % 2 == 1
        for y in rows {
            let r0 = input + 2 * y * width, o = output + y * ow
            if 2 * y + 1 < height {
                let r1 = r0 + width
                for x in 0..<pairs { o[x] = 0.25 * ((r0[2 * x] + r0[2 * x + 1]) + (r1[2 * x] + r1[2 * x + 1])) }
                if oddColumn { o[pairs] = 0.5 * (r0[width - 1] + r1[width - 1]) }
            } else {
                for x in 0..<pairs { o[x] = 0.5 * (r0[2 * x] + r0[2 * x + 1]) }
                if oddColumn { o[pairs] = r0[width - 1] }
            }
        }
    }

    /// inputGradient = adjoint of `forward` applied to outputGradient (each output's gradient
    /// spread evenly over the values its window averaged).
    /// - Parameter accumulate: add into `inputGradient` instead of overwriting it.
    public static func backward(
        outputGradient: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
        inputGradient: UnsafeMutablePointer<Float>, accumulate: Bool = false
    ) {
        if !accumulate { inputGradient.update(repeating: 0, count: channels * height * width) }
        backwardAdd(outputGradient: outputGradient, channels: channels, height: height, width: width,
                    inputGradient: inputGradient)
    }

    /// inputGradient += the adjoint of `forward` for output rows `rows` only (input rows
    /// 2·rows.lowerBound ..< min(height, 2·rows.upperBound)).
    public static func backwardAdd(
        outputGradient: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
        rows: Range<Int>? = nil, inputGradient: UnsafeMutablePointer<Float>
    ) {
        let (oh, ow) = outputSize(height: height, width: width)
        let pairs = width / 2, oddColumn = width % 2 == 1
        for c in 0..<channels {
            let g = outputGradient + c * oh * ow, dst = inputGradient + c * height * width
            for y in rows ?? (0..<oh) {
                let r0 = dst + 2 * y * width, gy = g + y * ow
                if 2 * y + 1 < height {
                    let r1 = r0 + width
                    for x in 0..<pairs {
                        let v = 0.25 * gy[x]
                        r0[2 * x] += v; r0[2 * x + 1] += v; r1[2 * x] += v; r1[2 * x + 1] += v
                    }
                    if oddColumn { let v = 0.5 * gy[pairs]; r0[width - 1] += v; r1[width - 1] += v }
                } else {
                    for x in 0..<pairs { let v = 0.5 * gy[x]; r0[2 * x] += v; r0[2 * x + 1] += v }
                    if oddColumn { r0[width - 1] += gy[pairs] }
                }
            }
        }
    }
}

/// 2×2 average pooling with stride 2 over CHW feature maps.
///
/// Input `[channels, height, width]` → output `[channels, height/2, width/2]` (integer
/// division: an odd last row or column is dropped, as in PyTorch's default).
public enum AvgPool2x2 {
    /// The pooled size of a `height × width` map.
    @inlinable
    public static func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        (height / 2, width / 2)
    }

    /// output[c, y, x] = mean of input[c, 2y..2y+1, 2x..2x+1].
    public static func forward(
        _ input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
        output: UnsafeMutablePointer<Float>
    ) {
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

    /// inputGradient = adjoint of `forward` applied to outputGradient (each output's gradient
    /// spread as ¼ over its 2×2 window; dropped rows/columns get 0).
    /// - Parameter accumulate: add into `inputGradient` instead of overwriting it.
    public static func backward(
        outputGradient: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
        inputGradient: UnsafeMutablePointer<Float>, accumulate: Bool = false
    ) {
        if accumulate {
            backwardAdd(outputGradient: outputGradient, channels: channels, height: height, width: width,
                        inputGradient: inputGradient)
            return
        }
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

    /// inputGradient += the adjoint of `forward` for output rows `rows` only (input rows
    /// 2·rows.lowerBound ..< 2·rows.upperBound); a dropped odd last row or column is left as is.
    public static func backwardAdd(
        outputGradient: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
        rows: Range<Int>? = nil, inputGradient: UnsafeMutablePointer<Float>
    ) {
        let oh = height / 2, ow = width / 2
        for c in 0..<channels {
            let g = outputGradient + c * oh * ow, dst = inputGradient + c * height * width
            for y in rows ?? (0..<oh) {
                let r0 = dst + 2 * y * width, r1 = r0 + width, gy = g + y * ow
                for x in 0..<ow {
                    let v = 0.25 * gy[x]
                    r0[2 * x] += v; r0[2 * x + 1] += v; r1[2 * x] += v; r1[2 * x + 1] += v
                }
            }
        }
    }
}

/// Antialiased 2× downsampling of CHW images (a linear map D) and its adjoint Dᵀ, for image
/// pyramids whose losses need exact gradients.
///
/// Output `[C, ⌊H/2⌋, ⌊W/2⌋]`; output pixel i along an axis is centred on input position
/// 2i + ½ and is Σ_k t_k · in[2i − 3 + k], k = 0…7, with the taps t of the Keys cubic (a = −½)
/// stretched by 2 — the filter of an antialiased bicubic resize by ½ (PIL's and PyTorch's
/// `antialias=True`). Beyond the edges the image is mirrored half-sample symmetrically (index −1
/// reads 0, −2 reads 1, n reads n − 1) or, with `periodic`, wrapped around (index −1 reads
/// n − 1: every pixel of an even-sided image then has the same total weight, so a uniform
/// gradient comes back uniform). Constant images stay constant either way. Separable: a horizontal
/// pass into a workspace of `C·H·⌊W/2⌋` floats, then a vertical pass.
///
/// A 2×2 average pooling pyramid leaves a visible block grid in optimized images; this filter
/// does not (its frequency response is smooth and it overlaps neighbouring outputs).
///
/// Cost: about 16·C·H·W/2 + 16·C·H·W/4 FLOP forward, the same for the adjoint.
public enum Downsample2x {
    /// The 8 taps (sum 1).
    public static let taps: [Float] = [
        -0.01171875, -0.03515625, 0.11328125, 0.43359375, 0.43359375, 0.11328125, -0.03515625, -0.01171875,
    ]

    /// Floats of workspace `forward` and `backward` need.
    public static func workspaceCount(channels: Int, height: Int, width: Int) -> Int {
        channels * height * (width / 2)
    }

    /// The input index each tap of output `i` reads along an axis of `n ≥ 1` samples.
    static func sources(_ i: Int, _ n: Int, periodic: Bool) -> [Int] {
        (0..<8).map { k in
            var j = 2 * i - 3 + k
            if periodic { return ((j % n) + n) % n }
            while j < 0 || j >= n { j = j < 0 ? -1 - j : 2 * n - 1 - j }
            return j
        }
    }

    /// output = D·input. Shapes: input `[channels, height, width]` (height, width ≥ 2), output
    /// `[channels, height/2, width/2]`.
    public static func forward(
        input: UnsafePointer<Float>, channels: Int, height h: Int, width w: Int,
        output: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>, periodic: Bool = false
    ) {
        precondition(h >= 2 && w >= 2, "Downsample2x: \(w)×\(h) is too small to halve")
        let oh = h / 2, ow = w / 2
        let xs = (0..<ow).flatMap { sources($0, w, periodic: periodic) }
        let ys = (0..<oh).flatMap { sources($0, h, periodic: periodic) }
        let t = taps
        xs.withUnsafeBufferPointer { xs in ys.withUnsafeBufferPointer { ys in t.withUnsafeBufferPointer { t in
            let xs = xs.baseAddress!, ys = ys.baseAddress!, t = t.baseAddress!
            forEachRowRange(channels * h, elements: channels * h * w) { rows in
                // Horizontal: workspace[c, y, x] = Σ_k t_k·input[c, y, xs(x, k)].
                for r in rows {
                    let src = input + r * w, dst = workspace + r * ow
                    for x in 0..<ow {
                        let s = xs + 8 * x
                        var v: Float = 0
                        for k in 0..<8 { v += t[k] * src[s[k]] }
                        dst[x] = v
                    }
                }
            }
            forEachRowRange(channels * oh, elements: channels * h * w) { rows in
                // Vertical: output[c, y, :] = Σ_k t_k·workspace[c, ys(y, k), :].
                for r in rows {
                    let c = r / oh, y = r % oh
                    let dst = output + r * ow, s = ys + 8 * y, plane = workspace + c * h * ow
                    dst.update(repeating: 0, count: ow)
                    for k in 0..<8 {
                        let src = plane + s[k] * ow, tk = t[k]
                        for x in 0..<ow { dst[x] += tk * src[x] }
                    }
                }
            }
        }}}
    }

    /// inputGradient (+)= Dᵀ·outputGradient. Shapes as in `forward`.
    /// - Parameter accumulate: add into `inputGradient` instead of overwriting it.
    public static func backward(
        outputGradient: UnsafePointer<Float>, channels: Int, height h: Int, width w: Int,
        inputGradient: UnsafeMutablePointer<Float>, accumulate: Bool,
        workspace: UnsafeMutablePointer<Float>, periodic: Bool = false
    ) {
        precondition(h >= 2 && w >= 2, "Downsample2x: \(w)×\(h) is too small to halve")
        let oh = h / 2, ow = w / 2
        let xs = (0..<ow).flatMap { sources($0, w, periodic: periodic) }
        let ys = (0..<oh).flatMap { sources($0, h, periodic: periodic) }
        let t = taps
        xs.withUnsafeBufferPointer { xs in ys.withUnsafeBufferPointer { ys in t.withUnsafeBufferPointer { t in
            let xs = xs.baseAddress!, ys = ys.baseAddress!, t = t.baseAddress!
            // Vertical adjoint, per channel (rows of one channel receive from many output rows).
            forEachRowRange(channels, elements: channels * h * w) { cs in
                for c in cs {
                    let plane = workspace + c * h * ow
                    plane.update(repeating: 0, count: h * ow)
                    for y in 0..<oh {
                        let src = outputGradient + (c * oh + y) * ow, s = ys + 8 * y
                        for k in 0..<8 {
                            let dst = plane + s[k] * ow, tk = t[k]
                            for x in 0..<ow { dst[x] += tk * src[x] }
                        }
                    }
                }
            }
            // Horizontal adjoint, per row.
            forEachRowRange(channels * h, elements: channels * h * w) { rows in
                for r in rows {
                    let src = workspace + r * ow, dst = inputGradient + r * w
                    if !accumulate { dst.update(repeating: 0, count: w) }
                    for x in 0..<ow {
                        let s = xs + 8 * x, v = src[x]
                        for k in 0..<8 { dst[s[k]] += t[k] * v }
                    }
                }
            }
        }}}
    }

    /// Splits `0..<count` rows (or planes) over `kernelChunks` threads.
    private static func forEachRowRange(_ count: Int, elements: Int, _ body: (Range<Int>) -> Void) {
        let chunks = kernelChunks(channels: count, elements: elements)
        parallelFor(chunks: chunks) { p in body(evenRange(p, of: chunks, count: count)) }
    }
}

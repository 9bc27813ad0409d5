/// Stride-2 pooling through a 3×3 tent filter ("blur pooling") over CHW feature maps, and its
/// adjoint.
///
/// Output `[channels, ⌈height/2⌉, ⌈width/2⌉]`: output (y, x) = Σ_{i,j ∈ {−1,0,1}} w_i w_j ·
/// input(2y + i, 2x + j) with w = (¼, ½, ¼), and beyond the edges either the edge repeated
/// (index −1 reads 0, index n reads n − 1) or, with `circular`, the map wrapped around (index −1
/// reads n − 1, index n reads 0: translation-equivariant on the torus for even sizes). Neighbouring windows overlap, so the adjoint spreads each gradient smoothly: with
/// 2×2 average pooling, gradients that come down through several stages are piecewise constant
/// on 2ˢ-pixel blocks, and optimized pictures show that block grid (Zhang, "Making
/// convolutional networks shift-invariant again", 2019, for the same filter).
///
/// Cost: about 6 FLOP per input value and 6 per output value, each way; parallel over channels.
public enum TentPool {
    /// The pooled size of a `height × width` map.
    @inlinable
    public static func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        ((height + 1) / 2, (width + 1) / 2)
    }

    /// output = pool(input). Shapes: input `[channels, height, width]`, output
    /// `[channels, ⌈height/2⌉, ⌈width/2⌉]`.
    public static func forward(
        _ input: UnsafePointer<Float>, channels: Int, height h: Int, width w: Int,
        output: UnsafeMutablePointer<Float>, circular: Bool = false
    ) {
        let (oh, ow) = outputSize(height: h, width: w)
        let chunks = kernelChunks(channels: channels, elements: channels * h * w)
        parallelFor(chunks: chunks) { p in
            let column = UnsafeMutablePointer<Float>.allocate(capacity: w)
            defer { column.deallocate() }
            for c in evenRange(p, of: chunks, count: channels) {
                let src = input + c * h * w, dst = output + c * oh * ow
                for y in 0..<oh {
                    let a = src + below(2 * y, h, circular) * w, b = src + 2 * y * w
                    let d = src + above(2 * y, h, circular) * w
                    for x in 0..<w { column[x] = 0.25 * (a[x] + d[x]) + 0.5 * b[x] }
                    let o = dst + y * ow
                    for x in 0..<ow {
                        let l = column[below(2 * x, w, circular)], r = column[above(2 * x, w, circular)]
                        o[x] = 0.25 * (l + r) + 0.5 * column[2 * x]
                    }
                }
            }
        }
    }

    /// inputGradient += poolᵀ(outputGradient). Shapes as in `forward`.
    public static func backwardAdd(
        outputGradient: UnsafePointer<Float>, channels: Int, height h: Int, width w: Int,
        inputGradient: UnsafeMutablePointer<Float>, circular: Bool = false
    ) {
        let chunks = kernelChunks(channels: channels, elements: channels * h * w)
        parallelFor(chunks: chunks) { p in
            backwardAdd(outputGradient: outputGradient, channels: evenRange(p, of: chunks, count: channels),
                        height: h, width: w, inputGradient: inputGradient, circular: circular, then: { _ in })
        }
    }

    /// `backwardAdd` for `channels` only, serially, calling `then(c)` after each channel's input
    /// gradient is complete (e.g. to apply that channel's ReLU mask while it is in cache).
    public static func backwardAdd(
        outputGradient: UnsafePointer<Float>, channels: Range<Int>, height h: Int, width w: Int,
        inputGradient: UnsafeMutablePointer<Float>, circular: Bool = false, then: (Int) -> Void
    ) {
        let (oh, ow) = outputSize(height: h, width: w)
        let column = UnsafeMutablePointer<Float>.allocate(capacity: w)
        defer { column.deallocate() }
        for c in channels {
            let g = outputGradient + c * oh * ow, dst = inputGradient + c * h * w
            for y in 0..<oh {
                column.update(repeating: 0, count: w)
                let gy = g + y * ow
                for x in 0..<ow {
                    let v = gy[x]
                    column[below(2 * x, w, circular)] += 0.25 * v
                    column[2 * x] += 0.5 * v
                    column[above(2 * x, w, circular)] += 0.25 * v
                }
                let a = dst + below(2 * y, h, circular) * w, b = dst + 2 * y * w
                let d = dst + above(2 * y, h, circular) * w
                for x in 0..<w { a[x] += 0.25 * column[x] }
                for x in 0..<w { b[x] += 0.5 * column[x] }
                for x in 0..<w { d[x] += 0.25 * column[x] }
            }
            then(c)
        }
    }

    /// The index before `i` along an axis of `n` (the edge repeated, or wrapped).
    @inline(__always) static func below(_ i: Int, _ n: Int, _ circular: Bool) -> Int {
        i > 0 ? i - 1 : (circular ? n - 1 : 0)
    }

    /// The index after `i` along an axis of `n` (the edge repeated, or wrapped).
    @inline(__always) static func above(_ i: Int, _ n: Int, _ circular: Bool) -> Int {
        i + 1 < n ? i + 1 : (circular ? 0 : n - 1)
    }
}

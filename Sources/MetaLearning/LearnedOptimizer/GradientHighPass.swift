import Numerics

/// The gradient a high-pass learned optimizer sees (`InputFeatures.HighPass`):
/// out = g + gain·B_radius(g) on every plane of every image-shaped segment; with the luma/chroma
/// basis (`InputFeatures.lumaChroma`) g is C·∇ (`LumaChroma`) and the optimizer's output goes
/// back through Cᵀ (`toImageBasis`); with the global-RMS input it also keeps each segment's RMS of
/// the output (`globalRMS`), with the smooth-fraction input each segment's 2ρ − 1 (`smoothFraction`).
///
/// Holds the per-segment shapes and a plane-sized scratch per worker; one instance per state or
/// unroll lane (not shared between threads).
final class GradientHighPass {
    let filter: InputFeatures.HighPass
    /// Whether gradients are read in the luma/chroma basis (`LumaChroma`).
    let lumaChroma: Bool
    /// Segment k covers coordinates offsets[k] ..< offsets[k + 1] and is `shapes[k]`.
    let offsets: [Int]
    let shapes: [ImageShape]
    /// Every plane of every segment: its first coordinate and size (made once).
    private let planes: [(offset: Int, height: Int, width: Int)]
    /// g + gain·B(g), the gradient the LSTM reads (all coordinates).
    private let output: Tensor
    /// B(g) for every coordinate, and one plane of scratch per chunk of planes.
    private let blurred: Tensor
    private let scratch: Tensor
    private let planeSize: Int
    /// C·∇ with the luma/chroma basis (else unused, one float).
    private let rotated: Tensor
    /// With the global-RMS input: every coordinate's segment's RMS of the filtered gradient.
    private let segmentRMS: Tensor?
    /// With the smooth-fraction input: every coordinate's segment's 2·RMS(B(g))/RMS(g) − 1.
    private let segmentSmooth: Tensor?

    /// - Precondition: every segment has a shape with as many coordinates (of 3 planes with
    ///   `lumaChroma`).
    init(filter: InputFeatures.HighPass, lumaChroma: Bool = false, globalRMS: Bool = false,
         smoothFraction: Bool = false, segments: [Int], shapes: [ImageShape?]) {
        precondition(shapes.count == segments.count,
                     "GradientHighPass: \(shapes.count) shapes for \(segments.count) segments")
        var known: [ImageShape] = []
        for (k, shape) in shapes.enumerated() {
            guard let shape else {
                preconditionFailure("GradientHighPass: the high-pass needs image-shaped parameters (segment \(k) is flat)")
            }
            precondition(shape.count == segments[k], "GradientHighPass: segment \(k) of \(segments[k]) coordinates is \(shape)")
            precondition(!lumaChroma || shape.planes == 3, "GradientHighPass: the luma/chroma basis needs RGB images (segment \(k) is \(shape))")
            known.append(shape)
        }
        var o = [0]
        for s in segments { o.append(o.last! + s) }
        self.filter = filter; self.lumaChroma = lumaChroma; offsets = o; self.shapes = known
        planes = known.indices.flatMap { k in
            (0..<known[k].planes).map { p in
                (o[k] + p * known[k].height * known[k].width, known[k].height, known[k].width)
            }
        }
        planeSize = known.map { $0.height * $0.width }.max() ?? 1
        output = Tensor(shape: [max(1, o.last!)])
        blurred = Tensor(shape: [max(1, o.last!)])
        scratch = Tensor(shape: [max(1, defaultChunks), planeSize])
        rotated = Tensor(shape: [lumaChroma ? max(1, o.last!) : 1])
        segmentRMS = globalRMS ? Tensor(shape: [max(1, o.last!)]) : nil
        segmentSmooth = smoothFraction ? Tensor(shape: [max(1, o.last!)]) : nil
    }

    /// B(g) of the last `filtered(_:step:)` call: the local mean of the unfiltered gradient (C·∇ with the luma/chroma basis)
    /// (`InputFeatures.localMean`), valid until the next call.
    var localMean: UnsafePointer<Float> { UnsafePointer(blurred.data) }

    /// With the global-RMS input, each coordinate's segment's RMS of the last `filtered(_:step:)`
    /// output (`InputFeatures.globalRMS`), valid until the next call; else nil.
    var globalRMS: UnsafePointer<Float>? { segmentRMS.map { UnsafePointer($0.data) } }

    /// With the smooth-fraction input, each coordinate's segment's 2ρ − 1, ρ = RMS(B(g))/RMS(g)
    /// of the last `filtered(_:step:)` call's g (`InputFeatures.smoothFraction`; 0 where g is
    /// zero), valid until the next call; else nil.
    var smoothFraction: UnsafePointer<Float>? { segmentSmooth.map { UnsafePointer($0.data) } }

    /// The extra inputs this filter makes, of the last `filtered(_:step:)` call (read only by a
    /// configuration that has them).
    var extraInputs: ExtraInputs {
        ExtraInputs(localMean: localMean, globalRMS: globalRMS, smoothFraction: smoothFraction)
    }

    /// Whether this filter was made for segments at these offsets (`offsets`, as this type keeps
    /// them) with these shapes.
    func matches(offsets: [Int], shapes: [ImageShape?]) -> Bool {
        offsets == self.offsets && shapes == self.shapes.map(Optional.some)
    }

    /// g + gain·B(g) for every coordinate, the gain of (1-based) step `step` (`HighPass.gain(step:)`),
    /// in this filter's buffer (valid until the next call).
    /// Planes run on the worker threads; each plane's arithmetic is the same whatever the thread
    /// count.
    func filtered(_ gradient: UnsafePointer<Float>, step: Int) -> UnsafePointer<Float> {
        let g = lumaChroma ? UnsafePointer(inImages(gradient, into: rotated.data, LumaChroma.forward)) : gradient
        let out = output.data, b = blurred.data, t = scratch.data, r = filter.radius, a = filter.gain(step: step), size = planeSize
        let planes = self.planes, parts = min(max(1, defaultChunks), planes.count)
        parallelFor(chunks: parts) { chunk in
            for i in evenRange(chunk, of: parts, count: planes.count) {
                let p = planes[i], n = p.height * p.width
                BoxMean.apply(g + p.offset, into: b + p.offset, scratch: t + chunk * size,
                              height: p.height, width: p.width, radius: r)
                for j in p.offset..<(p.offset + n) { out[j] = g[j] + a * b[j] }
            }
        }
        if let segmentRMS {
            broadcastSegmentMeans(offsets: offsets, into: segmentRMS.data, finish: { $0.squareRoot() }) {
                Double(out[$0]) * Double(out[$0])
            }
        }
        if let segmentSmooth {
            for k in 0..<(offsets.count - 1) {
                var smooth = 0.0, all = 0.0
                for n in offsets[k]..<offsets[k + 1] {
                    smooth += Double(b[n]) * Double(b[n]); all += Double(g[n]) * Double(g[n])
                }
                let rho = all > 0 ? (smooth / all).squareRoot() : 0.5
                (segmentSmooth.data + offsets[k]).update(repeating: Float(2 * rho - 1), count: offsets[k + 1] - offsets[k])
            }
        }
        return UnsafePointer(out)
    }

    /// x ← Cᵀ·x on every segment (all coordinates): an output of the optimizer, read in the
    /// luma/chroma basis, back to RGB. A no-op without `lumaChroma`.
    func toImageBasis(_ x: UnsafeMutablePointer<Float>) {
        if lumaChroma { _ = inImages(UnsafePointer(x), into: x, LumaChroma.transpose) }
    }

    /// x ← C·x on every segment: the adjoint of `toImageBasis` (meta-training's backward pass).
    func adjointOfImageBasis(_ x: UnsafeMutablePointer<Float>) {
        if lumaChroma { _ = inImages(UnsafePointer(x), into: x, LumaChroma.forward) }
    }

    /// `map` over every segment's [3, H·W] image (x and y laid out as the segments; y may be x).
    private func inImages(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                          _ map: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) -> UnsafeMutablePointer<Float> {
        for (k, shape) in shapes.enumerated() { map(x + offsets[k], y + offsets[k], shape.height * shape.width) }
        return y
    }
}

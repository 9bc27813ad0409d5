import Numerics

/// The gradient a high-pass learned optimizer sees (`InputFeatures.HighPass`):
/// out = g + gain·B_radius(g) on every plane of every image-shaped segment.
///
/// Holds the per-segment shapes and a plane-sized scratch per worker; one instance per state or
/// unroll lane (not shared between threads).
final class GradientHighPass {
    let filter: InputFeatures.HighPass
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

    /// - Precondition: every segment has a shape with as many coordinates.
    init(filter: InputFeatures.HighPass, segments: [Int], shapes: [ImageShape?]) {
        precondition(shapes.count == segments.count,
                     "GradientHighPass: \(shapes.count) shapes for \(segments.count) segments")
        var known: [ImageShape] = []
        for (k, shape) in shapes.enumerated() {
            guard let shape else {
                preconditionFailure("GradientHighPass: the high-pass needs image-shaped parameters (segment \(k) is flat)")
            }
            precondition(shape.count == segments[k], "GradientHighPass: segment \(k) of \(segments[k]) coordinates is \(shape)")
            known.append(shape)
        }
        var o = [0]
        for s in segments { o.append(o.last! + s) }
        self.filter = filter; offsets = o; self.shapes = known
        planes = known.indices.flatMap { k in
            (0..<known[k].planes).map { p in
                (o[k] + p * known[k].height * known[k].width, known[k].height, known[k].width)
            }
        }
        planeSize = known.map { $0.height * $0.width }.max() ?? 1
        output = Tensor(shape: [max(1, o.last!)])
        blurred = Tensor(shape: [max(1, o.last!)])
        scratch = Tensor(shape: [max(1, defaultChunks), planeSize])
    }

    /// B(g) of the last `filtered(_:)` call: the local mean of the unfiltered gradient
    /// (`InputFeatures.localMean`), valid until the next call.
    var localMean: UnsafePointer<Float> { UnsafePointer(blurred.data) }

    /// Whether this filter was made for segments at these offsets (`offsets`, as this type keeps
    /// them) with these shapes.
    func matches(offsets: [Int], shapes: [ImageShape?]) -> Bool {
        offsets == self.offsets && shapes == self.shapes.map(Optional.some)
    }

    /// g + gain·B(g) for every coordinate, in this filter's buffer (valid until the next call).
    /// Planes run on the worker threads; each plane's arithmetic is the same whatever the thread
    /// count.
    func filtered(_ g: UnsafePointer<Float>) -> UnsafePointer<Float> {
        let out = output.data, b = blurred.data, t = scratch.data, r = filter.radius, a = filter.gain, size = planeSize
        let planes = self.planes, parts = min(max(1, defaultChunks), planes.count)
        parallelFor(chunks: parts) { chunk in
            for i in evenRange(chunk, of: parts, count: planes.count) {
                let p = planes[i], n = p.height * p.width
                BoxMean.apply(g + p.offset, into: b + p.offset, scratch: t + chunk * size,
                              height: p.height, width: p.width, radius: r)
                for j in p.offset..<(p.offset + n) { out[j] = g[j] + a * b[j] }
            }
        }
        return UnsafePointer(out)
    }
}

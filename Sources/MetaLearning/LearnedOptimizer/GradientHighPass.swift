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
    /// B(g) for every coordinate, then one plane of scratch per plane task.
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
        planeSize = known.map { $0.height * $0.width }.max() ?? 1
        blurred = Tensor(shape: [max(1, o.last!)])
        scratch = Tensor(shape: [max(1, defaultChunks), planeSize])
    }

    /// Writes g + gain·B(g) into `out` (all coordinates). Planes run on the worker threads; each
    /// plane's arithmetic is the same whatever the thread count.
    func apply(_ g: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        var planes: [(offset: Int, height: Int, width: Int)] = []
        for (k, s) in shapes.enumerated() {
            for p in 0..<s.planes { planes.append((offsets[k] + p * s.height * s.width, s.height, s.width)) }
        }
        let b = blurred.data, t = scratch.data, r = filter.radius, a = filter.gain, size = planeSize
        let parts = min(max(1, defaultChunks), planes.count)
        let planesRef = planes
        parallelFor(chunks: parts) { chunk in
            for i in evenRange(chunk, of: parts, count: planesRef.count) {
                let p = planesRef[i], n = p.height * p.width
                BoxMean.apply(g + p.offset, into: b + p.offset, scratch: t + chunk * size,
                              height: p.height, width: p.width, radius: r)
                for j in p.offset..<(p.offset + n) { out[j] = g[j] + a * b[j] }
            }
        }
    }
}

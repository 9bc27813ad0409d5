import Numerics

/// Several problems optimized together as one concatenated θ.
///
/// Coordinatewise optimizers (SGD … ADAM and the LSTM) cannot tell one problem of N·P
/// coordinates from P problems of N: so a meta-step over several problems, a validation pass
/// or an evaluation over 100 test problems is one batched optimizer call per step.
///
/// Everything an optimizer sees is *scaled*: `scaledGradient` holds `lossScale_p · ∇f_p`.
/// Reported losses are unscaled.
public final class ProblemBatch {
    public let problems: [any Problem]
    /// Start of each problem's coordinates in θ (plus the total at the end).
    public let offsets: [Int]
    /// Total number of coordinates.
    public let count: Int
    /// Per-coordinate lower and upper bounds (±∞ where a problem has none); nil if no problem has bounds.
    let lower: Tensor?, upper: Tensor?
    /// Each problem's loss scale.
    public let scales: [Float]
    /// θ ± εv and the two gradients of `hessianVectorProduct` (3 × `count`, allocated on first use).
    private var hvpScratch: [Float] = []

    public init(_ problems: [any Problem]) {
        precondition(!problems.isEmpty, "ProblemBatch: no problems")
        self.problems = problems
        var o = [0]
        for p in problems { o.append(o.last! + p.parameterCount) }
        offsets = o
        count = o.last!
        scales = problems.map { $0.lossScale }
        if problems.contains(where: { $0.bounds != nil }) {
            let lo = Tensor(shape: [count]), hi = Tensor(shape: [count])
            for (k, p) in problems.enumerated() {
                let b = p.bounds ?? (-Float.infinity)...Float.infinity
                for i in o[k]..<o[k + 1] { lo.data[i] = b.lowerBound; hi.data[i] = b.upperBound }
            }
            lower = lo; upper = hi
        } else {
            lower = nil; upper = nil
        }
    }

    /// Whether any problem projects onto a box.
    public var hasBounds: Bool { lower != nil }

    /// Writes every problem's θ₀ into `theta` (`count` values).
    public func initialParameters(into theta: UnsafeMutablePointer<Float>) {
        for (k, p) in problems.enumerated() {
            let t0 = p.initialParameters()
            precondition(t0.count == p.parameterCount,
                         "Problem \(k): \(t0.count) initial parameters, parameterCount \(p.parameterCount)")
            t0.withUnsafeBufferPointer { (theta + offsets[k]).update(from: $0.baseAddress!, count: t0.count) }
        }
    }

    /// Calls each problem once at θ: writes `lossScale · ∇f` into `scaledGradient` and each
    /// problem's unscaled loss into `losses` (`problems.count` values).
    public func evaluate(
        at theta: UnsafePointer<Float>, scaledGradient: UnsafeMutablePointer<Float>,
        losses: UnsafeMutablePointer<Double>
    ) {
        let chunks = concurrentChunks
        parallelFor(chunks: chunks) { c in
            for k in evenRange(c, of: chunks, count: problems.count) {
                let p = problems[k]
                let off = offsets[k], n = offsets[k + 1] - off
                let loss = p.lossAndGradient(at: theta + off, gradient: scaledGradient + off)
                losses[k] = Double(loss)
                let s = scales[k]
                if s != 1 { for i in off..<(off + n) { scaledGradient[i] *= s } }
            }
        }
    }

    /// Writes H·v into `out` (`count` values), where H is the Hessian of the *scaled* loss
    /// `lossScale_p · f_p` of each problem, block by block, on the minibatch of each problem's
    /// `call`-th call (`Problem.replayLossAndGradient`), at θ = `theta`.
    ///
    /// Central finite differences of the replayed gradient: (∇f(θ + εv) − ∇f(θ − εv)) / 2ε per
    /// problem, with ε = 10⁻³·(1 + ‖θ_p‖₂)/‖v_p‖₂ (a displacement of 0.1 % of θ's size; exact up
    /// to rounding for quadratics, O(ε²) off otherwise). Two replays per problem; a problem whose
    /// block of v is zero gets zeros. Every problem must have replay enabled (`enableReplay()`)
    /// before that call.
    public func hessianVectorProduct(call: Int, at theta: UnsafePointer<Float>, vector v: UnsafePointer<Float>,
                                     into out: UnsafeMutablePointer<Float>) {
        if hvpScratch.count != 3 * count { hvpScratch = [Float](repeating: 0, count: 3 * count) }
        hvpScratch.withUnsafeMutableBufferPointer { buffer in
            let point = buffer.baseAddress!, plus = point + count, minus = plus + count
            for (k, p) in problems.enumerated() {
                let off = offsets[k], n = offsets[k + 1] - off
                var vv = 0.0, tt = 0.0
                for i in off..<(off + n) { vv += Double(v[i]) * Double(v[i]); tt += Double(theta[i]) * Double(theta[i]) }
                if vv == 0 { (out + off).update(repeating: 0, count: n); continue }
                guard vv.isFinite && tt.isFinite else { (out + off).update(repeating: .nan, count: n); continue }
                let eps = 1e-3 * (1 + tt.squareRoot()) / vv.squareRoot()
                let e = Float(eps)
                for i in off..<(off + n) { point[i] = theta[i] + e * v[i] }
                _ = p.replayLossAndGradient(call: call, at: point + off, gradient: plus + off)
                for i in off..<(off + n) { point[i] = theta[i] - e * v[i] }
                _ = p.replayLossAndGradient(call: call, at: point + off, gradient: minus + off)
                // The displacement actually applied is rounded; divide by the nominal 2ε.
                let factor = Float(Double(scales[k]) / (2 * eps))
                for i in off..<(off + n) { out[i] = (plus[i] - minus[i]) * factor }
            }
        }
    }

    /// Enables replay on every problem (`Problem.enableReplay`); returns whether all can replay.
    public func enableReplay() -> Bool {
        problems.allSatisfy { $0.enableReplay() }
    }

    /// Rewinds every problem's minibatch stream (`Problem.reset`).
    public func reset() {
        for p in problems { p.reset() }
    }

    /// Rewinds every problem and enables replay, so that call k of each problem from here is
    /// step k of the run that follows (what a second-order unroll replays in its backward pass);
    /// returns whether every problem can replay.
    public func startReplay() -> Bool {
        reset()
        return enableReplay()
    }

    /// Problems are evaluated on this many threads at once: all cores when every problem allows
    /// it (`Problem.allowsConcurrentEvaluation`) and is large enough to be worth it, else 1.
    /// Each problem's result does not depend on the thread count.
    var concurrentChunks: Int {
        guard problems.count >= 2, BLAS.threads > 1, !ParallelRegion.isInside,
              problems.allSatisfy({ $0.allowsConcurrentEvaluation && $0.parameterCount >= 1024 }) else { return 1 }
        return min(BLAS.threads, problems.count)
    }

    /// θ ← clamp(θ + Δ) to the bounds; if `mask` is given it receives 1 where the update
    /// was inside the box and 0 where it was clamped (the derivative of the projection).
    public func applyUpdate(
        theta: UnsafeMutablePointer<Float>, delta: UnsafePointer<Float>, mask: UnsafeMutablePointer<Float>?
    ) {
        let n = count
        guard let lower, let upper else {
            for i in 0..<n { theta[i] += delta[i] }
            if let mask { mask.update(repeating: 1, count: n) }
            return
        }
        let lo = lower.data, hi = upper.data
        for i in 0..<n {
            let u = theta[i] + delta[i]
            let inside = u >= lo[i] && u <= hi[i]
            theta[i] = u < lo[i] ? lo[i] : (u > hi[i] ? hi[i] : u)
            mask?[i] = inside ? 1 : 0
        }
    }
}

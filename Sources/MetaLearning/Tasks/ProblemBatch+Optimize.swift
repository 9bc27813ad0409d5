import Numerics

extension ProblemBatch {
    /// The one inner loop of every optimization run (evaluation, tuning, calibration, stylizing,
    /// comparing): for t = 0 … steps − 1, evaluate at θ_t (each optimizer sees `lossScale · ∇f`;
    /// its state knows the problems' boundaries and image shapes, `Optimizer.makeState(problems:)`),
    /// then θ_{t+1} = Π(θ_t + Δ_t) with Δ_t from `optimizer` and Π the projection onto the
    /// problems' bounds (pixels in [0, 1]). θ (`count` values) is updated in place.
    ///
    /// - Parameters:
    ///   - evaluated: called after the evaluation at θ_t with t and each problem's unscaled loss;
    ///     return `false` to stop before updating.
    ///   - updated: called after the update with t + 1, θ_{t+1} and the update Δ_t (before its
    ///     projection: an infinite Δ is clamped into the box, so check Δ to catch it); return
    ///     `false` to stop.
    /// - Returns: the number of updates made.
    /// The caller evaluates θ_steps itself if it needs that loss (with or without a gradient).
    @discardableResult
    public func optimize<O: Optimizer>(
        _ optimizer: O, theta: UnsafeMutablePointer<Float>, steps: Int,
        evaluated: (Int, UnsafePointer<Double>) -> Bool,
        updated: (Int, UnsafePointer<Float>, UnsafePointer<Float>) -> Bool = { _, _, _ in true }
    ) -> Int {
        optimize(optimizer, theta: theta, steps: steps, state: optimizer.makeState(problems: problems),
                 evaluated: evaluated, updated: updated)
    }

    /// `optimize` continuing from `state` (e.g. one carried from a coarser scale), which it
    /// advances in place.
    /// - Precondition: `state.count == count`.
    @discardableResult
    public func optimize<O: Optimizer>(
        _ optimizer: O, theta: UnsafeMutablePointer<Float>, steps: Int, state: O.State,
        evaluated: (Int, UnsafePointer<Double>) -> Bool,
        updated: (Int, UnsafePointer<Float>, UnsafePointer<Float>) -> Bool = { _, _, _ in true }
    ) -> Int {
        precondition(state.count == count, "ProblemBatch.optimize: a state for \(state.count) coordinates, not \(count)")
        let gradient = Tensor(shape: [count]), delta = Tensor(shape: [count])
        var losses = [Double](repeating: 0, count: problems.count)
        return losses.withUnsafeMutableBufferPointer { lp -> Int in
            for t in 0..<max(steps, 0) {
                evaluate(at: theta, scaledGradient: gradient.data, losses: lp.baseAddress!)
                guard evaluated(t, lp.baseAddress!) else { return t }
                optimizer.update(gradient: gradient.data, delta: delta.data, state: state)
                applyUpdate(theta: theta, delta: delta.data, mask: nil)
                guard updated(t + 1, theta, delta.data) else { return t + 1 }
            }
            return max(steps, 0)
        }
    }
}

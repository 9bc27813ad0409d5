import Foundation
import Numerics

/// Runs any optimizer on problems and averages the loss curves.
public enum Evaluator {
    /// The mean (over `problems`) unscaled loss f(θ_t) for t = 0 … `steps` (`steps + 1` values).
    ///
    /// Problems are run in batches of about `batchCoordinates` coordinates (one optimizer state
    /// per batch; coordinatewise optimizers cannot tell the difference); every problem is called
    /// exactly once per step, from its start: each run begins with `Problem.reset()`, so runs of
    /// the same problem objects (a grid search's points) see the same minibatches. Each
    /// optimizer sees `lossScale · ∇f`; updates are projected onto
    /// the problems' bounds. A diverging run gives non-finite means (never an error).
    public static func meanLossCurve<O: Optimizer>(
        _ optimizer: O, problems: [any Problem], steps: Int, batchCoordinates: Int = 1 << 16
    ) -> [Double] {
        precondition(!problems.isEmpty && steps >= 0, "Evaluator: need problems and steps ≥ 0")
        var total = [Double](repeating: 0, count: steps + 1)
        var start = 0
        while start < problems.count {
            var end = start, coords = 0
            while end < problems.count && (end == start || coords + problems[end].parameterCount <= batchCoordinates) {
                coords += problems[end].parameterCount; end += 1
            }
            let curve = batchCurve(optimizer, batch: ProblemBatch(Array(problems[start..<end])), steps: steps)
            for t in 0...steps { total[t] += curve[t] }
            start = end
        }
        return total.map { $0 / Double(problems.count) }
    }

    /// The *sum* over the batch's problems of their losses at t = 0 … steps.
    static func batchCurve<O: Optimizer>(_ optimizer: O, batch: ProblemBatch, steps: Int) -> [Double] {
        let theta = Tensor(shape: [batch.count])
        var curve = [Double](repeating: 0, count: steps + 1)
        let problems = batch.problems.count
        batch.reset()
        batch.initialParameters(into: theta.data)
        batch.optimize(optimizer, theta: theta.data, steps: steps, evaluated: { t, losses in
            curve[t] = UnsafeBufferPointer(start: losses, count: problems).reduce(0, +)
            return true
        })
        // The loss at θ_steps, evaluated like every other step (with its gradient).
        let grad = Tensor(shape: [batch.count])
        var losses = [Double](repeating: 0, count: problems)
        losses.withUnsafeMutableBufferPointer { batch.evaluate(at: theta.data, scaledGradient: grad.data, losses: $0.baseAddress!) }
        curve[steps] = losses.reduce(0, +)
        return curve
    }

    /// Σ_{t=1..steps} of a mean-loss curve (the meta-objective; non-finite → +∞).
    public static func summedLoss(_ curve: [Double]) -> Double {
        let s = curve.dropFirst().reduce(0, +)
        return s.isFinite ? s : .infinity
    }
}

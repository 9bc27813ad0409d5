import Distributed
import Foundation
import Numerics

/// Runs any optimizer on problems and averages the loss curves.
///
/// **Over several processes** (`processes`, e.g. an `mpirun` job): each rank runs its share of
/// the problems (`ProcessGroup.share`), the per-problem curves are gathered, and every rank sums
/// them in problem order — so the mean curve is bit-identical for any number of ranks (each
/// problem's run does not depend on which others it is batched with: the optimizers are
/// coordinatewise).
public enum Evaluator {
    /// The mean (over `problems`) unscaled loss f(θ_t) for t = 0 … `steps` (`steps + 1` values),
    /// the problems' losses added in problem order.
    ///
    /// Problems are run in batches of about `batchCoordinates` coordinates (one optimizer state
    /// per batch; coordinatewise optimizers cannot tell the difference); every problem is called
    /// exactly once per step, from its start: each run begins with `Problem.reset()`, so runs of
    /// the same problem objects (a grid search's points) see the same minibatches. Each
    /// optimizer sees `lossScale · ∇f`; updates are projected onto
    /// the problems' bounds. A diverging run gives non-finite means (never an error). With
    /// several `processes`, this rank runs only its share of `problems` (the others are not
    /// touched); every rank must make the call.
    public static func meanLossCurve<O: Optimizer>(
        _ optimizer: O, problems: [any Problem], steps: Int, processes: any ProcessGroup = SingleProcess(),
        batchCoordinates: Int = 1 << 16, carryState: Bool = true
    ) -> [Double] {
        meanLossCurve(optimizer, problemCount: problems.count, steps: steps, processes: processes,
                      batchCoordinates: batchCoordinates, carryState: carryState) { problems[$0] }
    }

    /// `meanLossCurve(_:problems:…)` for the problems `make(0) … make(problemCount − 1)`, of
    /// which this rank makes only its share. Coarse-to-fine problems (`Problem.coarseSteps`)
    /// move to their finer problems mid-run, the optimizer's state carried over (`carryState`,
    /// resampled) or started afresh (see `batchCurves`).
    public static func meanLossCurve<O: Optimizer>(
        _ optimizer: O, problemCount count: Int, steps: Int, processes: any ProcessGroup = SingleProcess(),
        batchCoordinates: Int = 1 << 16, carryState: Bool = true, make: (Int) -> any Problem
    ) -> [Double] {
        precondition(count >= 1 && steps >= 0, "Evaluator: need problems and steps ≥ 0")
        let local = processes.share(of: count).map(make)
        let curves = processes.allgatherItems(problemCurves(optimizer, problems: local, steps: steps,
                                                            batchCoordinates: batchCoordinates, carryState: carryState),
                                              items: count, width: steps + 1)
        return meanOfCurves(curves, problems: count, steps: steps)
    }

    /// Σ over problems (in order) of `curves` (problem-major, `steps + 1` values each), divided by `problems`.
    static func meanOfCurves(_ curves: [Double], problems count: Int, steps: Int) -> [Double] {
        precondition(curves.count == count * (steps + 1), "Evaluator: \(curves.count) values for \(count) curves")
        var total = [Double](repeating: 0, count: steps + 1)
        for k in 0..<count {
            for t in 0...steps { total[t] += curves[k * (steps + 1) + t] }
        }
        return total.map { $0 / Double(count) }
    }

    /// Each problem's unscaled losses f(θ_t), t = 0 … steps, problem-major (`problems.count ·
    /// (steps + 1)` values), the problems run in batches of about `batchCoordinates` coordinates.
    static func problemCurves<O: Optimizer>(
        _ optimizer: O, problems: [any Problem], steps: Int, batchCoordinates: Int = 1 << 16, carryState: Bool = true
    ) -> [Double] {
        var curves: [Double] = []
        curves.reserveCapacity(problems.count * (steps + 1))
        var start = 0
        while start < problems.count {
            var end = start, coords = 0
            while end < problems.count && (end == start || coords + problems[end].parameterCount <= batchCoordinates) {
                coords += problems[end].parameterCount; end += 1
            }
            curves += batchCurves(optimizer, batch: ProblemBatch(Array(problems[start..<end])), steps: steps,
                                  carryState: carryState)
            start = end
        }
        return curves
    }

    /// The batch's problems' losses at t = 0 … steps, problem-major.
    ///
    /// Coarse to fine (`Problem.coarseSteps`): after that many steps the run moves on to the
    /// finer problems (`ProblemBatch.refined`), whose losses continue the curves; with
    /// `carryState` the optimizer's state is carried over (resampled, when it is a
    /// `ResamplableOptimizerState`), else it starts afresh at each scale.
    static func batchCurves<O: Optimizer>(_ optimizer: O, batch first: ProblemBatch, steps: Int,
                                          carryState: Bool = true) -> [Double] {
        var batch = first
        var theta = Tensor(shape: [batch.count])
        let problems = batch.problems.count, width = steps + 1
        var curves = [Double](repeating: 0, count: problems * width)
        batch.reset()
        batch.initialParameters(into: theta.data)
        var state = optimizer.makeState(problems: batch.problems)
        var done = 0
        while true {
            let k = min(batch.coarseSteps ?? steps, steps - done), offset = done
            batch.optimize(optimizer, theta: theta.data, steps: k, state: state, evaluated: { t, losses in
                for p in 0..<problems { curves[p * width + offset + t] = losses[p] }
                return true
            })
            done += k
            guard done < steps else { break }
            let (finer, source) = batch.refined(at: theta.data)
            precondition(finer.problems.count == problems, "Evaluator: a finer batch of \(finer.problems.count) problems")
            finer.reset()
            theta = Tensor(shape: [finer.count])
            finer.initialParameters(into: theta.data)
            let next = optimizer.makeState(problems: finer.problems)
            if carryState, let resamplable = next as? any ResamplableOptimizerState {
                _ = source.withUnsafeBufferPointer { resamplable.resample(from: state, source: $0.baseAddress!) }
            }
            state = next
            batch = finer
        }
        // The loss at θ_steps, evaluated like every other step (with its gradient).
        let grad = Tensor(shape: [batch.count])
        var losses = [Double](repeating: 0, count: problems)
        losses.withUnsafeMutableBufferPointer { batch.evaluate(at: theta.data, scaledGradient: grad.data, losses: $0.baseAddress!) }
        for p in 0..<problems { curves[p * width + steps] = losses[p] }
        return curves
    }

    /// Σ_{t=1..steps} of a mean-loss curve (the meta-objective; non-finite → +∞).
    public static func summedLoss(_ curve: [Double]) -> Double {
        let s = curve.dropFirst().reduce(0, +)
        return s.isFinite ? s : .infinity
    }
}

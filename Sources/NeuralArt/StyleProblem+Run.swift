import MetaLearning
import Numerics

/// What the stylizer reports after each step.
public struct StylizeStep: Sendable {
    /// 1-based step number.
    public let step: Int
    /// The loss at the pixels *before* this step's update (θ_{step−1}).
    public let loss: LossBreakdown
}

/// A user-facing failure of a stylization run.
public enum StylizeError: Error, CustomStringConvertible, Equatable {
    /// The loss or the pixels became NaN or infinite at `step` (e.g. a learning rate far too high).
    case diverged(step: Int, optimizer: String)

    public var description: String {
        switch self {
        case let .diverged(step, optimizer) where optimizer == "lstm":
            // The learned optimizer has no learning rate to lower.
            return "the loss became NaN or infinite at step \(step) with the learned optimizer"
        case let .diverged(step, optimizer):
            return "the loss became NaN or infinite at step \(step) with \(optimizer); try a smaller learning rate"
        }
    }
}

/// Runs any `Optimizer` on a stylization problem: θ_{t+1} = clamp(θ_t + Δ_t, 0, 1), through the
/// meta-learning core's one inner loop (`ProblemBatch.optimize`: the optimizer sees
/// `lossScale · ∇f`, the update is projected onto the problem's [0, 1] box), adding what a
/// picture needs: the loss terms of every step, a per-step observer, and an error instead of a
/// non-finite picture.
extension StyleProblem {
    /// Optimizes `pixels` (`[3, height, width]`, in [0, 1]) in place for `iterations` steps and
    /// returns the loss after every step: element 0 is f(θ_0), element t is f(θ_t).
    ///
    /// - Parameters:
    ///   - observer: called after each step with the step's report and the updated pixels;
    ///     return `false` to stop early.
    /// - Throws: `StylizeError.diverged` if the loss or the update becomes non-finite.
    @discardableResult
    public func run<O: Optimizer>(
        optimizer: O, pixels: Tensor, iterations: Int,
        observer: (StylizeStep, Tensor) -> Bool = { _, _ in true }
    ) throws -> [LossBreakdown] {
        try run(optimizer: optimizer, pixels: pixels, iterations: iterations,
                state: optimizer.makeState(problems: [self]), observer: observer)
    }

    /// `run` continuing from `state` (advanced in place), e.g. one carried from a coarser scale.
    @discardableResult
    public func run<O: Optimizer>(
        optimizer: O, pixels: Tensor, iterations: Int, state: O.State,
        observer: (StylizeStep, Tensor) -> Bool = { _, _ in true }
    ) throws -> [LossBreakdown] {
        let problem = self, n = parameterCount
        precondition(pixels.count == n,
                     "StyleProblem.run: \(pixels.shape) pixels for a \(stylization.width)×\(stylization.height) problem")
        var history: [LossBreakdown] = []
        history.reserveCapacity(iterations + 1)
        var failure: StylizeError?
        ProblemBatch([problem]).optimize(optimizer, theta: pixels.data, steps: iterations, state: state, evaluated: { t, _ in
            let loss = problem.lastLoss!
            guard loss.total.isFinite else { failure = .diverged(step: t + 1, optimizer: optimizer.name); return false }
            history.append(loss)
            return true
        }, updated: { step, theta, delta in
            // θ_t was finite, so θ_t + Δ_t is finite where Δ_t is; a NaN or infinite Δ would have
            // been clamped or kept by the projection.
            guard Self.allFinite(delta, count: n) else { failure = .diverged(step: step, optimizer: optimizer.name); return false }
            return observer(StylizeStep(step: step, loss: history[step - 1]), pixels)
        })
        if let failure { throw failure }
        let final = stylization.evaluate(at: pixels.data, gradient: nil)
        guard final.total.isFinite else { throw StylizeError.diverged(step: iterations, optimizer: optimizer.name) }
        history.append(final)
        return history
    }

    /// Whether every value is finite (split over threads).
    static func allFinite(_ x: UnsafePointer<Float>, count n: Int) -> Bool {
        let chunks = elementwiseChunks(count: n)
        var ok = [Bool](repeating: true, count: chunks)
        ok.withUnsafeMutableBufferPointer { flags in
            let flags = flags.baseAddress!
            parallelFor(chunks: chunks) { p in
                var finite = true
                for i in chunkRange(p, of: chunks, count: n) { finite = finite && x[i].isFinite }
                flags[p] = finite
            }
        }
        return !ok.contains(false)
    }
}

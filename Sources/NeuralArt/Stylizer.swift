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
        case let .diverged(step, optimizer):
            return "the loss became NaN or infinite at step \(step) with \(optimizer); try a smaller learning rate"
        }
    }
}

/// Runs any `Optimizer` on a `StylizationProblem`: θ_{t+1} = clamp(θ_t + Δ_t, 0, 1).
///
/// Buffers are allocated once per run; a step is one loss-and-gradient evaluation and one
/// optimizer update.
public struct Stylizer {
    public let problem: StylizationProblem

    public init(problem: StylizationProblem) { self.problem = problem }

    /// Optimizes `pixels` (`[3, height, width]`, in [0, 1]) in place for `iterations` steps and
    /// returns the loss after every step: element 0 is f(θ_0), element t is f(θ_t).
    ///
    /// - Parameters:
    ///   - gradientScale: the optimizer sees `gradientScale·∇f` (the learned optimizer is fed a
    ///     size-normalized loss; hand-designed ones use 1).
    ///   - observer: called after each step with the step's report and the updated pixels;
    ///     return `false` to stop early.
    /// - Throws: `StylizeError.diverged` if the loss or the update becomes non-finite.
    @discardableResult
    public func run<O: Optimizer>(
        optimizer: O, pixels: Tensor, iterations: Int, gradientScale: Float = 1,
        observer: (StylizeStep, Tensor) -> Bool = { _, _ in true }
    ) throws -> [LossBreakdown] {
        let n = problem.parameterCount
        precondition(pixels.count == n, "Stylizer: \(pixels.shape) pixels for a \(problem.width)×\(problem.height) problem")
        let state = optimizer.makeState(count: n)
        let gradient = Tensor(shape: [n]), delta = Tensor(shape: [n])
        var history: [LossBreakdown] = []
        history.reserveCapacity(iterations + 1)
        let theta = pixels.data, g = gradient.data, d = delta.data
        // Elementwise passes are split over threads (bit-identical to serial loops).
        let chunks = elementwiseChunks(count: n)
        let finiteChunks = UnsafeMutablePointer<Bool>.allocate(capacity: chunks)
        defer { finiteChunks.deallocate() }
        for step in 1...max(iterations, 1) where iterations > 0 {
            let loss = problem.evaluate(at: theta, gradient: g)
            guard loss.total.isFinite else { throw StylizeError.diverged(step: step, optimizer: optimizer.name) }
            history.append(loss)
            if gradientScale != 1 {
                parallelForEachRange(count: n) { r in
                    for i in r { g[i] *= gradientScale }
                }
            }
            optimizer.update(gradient: g, delta: d, state: state)
            // θ ← clamp(θ + Δ, 0, 1), each chunk noting whether its values stayed finite.
            parallelFor(chunks: chunks) { p in
                var ok = true
                for i in chunkRange(p, of: chunks, count: n) {
                    let v = theta[i] + d[i]
                    ok = ok && v.isFinite
                    theta[i] = v < 0 ? 0 : (v > 1 ? 1 : v)
                }
                finiteChunks[p] = ok
            }
            let finite = (0..<chunks).allSatisfy { finiteChunks[$0] }
            guard finite else { throw StylizeError.diverged(step: step, optimizer: optimizer.name) }
            if !observer(StylizeStep(step: step, loss: loss), pixels) { break }
        }
        let final = problem.evaluate(at: theta, gradient: nil)
        guard final.total.isFinite else { throw StylizeError.diverged(step: iterations, optimizer: optimizer.name) }
        history.append(final)
        return history
    }
}

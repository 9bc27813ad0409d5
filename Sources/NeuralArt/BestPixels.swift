import Numerics

/// Keeps the pixels with the lowest loss seen during a `StyleTransfer.run`, from its observer.
///
/// The observer of step t reports f(θ_{t−1}) together with the pixels θ_t, so the loss of a
/// picture arrives one call after the picture: `observe` therefore holds on to the previous
/// pixels until their loss is known, and `finish` takes the run's last entry, f(θ_T), for the
/// final pixels. Two copies of the pixels are kept; each call copies once (3·H·W floats).
///
///     let keeper = BestPixels(start: pixels)
///     let history = try transfer.run(optimizer: o, pixels: pixels, iterations: n) { step, current in
///         keeper.observe(step, current); return true
///     }
///     keeper.finish(history: history, final: pixels)   // keeper.pixels: the best picture seen
public final class BestPixels {
    /// The best picture so far (after `finish`: of the whole run).
    public let pixels: Tensor
    /// Its loss (total), `.infinity` until one is known.
    public private(set) var loss: Float = .infinity
    /// Its step: 0 is the starting picture θ_0.
    public private(set) var step = 0
    private let previous: Tensor
    private var previousStep = 0

    /// Starts from θ_0 = `start` (copied).
    public init(start: Tensor) {
        pixels = start.copy()
        previous = start.copy()
    }

    /// Whether `observe` has been called (the run took a step).
    public var hasObserved: Bool { previousStep > 0 }

    /// Call from the observer: `report.loss` is f(θ_{step−1}) and `current` is θ_step.
    public func observe(_ report: StylizeStep, _ current: Tensor) {
        consider(loss: report.loss.total, of: previous, step: report.step - 1)
        previous.assign(from: current)
        previousStep = report.step
    }

    /// Call after the run with its history (the last entry is f at `final`, the pixels the run
    /// ended with). `pixels` is then the picture with the lowest loss of the run.
    public func finish(history: [LossBreakdown], final: Tensor) {
        guard let last = history.last else { return }
        consider(loss: last.total, of: final, step: previousStep)
    }

    private func consider(loss candidate: Float, of picture: Tensor, step candidateStep: Int) {
        // Strictly lower: on a tie the earlier picture stays.
        guard candidate < loss else { return }
        loss = candidate
        step = candidateStep
        pixels.assign(from: picture)
    }
}

import Numerics

/// A problem whose loss scale is multiplied by a constant factor: the same θ, loss and bounds,
/// but every optimizer sees `factor · lossScale · ∇f` (and the sum meta-objective weighs it by
/// that factor; the log objective is unaffected but for a constant).
///
/// Meta-training with random factors (`MetaTrainingSettings.randomScale`) shows the optimizer
/// the same problems at many gradient magnitudes, so it cannot tie its step sizes to one scale
/// (random scaling, Lv et al. 2017): what it learns then transfers to problems, such as an
/// unseen style, whose gradients are larger or smaller than those it was trained on.
public final class RescaledProblem: Problem {
    public let base: any Problem
    public let factor: Float

    public init(_ base: any Problem, factor: Float) {
        precondition(factor > 0 && factor.isFinite, "RescaledProblem: factor \(factor) must be positive and finite")
        self.base = base
        self.factor = factor
    }

    public var parameterCount: Int { base.parameterCount }
    public func initialParameters() -> [Float] { base.initialParameters() }
    public func lossAndGradient(at theta: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>) -> Float {
        base.lossAndGradient(at: theta, gradient: gradient)
    }
    public var bounds: ClosedRange<Float>? { base.bounds }
    public var lossScale: Float { factor * base.lossScale }
    public var allowsConcurrentEvaluation: Bool { base.allowsConcurrentEvaluation }
    public func reset() { base.reset() }
    public func enableReplay() -> Bool { base.enableReplay() }
    public func replayLossAndGradient(call: Int, at theta: UnsafePointer<Float>,
                                      gradient: UnsafeMutablePointer<Float>) -> Float {
        base.replayLossAndGradient(call: call, at: theta, gradient: gradient)
    }
    public var coarseSteps: Int? { base.coarseSteps }
    public var imageShape: ImageShape? { base.imageShape }
    /// The base's finer problem, rescaled by the same factor.
    public func finer(from theta: UnsafePointer<Float>) -> (problem: any Problem, source: [Int32]) {
        let (problem, source) = base.finer(from: theta)
        return (RescaledProblem(problem, factor: factor), source)
    }
}

import Numerics

/// An optimizee: a differentiable function f(θ) of a flat `Float` vector, with its start point.
///
/// The meta-learning core knows nothing about what θ means (weights of a network, pixels…).
/// A problem is a reference type because it may carry mutable state (a minibatch cursor).
///
/// Contract used by the optimizers, the meta-trainer and the evaluators:
/// - `lossAndGradient` is called exactly once per optimization step, at θ_t, and returns
///   f(θ_t) (the loss *reported*, unscaled) while writing ∇f(θ_t). Where the problem is
///   minibatch-stochastic, each call advances to the next minibatch; `reset()` rewinds that
///   stream, and every run of the evaluator starts with it, so every optimizer and every grid
///   point of a search sees the same minibatches.
/// - Every optimizer sees `lossScale · f` (its gradient is multiplied by `lossScale`), both in
///   meta-training and in evaluation; reported losses are unscaled. Use it to make the size of
///   what the learned optimizer sees independent of e.g. the image size.
/// - With `bounds`, every update is followed by a projection θ ← clamp(θ + Δ, bounds), in
///   inference and in meta-training alike (where the adjoint of θ is masked by the clamp).
public protocol Problem: AnyObject {
    /// The number of coordinates of θ.
    var parameterCount: Int { get }

    /// θ₀, `parameterCount` values. Called once per run; must be deterministic for a problem.
    func initialParameters() -> [Float]

    /// Returns f(θ) and writes ∇f(θ) (`parameterCount` values) into `gradient`.
    func lossAndGradient(at theta: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>) -> Float

    /// An optional box every coordinate is projected onto after each update (e.g. pixels in [0, 1]).
    var bounds: ClosedRange<Float>? { get }

    /// The factor applied to f (and its gradient) for every optimizer; reported losses stay unscaled.
    var lossScale: Float { get }

    /// Rewinds any state that `lossAndGradient` advances (a minibatch cursor), so that the next
    /// run sees what the first did. Default: nothing to rewind.
    func reset()

    /// Whether this problem may be evaluated on one thread while *other* problems are evaluated
    /// on others (it shares no mutable state with them). Batches of such problems are evaluated
    /// concurrently. Default false.
    var allowsConcurrentEvaluation: Bool { get }

    /// Asks the problem to keep, from its next call on, what `replayLossAndGradient` needs (e.g.
    /// each call's minibatch indices), and returns whether it can replay at all. Default false.
    /// Second-order meta-training calls it on its training problems before their first step, so
    /// nothing else pays for replay.
    func enableReplay() -> Bool

    /// f(θ) and ∇f(θ) (unscaled, like `lossAndGradient`) on what the `call`-th `lossAndGradient`
    /// call since creation or `reset()` saw (0-based; its minibatch), at any θ, without advancing
    /// the stream or changing what later calls see. Second-order meta-gradients differentiate a
    /// past step's gradient with it (`ProblemBatch.hessianVectorProduct`). Only called after
    /// `enableReplay()` returned true, for a call made since then.
    func replayLossAndGradient(call: Int, at theta: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>) -> Float

    /// Coarse to fine (as `neural-art stylize` paints a picture): the steps a run takes on this
    /// problem before it moves on to `finer(from:)`'s problem; nil (the default): the problem is
    /// the whole run. The meta-trainer and the evaluator move every problem of a batch at once,
    /// so a task gives all the problems it makes the same value. At least 1.
    var coarseSteps: Int? { get }

    /// The finer problem that continues a coarse-to-fine run from θ (`parameterCount` values:
    /// this problem's parameters after `coarseSteps` steps) — its `initialParameters()` are θ
    /// carried over (e.g. the picture upsampled) — and, for each of its coordinates, the
    /// coordinate here whose optimizer state it takes (`ResamplableOptimizerState`). Only
    /// called when `coarseSteps` is non-nil.
    func finer(from theta: UnsafePointer<Float>) -> (problem: any Problem, source: [Int32])

    /// θ's layout when it is made of images (a picture: 3 × height × width), for optimizers
    /// whose inputs look at a coordinate's neighbours (`InputFeatures.highPass`); nil (the
    /// default): a flat vector.
    var imageShape: ImageShape? { get }
}

extension Problem {
    public var bounds: ClosedRange<Float>? { nil }
    public var lossScale: Float { 1 }
    public var allowsConcurrentEvaluation: Bool { false }
    public func reset() {}
    public func enableReplay() -> Bool { false }
    public func replayLossAndGradient(call: Int, at theta: UnsafePointer<Float>,
                                      gradient: UnsafeMutablePointer<Float>) -> Float {
        preconditionFailure("\(type(of: self)) cannot replay a step")
    }
    public var coarseSteps: Int? { nil }
    public var imageShape: ImageShape? { nil }
    public func finer(from theta: UnsafePointer<Float>) -> (problem: any Problem, source: [Int32]) {
        preconditionFailure("\(type(of: self)) has no finer problem")
    }
}

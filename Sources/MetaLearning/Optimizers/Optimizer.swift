/// A coordinatewise optimizer: per-coordinate state in, update out.
///
/// The caller owns the parameters θ (a flat `Float` vector of `count` coordinates) and
/// computes the gradient ∇f(θ_t); the optimizer writes the *update* Δ_t and advances its
/// state, and the caller applies θ_{t+1} = θ_t + Δ_t (and, where the problem has one, a
/// projection such as clamping pixels to [0, 1]). Hand-designed rules (SGD, NAG, RMSprop,
/// ADAM) and the learned LSTM optimizer all fit this shape, so callers cannot tell them apart.
///
/// Conformers are immutable value descriptions (hyper-parameters or learned weights); all
/// mutable per-run data lives in `State`, a reference type, so it is never copied implicitly.
public protocol Optimizer: Sendable {
    /// Per-run state for a fixed number of coordinates (e.g. ADAM's moments, LSTM hidden states).
    associatedtype State: OptimizerState

    /// A short name for tables and file names, e.g. `"adam"`.
    var name: String { get }

    /// Fresh state (t = 0) for `count` coordinates.
    func makeState(count: Int) -> State

    /// Fresh state for Σ `segments` coordinates made of independent segments (the problems of
    /// a batch, `segments[k]` coordinates each, in order). Optimizers whose arithmetic is per
    /// coordinate ignore the split (the default: `makeState(count:)`); the LSTM optimizer, whose
    /// matrix products run over column blocks, keeps every block inside one segment, so that a
    /// problem's updates do not depend on the problems batched with it nor on the thread count.
    func makeState(segments: [Int]) -> State

    /// `makeState(segments:)` for segments some of which are images (`Problem.imageShape`, one
    /// entry per segment, nil for a flat one). Only optimizers whose inputs look at a
    /// coordinate's neighbours use the shapes (the high-pass learned optimizer); the default
    /// ignores them.
    func makeState(segments: [Int], imageShapes: [ImageShape?]) -> State

    /// Writes Δ_t for every coordinate and advances `state` by one step.
    ///
    /// - Parameters:
    ///   - gradient: ∇f(θ_t), `count` values (the count `state` was made for).
    ///   - delta: receives Δ_t, `count` values. May not alias `gradient`.
    func update(gradient: UnsafePointer<Float>, delta: UnsafeMutablePointer<Float>, state: State)
}

extension Optimizer {
    public func makeState(segments: [Int]) -> State { makeState(count: segments.reduce(0, +)) }
    public func makeState(segments: [Int], imageShapes: [ImageShape?]) -> State { makeState(segments: segments) }

    /// A fresh state for a batch of problems: their coordinate counts and image shapes.
    public func makeState(problems: [any Problem]) -> State {
        makeState(segments: problems.map(\.parameterCount), imageShapes: problems.map(\.imageShape))
    }

    /// Convenience: θ ← θ + Δ with Δ from `update`, using `scratch` (same count) for Δ.
    @inlinable
    public func step(
        parameters: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>,
        scratch: UnsafeMutablePointer<Float>, state: State
    ) {
        update(gradient: gradient, delta: scratch, state: state)
        for i in 0..<state.count { parameters[i] += scratch[i] }
    }
}

/// Per-run optimizer state: a reference type made for a fixed number of coordinates.
public protocol OptimizerState: AnyObject {
    /// The number of coordinates this state was made for.
    var count: Int { get }
    /// Steps taken so far.
    var step: Int { get }
}

import Foundation

/// What one unroll's meta-loss adds up over its steps, and how validation ranks optimizers.
///
/// With f_p(θ_t) the unscaled loss of problem p after step t and s_p its loss scale:
/// - `sum` (the paper's): L = (1/P) Σ_p Σ_t s_p·f_p(θ_t). Large early losses dominate, so an
///   optimizer can win the sum yet stall late.
/// - `log`: L = (1/P) Σ_p Σ_t log(s_p·f_p(θ_t)). Each step's *relative* progress counts the
///   same wherever it happens, so late steps weigh as much as early ones. Its gradient in θ_t is
///   ∇f_p/f_p: the sum objective's with each step and problem weighted by 1/(s_p·f_p).
///   Losses must be positive (they are clamped at `MetaObjective.minimumLoss`).
public enum MetaObjective: String, Codable, Sendable, CaseIterable {
    case sum
    case log

    /// The smallest loss the log objective takes the logarithm of.
    public static let minimumLoss = 1e-30

    /// This step's term of the meta-loss for a problem with unscaled loss `loss` and scale `scale`.
    @inlinable
    public func term(loss: Double, scale: Float) -> Double {
        switch self {
        case .sum: return Double(scale) * loss
        case .log: return Foundation.log(max(Double(scale) * loss, Self.minimumLoss))
        }
    }

    /// ∂term/∂(s·f): the factor applied to the scaled gradient s·∇f in the meta-gradient.
    @inlinable
    public func gradientWeight(loss: Double, scale: Float) -> Float {
        switch self {
        case .sum: return 1
        case .log: return Float(1 / max(Double(scale) * loss, Self.minimumLoss))
        }
    }

    /// The validation criterion of a mean loss curve (index 0 = before the first step): the sum
    /// of steps 1… for `sum`, the sum of their logarithms for `log`, each step's term times its
    /// `weighting` weight (lower is better; +∞ if any value is not finite).
    public func criterion(_ curve: [Double], weighting: StepWeighting = .uniform) -> Double {
        var s = 0.0
        for t in curve.indices.dropFirst() { s += weighting.weight(step: t) * term(loss: curve[t], scale: 1) }
        return s.isFinite ? s : .infinity
    }
}

/// How much each step of a problem's horizon counts in the meta-loss:
///
///     w_t = (k+1)·(t/H)^k · (1 + a/t)    for step t = 1…H,
///
/// with exponent k ≥ 0 (`--late-weight`) and early boost a ≥ 0 (`--early-weight`). k = 0 is the
/// paper's uniform weighting; k = 1 a linear ramp; larger k move the weight onto the last steps
/// (as k → ∞, the final loss only); the mean of (k+1)(t/H)^k over the horizon is ≈ 1 for every k.
/// The early factor 1 + a/t makes the first steps count a + 1, a/2 + 1, … times as much (step 1
/// a + 1 times, step 16 1 + a/16 times): with the log objective, where every step's relative
/// progress otherwise weighs the same, a learned optimizer can sacrifice the first step for
/// later ones; the boost makes it pay for that. a = 0: no boost.
///
/// Each step's term is multiplied by its constant weight, so the meta-gradient is the sum
/// objective's with the scaled gradient of step t multiplied by w_t (like `MetaObjective.log`'s
/// per-step factor).
public struct StepWeighting: Equatable, Sendable {
    /// k ≥ 0.
    public var exponent: Double
    /// H ≥ 1.
    public var horizon: Int
    /// a ≥ 0: step t's weight is multiplied by 1 + a/t.
    public var early: Double

    public init(exponent: Double, horizon: Int, early: Double = 0) {
        precondition(exponent >= 0 && horizon >= 1 && early >= 0,
                     "StepWeighting: exponent \(exponent), horizon \(horizon), early \(early)")
        self.exponent = exponent
        self.horizon = horizon
        self.early = early
    }

    /// Every step weighs 1.
    public static let uniform = StepWeighting(exponent: 0, horizon: 1)

    /// w_t for the 1-based step t of the horizon.
    @inlinable
    public func weight(step t: Int) -> Double {
        let late = exponent == 0 ? 1 : (exponent + 1) * pow(Double(t) / Double(horizon), exponent)
        return early == 0 ? late : late * (1 + early / Double(t))
    }
}

/// How meta-training's validation ranks the LSTM weights it has seen (the best are kept).
public enum ValidationSelection: String, Codable, Sendable, CaseIterable {
    /// The meta-objective's own criterion over the horizon (`MetaObjective.criterion`).
    case objective
    /// The mean loss after the last step of the horizon (what a user of the final parameters sees).
    case final
}

/// One step's share of an unroll's meta-loss, and the factors of ĝ its backward pass needs.
///
/// For the K = `losses.count` problems at hand (out of a meta-step's P = `problems`, e.g. one
/// rank's share) with unscaled losses `losses[k]` and loss scales `scales[k]` after a step of
/// weight w: adds w·term_k to `terms[k]` (each problem's share of the meta-loss, before the
/// division by P), writes w·∂term_k/∂(s·f)/P into `factors[k]` (K values): the number backward
/// multiplies problem k's scaled gradient of this step by, and returns Σ_k losses[k] / K (the
/// mean unscaled loss). With `.sum` and w = 1 every factor is exactly 1/P.
func stepMetaLoss(losses: [Double], scales: [Float], objective: MetaObjective, weight w: Double, problems P: Int,
                  factors: UnsafeMutablePointer<Float>, terms: UnsafeMutablePointer<Double>) -> Double {
    precondition(losses.count == scales.count && P >= losses.count,
                 "stepMetaLoss: \(losses.count) losses, \(scales.count) scales, \(P) problems")
    var plain = 0.0
    for k in losses.indices {
        terms[k] += w * objective.term(loss: losses[k], scale: scales[k])
        plain += losses[k]
        factors[k] = Float(w) * objective.gradientWeight(loss: losses[k], scale: scales[k]) / Float(P)
    }
    return plain / Double(losses.count)
}

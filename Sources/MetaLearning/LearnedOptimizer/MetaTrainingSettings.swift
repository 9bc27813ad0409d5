import Foundation

/// Settings of a meta-training run (stored in checkpoints and model files).
public struct MetaTrainingSettings: Codable, Equatable, Sendable {
    /// Meta-steps: ADAM updates of φ, one per unroll.
    public var metaSteps: Int
    /// Optimizer steps per problem (H).
    public var horizon: Int
    /// Steps per truncated unroll (T); the last unroll of a problem may be shorter.
    public var unroll: Int
    /// Problems optimized together in one meta-step (batched as one θ).
    public var problemsPerStep: Int
    /// ADAM's learning rate on φ.
    public var metaLearningRate: Float
    /// Global-norm clipping of the meta-gradient (≤ 0: none).
    public var clipNorm: Float
    /// Validate every this many meta-steps (≤ 0: only at the end).
    public var validateEvery: Int
    /// Validation problems (indices 0..<n of the validation split).
    public var validationProblems: Int
    /// Seed of φ₀.
    public var seed: UInt64
    /// Consecutive non-finite meta-steps tolerated before giving up.
    public var maxConsecutiveSkips: Int
    /// Stored optional so that files written before the option existed still load (nil = sum).
    private var metaObjective: MetaObjective?
    /// Training problems' loss scales are multiplied by 10^u, u uniform in [−randomScale,
    /// randomScale] (drawn per problem from the seed); 0 or nil: no rescaling. Validation is never rescaled.
    public var randomScale: Float?
    /// What the meta-loss and the validation criterion add up over steps (default `.sum`).
    public var objective: MetaObjective {
        get { metaObjective ?? .sum }
        set { metaObjective = newValue == .sum ? nil : newValue }
    }
    /// Exponent k of the step weighting w_t = (k+1)(t/H)^k (`StepWeighting`); nil or 0: uniform.
    public var lateWeight: Float?
    /// Early boost a of the step weighting (step t's weight times 1 + a/t); nil or 0: none.
    /// Optional so that older files still load.
    public var earlyWeight: Float?
    /// The weights of the horizon's steps in the meta-loss and in the objective's validation criterion.
    public var stepWeighting: StepWeighting {
        let k = Double(max(lateWeight ?? 0, 0)), a = Double(max(earlyWeight ?? 0, 0))
        if k == 0 && a == 0 { return .uniform }
        return StepWeighting(exponent: k, horizon: horizon, early: a)
    }
    /// Stored optional so that older files still load (nil = `.objective`).
    private var validationSelection: ValidationSelection?
    /// Stored optional so that older files still load (nil = first order).
    private var secondOrderLastSteps: Int?
    /// The meta-gradient also differentiates the gradients the LSTM sees in the last this many
    /// steps of each unroll (`LSTMUnroll`, "Second-order"; ≥ unroll: the exact meta-gradient), at
    /// two more problem calls per such step. 0 (default): the paper's first-order meta-gradient.
    public var secondOrderSteps: Int {
        get { secondOrderLastSteps ?? 0 }
        set { secondOrderLastSteps = newValue != 0 ? newValue : nil }
    }
    /// Whether any step gets second-order terms.
    public var secondOrder: Bool { secondOrderSteps > 0 }
    /// How validation ranks φ (default `.objective`: the meta-objective's criterion).
    public var selection: ValidationSelection {
        get { validationSelection ?? .objective }
        set { validationSelection = newValue == .objective ? nil : newValue }
    }

    public init(metaSteps: Int = 8000, horizon: Int = 100, unroll: Int = 20, problemsPerStep: Int = 32,
                metaLearningRate: Float = 1e-3, clipNorm: Float = 1, validateEvery: Int = 500,
                validationProblems: Int = 100, seed: UInt64 = 1, maxConsecutiveSkips: Int = 20,
                objective: MetaObjective = .sum, randomScale: Float = 0, selection: ValidationSelection = .objective,
                lateWeight: Float = 0, earlyWeight: Float = 0, secondOrderSteps: Int = 0) {
        self.metaSteps = metaSteps; self.horizon = horizon; self.unroll = unroll
        self.problemsPerStep = problemsPerStep; self.metaLearningRate = metaLearningRate
        self.clipNorm = clipNorm; self.validateEvery = validateEvery
        self.validationProblems = validationProblems; self.seed = seed
        self.maxConsecutiveSkips = maxConsecutiveSkips
        self.metaObjective = objective == .sum ? nil : objective
        self.randomScale = randomScale != 0 ? randomScale : nil
        self.validationSelection = selection == .objective ? nil : selection
        self.lateWeight = lateWeight != 0 ? lateWeight : nil
        self.earlyWeight = earlyWeight != 0 ? earlyWeight : nil
        self.secondOrderLastSteps = secondOrderSteps != 0 ? secondOrderSteps : nil
    }

    /// What `validationCriterion` measures, for messages: "final loss", "summed loss",
    /// "summed log loss", with "weighted " before "summed" when late steps weigh more.
    public var validationCriterionName: String {
        if selection == .final { return "final loss" }
        return (stepWeighting == .uniform ? "" : "weighted ") + (objective == .sum ? "summed loss" : "summed log loss")
    }

    /// The validation criterion of a mean loss curve (index 0 = before the first step; lower is better).
    public func validationCriterion(_ curve: [Double]) -> Double {
        switch selection {
        case .objective: return objective.criterion(curve, weighting: stepWeighting)
        case .final: return curve.count > 1 ? TuningCriterion.final.value(curve) : .infinity
        }
    }

    /// Unrolls per problem batch: ⌈H / T⌉.
    public var unrollsPerProblem: Int { (horizon + unroll - 1) / unroll }

    /// Checks the settings; throws `MetaTrainingError.invalidSettings` naming the first bad one.
    public func validate() throws {
        func check(_ ok: Bool, _ what: String) throws {
            if !ok { throw MetaTrainingError.invalidSettings(what) }
        }
        try check(metaSteps >= 0, "meta-steps must be ≥ 0 (got \(metaSteps))")
        try check(horizon >= 1, "horizon must be ≥ 1 (got \(horizon))")
        try check(unroll >= 1 && unroll <= horizon, "unroll must be in 1…horizon (got \(unroll), horizon \(horizon))")
        try check(problemsPerStep >= 1, "problems per step must be ≥ 1 (got \(problemsPerStep))")
        try check(metaLearningRate > 0 && metaLearningRate.isFinite, "meta learning rate must be positive")
        try check(validationProblems >= 1, "validation problems must be ≥ 1")
        try check(maxConsecutiveSkips >= 0, "max consecutive skips must be ≥ 0")
        try check((randomScale ?? 0) >= 0 && (randomScale ?? 0) <= 6, "random scale must be in 0…6 decades")
        try check((lateWeight ?? 0) >= 0 && (lateWeight ?? 0) <= 100, "late weight must be in 0…100")
        try check((earlyWeight ?? 0) >= 0 && (earlyWeight ?? 0) <= 1000, "early weight must be in 0…1000")
        try check(secondOrderSteps >= 0, "second-order steps must be ≥ 0 (got \(secondOrderSteps))")
    }
}

/// Errors of meta-training; `description` is one line.
public enum MetaTrainingError: Error, CustomStringConvertible, Equatable {
    case invalidSettings(String)
    case diverged(metaStep: Int, skipped: Int)
    case mismatchedCheckpoint(String)

    public var description: String {
        switch self {
        case .invalidSettings(let s): return "invalid meta-training settings: \(s)"
        case .diverged(let step, let n):
            return "meta-training diverged: \(n) consecutive meta-steps with a non-finite meta-loss or meta-gradient (last at meta-step \(step)); the best model so far was kept — try a smaller --meta-learning-rate or --clip"
        case .mismatchedCheckpoint(let s): return "checkpoint does not match this run: \(s)"
        }
    }
}

/// What one meta-step did (one line of the CSV log).
public struct MetaStepRecord: Sendable {
    /// 1-based meta-step number.
    public var metaStep: Int
    /// Training problem batch and unroll within it.
    public var batch: Int, unroll: Int
    /// The meta-loss (1/P) Σ_p Σ_t s_p f_p(θ_t) of this unroll.
    public var metaLoss: Double
    /// ‖∂L/∂φ‖ before clipping.
    public var gradientNorm: Double
    /// Whether the update was skipped (non-finite meta-loss or meta-gradient).
    public var skipped: Bool
    /// Wall-clock seconds of the unroll (forward, backward and update).
    public var seconds: Double
    /// Mean summed validation loss, when validation ran after this step.
    public var validationLoss: Double?
    /// Whether this validation gave the best φ so far.
    public var isBest: Bool
}

/// Counters of a meta-training run (all a checkpoint needs besides the weight vectors).
public struct MetaTrainingProgress: Codable, Equatable, Sendable {
    /// Meta-steps done.
    public var metaStep = 0
    /// Index of the current training problem batch (problems batch·P ..< (batch+1)·P).
    public var batch = 0
    /// Unrolls done on the current batch (0: the next step starts a fresh batch).
    public var unrollInBatch = 0
    public var skipped = 0
    public var consecutiveSkips = 0
    public var bestValidationLoss: Double?
    public var bestMetaStep: Int?
    /// Seconds spent training (accumulated over resumed sessions).
    public var elapsedSeconds = 0.0
    public init() {}
}

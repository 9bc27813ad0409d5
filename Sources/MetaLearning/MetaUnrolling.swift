/// One truncated-BPTT unroll engine of meta-training: `LSTMUnroll` (one LSTM over every
/// coordinate) or `GroupedLSTMUnroll` (one LSTM per parameter group, φ concatenated).
///
/// `MetaTrainer` drives either the same way: `reset` at the start of a problem batch, then per
/// meta-step `forward` (records T steps and returns the meta-loss), `backward` (accumulates
/// ∂L/∂φ of that forward, for the problems it saw) and, if the step was kept, `carry`.
protocol MetaUnrolling: AnyObject {
    /// Coordinates of the problem batches this unroll was made for (all problems' θ together).
    var count: Int { get }
    /// Steps taken on the current problem batch since `reset`.
    var stepsTaken: Int { get }

    /// Starts a problem batch: θ = θ₀, zero optimizer state, one problem call at θ₀.
    /// Returns the problems' mean unscaled initial loss.
    @discardableResult
    func reset(batch: ProblemBatch) -> Double

    /// Runs `steps` optimizer steps from the carried state with φ = `weights`, recording them.
    /// Returns the meta-loss (1/P) Σ_p Σ_t w_t·term_p(θ_t) (`MetaObjective.term`, w_t of
    /// `weighting` at the horizon's step `stepsTaken + t`); `stepLosses` receives the
    /// horizon's step number and the mean unscaled loss after each step.
    func forward(batch: ProblemBatch, weights: UnsafePointer<Float>, steps: Int, objective: MetaObjective,
                 weighting: StepWeighting, stepLosses: ((Int, Double) -> Void)?) -> Double

    /// Accumulates the first-order meta-gradient ∂L/∂φ of the last `forward` into `dWeights`
    /// (laid out like φ).
    func backward(weights: UnsafePointer<Float>, dWeights: UnsafeMutablePointer<Float>)

    /// Carries θ, the optimizer state and the last gradient over to the next unroll (detached).
    func carry()
}

/// The first step t of a T-step unroll whose gradient input gets second-order terms when the
/// last `K` steps do: max(1, T − K) (θ₀ of an unroll is detached, so step 0 never does), or T
/// (none) for K = 0.
func firstSecondOrderStep(steps T: Int, lastSteps K: Int) -> Int {
    K > 0 ? max(1, T - K) : T
}

/// One step's share of an unroll's meta-loss, and the factors of ĝ its backward pass needs.
///
/// For P problems with unscaled losses `losses[k]` and loss scales `scales[k]` after a step of
/// weight w: returns w·Σ_k term_k / P (the step's meta-loss) and Σ_k losses[k] / P (the mean
/// unscaled loss), and writes w·∂term_k/∂(s·f)/P into `factors[k]` (P values): the number
/// backward multiplies problem k's scaled gradient of this step by. With `.sum` and w = 1 every
/// factor is exactly 1/P.
func stepMetaLoss(losses: [Double], scales: [Float], objective: MetaObjective, weight w: Double,
                  factors: UnsafeMutablePointer<Float>) -> (metaLoss: Double, meanLoss: Double) {
    precondition(losses.count == scales.count, "stepMetaLoss: \(losses.count) losses, \(scales.count) scales")
    let P = Double(losses.count)
    var scaled = 0.0, plain = 0.0
    for k in losses.indices {
        scaled += objective.term(loss: losses[k], scale: scales[k])
        plain += losses[k]
        factors[k] = Float(w) * objective.gradientWeight(loss: losses[k], scale: scales[k]) / Float(P)
    }
    return (w * scaled / P, plain / P)
}

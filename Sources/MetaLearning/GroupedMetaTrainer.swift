import Foundation
import Numerics

/// First-order truncated-BPTT meta-training of one LSTM optimizer per parameter group, jointly
/// (the paper's CIFAR-10 setup: one LSTM for conv parameters, one for fully connected ones).
///
/// The same loop as `MetaTrainer` — fresh training problem batch, unrolls of T steps, one ADAM
/// step on φ per unroll with global-norm clipping over all groups, skip on non-finite values,
/// validation with early stopping — with φ the concatenation of the groups' weight vectors and
/// `GroupedLSTMUnroll` for the unrolls. No checkpoint/resume (runs are short).
public final class GroupedMetaTrainer {
    public let task: any Task
    public let groups: ParameterGroups
    public let configuration: LSTMConfiguration
    public let settings: MetaTrainingSettings
    /// The current φ = [φ_0, φ_1, …].
    public private(set) var weights: [Float]
    public private(set) var bestWeights: [Float]
    public private(set) var progress = MetaTrainingProgress()
    public private(set) var logText = MetaTrainer.logHeader

    private let metaOptimizer: Adam
    private let metaState: MomentState
    private var gradient: [Float], scratch: [Float]
    private var unroll: GroupedLSTMUnroll?
    private var batch: ProblemBatch?

    /// Every group gets an LSTM of `configuration`, initialized from its own fork of `settings.seed`.
    public init(task: any Task, groups: ParameterGroups, configuration: LSTMConfiguration,
                settings: MetaTrainingSettings) throws {
        try settings.validate()
        self.task = task
        self.groups = groups
        self.configuration = configuration
        self.settings = settings
        let root = SeededGenerator(seed: settings.seed)
        weights = (0..<groups.count).flatMap { g -> [Float] in
            var gen = g == 0 ? SeededGenerator(seed: settings.seed) : root.fork(UInt64(g))
            return LSTMOptimizer.initialWeights(configuration, generator: &gen)
        }
        bestWeights = weights
        metaOptimizer = Adam(learningRate: settings.metaLearningRate)
        metaState = metaOptimizer.makeState(count: weights.count)
        gradient = [Float](repeating: 0, count: weights.count)
        scratch = gradient
    }

    /// The grouped optimizer with φ (the current weights by default).
    public func optimizer(weights w: [Float]? = nil) -> GroupedOptimizer<LSTMOptimizer> {
        let phi = w ?? weights, n = configuration.layout.weightCount
        return GroupedOptimizer(groups: groups, members: (0..<groups.count).map {
            LSTMOptimizer(configuration: configuration, weights: Array(phi[($0 * n)..<(($0 + 1) * n)]))
        })
    }

    /// The grouped optimizer with the best validated φ.
    public var bestOptimizer: GroupedOptimizer<LSTMOptimizer> { optimizer(weights: bestWeights) }

    /// One meta-step (see `MetaTrainer.step`).
    public func step() -> MetaStepRecord {
        let start = Date()
        if progress.unrollInBatch == 0 {
            let P = settings.problemsPerStep
            let b = ProblemBatch((0..<P).map { task.makeProblem(split: .training, index: progress.batch * P + $0) })
            if unroll == nil {
                unroll = GroupedLSTMUnroll(configurations: Array(repeating: configuration, count: groups.count),
                                           groups: groups, problems: P, maxSteps: settings.unroll)
            }
            unroll!.reset(batch: b)
            batch = b
        }
        let u = unroll!, b = batch!
        let steps = min(settings.unroll, settings.horizon - u.stepsTaken)
        for i in gradient.indices { gradient[i] = 0 }
        let metaLoss = weights.withUnsafeBufferPointer { w in
            gradient.withUnsafeMutableBufferPointer { dw in
                let loss = u.forward(batch: b, weights: w.baseAddress!, steps: steps)
                if loss.isFinite { u.backward(weights: w.baseAddress!, dWeights: dw.baseAddress!) }
                return loss
            }
        }
        let norm = gradient.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        var skipped = !(metaLoss.isFinite && norm.isFinite)
        if !skipped {
            if settings.clipNorm > 0 && norm > Double(settings.clipNorm) {
                let f = Float(Double(settings.clipNorm) / norm)
                for i in gradient.indices { gradient[i] *= f }
            }
            var candidate = weights
            gradient.withUnsafeBufferPointer { g in
                candidate.withUnsafeMutableBufferPointer { w in
                    scratch.withUnsafeMutableBufferPointer { d in
                        metaOptimizer.step(parameters: w.baseAddress!, gradient: g.baseAddress!, scratch: d.baseAddress!,
                                           state: metaState)
                    }
                }
            }
            if candidate.allSatisfy({ $0.isFinite }) { weights = candidate } else { skipped = true }
        }
        let record = MetaStepRecord(
            metaStep: progress.metaStep + 1, batch: progress.batch, unroll: progress.unrollInBatch,
            metaLoss: metaLoss, gradientNorm: norm, skipped: skipped,
            seconds: Date().timeIntervalSince(start), validationLoss: nil, isBest: false)
        progress.metaStep += 1
        if skipped {
            progress.skipped += 1
            progress.consecutiveSkips += 1
            progress.unrollInBatch = 0
            progress.batch += 1
        } else {
            progress.consecutiveSkips = 0
            u.carry()
            progress.unrollInBatch += 1
            if progress.unrollInBatch == settings.unrollsPerProblem {
                progress.unrollInBatch = 0
                progress.batch += 1
            }
        }
        progress.elapsedSeconds += record.seconds
        return record
    }

    /// The validation criterion (`settings.validationCriterion`: by default the mean summed loss
    /// Σ_{t=1..H} f(θ_t)) over the validation problems, with φ (current by default).
    public func validationLoss(weights w: [Float]? = nil) -> Double {
        let problems = (0..<settings.validationProblems).map { task.makeProblem(split: .validation, index: $0) }
        return settings.validationCriterion(Evaluator.meanLossCurve(optimizer(weights: w), problems: problems, steps: settings.horizon))
    }

    /// Validates the current φ, keeping it if best so far.
    @discardableResult
    public func validate() -> (loss: Double, isBest: Bool) {
        let loss = validationLoss()
        let isBest = loss.isFinite && (progress.bestValidationLoss.map { loss < $0 } ?? true)
        if isBest {
            progress.bestValidationLoss = loss
            progress.bestMetaStep = progress.metaStep
            bestWeights = weights
        }
        return (loss, isBest)
    }

    /// Runs to `settings.metaSteps`, validating every `validateEvery` steps and at the end.
    /// Throws `MetaTrainingError.diverged` after too many consecutive non-finite steps.
    public func run(observe: ((MetaStepRecord) -> Void)? = nil) throws {
        while progress.metaStep < settings.metaSteps {
            var record = step()
            if record.skipped && progress.consecutiveSkips > settings.maxConsecutiveSkips {
                appendLog(record)
                throw MetaTrainingError.diverged(metaStep: record.metaStep, skipped: progress.consecutiveSkips)
            }
            let last = progress.metaStep == settings.metaSteps
            if last || (settings.validateEvery > 0 && progress.metaStep % settings.validateEvery == 0) {
                let v = validate()
                record.validationLoss = v.loss
                record.isBest = v.isBest
            }
            appendLog(record)
            observe?(record)
        }
    }

    private func appendLog(_ r: MetaStepRecord) {
        func f(_ x: Double) -> String { String(format: "%.9g", x) }
        logText += "\(r.metaStep),\(r.batch),\(r.unroll),\(f(r.metaLoss)),\(f(r.gradientNorm)),\(r.skipped ? 1 : 0),"
            + String(format: "%.6f", r.seconds) + "," + (r.validationLoss.map(f) ?? "") + "\n"
    }

    /// Test hook: the meta-gradient of one unroll of `steps` on `batch` from a fresh state.
    func metaGradient(batch: ProblemBatch, steps: Int, weights w: [Float]? = nil) -> (loss: Double, gradient: [Float]) {
        let u = GroupedLSTMUnroll(configurations: Array(repeating: configuration, count: groups.count), groups: groups,
                                  problems: batch.problems.count, maxSteps: steps)
        u.reset(batch: batch)
        let phi = w ?? weights
        var dw = [Float](repeating: 0, count: phi.count)
        let loss = phi.withUnsafeBufferPointer { p in
            let loss = u.forward(batch: batch, weights: p.baseAddress!, steps: steps)
            dw.withUnsafeMutableBufferPointer { u.backward(weights: p.baseAddress!, dWeights: $0.baseAddress!) }
            return loss
        }
        return (loss, dw)
    }
}

import Distributed
import Foundation
import Numerics

/// Truncated-BPTT meta-training of an LSTM optimizer on a task (first-order, as in the paper, or
/// with second-order terms over the last steps of each unroll: `settings.secondOrderSteps`): one LSTM over every
/// coordinate, or one LSTM per parameter group trained jointly (the paper's CIFAR-10 setup: one
/// for conv parameters, one for fully connected ones).
///
/// A meta-step: (if starting a problem batch: sample P training problems, θ = θ₀, zero state)
/// → unroll T steps recording (`LSTMUnroll`, one lane per group) → hand-written
/// backward → clip (global norm over all groups) → ADAM on φ → carry θ and the state (detached).
/// Validation runs the learned optimizer (the same code a user calls: `LSTMOptimizer.learned`) on the validation problems for the horizon and keeps the φ with
/// the best `settings.validationCriterion`.
///
/// With G groups, φ = [φ_0, φ_1, …, φ_{G−1}] is the concatenation of one LSTM weight vector of
/// `configuration.layout.weightCount` values per group, in `groups.names` order.
///
/// **Several processes** (`processes`, e.g. `mpirun -np N`): every rank holds φ and the ADAM
/// state; in a meta-step each unrolls only its share of the P problems (`ProcessGroup.share`),
/// the per-problem meta-gradients and meta-loss shares are gathered, and every rank adds them
/// in problem order — as one process does — and takes the same ADAM step. Validation problems
/// are split the same way (`Evaluator`). So φ, the log and the checkpoints are bit-identical for
/// any number of ranks (and threads), and a checkpoint resumes on any number of ranks. Every
/// rank must call `step`/`run`/`validate` together.
public final class MetaTrainer {
    public let task: any MetaTask
    public let configuration: LSTMConfiguration
    /// One LSTM per group of these (nil: one LSTM over all coordinates).
    public let groups: ParameterGroups?
    public let settings: MetaTrainingSettings
    /// The processes this trainer's meta-steps are split over (one by default).
    public let processes: any ProcessGroup
    /// The current φ (concatenated per group with `groups`).
    public private(set) var weights: [Float]
    /// The φ with the best validation loss so far (φ₀ until the first validation).
    public private(set) var bestWeights: [Float]
    public internal(set) var progress: MetaTrainingProgress
    /// The CSV log so far (header included).
    public private(set) var logText: String

    let metaOptimizer: Adam
    let metaState: MomentState
    private var gradient: [Float]
    private var scratch: [Float]
    private var unroll: LSTMUnroll?
    private var batch: ProblemBatch?
    /// Coarse to fine: the batch's step count when its current problems started.
    private var scaleStart = 0

    /// - Parameters:
    ///   - groups: one LSTM per group of these, all of `configuration` (nil: one LSTM).
    ///   - initialWeights: φ₀ to start from (e.g. a model trained on a shorter horizon, for a
    ///     curriculum; concatenated per group); default: the seeded initialization of
    ///     `configuration`, group 0 from `settings.seed` and group g > 0 from its fork g.
    ///   - processes: the ranks that share each meta-step's problems (at most P of them).
    public init(task: any MetaTask, configuration: LSTMConfiguration, settings: MetaTrainingSettings,
                groups: ParameterGroups? = nil, initialWeights: [Float]? = nil,
                processes: any ProcessGroup = SingleProcess()) throws {
        try settings.validate()
        if processes.size > settings.problemsPerStep {
            throw MetaTrainingError.invalidSettings(
                "\(processes.size) processes cannot share \(settings.problemsPerStep) problem(s) per meta-step; use at most that many ranks, or more problems per meta-step")
        }
        // One training problem, made once, tells what the task's problems can do.
        let probe = task.makeProblem(split: .training, index: 0)
        if settings.secondOrder {
            func check(_ ok: Bool, _ what: String) throws {
                if !ok { throw MetaTrainingError.invalidSettings("second-order meta-gradients \(what)") }
            }
            try check(configuration.allowsSecondOrder,
                      "need the paper's stateless inputs (no RMS or momentum inputs, no momentum read-out, no high-pass)")
            try check(probe.enableReplay(),
                      "need problems that can replay a step; the \(task.name) task's cannot")
        }
        if configuration.inputs.highPass != nil && groups != nil {
            throw MetaTrainingError.invalidSettings("the high-pass input needs one LSTM, not one per parameter group")
        }
        if let k = probe.coarseSteps {
            guard groups == nil && !settings.secondOrder && k % settings.unroll == 0 && k < settings.horizon else {
                throw MetaTrainingError.invalidSettings(
                    "coarse-to-fine problems (\(k) coarse steps) need one LSTM, first-order meta-gradients, and a number of coarse steps that is a multiple of the unroll (\(settings.unroll)) below the horizon (\(settings.horizon))")
            }
        }
        let count = (groups?.count ?? 1) * configuration.layout.weightCount
        precondition(initialWeights == nil || initialWeights!.count == count,
                     "MetaTrainer: \(initialWeights?.count ?? 0) initial weights for \(count)")
        self.task = task
        self.configuration = configuration
        self.groups = groups
        self.settings = settings
        self.processes = processes
        let root = SeededGenerator(seed: settings.seed)
        weights = initialWeights ?? LSTMOptimizer.initialWeights(configuration, groups: groups, generator: root)
        bestWeights = weights
        progress = MetaTrainingProgress()
        logText = MetaTrainer.logHeader
        metaOptimizer = Adam(learningRate: settings.metaLearningRate)
        metaState = metaOptimizer.makeState(count: weights.count)
        gradient = [Float](repeating: 0, count: weights.count)
        scratch = gradient
    }

    static let logHeader = "meta_step,batch,unroll,meta_loss,gradient_norm,skipped,seconds_per_unroll,validation_loss\n"

    /// The learned optimizer with φ (the current weights by default): one `LSTMOptimizer`, or
    /// one per parameter group (`LSTMOptimizer.learned`).
    public func optimizer(weights w: [Float]? = nil) -> any Optimizer {
        LSTMOptimizer.learned(configuration: configuration, groups: groups, weights: w ?? weights)
    }

    /// φ split into one LSTM weight vector per group, in `groups.names` order (`[w]` without groups).
    public func weightsPerGroup(_ w: [Float]) -> [[Float]] {
        let n = configuration.layout.weightCount
        precondition(w.count == (groups?.count ?? 1) * n, "MetaTrainer: \(w.count) weights, expected a multiple \(groups?.count ?? 1) of \(n)")
        return configuration.splitPerGroup(w)
    }

    /// A fresh unroll engine for `b`: one LSTM per group with `groups`, else one over all coordinates.
    private func makeUnroll(for b: ProblemBatch, maxSteps: Int) -> LSTMUnroll {
        LSTMUnroll(configuration: configuration, groups: groups, count: b.count, maxSteps: maxSteps,
                   secondOrderSteps: settings.secondOrderSteps)
    }

    /// Whether the next meta-step starts a fresh problem batch (checkpoints are taken there).
    public var isAtBatchBoundary: Bool { progress.unrollInBatch == 0 }

    /// This rank's share of the training problems of batch `b` (rescaled when
    /// `settings.randomScale` is set).
    func makeBatch(_ b: Int) -> ProblemBatch {
        let P = settings.problemsPerStep
        return ProblemBatch(processes.share(of: P).map { k -> any Problem in
            let index = b * P + k
            let problem = task.makeProblem(split: .training, index: index)
            guard let r = settings.randomScale, r > 0 else { return problem }
            var g = SeededGenerator(seed: settings.seed).fork(0x5343_414C).fork(UInt64(index))   // "SCAL"
            return RescaledProblem(problem, factor: Float(pow(10, g.nextUniform(in: -Double(r), Double(r)))))
        })
    }

    /// One meta-step: one unroll, its meta-gradient and (if finite) one ADAM update of φ.
    public func step() -> MetaStepRecord {
        let start = Date()
        if progress.unrollInBatch == 0 {
            let b = makeBatch(progress.batch)
            if unroll == nil || unroll!.count != b.count { unroll = makeUnroll(for: b, maxSteps: settings.unroll) }
            unroll!.reset(batch: b)
            batch = b
            scaleStart = 0
        } else if let k = batch!.coarseSteps, unroll!.stepsTaken - scaleStart == k {
            // Coarse to fine: the problems move to their finer problems, the LSTM state carried.
            let (b, source) = batch!.refined(at: unroll!.theta.data)
            let u = makeUnroll(for: b, maxSteps: settings.unroll)
            source.withUnsafeBufferPointer { _ = u.reset(batch: b, carrying: unroll!, source: $0.baseAddress!) }
            scaleStart = unroll!.stepsTaken
            unroll = u
            batch = b
        }
        let u = unroll!, b = batch!
        let steps = min(settings.unroll, settings.horizon - u.stepsTaken)
        let P = settings.problemsPerStep, n = weights.count, local = b.problems.count
        // This rank's problems: each one's meta-gradient row and meta-loss share.
        var rows = [Float](repeating: 0, count: local * n)
        _ = weights.withUnsafeBufferPointer { w in
            rows.withUnsafeMutableBufferPointer { r in
                let loss = u.forward(batch: b, weights: w.baseAddress!, steps: steps, objective: settings.objective,
                                     weighting: settings.stepWeighting, problems: P, stepLosses: nil)
                if loss.isFinite { u.backward(weights: w.baseAddress!, problemGradients: r.baseAddress!) }
                return loss
            }
        }
        // Every problem's, in problem order, on every rank; added in that order.
        let shares = processes.allgatherItems(u.problemMetaLosses, items: P, width: 1)
        let metaLoss = shares.reduce(0, +) / Double(P)
        let allRows = processes.allgatherItems(rows, items: P, width: n)
        for i in gradient.indices { gradient[i] = 0 }
        allRows.withUnsafeBufferPointer { r in
            gradient.withUnsafeMutableBufferPointer { LSTMUnroll.addRows(r.baseAddress!, count: P, width: n, into: $0.baseAddress!) }
        }
        var norm2 = 0.0
        for g in gradient { norm2 += Double(g) * Double(g) }
        let norm = norm2.squareRoot()
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
                        metaOptimizer.step(parameters: w.baseAddress!, gradient: g.baseAddress!,
                                           scratch: d.baseAddress!, state: metaState)
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
            // The batch's θ or state may be ruined: start the next batch.
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

    /// The validation criterion of the optimizer with φ: `settings.validationCriterion` of the
    /// mean loss curve over the validation problems (for `.sum`, the mean summed loss Σ_{t=1..H} f(θ_t);
    /// with `selection == .final`, the mean loss after step H).
    /// The validation problems are split over `processes` (each rank makes only its share).
    public func validationLoss(weights w: [Float]? = nil) -> Double {
        let task = self.task
        return settings.validationCriterion(Evaluator.meanLossCurve(
            optimizer(weights: w), problemCount: settings.validationProblems, steps: settings.horizon,
            processes: processes) { task.makeProblem(split: .validation, index: $0) })
    }

    /// Validates the current φ and keeps it if it is the best so far. Returns (loss, isBest).
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

    /// Runs meta-steps until `settings.metaSteps`, validating every `validateEvery` steps (and
    /// at the end), calling `checkpoint` at the first batch boundary at or after every
    /// `checkpointEvery` steps (if > 0) and at the end, and `observe` after every step.
    ///
    /// Throws `MetaTrainingError.diverged` after too many consecutive non-finite steps; φ is
    /// then the last finite one and `bestWeights` the best validated one.
    public func run(
        checkpointEvery: Int = 0,
        checkpoint: ((MetaTrainer) throws -> Void)? = nil,
        observe: ((MetaStepRecord) -> Void)? = nil
    ) throws {
        var lastCheckpoint = progress.metaStep
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
            if let checkpoint, checkpointEvery > 0, isAtBatchBoundary,
               last || progress.metaStep - lastCheckpoint >= checkpointEvery {
                try checkpoint(self)
                lastCheckpoint = progress.metaStep
            }
        }
    }

    private func appendLog(_ r: MetaStepRecord) {
        func f(_ x: Double) -> String { String(format: "%.9g", x) }
        logText += "\(r.metaStep),\(r.batch),\(r.unroll),\(f(r.metaLoss)),\(f(r.gradientNorm)),\(r.skipped ? 1 : 0),"
            + String(format: "%.6f", r.seconds) + "," + (r.validationLoss.map(f) ?? "") + "\n"
    }

    /// Restores a trainer from checkpointed data (see `Checkpoint`).
    convenience init(task: any MetaTask, configuration: LSTMConfiguration, settings: MetaTrainingSettings,
         groups: ParameterGroups?, weights: [Float], bestWeights: [Float], adamM: [Float], adamV: [Float], adamStep: Int,
         progress: MetaTrainingProgress, logText: String, processes: any ProcessGroup) throws {
        try self.init(task: task, configuration: configuration, settings: settings, groups: groups, processes: processes)
        let n = self.weights.count
        guard weights.count == n, bestWeights.count == n, adamM.count == n, adamV.count == n else {
            throw MetaTrainingError.mismatchedCheckpoint("weight count differs from the architecture's \(n)")
        }
        self.weights = weights
        self.bestWeights = bestWeights
        adamM.withUnsafeBufferPointer { metaState.m.data.update(from: $0.baseAddress!, count: n) }
        adamV.withUnsafeBufferPointer { metaState.v.data.update(from: $0.baseAddress!, count: n) }
        metaState.step = adamStep
        self.progress = progress
        self.logText = logText
    }

    /// Test hook: the meta-gradient of one unroll on `batch` (from a fresh state, after
    /// `warmupSteps` unrecorded steps), without updating φ.
    func metaGradient(batch: ProblemBatch, steps: Int, warmupSteps: Int = 0,
                      fault: LSTMUnroll.Fault = .none, objective: MetaObjective = .sum,
                      weighting: StepWeighting = .uniform) -> (loss: Double, gradient: [Float]) {
        let u = makeUnroll(for: batch, maxSteps: max(steps, warmupSteps, 1))
        u.fault = fault
        u.reset(batch: batch)
        var dw = [Float](repeating: 0, count: weights.count)
        let loss = weights.withUnsafeBufferPointer { w in
            if warmupSteps > 0 {
                _ = u.forward(batch: batch, weights: w.baseAddress!, steps: warmupSteps, objective: .sum, weighting: .uniform,
                              stepLosses: nil)
                u.carry()
            }
            let loss = u.forward(batch: batch, weights: w.baseAddress!, steps: steps, objective: objective,
                                 weighting: weighting, stepLosses: nil)
            dw.withUnsafeMutableBufferPointer { u.backward(weights: w.baseAddress!, dWeights: $0.baseAddress!) }
            return loss
        }
        return (loss, dw)
    }

    /// Test hook: sets φ.
    func setWeights(_ w: [Float]) { precondition(w.count == weights.count); weights = w }
}

import ArgumentParser
import Distributed
import Foundation
import MetaLearning

struct MetaTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meta-train",
        abstract: "Meta-train an LSTM optimizer on a task (first-order truncated BPTT, ADAM on its weights).",
        discussion: """
            One meta-step unrolls the LSTM optimizer for --unroll steps on --problems-per-step \
            training problems at once, backpropagates through the unroll by hand and takes one ADAM \
            step on the LSTM's weights. A problem lasts --horizon steps (several unrolls; θ and \
            the LSTM state carry over). Validation problems (a disjoint seeded stream) pick the \
            best weights, which are saved to --output. A task with parameter groups (conv) gets \
            one LSTM per group, trained jointly and saved as one grouped model.

            Under mpirun each rank unrolls its share of every meta-step's problems and \
            validation problems; the result is bit-identical to one process, and rank 0 alone \
            writes the model, the log and the checkpoints (which resume on any number of ranks).

            Example: neural-art meta-train --task quadratic --output models/quadratic.lstm
            Scaled out: mpirun -np 2 neural-art meta-train --task quadratic
            """)

    @OptionGroup var taskSelection: TaskSelection

    @Option(name: [.customLong("meta-steps"), .customLong("steps")],
            help: "Meta-steps (ADAM updates of the LSTM weights, one per unroll). Default: the task's (\(MetaTrainDefaults.summary(\.metaSteps))); with --resume, the checkpoint's.")
    var metaSteps: Int?

    @Option(help: "Optimization steps per problem (default: the task's: \(MetaTrainDefaults.horizonSummary)).")
    var horizon: Int?

    @Option(help: "Steps per truncated unroll (default: the task's: \(MetaTrainDefaults.summary(\.unroll))).")
    var unroll: Int?

    @Option(help: "Problems optimized together in each meta-step (default: the task's: \(MetaTrainDefaults.summary(\.problemsPerStep))).")
    var problemsPerStep: Int?

    @Option(help: "ADAM learning rate on the LSTM weights (default: the task's: \(MetaTrainDefaults.summary(\.metaLearningRate))).")
    var metaLearningRate: Float?

    @Option(help: "Clip the meta-gradient to this global norm (0: no clipping).")
    var clip: Float = 1

    @Option(help: "Meta-objective over an unroll's steps: sum (Σ f, the paper's) or log (Σ log f: late progress counts as much as early). Validation ranks by the same. Default: the task's (style: log, others: sum).")
    var objective: MetaObjective?

    @Option(help: "Multiply each training problem's loss scale by 10^u, u uniform in [-r, r] (random scaling: step sizes that do not depend on one gradient magnitude). 0: off. Default: the task's (style: 1, others: 0).")
    var randomScale: Float?

    @Option(help: "Weight step t of the H-step horizon in the meta-loss by (k+1)(t/H)^k: 0 is the paper's uniform sum, 1 a linear ramp, larger k move the weight onto the last steps. Validation by 'objective' uses the same weights.")
    var lateWeight: Float = 0

    @Option(help: "Multiply step t's weight in the meta-loss by 1 + a/t (step 1 counts a + 1 times as much, step 16 1 + a/16 times): so the learned optimizer cannot give up its first steps for later ones. 0: off. Validation by 'objective' uses the same weights.")
    var earlyWeight: Float = 0

    @Option(name: .customLong("second-order"), help: ArgumentHelp("Also differentiate the gradients the LSTM sees in the last K steps of each unroll (Hessian-vector products by finite differences, two more problem calls per such step); K ≥ --unroll gives the exact meta-gradient, which explodes over long unrolls. 0: the paper's first-order meta-gradient. The paper's inputs only (no --rms-inputs or --momentum-inputs); not for the style task.", valueName: "K"))
    var secondOrderSteps = 0

    @Option(help: "How validation ranks the weights: objective (the meta-objective's criterion over the horizon) or final (the mean loss after the last step).")
    var select: ValidationSelection = .objective

    @Option(help: "Validate every this many meta-steps (and at the end); the best weights are kept. Default: the task's (\(MetaTrainDefaults.summary(\.validateEvery))).")
    var validateEvery: Int?

    @Option(help: "Number of validation problems (default: the task's: \(MetaTrainDefaults.summary(\.validationProblems))).")
    var validationProblems: Int?

    @Option(help: "Checkpoint file (written atomically at problem boundaries).")
    var checkpoint: String?

    @Option(help: "Checkpoint every this many meta-steps (rounded up to a problem boundary).")
    var checkpointEvery = 500

    @Flag(help: "Continue the run saved in --checkpoint exactly where it stopped (its settings are used; --meta-steps may extend it).")
    var resume = false

    @Option(help: "Where to save the learned optimizer (the best validated weights).")
    var output: String?

    @Option(help: "CSV log of meta-loss, validation loss and seconds per unroll (default: <output>.csv).")
    var log: String?

    @Option(help: "Seed of the LSTM's initial weights.")
    var seed: UInt64 = 1

    @Option(help: "Start from this model's weights and architecture (a curriculum, e.g. horizon 64 then 128); for the conv task a grouped model with the same groups.")
    var initialModel: String?

    @Option(help: "LSTM layers.")
    var layers = 2

    @Option(help: "Hidden units per LSTM layer.")
    var hidden = 20

    @Option(help: "Gradient input features: log-sign (the paper's preprocessing) or raw.")
    var inputs: InputFeatures.Gradient = .logSign

    @Option(help: "Preprocessing exponent p of log-sign inputs.")
    var p: Float = 10

    @Flag(inversion: .prefixedNo,
          help: "Add scale-invariant inputs: gradient and momentum over a running RMS (β 0.95, clipped to ±5). Default: the task's (on for style).")
    var rmsInputs: Bool?

    @Option(help: ArgumentHelp("Add momentum inputs at these decays, e.g. 0.5,0.9,0.99: log-sign features of each bias-corrected running average of the gradient.",
                               valueName: "β,β,…"), transform: { try MetaTrainCommand.parseDecays($0) })
    var momentumInputs: [Float] = []

    @Flag(help: "Add a learned linear path from the momentum inputs' averages into the update (Δ += Σ 10·w_k·m̂_k, w starting at 0); needs --momentum-inputs.")
    var momentumReadout = false

    @Option(help: "Output scale: the LSTM's read-out is multiplied by this.")
    var outputScale: Float = 0.1

    @Option(help: ArgumentHelp("Style task: the LSTM's inputs see the gradient high-passed, g + gain·B_r(g) with B_r the mean over the (2r+1)² window of each colour plane (gain in (−1, 0) damps the smooth part; docs/TAIL.md), e.g. 16,-0.5; a third number k ramps the gain up from 0 over the first k steps. With --initial-model it replaces the model's (the weights carry over).",
                               valueName: "r,gain[,ramp]"), transform: { try MetaTrainCommand.parseHighPass($0) })
    var highPass: InputFeatures.HighPass?

    @Flag(help: "Style task with a high-pass (--high-pass, or the --initial-model's) and RMS inputs: one more LSTM input, the high-pass's local mean of the gradient over its RMS, B_r(g)/RMS. With --initial-model its weights start at 0 (the model's steps are unchanged until training moves them).")
    var localMean = false

    @Flag(help: "Style task with a high-pass (--high-pass, or the --initial-model's): the optimizer works in a luminance/chroma basis of each pixel's colour (orthonormal; it reads C·g and moves the picture by Cᵀ·Δ), so brightness and colour are separate coordinates (docs/TAIL.md). With --initial-model the weights carry over.")
    var lumaChroma = false

    @Flag(help: "Style task with a high-pass (--high-pass, or the --initial-model's): one more LSTM input, the filtered gradient over its problem's RMS at this step, g'/RMS(g') — how large a coordinate's gradient is against the rest of its picture. With --initial-model its weights start at 0 (the model's steps are unchanged until training moves them).")
    var globalRms = false

    @Flag(help: "Style task with a high-pass (--high-pass, or the --initial-model's): one more LSTM input, how smooth the problem's gradient is at this step, 5·(2ρ − 1) with ρ = RMS(B_r(g))/RMS(g) — near 1 for a picture-wide colour shift (a photo start), lower for texture (a palette start), so the optimizer can size its steps per problem. With --initial-model its weights start at 0.")
    var smoothFraction = false

    @Option(help: ArgumentHelp("K more LSTM inputs: the means over each problem's coordinates of the top layer's first K hidden units after the previous step (a delayed form of the paper's global averaging cells; held constant in the meta-gradient). With --initial-model their weights start at 0.", valueName: "K"))
    var sharedUnits: Int?

    @Flag(help: "No progress bar or summary.")
    var quiet = false

    var outputPath: String { output ?? "models/\(taskSelection.task).lstm" }
    var logPath: String {
        log ?? (outputPath.hasSuffix(".lstm") ? String(outputPath.dropLast(5)) : outputPath) + ".csv"
    }

    func validate() throws {
        if resume && checkpoint == nil { throw ValidationError("--resume needs --checkpoint <file>") }
        if layers < 1 || hidden < 1 { throw ValidationError("--layers and --hidden must be ≥ 1") }
        if !(p > 0) { throw ValidationError("--p must be positive") }
        if !(outputScale > 0) { throw ValidationError("--output-scale must be positive") }
        if checkpointEvery < 1 { throw ValidationError("--checkpoint-every must be ≥ 1") }
        if momentumReadout && momentumInputs.isEmpty {
            throw ValidationError("--momentum-readout needs --momentum-inputs")
        }
    }

    /// Parses `--high-pass`: a radius of 1–1024 pixels and a gain in (−1, 16).
    static func parseHighPass(_ text: String) throws -> InputFeatures.HighPass {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let ramp = parts.count == 3 ? Int(parts[2]) : nil
        guard parts.count == 2 || parts.count == 3, let r = Int(parts[0]), let gain = Float(parts[1]),
              r >= 1, r <= 1024, gain.isFinite, gain > -1, gain < 16, parts.count == 2 || (ramp.map { $0 >= 1 && $0 <= 1000 } ?? false) else {
            throw ValidationError("--high-pass takes a radius of 1–1024 pixels, a gain in (−1, 16) and optionally a ramp of 1–1000 steps, e.g. 16,-0.5 or 16,-0.75,4; got '\(text)'")
        }
        return InputFeatures.HighPass(radius: r, gain: gain, ramp: ramp)
    }

    /// Parses `--momentum-inputs`: 1 to 8 comma-separated decays in (0, 1).
    static func parseDecays(_ text: String) throws -> [Float] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        let decays = parts.compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard decays.count == parts.count, (1...8).contains(decays.count), decays.allSatisfy({ $0 > 0 && $0 < 1 }) else {
            throw ValidationError("--momentum-inputs needs 1 to 8 comma-separated decays in (0, 1), e.g. 0.5,0.9,0.99 (got '\(text)')")
        }
        return decays
    }

    func run() throws {
        ComputeThreads.setForMetaLearning()
        let quiet = Job.quiet(self.quiet), root = Job.isRoot
        try runReportingErrors {
            let task = try taskSelection.makeTask()
            let trainer = try makeTrainer(task: task)
            if root {
                try ensureParentDirectory(outputPath)
                try ensureParentDirectory(logPath)
                if let checkpoint { try ensureParentDirectory(checkpoint) }
            }
            let s = trainer.settings
            if !quiet {
                FileHandle.standardError.write(Data((
                    "meta-train \(taskSelection.task): " + (trainer.groups.map { "one LSTM per parameter group (\($0.summary) coordinates per problem); " } ?? "")
                    + "\(s.metaSteps) meta-steps, horizon \(s.horizon), unroll \(s.unroll), "
                    + "\(s.problemsPerStep) problems/step, meta-lr \(s.metaLearningRate), clip \(s.clipNorm), "
                    + "objective \(s.objective.rawValue), " + (s.lateWeight.map { "late weight \($0), " } ?? "") + (s.earlyWeight.map { "early weight \($0), " } ?? "") + (s.selection == .final ? "selection by final loss, " : "") + (s.secondOrder ? "second order over the last \(s.secondOrderSteps) steps, " : "") + (s.randomScale.map { "random scale ±\($0) decades, " } ?? "") + "LSTM \(trainer.configuration.layers)×\(trainer.configuration.hiddenSize) "
                    + "\(trainer.configuration.inputs.summary), output ×\(trainer.configuration.outputScale)"
                    + (trainer.configuration.momentumReadoutScale != 0 ? ", momentum read-out ×\(trainer.configuration.momentumReadoutScale)" : "")
                    + (resume ? ", resumed at meta-step \(trainer.progress.metaStep)" : "")
                    + (trainer.processes.size > 1 ? ", \(trainer.processes.size) processes" : "") + "\n").utf8))
            }
            let bar = ProgressBar(label: "meta-train", total: s.metaSteps, quiet: quiet)
            let wall = Date()
            var recent: [Double] = []
            func saveModel() throws {
                guard root else { return }
                try writeModel(trainer)
                try writeAtomically(trainer.logText, to: logPath)
            }
            do {
                try trainer.run(checkpointEvery: checkpoint == nil ? 0 : checkpointEvery, checkpoint: { t in
                    if root, let path = checkpoint {
                        try writeAtomically(t.logText, to: logPath)
                        try Checkpoint(t).write(to: path)
                    }
                }, observe: { r in
                    recent.append(r.metaLoss)
                    if recent.count > 50 { recent.removeFirst() }
                    let mean = recent.reduce(0, +) / Double(recent.count)
                    if let v = r.validationLoss {
                        bar.log("meta-step \(r.metaStep): validation loss \(formatLoss(v))\(r.isBest ? " (best)" : "")")
                        // Keep the best model and the log on disk as we go: an interrupted run loses nothing.
                        if root && r.isBest { try? writeModel(trainer) }
                        if root { try? writeAtomically(trainer.logText, to: logPath) }
                    }
                    if r.skipped { bar.log("meta-step \(r.metaStep): non-finite meta-loss or gradient, update skipped") }
                    bar.update(step: r.metaStep, message: "meta-loss \(formatLoss(mean))  "
                               + String(format: "%.1f ms/unroll", r.seconds * 1000))
                })
            } catch let e as MetaTrainingError {
                try? saveModel()
                throw e
            }
            try saveModel()
            if !quiet {
                let best = trainer.progress.bestValidationLoss.map(formatLoss) ?? "-"
                print("saved \(outputPath) (best validation \(s.validationCriterionName) \(best) at meta-step \(trainer.progress.bestMetaStep ?? 0)); "
                      + "log \(logPath); " + String(format: "%.1f s", Date().timeIntervalSince(wall)))
            }
        }
    }

    /// A trainer that resumes --checkpoint, or a fresh one: one LSTM per parameter group for a
    /// task with groups (`GroupedParameterTask`), else one LSTM over all coordinates.
    func makeTrainer(task: any MetaTask) throws -> MetaTrainer {
        if resume, let checkpoint {
            // Without --meta-steps the checkpoint's planned count stands (not a task default).
            return try Checkpoint.load(path: checkpoint).makeTrainer(task: task, metaSteps: metaSteps, path: checkpoint,
                                                                     processes: Job.processes)
        }
        let groups = (task as? any GroupedParameterTask)?.parameterGroups
        let defaults = MetaTrainDefaults.forTask(task.name)
        var lstm = LSTMConfiguration(
            layers: layers, hiddenSize: hidden,
            inputs: InputFeatures(gradient: inputs, p: p, rmsInputs: rmsInputs ?? defaults.rmsInputs, momentumDecays: momentumInputs,
                                  highPass: highPass, localMean: localMean, lumaChroma: lumaChroma, globalRMS: globalRms,
                                  smoothFraction: smoothFraction, sharedUnits: sharedUnits ?? 0),
            outputScale: outputScale, momentumReadoutScale: momentumReadout ? 10 : 0)
        var start: [Float]?
        if let initialModel {
            let file = try ModelFile.load(path: initialModel)
            try file.requireTask(task.name, path: initialModel)
            try file.requireGroups(groups, path: initialModel)
            lstm = file.configuration
            if let highPass { lstm.inputs.highPass = highPass }
            if lumaChroma { lstm.inputs.lumaChroma = true }
            start = file.weights
        }
        if (localMean || lstm.inputs.localMean) && (lstm.inputs.highPass == nil || !lstm.inputs.rmsInputs || groups != nil) {
            throw ValidationError("--local-mean needs a high-pass (--high-pass) and RMS inputs")
        }
        if lstm.inputs.lumaChroma && (lstm.inputs.highPass == nil || groups != nil) {
            throw ValidationError("--luma-chroma needs a high-pass (--high-pass)")
        }
        // The one-value extra inputs in their order (`InputFeatures`): a requested one the model
        // lacks is added below with zero weights, at the end of the inputs, so every later one
        // (and the shared units) must be absent. Checked for requested or the model's own.
        let extras: [(flag: String, name: String, requested: Bool, key: WritableKeyPath<InputFeatures, Bool>)] = [
            ("--local-mean", "local mean", localMean, \.localMean), ("--global-rms", "global RMS", globalRms, \.globalRMS),
            ("--smooth-fraction", "smooth fraction", smoothFraction, \.smoothFraction)]
        for e in extras.dropFirst() where (e.requested || lstm.inputs[keyPath: e.key]) && (lstm.inputs.highPass == nil || groups != nil) {
            throw ValidationError("\(e.flag) needs a high-pass (--high-pass)")
        }
        if let k = sharedUnits, k < 1 || k > lstm.hiddenSize {
            throw ValidationError("--shared-units takes 1 to \(lstm.hiddenSize) (the hidden size); got \(k)")
        }
        for (i, e) in extras.enumerated() where e.requested && !lstm.inputs[keyPath: e.key] {
            let later = extras[(i + 1)...].filter { lstm.inputs[keyPath: $0.key] }.map(\.name)
                + (lstm.inputs.sharedUnits > 0 ? ["shared units"] : [])
            if !later.isEmpty {
                throw ValidationError("\(e.flag): the model already has inputs that come after it (\(later.joined(separator: ", ")))")
            }
        }
        if let k = sharedUnits, lstm.inputs.sharedUnits > 0, lstm.inputs.sharedUnits != k {
            throw ValidationError("--shared-units \(k): the model already shares \(lstm.inputs.sharedUnits)")
        }
        for e in extras where e.requested && !lstm.inputs[keyPath: e.key] {  // only an --initial-model lacks one
            guard let weights = start else { break }
            start = LSTMOptimizer.addingInputs(1, to: weights, layout: lstm.layout)  // widened by one zero input
            lstm.inputs[keyPath: e.key] = true
        }
        if let k = sharedUnits, lstm.inputs.sharedUnits == 0, let weights = start {  // the last inputs
            start = LSTMOptimizer.addingInputs(k, to: weights, layout: lstm.layout)
            lstm.inputs.sharedUnits = k
        }
        if lstm.inputs.highPass != nil && task.makeProblem(split: .training, index: 0).imageShape == nil {
            throw ValidationError("--high-pass needs image-shaped problems (the style task); the \(task.name) task's are not")
        }
        let settings = MetaTrainingSettings(
            metaSteps: metaSteps ?? defaults.metaSteps, horizon: horizon ?? defaults.horizon ?? task.defaultHorizon,
            unroll: unroll ?? defaults.unroll, problemsPerStep: problemsPerStep ?? defaults.problemsPerStep,
            metaLearningRate: metaLearningRate ?? defaults.metaLearningRate, clipNorm: clip,
            validateEvery: validateEvery ?? defaults.validateEvery,
            validationProblems: validationProblems ?? defaults.validationProblems, seed: seed,
            objective: objective ?? defaults.objective, randomScale: randomScale ?? defaults.randomScale, selection: select,
            lateWeight: lateWeight, earlyWeight: earlyWeight, secondOrderSteps: secondOrderSteps)
        do { try settings.validate() } catch let e as MetaTrainingError { throw ValidationError(e.description) }
        return try MetaTrainer(task: task, configuration: lstm, settings: settings, groups: groups, initialWeights: start,
                               processes: Job.processes)
    }

    /// Writes the trainer's best φ to --output (with the trainer's groups, if any).
    func writeModel(_ t: MetaTrainer) throws {
        let task = TaskDescription(t.task)
        let metadata = ModelMetadata(
            tool: "neural-art meta-train", metaStepsDone: t.progress.metaStep,
            bestMetaStep: t.progress.bestMetaStep, bestValidationLoss: t.progress.bestValidationLoss,
            trainingSeconds: t.progress.elapsedSeconds)
        try ModelFile(configuration: t.configuration, groups: t.groups, weights: t.bestWeights, task: task,
                      training: t.settings, metadata: metadata).write(to: outputPath)
    }
}

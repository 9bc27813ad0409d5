import ArgumentParser
import Foundation
import MetaLearning

extension MetaTrainCommand {
    /// Meta-training for a task with parameter groups (e.g. conv): one LSTM per group, trained
    /// jointly; saves a grouped model file. Uses the same options; no checkpoints.
    func runGrouped(task: any GroupedParameterTask) throws {
        if resume || checkpoint != nil {
            throw ValidationError("--checkpoint/--resume are not supported for task '\(task.name)' (one LSTM per parameter group)")
        }
        if randomScale != 0 {
            throw ValidationError("--random-scale is not supported for task '\(task.name)' (one LSTM per parameter group)")
        }
        if lateWeight != 0 {
            throw ValidationError("--late-weight is not supported for task '\(task.name)' (one LSTM per parameter group)")
        }
        if objective != .sum {
            throw ValidationError("--objective \(objective.rawValue) is not supported for task '\(task.name)' (one LSTM per parameter group): use sum")
        }
        let lstm = LSTMConfiguration(
            layers: layers, hiddenSize: hidden,
            inputs: InputFeatures(gradient: inputs, p: p, rmsInputs: rmsInputs), outputScale: outputScale)
        let settings = MetaTrainingSettings(
            metaSteps: metaSteps, horizon: horizon ?? task.defaultHorizon, unroll: unroll,
            problemsPerStep: problemsPerStep, metaLearningRate: metaLearningRate, clipNorm: clip,
            validateEvery: validateEvery, validationProblems: validationProblems, seed: seed, selection: select)
        do { try settings.validate() } catch let e as MetaTrainingError { throw ValidationError(e.description) }
        let groups = task.parameterGroups
        let trainer = try GroupedMetaTrainer(task: task, groups: groups, configuration: lstm, settings: settings)
        try ensureParentDirectory(outputPath)
        try ensureParentDirectory(logPath)
        if !quiet {
            let parts = zip(groups.names, groups.counts).map { "\($0.0) \($0.1)" }.joined(separator: ", ")
            FileHandle.standardError.write(Data((
                "meta-train \(task.name): one LSTM per parameter group (\(parts) coordinates per problem); "
                + "\(settings.metaSteps) meta-steps, horizon \(settings.horizon), unroll \(settings.unroll), "
                + "\(settings.problemsPerStep) problems/step, meta-lr \(settings.metaLearningRate), clip \(settings.clipNorm), "
                + "LSTM \(lstm.layers)×\(lstm.hiddenSize) \(lstm.inputs.summary), output ×\(lstm.outputScale)\n").utf8))
        }
        let bar = ProgressBar(label: "meta-train", total: settings.metaSteps, quiet: quiet)
        let wall = Date()
        var recent: [Double] = []
        func save() throws {
            let n = lstm.layout.weightCount
            let file = GroupedModelFile(
                configuration: lstm, groups: groups,
                weights: (0..<groups.count).map { Array(trainer.bestWeights[($0 * n)..<(($0 + 1) * n)]) },
                task: TaskDescription(task), training: settings,
                metadata: ModelMetadata(
                    tool: "neural-art meta-train", metaStepsDone: trainer.progress.metaStep,
                    bestMetaStep: trainer.progress.bestMetaStep, bestValidationLoss: trainer.progress.bestValidationLoss,
                    trainingSeconds: trainer.progress.elapsedSeconds))
            try file.write(to: outputPath)
            try writeAtomically(trainer.logText, to: logPath)
        }
        do {
            try trainer.run { r in
                recent.append(r.metaLoss)
                if recent.count > 50 { recent.removeFirst() }
                let mean = recent.reduce(0, +) / Double(recent.count)
                if let v = r.validationLoss {
                    bar.log("meta-step \(r.metaStep): validation loss \(formatLoss(v))\(r.isBest ? " (best)" : "")")
                }
                if r.skipped { bar.log("meta-step \(r.metaStep): non-finite meta-loss or gradient, update skipped") }
                bar.update(step: r.metaStep, message: "meta-loss \(formatLoss(mean))  "
                           + String(format: "%.1f ms/unroll", r.seconds * 1000))
            }
        } catch let e as MetaTrainingError {
            try? save()
            throw e
        }
        try save()
        if !quiet {
            let best = trainer.progress.bestValidationLoss.map(formatLoss) ?? "-"
            print("saved \(outputPath) (best validation \(select == .final ? "final loss" : "summed loss") \(best) at meta-step \(trainer.progress.bestMetaStep ?? 0)); "
                  + "log \(logPath); " + String(format: "%.1f s", Date().timeIntervalSince(wall)))
        }
    }
}

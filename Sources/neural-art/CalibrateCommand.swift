import ArgumentParser
import Foundation
import MetaLearning

struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Tune a learned optimizer's step scale on validation problems, as `tune` does a baseline's learning rate.",
        discussion: """
            The first-order meta-gradient treats the optimizee's gradients as constants, so \
            meta-training cannot see that a larger step changes the gradients that follow, and a \
            meta-trained optimizer's step size can be off (on the MLP task every first-order model \
            took steps that were too large late in a run, less so with meta-train --second-order; \
            the conv pair's were too small). This command grid-searches one multiplier of the model's output scale on the task's \
            validation problems (never test problems) — the same log grid, criterion and problems \
            as `neural-art tune` uses for each baseline — and writes the model with the scale \
            multiplied and the search recorded in its header. The LSTM's weights are unchanged.

            Example: neural-art calibrate --task mlp --model runs/mlp.lstm --output models/mlp.lstm
            """)

    @OptionGroup var taskSelection: TaskSelection

    @Option(help: "The learned optimizer to calibrate (a model file from meta-train).")
    var model: String

    @Option(help: "Where to write the calibrated model (default: <model>-calibrated.lstm).")
    var output: String?

    @OptionGroup var grid: GridSearchOptions

    @Option(help: "What to minimize: final (the last step's mean loss) or sum (Σ of the mean loss over all steps).")
    var criterion: TuningCriterion = .final

    @Flag(help: "No progress bar or summary (the saved file is still named).")
    var quiet = false

    var outputPath: String {
        output ?? (model.hasSuffix(".lstm") ? String(model.dropLast(5)) : model) + "-calibrated.lstm"
    }

    func run() throws {
        ComputeThreads.setForMetaLearning()
        let quiet = Job.quiet(self.quiet)
        try runReportingErrors {
            let task = try taskSelection.makeTask()
            let steps = grid.steps(for: task), problems = grid.problems
            // ~11 grid points (5 on the initial grid, 6 refining): an estimate for the bar.
            let bar = ProgressBar(label: "calibrate", total: 11, quiet: quiet)
            var done = 0
            func progress(_ m: Float, _ v: Double) {
                done += 1
                bar.update(step: done, message: "×\(String(format: "%.3g", Double(m))): \(formatLoss(v))", estimated: true)
            }
            let file = try ModelFile.load(path: model)
            try file.requireTask(task.name, path: model)
            let groups = try file.partition(for: task, path: model)
            let calibration = StepScaleCalibrator.calibrate(
                configuration: file.configuration, task: task, steps: steps, problems: problems, criterion: criterion,
                pointsPerDecade: grid.pointsPerDecade, processes: Job.processes, optimizer: { file.optimizer(groups: groups, configuration: $0) },
                progress: progress)
            let data = try file.calibrated(calibration).encoded()
            bar.finish(step: done, message: "\(done) runs")
            guard Job.isRoot else { return }
            guard calibration.value.map({ $0.isFinite }) ?? false else {
                throw CLIError("calibrate: the optimizer diverged at every step scale tried on \(problems) validation problems of task '\(task.name)'; nothing written")
            }
            try ensureParentDirectory(outputPath)
            try writeAtomically(data, to: outputPath)
            if !quiet {
                let before = calibration.uncalibratedValue.map(formatLoss) ?? "-"
                print("output scale ×\(String(format: "%.4g", Double(calibration.multiplier))) "
                      + "(\(calibration.previousOutputScale) → \(calibration.previousOutputScale * calibration.multiplier)); "
                      + "validation \(criterion.rawValue) loss \(before) → \(calibration.value.map(formatLoss) ?? "-") "
                      + "on \(problems) problems; saved \(outputPath)")
            } else {
                print("saved \(outputPath)")
            }
        }
    }
}

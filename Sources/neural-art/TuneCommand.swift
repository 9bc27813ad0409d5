import ArgumentParser
import Foundation
import MetaLearning

struct TuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Grid-search the learning rates of SGD, NAG, RMSprop and ADAM on validation problems.",
        discussion: """
            Every baseline runs on the same validation problems (never test problems) for each \
            learning rate of a log grid, which is widened while the best rate sits at its edge and \
            then refined. The chosen rates are saved as JSON for `neural-art evaluate --baselines`.

            Example: neural-art tune --task quadratic --output models/quadratic-baselines.json
            """)

    @OptionGroup var taskSelection: TaskSelection

    @OptionGroup var grid: GridSearchOptions

    @Option(help: "What to minimize: sum (Σ of the mean loss over all steps, the meta-training objective) or final (the last step's mean loss).")
    var criterion: TuningCriterion = .sum

    @Option(help: "Where to save the chosen rates (default: models/<task>-baselines.json).")
    var output: String?

    @Flag(help: "No progress bar or summary (the saved file is still named).")
    var quiet = false

    func run() throws {
        ComputeThreads.setForMetaLearning()
        let quiet = Job.quiet(self.quiet)
        try runReportingErrors {
            let task = try taskSelection.makeTask()
            let path = output ?? "models/\(taskSelection.task)-baselines.json"
            let rates = tuneBaselines(task: task, steps: grid.steps(for: task), problems: grid.problems,
                                      criterion: criterion, pointsPerDecade: grid.pointsPerDecade, quiet: quiet)
            guard Job.isRoot else { return }
            try writeAtomically(try rates.encoded(), to: path)
            if !quiet { print(rates.summary) }
            print("saved \(path)")
        }
    }
}

/// Runs the tuner with a progress bar (shared by `tune` and `evaluate`), the problems split
/// over the job's processes.
func tuneBaselines(task: any MetaTask, steps: Int, problems: Int, criterion: TuningCriterion,
                   pointsPerDecade: Int, quiet: Bool) -> BaselineRates {
    // ~22 grid points per baseline before widening/refining: an estimate for the bar, which
    // grows it when the grid widens and ends at the real count.
    let bar = ProgressBar(label: "tune", total: 4 * (16 + 6), quiet: quiet)
    var done = 0
    let rates = BaselineTuner.tune(task: task, steps: steps, problems: problems, criterion: criterion,
                                   pointsPerDecade: pointsPerDecade, processes: Job.processes) { b, lr, v in
        done += 1
        bar.update(step: done, message: "\(b.rawValue) lr \(String(format: "%.3g", Double(lr))): \(formatLoss(v))", estimated: true)
    }
    bar.finish(step: done, message: "\(done) runs")
    return rates
}

extension TuningCriterion: ExpressibleByArgument {}

extension BaselineRates {
    /// One line per baseline: name, rate, criterion value.
    var summary: String {
        Baseline.allCases.compactMap { b -> String? in
            guard let lr = rates[b.rawValue] else { return nil }
            let v = grids[b.rawValue]?.first { $0.learningRate == lr }?.value
            return "\(b.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) lr \(String(format: "%.4g", Double(lr)))"
                + "  validation \(criterion.rawValue) loss \(v.map(formatLoss) ?? "-")"
        }.joined(separator: "\n")
    }
}

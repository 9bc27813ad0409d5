import ArgumentParser
import Distributed
import Foundation
import MetaLearning
import NeuralArt

struct TuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Grid-search the learning rates of SGD, NAG, RMSprop and ADAM on validation problems.",
        discussion: """
            Every baseline runs on the same validation problems (never test problems) for each \
            learning rate of a log grid, which is widened while the best rate sits at its edge and \
            then refined. The chosen rates are saved as JSON for `neural-art evaluate --baselines`.

            On a style distribution, --per-family also tunes every baseline separately on each \
            family's own validation problems (--problems of each family; held-out families \
            included) and saves that table too (familyRates): `evaluate` then runs each test \
            problem at its family's rates. It costs one more tuning run per family.

            Example: neural-art tune --task quadratic --output models/quadratic-baselines.json
            """)

    @OptionGroup var taskSelection: TaskSelection

    @OptionGroup var grid: GridSearchOptions

    @Option(help: "What to minimize: sum (Σ of the mean loss over all steps, the meta-training objective) or final (the last step's mean loss).")
    var criterion: TuningCriterion = .sum

    @Option(help: "Where to save the chosen rates (default: models/<task>-baselines.json).")
    var output: String?

    @Flag(help: "Style task with a style distribution: also tune each baseline on each style family's own validation problems (--problems per family) and save the per-family rates, which evaluate then uses.")
    var perFamily = false

    @Option(help: "Baselines to tune, comma-separated (sgd, nag, rmsprop, adam; default: all four). The file then holds only these, and `evaluate --baselines` runs only these.")
    var only: String?

    @Flag(help: "No progress bar or summary (the saved file is still named).")
    var quiet = false

    func run() throws {
        ComputeThreads.setForMetaLearning()
        let quiet = Job.quiet(self.quiet)
        try runReportingErrors {
            let task = try taskSelection.makeTask()
            if perFamily && (task as? StyleTask)?.distribution == nil {
                throw ValidationError("--per-family needs the style task with a style distribution (--style-families or --style-dir)")
            }
            let path = output ?? "models/\(taskSelection.task)-baselines.json"
            let rates = tuneBaselines(task: task, baselines: try selectedBaselines(), steps: grid.steps(for: task),
                                      problems: grid.problems, criterion: criterion, pointsPerDecade: grid.pointsPerDecade,
                                      perFamily: perFamily, quiet: quiet)
            guard Job.isRoot else { return }
            try writeAtomically(try rates.encoded(), to: path)
            if !quiet { print(rates.summary) }
            print("saved \(path)")
        }
    }
}

extension TuneCommand {
    /// `--only`'s baselines in canonical order (all four without it).
    func selectedBaselines() throws -> [Baseline] {
        guard let only else { return Baseline.allCases }
        var chosen = Set<Baseline>()
        for word in only.split(separator: ",", omittingEmptySubsequences: false) {
            let name = word.trimmingCharacters(in: .whitespaces).lowercased()
            guard let b = Baseline(rawValue: name) else {
                throw ValidationError("--only: unknown baseline '\(name)' (known: sgd, nag, rmsprop, adam)")
            }
            chosen.insert(b)
        }
        return Baseline.allCases.filter(chosen.contains)
    }
}

/// Runs the tuner with a progress bar (shared by `tune`, `evaluate` and `compare`), the problems
/// split over `processes` (default: the job's). With `perFamily` (a style task with a
/// distribution), every baseline is also tuned on each family's first `problems` validation
/// problems and the rates record the per-family table.
func tuneBaselines(task: any MetaTask, baselines: [Baseline] = Baseline.allCases, steps: Int, problems: Int, criterion: TuningCriterion,
                   pointsPerDecade: Int, perFamily: Bool = false, initialRanges: [Baseline: ClosedRange<Double>] = [:],
                   refinement: Int = 3, estimatedRuns: Int = 16 + 6, processes: any ProcessGroup = Job.processes,
                   quiet: Bool) -> BaselineRates {
    let families = perFamily ? (task as? StyleTask)?.problemIndicesByFamily(split: .validation, perFamily: problems) ?? [] : []
    // `estimatedRuns` grid points per baseline (~22 on the default grid before widening and
    // refining): an estimate for the bar, which grows it when the grid widens and ends at the real count.
    let bar = ProgressBar(label: "tune", total: baselines.count * estimatedRuns * (1 + families.count), quiet: quiet)
    var done = 0
    func progress(_ prefix: String) -> (Baseline, Float, Double) -> Void {
        { b, lr, v in
            done += 1
            bar.update(step: done, message: "\(prefix)\(b.rawValue) lr \(String(format: "%.3g", Double(lr))): \(formatLoss(v))",
                       estimated: true)
        }
    }
    var rates = BaselineTuner.tune(task: task, baselines: baselines, steps: steps, problems: problems, criterion: criterion,
                                   pointsPerDecade: pointsPerDecade, initialRanges: initialRanges, refinement: refinement,
                                   processes: processes, progress: progress(""))
    if !families.isEmpty {
        rates = rates.addingFamilies(families.map { group in
            (group.family.rawValue,
             BaselineTuner.tune(task: task, baselines: baselines, steps: steps, validationIndices: group.indices, criterion: criterion,
                                pointsPerDecade: pointsPerDecade, initialRanges: initialRanges, refinement: refinement,
                                processes: processes, progress: progress(group.family.rawValue + " ")))
        })
    }
    bar.finish(step: done, message: "\(done) runs")
    return rates
}

extension TuningCriterion: ExpressibleByArgument {}

extension BaselineRates {
    /// One line per baseline: name, rate, criterion value; then, with per-family rates, one
    /// line per family (canonical order) with each baseline's rate.
    var summary: String {
        var lines = Baseline.allCases.compactMap { b -> String? in
            guard let lr = rates[b.rawValue] else { return nil }
            let v = grids[b.rawValue]?.first { $0.learningRate == lr }?.value
            return "\(b.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) lr \(String(format: "%.4g", Double(lr)))"
                + "  validation \(criterion.rawValue) loss \(v.map(formatLoss) ?? "-")"
        }
        if let familyRates {
            lines.append("per-family rates (\(familyProblems ?? 0) validation problems each):")
            func cell(_ s: String) -> String { s.padding(toLength: 10, withPad: " ", startingAt: 0) }
            lines.append((cell("family") + Baseline.allCases.map { cell($0.rawValue) }.joined()).trimmingCharacters(in: .whitespaces))
            let rank = { (name: String) in StyleFamily.allCases.firstIndex { $0.rawValue == name } ?? StyleFamily.allCases.count }
            let order = familyRates.keys.sorted { (rank($0), $0) < (rank($1), $1) }
            for family in order {
                let row = Baseline.allCases.map { b in cell(familyRates[family]?[b.rawValue].map { String(format: "%.4g", Double($0)) } ?? "-") }
                lines.append((cell(family) + row.joined()).trimmingCharacters(in: .whitespaces))
            }
        }
        return lines.joined(separator: "\n")
    }
}

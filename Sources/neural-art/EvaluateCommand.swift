import ArgumentParser
import Foundation
import MetaLearning
import NeuralArt

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Compare a learned optimizer with tuned baselines on fresh test problems.",
        discussion: """
            Runs the learned optimizer (--model) and SGD, NAG, RMSprop and ADAM at their tuned \
            learning rates (--baselines from `neural-art tune`, or tuned now on validation \
            problems) on the same --problems test problems — a seed stream never used for \
            training, validation or tuning — and reports the mean loss per step: a table (steps 1, \
            10, 25, 50, 100 and the summed loss), a CSV of the curves, an SVG plot of log-loss \
            against step, and optionally JSON.

            A second table says how soon each optimizer gets where tuned ADAM ends: per test \
            problem, the first step at which its loss is ≤ ADAM's loss after the last step on \
            that problem (or never), the median of those steps, its measured milliseconds per \
            step, the seconds that makes, and that time as a multiple of ADAM's for its whole run.

            On a style distribution, baselines whose rates were tuned per family (`tune \
            --per-family`, or --per-family here when tuning now) run each test problem at its \
            family's rate; the header says which tuning was used.

            Example: neural-art evaluate --task quadratic --model models/quadratic.lstm
            """)

    @OptionGroup var taskSelection: TaskSelection

    @Option(help: "The learned optimizer (a model file from meta-train).")
    var model: String?

    @Option(help: "Tuned baseline learning rates (JSON from `neural-art tune`); if absent, they are tuned now on validation problems.")
    var baselines: String?

    @Option(help: "Number of test problems.")
    var problems = 100

    @Option(help: "Optimization steps (default: the task's horizon).")
    var steps: Int?

    @Option(help: "Tuning criterion when tuning now: sum or final.")
    var criterion: TuningCriterion = .sum

    @Option(help: "Folder for the CSV and the plot when --csv or --plot is not given (default: the working directory).")
    var outputDir: String = "."

    @Option(help: "CSV of the mean loss curves (default: <output-dir>/<model name or task>-eval.csv).")
    var csv: String?

    @Option(help: "SVG plot of log10 mean loss against step (default: <output-dir>/<model name or task>-eval.svg).")
    var plot: String?

    @Option(help: "Write {task, steps, optimizers: {name: {learning_rate, group_learning_rates (per family), mean_loss, seconds, steps, steps_to_adam_final (median; per problem: steps_to_adam_final_by_problem), seconds_per_step, seconds_to_adam_final, adam_time_ratio}}} as JSON to this file.")
    var json: String?

    @Option(parsing: .upToNextOption, help: "Steps shown in the table (default: 1, 10, 25, 50, 100 and the last).")
    var tableSteps: [Int] = []

    @Flag(help: "Style task with a style distribution: also print each optimizer's mean loss at the last step per style family (held-out families marked *).")
    var byFamily = false

    @Flag(help: "Style task with a style distribution: when tuning now, tune each baseline per style family too (--problems validation problems per family); the baselines then run each test problem at its family's rate (as they do with a --baselines file that has per-family rates).")
    var perFamily = false

    @Flag(help: "No progress bar.")
    var quiet = false

    func validate() throws {
        if problems < 1 { throw ValidationError("--problems must be ≥ 1") }
        if let steps, steps < 1 { throw ValidationError("--steps must be ≥ 1") }
    }

    func run() throws {
        ComputeThreads.setForMetaLearning()
        let quiet = Job.quiet(self.quiet)
        try runReportingErrors {
            let task = try taskSelection.makeTask()
            let steps = self.steps ?? task.defaultHorizon
            let distribution = (task as? StyleTask)?.distribution
            for (flag, given) in [("--by-family", byFamily), ("--per-family", perFamily)] where given && distribution == nil {
                throw ValidationError("\(flag) needs the style task with a style distribution (--style-families or --style-dir)")
            }
            var optimizers: [(name: String, learningRate: Float?, optimizer: any Optimizer)] = []
            if let model {
                optimizers.append(("lstm", nil, try ModelFile.load(path: model).optimizer(for: task, path: model)))
            }
            let rates: BaselineRates
            if let baselines {
                rates = try BaselineRates.load(path: baselines)
                guard rates.task.name == task.name else {
                    throw ModelFileError.mismatched(path: baselines, detail: "tuned for task '\(rates.task.name)', not '\(task.name)'")
                }
                if perFamily && rates.familyRates == nil {
                    throw ModelFileError.mismatched(path: baselines, detail: "no per-family rates (make them with tune --per-family)")
                }
            } else {
                if !quiet {
                    let what = perFamily ? "\(problems) validation problems, then per style family on \(problems) each" : "\(problems) validation problems"
                    FileHandle.standardError.write(Data("tuning baselines on \(what)…\n".utf8))
                }
                rates = tuneBaselines(task: task, steps: steps, problems: problems, criterion: criterion,
                                      pointsPerDecade: 3, perFamily: perFamily, quiet: quiet)
            }
            for b in Baseline.allCases {
                if let lr = rates.rates[b.rawValue] { optimizers.append((b.rawValue, lr, b.make(learningRate: lr))) }
            }
            // On a style distribution with per-family rates, each baseline runs each test problem at its family's rate.
            let familyRates = distribution == nil ? nil : rates.familyRates
            var rows = optimizers.map { EvaluatedOptimizer(name: $0.name, learningRate: $0.learningRate, optimizer: $0.optimizer) }
            if let familyRates, let style = task as? StyleTask, let distribution {
                rows = try rows.map { row in
                    guard let b = Baseline(rawValue: row.name) else { return row }
                    return try familyRow(b, rates: familyRates, task: style, families: distribution.families, path: baselines)
                }
            }
            let bar = ProgressBar(label: "evaluate", total: optimizers.count, quiet: quiet)
            var done = 0
            let report = { (name: String) in
                done += 1
                bar.update(step: done, message: name)
            }
            // Classifiers also report the test-set loss and accuracy of the final parameters.
            let classification = (task as? any ClassificationTask).map {
                ClassificationEvaluation.run(task: $0, optimizers: optimizers, problems: problems, steps: steps,
                                             testLimit: taskSelection.data.testSamples, processes: Job.processes,
                                             progress: report)
            }
            let result = classification?.result
                ?? EvaluationResult.run(task: task, optimizers: rows, problems: problems, steps: steps,
                                        processes: Job.processes, progress: report)
            guard Job.isRoot else { return }
            // Named after the model's file (not its folder: models/ stays free of untracked files).
            let stem = model.map { name in
                let file = (name as NSString).lastPathComponent
                return file.hasSuffix(".lstm") ? String(file.dropLast(5)) : file
            } ?? "\(taskSelection.task)"
            let dir = outputDir as NSString
            let csvPath = csv ?? dir.appendingPathComponent(stem + "-eval.csv")
            let plotPath = plot ?? dir.appendingPathComponent(stem + "-eval.svg")
            try writeAtomically(result.csv(), to: csvPath)
            try writeAtomically(SVGPlot.lossCurves(result), to: plotPath)
            if let json { try writeAtomically(try classification?.json() ?? result.json(), to: json) }
            let tuning: String
            if familyRates != nil {
                tuning = "baselines tuned per style family on \(rates.familyProblems ?? 0) validation problems each, criterion "
                    + "\(rates.criterion.rawValue); each test problem at its family's rates"
            } else {
                tuning = "baselines tuned on \(rates.problems) validation problems"
                    + (distribution != nil ? " across families (one rate each)" : "") + ", criterion \(rates.criterion.rawValue)"
            }
            print("mean loss over \(problems) test problems of \(task.name) (\(steps) steps; \(tuning)):")
            print(classification?.table() ?? result.table(steps: tableSteps.isEmpty ? nil : tableSteps), terminator: "")
            if let wallClock = result.timeToReferenceTable() { print(wallClock, terminator: "") }
            if byFamily, let style = task as? StyleTask { print(familyTable(style, result: result)) }
            print("wrote \(csvPath), \(plotPath)" + (json.map { ", \($0)" } ?? ""))
        }
    }
}

extension EvaluateCommand {
    /// Baseline `b` running each test problem at its family's rate in `rates` (`familyRates`
    /// of a baselines file, which `path` names; nil: tuned now).
    func familyRow(_ b: Baseline, rates: [String: [String: Float]], task: StyleTask, families: [StyleFamily],
                   path: String?) throws -> EvaluatedOptimizer {
        let groups = try families.map { f -> (name: String, learningRate: Float?, optimizer: any Optimizer) in
            guard let lr = rates[f.rawValue]?[b.rawValue] else {
                let detail = "no per-family \(b.rawValue) rate for family '\(f.rawValue)' (tuned on \(rates.keys.sorted().joined(separator: ", ")))"
                if let path { throw ModelFileError.mismatched(path: path, detail: detail) }
                throw CLIError(detail)
            }
            return (f.rawValue, lr, b.make(learningRate: lr))
        }
        var group: [Int] = Array(repeating: 0, count: problems)
        for g in task.problemIndicesByFamily(split: .test, count: problems) {
            let k = families.firstIndex(of: g.family)!
            for i in g.indices { group[i] = k }
        }
        return EvaluatedOptimizer(name: b.rawValue, groups: groups) { group[$0] }
    }

    /// Mean loss at the last step of each optimizer on the test problems of each style family
    /// (from the evaluation's per-problem curves: the problems' losses added in problem order).
    func familyTable(_ task: StyleTask, result: EvaluationResult) -> String {
        let steps = result.steps
        let heldOut = Set(task.distribution?.heldOut ?? [])
        var out = "mean loss at step \(steps) by style family (* held out from training):\n"
        var header = "family     problems"
        for c in result.curves { header += "  " + c.name.padding(toLength: 10, withPad: " ", startingAt: 0) }
        out += header.trimmingCharacters(in: .whitespaces) + "\n"
        for group in task.problemIndicesByFamily(split: .test, count: problems) {
            let name = group.family.rawValue + (heldOut.contains(group.family) ? "*" : "")
            var line = name.padding(toLength: 11, withPad: " ", startingAt: 0) + String(format: "%8d", group.indices.count)
            for c in result.curves {
                var total = 0.0
                for i in group.indices { total += c.problemLosses[i][steps] }
                line += "  " + formatLoss(total / Double(group.indices.count)).padding(toLength: 10, withPad: " ", startingAt: 0)
            }
            out += line.trimmingCharacters(in: .whitespaces) + "\n"
        }
        return out
    }
}

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

    @Option(help: "Write {task, steps, optimizers: {name: {learning_rate, mean_loss}}} as JSON to this file.")
    var json: String?

    @Option(parsing: .upToNextOption, help: "Steps shown in the table (default: 1, 10, 25, 50, 100 and the last).")
    var tableSteps: [Int] = []

    @Flag(help: "Style task with a style distribution: also print each optimizer's mean loss at the last step per style family (held-out families marked *); runs the test problems a second time.")
    var byFamily = false

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
            if byFamily && (task as? StyleTask)?.distribution == nil {
                throw ValidationError("--by-family needs the style task with a style distribution (--style-families or --style-dir)")
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
            } else {
                if !quiet { FileHandle.standardError.write(Data("tuning baselines on \(problems) validation problems…\n".utf8)) }
                rates = tuneBaselines(task: task, steps: steps, problems: problems, criterion: criterion,
                                      pointsPerDecade: 3, quiet: quiet)
            }
            for b in Baseline.allCases {
                if let lr = rates.rates[b.rawValue] { optimizers.append((b.rawValue, lr, b.make(learningRate: lr))) }
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
                ?? EvaluationResult.run(task: task, optimizers: optimizers, problems: problems, steps: steps,
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
            print("mean loss over \(problems) test problems of \(task.name) (\(steps) steps; baselines tuned on "
                  + "\(rates.problems) validation problems, criterion \(rates.criterion.rawValue)):")
            print(classification?.table() ?? result.table(steps: tableSteps.isEmpty ? nil : tableSteps), terminator: "")
            if byFamily, let style = task as? StyleTask { print(familyTable(style, optimizers: optimizers, steps: steps)) }
            print("wrote \(csvPath), \(plotPath)" + (json.map { ", \($0)" } ?? ""))
        }
    }
}

extension EvaluateCommand {
    /// Mean loss at step `steps` of each optimizer on the test problems of each style family.
    func familyTable(_ task: StyleTask, optimizers: [(name: String, learningRate: Float?, optimizer: any Optimizer)],
                     steps: Int) -> String {
        let heldOut = Set(task.distribution?.heldOut ?? [])
        var out = "mean loss at step \(steps) by style family (* held out from training):\n"
        var header = "family     problems"
        for o in optimizers { header += "  " + o.name.padding(toLength: 10, withPad: " ", startingAt: 0) }
        out += header.trimmingCharacters(in: .whitespaces) + "\n"
        for group in task.problemIndicesByFamily(split: .test, count: problems) {
            let problems = group.indices.map { task.makeProblem(split: .test, index: $0) }
            let name = group.family.rawValue + (heldOut.contains(group.family) ? "*" : "")
            var line = name.padding(toLength: 11, withPad: " ", startingAt: 0) + String(format: "%8d", problems.count)
            for o in optimizers {
                let last = Evaluator.meanLossCurve(o.optimizer, problems: problems, steps: steps).last!
                line += "  " + formatLoss(last).padding(toLength: 10, withPad: " ", startingAt: 0)
            }
            out += line.trimmingCharacters(in: .whitespaces) + "\n"
        }
        return out
    }
}

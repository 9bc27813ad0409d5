import ArgumentParser
import Foundation
import MetaLearning

struct GeneralizationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generalization",
        abstract: "The paper's generalization table: the MLP-trained optimizer on 200 steps, 40 hidden units, 2 hidden layers and ReLU.",
        discussion: """
            Applies the learned optimizer (--model, meta-trained on the 20-unit sigmoid MLP for \
            100 steps) unchanged to each variant, and compares it with SGD, NAG, RMSprop and \
            ADAM whose learning rates are tuned afresh for every variant on --tuning-problems \
            validation problems. All optimizers of a variant run on the same --problems fresh \
            test problems. Prints the table (final mean loss, best in brackets; test accuracy \
            of the final parameters) and writes CSV, JSON and an SVG plot with one panel per \
            variant.

            Example: neural-art generalization --model models/mlp.lstm --output docs/generalization
            """)

    @OptionGroup(title: "Dataset")
    var dataOptions: DatasetTaskOptions

    @Option(help: "The learned optimizer (meta-trained with --task mlp).")
    var model = "models/mlp.lstm"

    @Option(help: "Test problems per variant.")
    var problems = 100

    @Option(help: "Validation problems each baseline's learning rate is tuned on, per variant.")
    var tuningProblems = 20

    @Option(help: "Tuning criterion: final (the last step's mean loss) or sum.")
    var criterion: TuningCriterion = .final

    @Option(help: "Grid points per decade of learning rate when tuning.")
    var pointsPerDecade = 3

    @Option(help: "Variants to run, comma-separated slugs (default: all): trained-setting, 200-steps, 40-hidden-units, 2-hidden-layers, relu.")
    var only: String?

    @Option(help: "Output stem: writes <stem>.csv, <stem>.json and <stem>.svg.")
    var output = "generalization"

    @Flag(help: "No progress messages.")
    var quiet = false

    func validate() throws {
        if problems < 1 || tuningProblems < 1 { throw ValidationError("--problems and --tuning-problems must be ≥ 1") }
        if pointsPerDecade < 1 { throw ValidationError("--points-per-decade must be ≥ 1") }
        if let only {
            let known = Set(Generalization.paperVariants.map(\.slug))
            for s in only.split(separator: ",") where !known.contains(String(s)) {
                throw ValidationError("unknown variant '\(s)' (known: \(Generalization.paperVariants.map(\.slug).joined(separator: ", ")))")
            }
        }
    }

    func run() throws {
        ComputeThreads.setForMetaLearning()
        let quiet = Job.quiet(self.quiet)
        try runReportingErrors {
            let learned = try ModelFile.load(path: model).optimizer(forTaskNamed: "mlp", path: model)
            let data = try dataOptions.loadData()
            let wanted = only.map { Set($0.split(separator: ",").map(String.init)) }
            let variants = Generalization.paperVariants.filter { wanted?.contains($0.slug) ?? true }
            let start = Date()
            let rows = Generalization.run(
                data: data, learned: learned, variants: variants, problems: problems,
                tuningProblems: tuningProblems, criterion: criterion, pointsPerDecade: pointsPerDecade,
                batchSize: dataOptions.batchSize, testLimit: dataOptions.testSamples, processes: Job.processes
            ) { message in
                if !quiet {
                    FileHandle.standardError.write(Data(String(format: "[%.0f s] %@\n", Date().timeIntervalSince(start), message).utf8))
                }
            }
            guard Job.isRoot else { return }
            try writeAtomically(Generalization.csv(rows), to: output + ".csv")
            try writeAtomically(try Generalization.json(rows, tuningProblems: tuningProblems, criterion: criterion), to: output + ".json")
            try writeAtomically(SVGPlot.panels(rows.map(\.evaluation.result), columns: 2), to: output + ".svg")
            print("final mean loss over \(problems) test problems per variant (baselines tuned per variant on "
                  + "\(tuningProblems) validation problems, criterion \(criterion.rawValue)); learned optimizer: \(model)")
            print(Generalization.table(rows), terminator: "")
            print("wrote \(output).csv, \(output).json, \(output).svg " + String(format: "(%.0f s)", Date().timeIntervalSince(start)))
        }
    }
}

extension SVGPlot {
    /// Several `lossCurves` plots side by side (`columns` per row) in one SVG.
    static func panels(_ results: [EvaluationResult], columns: Int) -> String {
        let w = width, h = height   // one full plot per panel (a narrower panel cut off the legend)
        let rows = (results.count + columns - 1) / columns
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w * columns)\" height=\"\(h * rows)\" "
            + "viewBox=\"0 0 \(w * columns) \(h * rows)\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        for (i, r) in results.enumerated() {
            let panel = lossCurves(r).replacingOccurrences(
                of: "<svg xmlns=\"http://www.w3.org/2000/svg\"",
                with: "<svg x=\"\((i % columns) * w)\" y=\"\((i / columns) * h)\"")
            s += panel
        }
        return s + "</svg>\n"
    }
}

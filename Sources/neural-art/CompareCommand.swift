import ArgumentParser
import Distributed
import Foundation
import ImageIO
import MetaLearning
import NeuralArt
import Numerics

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Stylize with the learned optimizer and the tuned baselines side by side.",
        discussion: """
            Runs the learned optimizer (--model) and SGD, NAG, RMSprop and ADAM at learning rates \
            tuned for the style at hand for the same number of steps from the same start (the \
            content image), and writes into --output-dir: grid-<content>.png (content, style and \
            one column per optimizer, one row per snapshot step), loss.svg (mean loss against \
            step, log scale), curves.csv (every run) and summary.json (the `evaluate --json` \
            schema, with each optimizer's wall "seconds" and "steps" over all its runs and the \
            steps and seconds to reach ADAM's last loss). The loss table and the wall-clock table \
            (as `evaluate` prints it, each content image a problem) are printed.

            The baselines' rates: without --baselines they are tuned now, on --tune-problems \
            validation crops (of the bundled held-out photos) of the style at min(--size, 64) px, \
            for --steps steps, with the summed loss as criterion: a log grid of 2 points per \
            decade around each baseline's stylize default (±1 decade, widened while the best sits \
            at an edge) refined to a quarter decade. They are saved as baselines.json in --output-dir \
            (reuse it with --baselines). --baselines FILE (from `neural-art tune --task style`) \
            uses that file instead.

            With no arguments it compares on the bundled held-out photos (chelsea, rocket) in the \
            bundled swirls style at 128 px for 128 steps, tuning on 4 crops at 64 px first: 2 min \
            35 s to 2 min 52 s measured on 2 cores shared with other jobs (about 2 min of CPU \
            time, two thirds of it tuning; with --baselines 43 s there).
            """)

    @Option(name: .long, parsing: .upToNextOption, help: "Content images (default: the bundled held-out chelsea.png and rocket.jpg).")
    var content: [String] = []

    @Option(name: .long, help: "Style image (default: the bundled swirls.png).")
    var style: String?

    @Option(name: .long, parsing: .unconditional, help: "Longest side of the pictures, in pixels.")
    var size: Int = 128

    @Option(name: .long, parsing: .unconditional, help: "Optimization steps for every optimizer.")
    var steps: Int = 128

    @Option(name: .long, help: "The learned optimizer (default: models/neural-art.lstm; 'none' to leave it out).")
    var model: String?

    @Option(name: .long, help: "Tuned baseline learning rates (JSON from `neural-art tune --task style`); without it they are tuned now on validation crops of the style.")
    var baselines: String?

    @Option(name: .long, parsing: .unconditional, help: "Without --baselines: validation crops of the style the baselines are tuned on (at min(--size, 64) px).")
    var tuneProblems: Int = 4

    @Option(name: .long, parsing: .upToNextOption, help: "Steps shown as rows of the picture grid (besides the last).")
    var snapshots: [Int] = [16, 32]

    @Option(name: .long, help: "Folder for the outputs (created if missing).")
    var outputDir: String = "compare"

    @Option(name: .long, help: "Also write summary.json's content to this file.")
    var json: String?

    @OptionGroup var lossWeights: LossWeightOptions

    @OptionGroup var io: PictureRunOptions

    /// A learned-optimizer step costs about this many hand-designed steps (`bench`'s LSTM/ADAM
    /// column: 1.4–1.7 at 64–256 px since the fused inference step); the progress bar's ETA
    /// weighs the steps by it.
    static let learnedStepCost = 1.5

    func validate() throws {
        guard size >= 16 && size <= 2048 else { throw ValidationError("--size must be between 16 and 2048 pixels (got \(size))") }
        guard steps >= 1 && steps <= 1_000_000 else { throw ValidationError("--steps must be between 1 and 1000000 (got \(steps))") }
        guard snapshots.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--snapshots must be positive steps") }
        guard tuneProblems >= 1 && tuneProblems <= 1000 else {
            throw ValidationError("--tune-problems must be between 1 and 1000 (got \(tuneProblems))")
        }
    }

    /// Side of the crops the baselines are tuned on when no --baselines file is given: the loss
    /// the optimizers see is size-normalized, so rates tuned on 64-px crops serve larger pictures.
    var tuneSize: Int { min(size, 64) }

    /// The grid compare tunes on: ±1 decade around each baseline's stylize default, 2 points per
    /// decade (widened at an edge), refined to a quarter decade: 7 runs per baseline (11 when widened).
    static func tuneRange(_ b: Baseline) -> ClosedRange<Double> {
        let lr = Double(b.stylizeLearningRate)
        return (lr / 10)...(lr * 10)
    }

    func run() throws {
        // Not shared among ranks: under mpirun, rank 0 alone runs it.
        guard Job.isRoot else { return }
        try runReportingErrors {
            let contentPaths = try content.isEmpty
                ? StyleTask.bundledHeldOut.map { try BundledAssets.require("images/" + $0) } : content
            let stylePath = try style ?? BundledAssets.require(BundledAssets.defaultStyle)
            let contents = try contentPaths.map { try readImage($0, strict: io.strict) }
            let styleImage = try readImage(stylePath, strict: io.strict)
            for (path, image) in zip(contentPaths, contents) {
                do {
                    _ = try StyleTransfer.validatedContentSize(width: image.width, height: image.height, size: size, maximumSize: 2048)
                } catch let e as ContentSizeError {
                    throw CLIError("cannot compare on '\(path)': \(e)")
                }
            }

            var optimizers: [(name: String, learningRate: Float?, optimizer: any Optimizer)] = []
            let modelPath = model ?? BundledAssets.locate("models/neural-art.lstm")
            if let modelPath, modelPath != "none" {
                optimizers.append(("lstm", nil, try ModelFile.load(path: modelPath).optimizer(forTaskNamed: "style", path: modelPath)))
            } else if model == nil && !io.quiet {
                FileHandle.standardError.write(Data("note: models/neural-art.lstm not found; comparing the baselines only\n".utf8))
            }
            try FileManager.default.createDirectory(atPath: outputDir, withIntermediateDirectories: true)
            let weights = lossWeights.weights
            let rates: [String: Float], tuning: String
            if let path = baselines {
                let r = try BaselineRates.load(path: path)
                guard r.task.name == "style" else {
                    throw ModelFileError.mismatched(path: path, detail: "tuned for task '\(r.task.name)', not 'style'")
                }
                rates = r.rates
                tuning = "baselines from \(path)"
            } else {
                let what = "\(tuneProblems) validation crops of \(Self.stem(stylePath)) at \(tuneSize) px"
                if !io.quiet {
                    FileHandle.standardError.write(Data("tuning the baselines' learning rates on \(what), \(steps) steps (--baselines FILE skips this)…\n".utf8))
                }
                let task = try StyleTask.load(size: tuneSize, style: stylePath, weights: weights)
                ComputeThreads.setForMetaLearning()
                let r = tuneBaselines(task: task, steps: steps, problems: tuneProblems, criterion: .sum, pointsPerDecade: 2,
                                      initialRanges: Dictionary(uniqueKeysWithValues: Baseline.allCases.map { ($0, Self.tuneRange($0)) }),
                                      refinement: 1, estimatedRuns: 7, processes: SingleProcess(), quiet: io.quiet)
                try writeAtomically(try r.encoded(), to: (outputDir as NSString).appendingPathComponent("baselines.json"))
                rates = r.rates
                tuning = "baselines tuned now on \(what), criterion sum"
            }
            for kind in Baseline.allCases {
                let lr = rates[kind.rawValue] ?? kind.stylizeLearningRate
                optimizers.append((kind.rawValue, lr, kind.make(learningRate: lr)))
            }

            let bar = ProgressBar(label: "compare", total: contents.count * optimizers.count * steps, quiet: io.quiet)
            // The ETA weighs learned-optimizer steps by their cost (it runs first and is slower).
            let cost = { (name: String) in name == "lstm" ? Self.learnedStepCost : 1 }
            let totalCost = Double(contents.count * steps) * optimizers.map { cost($0.name) }.reduce(0, +)
            var allRuns: [[OptimizerComparison.Run]] = []
            var done = 0, doneCost = 0.0
            for (k, image) in contents.enumerated() {
                let transfer = StyleTransfer(content: image, styles: [styleImage], size: size, weights: weights)
                ComputeThreads.setForImage(width: transfer.width, height: transfer.height)
                let runs = try OptimizerComparison.run(
                    transfer: transfer, optimizers: optimizers, steps: steps, snapshotSteps: snapshots
                ) { name, step in
                    done += 1
                    doneCost += cost(name)
                    if step % 8 == 0 || step == steps {
                        bar.update(step: done, message: "\(name) on \(Self.stem(contentPaths[k]))", fraction: doneCost / totalCost)
                    }
                }
                for r in runs where r.losses.last! > r.losses.first! {
                    FileHandle.standardError.write(Data(String(
                        format: "warning: %@ on %@: the loss rose from %.4g to %.4g over %d steps (best %.4g)\n",
                        r.name, Self.stem(contentPaths[k]), r.losses.first!, r.losses.last!, steps, r.losses.min()!).utf8))
                }
                allRuns.append(runs)
                let rowSteps = Array(Set(snapshots.filter { $0 < steps } + [steps])).sorted()
                let styleThumb = styleImage.resized(longestSide: size)
                var cells: [[Image?]] = [], captions: [[String]] = []
                for (r, s) in rowSteps.enumerated() {
                    cells.append([r == 0 ? transfer.content : nil, r == 0 ? styleThumb : nil] + runs.map { $0.snapshots[s] })
                    captions.append(["", ""] + runs.map { String(format: "loss %.3g", $0.losses[s]) })
                }
                let grid = ImageGrid(
                    columns: ["content", "style"] + runs.map { $0.name },
                    rows: rowSteps.map { "step \($0)" }, cells: cells, captions: captions,
                    title: "\(Self.stem(contentPaths[k])) in \(Self.stem(stylePath)) style, \(transfer.width)x\(transfer.height) px",
                    cellSize: min(size, 160))
                try ImageFile.write(grid.render(), to: (outputDir as NSString).appendingPathComponent("grid-\(Self.stem(contentPaths[k])).png"))
            }
            let result = OptimizerComparison.meanResult(task: "style", runs: allRuns, steps: steps)
            var csv = "content,optimizer,learning_rate,step,loss\n"
            for (k, runs) in allRuns.enumerated() {
                for r in runs {
                    for (t, l) in r.losses.enumerated() {
                        csv += "\(Self.stem(contentPaths[k])),\(r.name),\(r.learningRate.map { "\($0)" } ?? ""),\(t),\(l)\n"
                    }
                }
            }
            let dir = outputDir as NSString
            try writeAtomically(csv, to: dir.appendingPathComponent("curves.csv"))
            try writeAtomically(SVGPlot.lossCurves(result), to: dir.appendingPathComponent("loss.svg"))
            let jsonData = try OptimizerComparison.summaryJSON(result: result, runs: allRuns)
            try writeAtomically(jsonData, to: dir.appendingPathComponent("summary.json"))
            if let json { try writeAtomically(jsonData, to: json) }
            print("mean loss over \(contents.count) content image(s), \(size) px, \(steps) steps (\(tuning)):")
            print(result.table(), terminator: "")
            if let wallClock = result.timeToReferenceTable() { print(wallClock, terminator: "") }
            print("wrote \(outputDir)/: grid-*.png, loss.svg, curves.csv, summary.json" + (baselines == nil ? ", baselines.json" : ""))
        }
    }

    static func stem(_ path: String) -> String {
        ((path as NSString).lastPathComponent as NSString).deletingPathExtension
    }
}

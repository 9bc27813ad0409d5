import ArgumentParser
import Foundation
import ImageIO
import MetaLearning
import NeuralArt
import Numerics

struct StylizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stylize",
        abstract: "Paint a content image in the style of one or more style images.",
        discussion: """
            With no arguments, paints the bundled cat photo (images/chelsea.png) in the bundled \
            swirls style (images/swirls.png) and writes stylized.png.

            The pixels are driven by the learned optimizer (models/neural-art.lstm, an LSTM \
            meta-trained on procedural styles); --optimizer adam (or sgd, nag, rmsprop) uses a \
            hand-designed one.

            The loss is content·L_content + style·L_style + tv·L_tv over a compact random-weight \
            feature network (RandVGG-S), the style statistics matched on an image pyramid (the \
            picture and its halvings down to 32 px); pixels stay in [0, 1]. Above 256 px the \
            picture is painted coarse to fine (128 px, then twice the size, up to --size). Every \
            optimizer sees gradients normalized for the image size, so one learning rate serves \
            every --size.

            Several --content files, or a folder of PNG and JPEG files, are painted one after \
            another into --output-dir (<name>.<extension of --output>); under mpirun the files \
            are shared among the ranks, each rank on one core when the ranks fill the machine: \
            mpirun -np 2 neural-art stylize --content photos/ --output-dir stylized/
            """)

    @Option(name: .long, help: "Content image (PNG or JPEG), or a folder of them; repeat for several (they then need --output-dir).")
    var content: [String] = []

    @Option(name: .long, help: "Folder for the pictures of several --content files (or a folder): <folder>/<name>.<extension of --output>.")
    var outputDir: String?

    @Option(name: .long, help: "Style image (PNG or JPEG); repeat to blend several styles.")
    var style: [String] = []

    @Option(name: .long, parsing: .upToNextOption, help: "Blend weights, one per --style (default: equal).")
    var styleWeights: [Float] = []

    @Option(name: [.short, .long], help: "Output image; .png or .jpg.")
    var output: String = "stylized.png"

    @Option(name: .long, parsing: .unconditional, help: "Longest side of the output, in pixels.")
    var size: Int = 512

    @Option(name: .long, help: "Coarse-to-fine scales (default: 1 up to 256 px, else halvings of --size down to 128 px: 3 at 512, 4 at 1024).")
    var scales: Int?

    @Option(name: .long, help: "Image-pyramid levels of the style loss (default: halvings down to a 32-px shorter side, at most 6; 1: the image alone).")
    var levels: Int?

    @Option(name: .long, help: "Steps at the coarsest scale (each finer scale below the output size takes 0.6× the one before; default: 100, or 50 for the learned optimizer, which ends as low with half the coarse steps).")
    var coarseIterations: Int?

    /// Steps at the coarsest scale: `--coarse-iterations`, else 100, or 50 for the learned optimizer
    /// (it ends as low at 512 px with 50 and 30 coarse steps as with 100 and 60; ADAM does not:
    /// docs/pipeline-report/SHORT-SCHEDULE.md).
    var coarseSteps: Int { coarseIterations ?? (optimizer == .lstm ? 50 : 100) }

    @Option(name: .long, parsing: .unconditional, help: "Style images are resized to --size × this factor (larger = larger strokes).")
    var styleScale: Double = 1

    @Option(name: [.short, .long], parsing: .unconditional, help: "Optimization steps at the output size (default after coarser scales: 30, or 20 for the learned optimizer; for a single scale 200, or 128, its training horizon, for the learned optimizer).")
    var iterations: Int?

    /// Default steps of a single-scale run: 200, or the learned optimizer's training horizon.
    var singleScaleSteps: Int { optimizer == .lstm ? 128 : 200 }

    /// Default steps at the output size after coarser scales: 30, or 20 for the learned optimizer
    /// (carrying its memory across scales, it reaches ADAM's 30-step loss in a median 16–17 steps
    /// at 512 and 1024 px, so it ends as low in less time: docs/pipeline-report/SHORT-SCHEDULE.md).
    var finestSteps: Int { iterations ?? (optimizer == .lstm ? 20 : 30) }

    var schedule: ScaleSchedule {
        let planned = ScaleSchedule.standard(size: size, finest: finestSteps, coarse: coarseSteps, scales: scales)
        guard planned.sizes.count == 1 && iterations == nil else { return planned }
        return ScaleSchedule(sizes: planned.sizes, iterations: [singleScaleSteps])
    }

    /// `schedule` without the coarse scales at which a `width`×`height` content picture would be
    /// thinner than the network allows (an elongated picture then starts at a finer scale).
    /// Throws `CLIError` naming `path` when even the output size is too thin.
    func schedule(forContent path: String, width: Int, height: Int) throws -> ScaleSchedule {
        let full = schedule
        do {
            _ = try StyleTransfer.validatedContentSize(width: width, height: height, size: size)
        } catch let e as ContentSizeError {
            throw CLIError("cannot stylize '\(path)': \(e)")
        }
        let keep = full.sizes.indices.filter {
            (try? StyleTransfer.validatedContentSize(width: width, height: height, size: full.sizes[$0])) != nil
        }
        guard keep.count < full.sizes.count else { return full }
        if keep.count == 1 && iterations == nil {
            return ScaleSchedule(sizes: [size], iterations: [singleScaleSteps])
        }
        return ScaleSchedule(sizes: keep.map { full.sizes[$0] }, iterations: keep.map { full.iterations[$0] })
    }

    @Option(name: .long, help: "Optimizer: lstm (the learned optimizer, models/neural-art.lstm), sgd, nag, rmsprop or adam.")
    var optimizer: OptimizerChoice = .lstm

    @Option(name: .long, help: "Learned optimizer for --optimizer lstm (default: the shipped models/neural-art.lstm).")
    var model: String?

    @Option(name: .long, parsing: .unconditional, help: "Learning rate of a hand-designed --optimizer (default: a per-optimizer rate that works: sgd 30, nag 3, rmsprop 0.01, adam 0.02).")
    var learningRate: Float?

    @Option(name: .long, parsing: .unconditional, help: "ε of RMSprop and ADAM.")
    var epsilon: Float = 1e-8

    @OptionGroup var lossWeights: LossWeightOptions

    @Option(name: .long, help: "Start from: palette (the content recoloured to the style's colour statistics, also the content reference, so the picture takes the style's colours), content (the photo as it is, whose colours the content loss then holds), noise, or the path of an image.")
    var `init`: String = "palette"

    @Option(name: .long, help: "Seed for every random choice (noise initialization).")
    var seed: UInt64 = 0

    @Flag(inversion: .prefixedNo, help: "Coarse to fine: start each finer scale's optimizer from the previous scale's state (ADAM's moments, the learned optimizer's memory), resampled like the picture, instead of afresh. Default: on for lstm (its first step at a finer scale is then no overshoot), off for the others (ADAM ends lower afresh).")
    var carryState: Bool?

    @Option(name: .long, parsing: .unconditional, help: "Print the losses every N steps (0: never).")
    var printEvery: Int = 0

    @Option(name: .long, parsing: .unconditional, help: "Save an intermediate image every N steps as <output>_<step>.<ext> (0: never).")
    var saveEvery: Int = 0

    @Flag(name: .long, help: "Keep the content image's colours (transfer only luminance).")
    var originalColors = false

    @Option(name: .long, help: "Write the per-step losses to this CSV file.")
    var log: String?

    @Option(name: .long, parsing: .unconditional,
            help: "Compute threads for the network and the optimizer, at most \(maximumThreads) (default: 1 below 96×96 pixels, else the core count).")
    var threads: Int?

    @OptionGroup var io: PictureRunOptions

    /// The largest --threads accepted (more threads than this only add overhead on any machine).
    static let maximumThreads = 256

    func validate() throws {
        guard size >= 16 && size <= 4096 else { throw ValidationError("--size must be between 16 and 4096 pixels (got \(size))") }
        if let levels { guard levels >= 1 && levels <= 6 else { throw ValidationError("--levels must be between 1 and 6") } }
        if let scales { guard scales >= 1 && scales <= 6 else { throw ValidationError("--scales must be between 1 and 6") } }
        guard coarseSteps >= 0 && coarseSteps <= 1_000_000 else {
            throw ValidationError("--coarse-iterations must be between 0 and 1000000")
        }
        if let iterations {
            guard iterations >= 1 && iterations <= 1_000_000 else {
                throw ValidationError("--iterations must be between 1 and 1000000 (got \(iterations))")
            }
        }
        if model != nil && optimizer != .lstm {
            throw ValidationError("--model is for --optimizer lstm")
        }
        if let lr = learningRate, !(lr > 0 && lr.isFinite) { throw ValidationError("--learning-rate must be positive") }
        if learningRate != nil && optimizer == .lstm {
            throw ValidationError("--learning-rate is for the hand-designed optimizers (e.g. --optimizer adam); the learned optimizer (the default) has none")
        }
        guard epsilon >= 0 else { throw ValidationError("--epsilon must be non-negative") }
        guard styleScale > 0 && styleScale <= 8 else { throw ValidationError("--style-scale must be in (0, 8]") }
        if !styleWeights.isEmpty {
            guard styleWeights.count == max(style.count, 1) else {
                throw ValidationError("--style-weights needs one weight per --style (\(max(style.count, 1))), got \(styleWeights.count)")
            }
            guard styleWeights.allSatisfy({ $0 >= 0 && $0 <= 1e6 }) && styleWeights.reduce(0, +) > 0 else {
                throw ValidationError("--style-weights must be numbers between 0 and 1e6 with a positive sum")
            }
        }
        guard printEvery >= 0, saveEvery >= 0 else { throw ValidationError("--print-every and --save-every must be ≥ 0") }
        guard ImageFile.Format(pathExtensionOf: output) != nil else {
            throw ValidationError("--output must end in .png, .jpg or .jpeg (got '\(output)')")
        }
        if let threads, !(1...Self.maximumThreads).contains(threads) {
            throw ValidationError("--threads must be between 1 and \(Self.maximumThreads) (got \(threads))")
        }
        try checkOutputIsNotAnInput()
        if isBatch {
            guard outputDir != nil else {
                throw ValidationError("several --content files or a folder need --output-dir <folder> for the pictures")
            }
            if log != nil || saveEvery > 0 {
                throw ValidationError("--log and --save-every are for one --content file, not with --output-dir")
            }
        }
    }

    /// Refuses an --output (or --log) that names one of the input images: the run would
    /// replace the photo.
    func checkOutputIsNotAnInput() throws {
        // The defaults too: `-o images/chelsea.png` would replace the bundled photo.
        var inputs: [(String, String)] = content.isEmpty
            ? [BundledAssets.locate(BundledAssets.defaultContent)].compactMap { $0.map { ("--content", $0) } }
            : content.map { ("--content", $0) }
        inputs += style.isEmpty ? [BundledAssets.locate(BundledAssets.defaultStyle)].compactMap { $0.map { ("--style", $0) } }
            : style.map { ("--style", $0) }
        if !["content", "noise", "palette"].contains(self.`init`) { inputs.append(("--init", self.`init`)) }
        for (flag, path) in [("--output", output)] + (log.map { [("--log", $0)] } ?? []) {
            if let (inputFlag, input) = inputs.first(where: { sameFile($0.1, path) }) {
                throw ValidationError("\(flag) '\(path)' is the \(inputFlag) image '\(input)'; choose another output file")
            }
        }
    }

    func run() throws {
        try runReportingErrors {
            if isBatch {
                try stylizeBatch()
            } else {
                // One picture is not shared among ranks: under mpirun, rank 0 alone paints it.
                guard Job.isRoot else { return }
                let path = try content.first ?? BundledAssets.require(BundledAssets.defaultContent)
                try stylize(contentPath: path, output: output, log: log, quiet: io.quiet)
            }
        }
    }

    /// Paints `contentPath` into `output` (and its per-step losses into `log`); `quiet`: no
    /// progress bar or messages.
    func stylize(contentPath: String, output: String, log: String?, quiet: Bool) throws {
        let stylePaths = try style.isEmpty ? [BundledAssets.require(BundledAssets.defaultStyle)] : style
        var contentImage = try readImage(contentPath, strict: io.strict)
        let styleImages = try stylePaths.map { try readImage($0, strict: io.strict) }
        let initialization: Initialization
        switch self.`init` {
        case "content": initialization = .content
        case "noise": initialization = .noise
        case "palette":
            // The photo in the style's colours is both the start and the content reference, so the
            // content loss does not pull the colours back.
            contentImage = contentImage.matchingColorStatistics(
                of: styleImages, weights: styleWeights.isEmpty ? nil : styleWeights)
            initialization = .content
        default: initialization = .image(try readImage(self.`init`, strict: io.strict))
        }
        try checkOutputPath(output)
        if let log { try checkOutputPath(log) }

        let schedule = try self.schedule(forContent: contentPath, width: contentImage.width, height: contentImage.height)
        try checkMemory(content: contentImage, schedule: schedule)
        if let warning = Self.upscalingWarning(contentPath: contentPath, width: contentImage.width,
                                               height: contentImage.height, size: size) {
            FileHandle.standardError.write(Data((warning + "\n").utf8))
        }
        let run = CoarseToFine(
            content: contentImage, styles: styleImages, styleWeights: styleWeights.isEmpty ? nil : styleWeights,
            schedule: schedule, styleScale: styleScale, weights: lossWeights.weights, pyramidLevels: levels)
        ComputeThreads.setForImage(width: run.width, height: run.height, requested: threads)
        let makeOptimizer: (Int) throws -> any Optimizer
        let description: String
        let learned = optimizer == .lstm
        if let kind = optimizer.baseline {
            let lr = learningRate ?? kind.stylizeLearningRate
            makeOptimizer = { [epsilon] _ in kind.make(learningRate: lr, epsilon: epsilon) }
            description = "\(kind.rawValue) (lr \(lr))"
        } else {
            let path = try model ?? BundledAssets.require("models/neural-art.lstm")
            let learned = try ModelFile.load(path: path).optimizer(forTaskNamed: "style", path: path)
            makeOptimizer = { _ in learned }
            description = "learned optimizer \((path as NSString).lastPathComponent)"
        }

        let steps = schedule.totalIterations
        let bar = ProgressBar(label: "stylize", total: steps, quiet: quiet)
        // The ETA weighs each step by its scale's pixel count: a 128-px step costs about a 16th of
        // a 512-px one, so counting steps alone put the first ETAs far too low.
        let stepCost = schedule.sizes.map { Double($0 * $0) }
        let totalCost = zip(stepCost, schedule.iterations).map { $0 * Double($1) }.reduce(0, +)
        var doneCost = 0.0
        if !quiet {
            let scalesText = zip(schedule.sizes, schedule.iterations).map { "\($0) px × \($1)" }.joined(separator: ", ")
            bar.log("\(description) on \(run.width)×\(run.height) px (\(scalesText) steps), " +
                    "weights content \(lossWeights.contentWeight) style \(lossWeights.styleWeight) sliced \(lossWeights.slicedWeight) tv \(lossWeights.tvWeight)")
        }
        var saveError: Error?
        let tracker = BestFinalPixels(lastScale: schedule.sizes.count - 1)
        // Wall seconds since the start at which each loss of the output scale was known (the log's
        // `seconds` column: time to reach a loss, coarser scales included).
        let clock = Date()
        var seconds: [Double] = []
        let (picture, history) = try run.run(makeOptimizer: makeOptimizer, initialization: initialization, seed: seed,
                                             originalColors: originalColors, carryState: carryState ?? learned,
                                             started: tracker.start) { s, transfer, current in
            tracker.observe(s, transfer, current)
            if s.scale == schedule.sizes.count - 1 { seconds.append(Date().timeIntervalSince(clock)) }
            let step = s.overallStep
            doneCost += stepCost[s.scale]
            bar.update(step: step, message: String(format: "%d px, loss %.4g", schedule.sizes[s.scale], s.step.loss.total),
                       fraction: totalCost > 0 ? doneCost / totalCost : nil)
            if printEvery > 0 && step % printEvery == 0 {
                bar.log(Self.describe(step, s.step.loss))
            }
            if saveEvery > 0 && step % saveEvery == 0 && step < steps {
                do {
                    try ImageFile.write(transfer.image(from: current, originalColors: originalColors && s.scale == schedule.sizes.count - 1),
                                        to: Self.intermediatePath(output, step: step))
                } catch { saveError = error; return false }
            }
            return true
        }
        if let saveError { throw saveError }
        seconds.append(Date().timeIntervalSince(clock))
        let best = tracker.finish(history: history)
        // The log first: if it cannot be written, no output image is left behind.
        if let log { try writeLog(history, seconds: seconds, to: log) }
        do {
            try ImageFile.write(best.map { tracker.picture(from: $0.pixels, originalColors: originalColors) } ?? picture, to: output)
        } catch {
            if let log { try? FileManager.default.removeItem(atPath: log) }
            throw error
        }
        let first = history.first!, last = history.last!
        if last.total > first.total, let best {
            FileHandle.standardError.write(Data((Self.divergenceWarning(
                first: first.total, last: last.total, best: best, steps: history.count - 1,
                optimizer: description, learned: learned) + "\n").utf8))
        }
        if !quiet {
            let kept = best.map { $0.step == history.count - 1 ? "" : String(format: "; kept step %d (loss %.4g)", $0.step, $0.loss) } ?? ""
            bar.log(String(format: "loss %.4g → %.4g (content %.3g, style %.3g, sliced %.3g, tv %.3g)%@; wrote %@",
                           first.total, last.total, last.content, last.style, last.sliced, last.tv, kept, output))
        }
    }

    /// The one-line warning for a run whose loss (at the output size) ended above where it started.
    static func divergenceWarning(first: Float, last: Float, best: BestPixels, steps: Int,
                                  optimizer: String, learned: Bool) -> String {
        String(format: "warning: the loss rose from %.4g to %.4g over %d steps with %@; wrote the best picture seen (step %d, loss %.4g)",
               first, last, steps, optimizer, best.step, best.loss)
            + (learned ? "" : "; a smaller --learning-rate may help")
    }

    /// One line when `--size` asks for more pixels than the content photo has: the picture is then
    /// painted over an upsampled, blurred photo (shown even with --quiet).
    static func upscalingWarning(contentPath: String, width: Int, height: Int, size: Int) -> String? {
        let longest = max(width, height)
        guard size > longest else { return nil }
        return "warning: --size \(size) upscales '\(contentPath)' (\(width)×\(height) px) by \(String(format: "%.2g", Double(size) / Double(longest)))×; " +
            "its details will be soft (use --size \(longest) or less to keep them)"
    }

    /// Refuses, before any work, a run whose estimated memory exceeds 80 % of the machine's (or
    /// `NEURALART_MEMORY_LIMIT_MB`, for tests and shared machines).
    func checkMemory(content: Image, schedule: ScaleSchedule) throws {
        let perCoordinate = optimizer == .lstm ? 120 : 2
        let need = CoarseToFine.estimatedBytes(contentWidth: content.width, contentHeight: content.height,
                                               schedule: schedule, styleScale: styleScale, pyramidLevels: levels,
                                               floatsPerCoordinate: perCoordinate)
        let limit: Int
        if let mb = ProcessInfo.processInfo.environment["NEURALART_MEMORY_LIMIT_MB"].flatMap(Int.init), mb > 0 {
            limit = mb << 20
        } else {
            limit = Int(Double(ProcessInfo.processInfo.physicalMemory) * 0.8)
        }
        guard need <= limit else {
            throw CLIError(String(format: "--size %d needs about %.1f GB of memory, more than the %.1f GB available; use a smaller --size",
                                  size, Double(need) / 1e9, Double(limit) / 1e9))
        }
    }

    static func describe(_ step: Int, _ l: LossBreakdown) -> String {
        String(format: "step %5d  loss %.5g  content %.4g  style %.4g  tv %.4g", step, l.total, l.content, l.style, l.tv)
    }

    /// `out/pic.png`, step 50 → `out/pic_0050.png`.
    static func intermediatePath(_ output: String, step: Int) -> String {
        let url = URL(fileURLWithPath: output)
        let ext = url.pathExtension
        let stem = url.deletingPathExtension().path
        return stem + String(format: "_%04d.", step) + ext
    }

    /// One line per step of the output scale: its losses and, when `seconds` has one value per
    /// line, the wall seconds since the run started at which that loss was known.
    func writeLog(_ history: [LossBreakdown], seconds: [Double] = [], to path: String) throws {
        let timed = seconds.count == history.count
        var csv = "step,total,content,style,tv,style_s1,style_s2,style_s3,style_s4,sliced" + (timed ? ",seconds\n" : "\n")
        for (t, l) in history.enumerated() {
            csv += "\(t),\(l.total),\(l.content),\(l.style),\(l.tv)," + l.styleLayers.map { "\($0)" }.joined(separator: ",")
                + ",\(l.sliced)" + (timed ? String(format: ",%.3f\n", seconds[t]) : "\n")
        }
        try writeAtomically(csv, to: path)
    }
}

/// The optimizers `stylize --optimizer` takes: the learned one or a hand-designed baseline.
enum OptimizerChoice: String, CaseIterable, ExpressibleByArgument {
    case lstm, sgd, nag, rmsprop, adam

    /// Case-insensitive (`--optimizer ADAM`).
    init?(argument: String) { self.init(rawValue: argument.lowercased()) }

    /// The hand-designed optimizer, nil for the learned one.
    var baseline: Baseline? { Baseline(rawValue: rawValue) }
}

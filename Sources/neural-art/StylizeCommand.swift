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

            The loss is content·L_content + style·L_style + tv·L_tv over a compact random-weight \
            feature network (RandVGG-S); pixels stay in [0, 1]. Every optimizer sees gradients \
            normalized for the image size, so one learning rate serves every --size.
            """)

    @Option(name: .long, help: "Content image (PNG or JPEG).")
    var content: String?

    @Option(name: .long, help: "Style image (PNG or JPEG); repeat to blend several styles.")
    var style: [String] = []

    @Option(name: .long, parsing: .upToNextOption, help: "Blend weights, one per --style (default: equal).")
    var styleWeights: [Float] = []

    @Option(name: [.short, .long], help: "Output image; .png or .jpg.")
    var output: String = "stylized.png"

    @Option(name: .long, help: "Longest side of the output, in pixels.")
    var size: Int = 128

    @Option(name: .long, help: "Style images are resized to --size × this factor (larger = larger strokes).")
    var styleScale: Double = 1

    @Option(name: [.short, .long], help: "Optimization steps (default: 200; 128, its training horizon, for the learned optimizer).")
    var iterations: Int?

    var steps: Int { iterations ?? (optimizer == .lstm ? 128 : 200) }

    @Option(name: .long, help: "Optimizer: lstm (the learned optimizer), sgd, nag, rmsprop or adam.")
    var optimizer: OptimizerChoice = .adam

    @Option(name: .long, help: "Learned optimizer for --optimizer lstm (default: the shipped models/neural-art.lstm).")
    var model: String?

    @Option(name: .long, help: "Learning rate (default: a per-optimizer rate that works: sgd 30, nag 3, rmsprop 0.01, adam 0.02).")
    var learningRate: Float?

    @Option(name: .long, help: "ε of RMSprop and ADAM.")
    var epsilon: Float = 1e-8

    @OptionGroup var lossWeights: LossWeightOptions

    @Option(name: .long, help: "Start from: content, noise, or the path of an image.")
    var `init`: String = "content"

    @Option(name: .long, help: "Seed for every random choice (noise initialization).")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Print the losses every N steps (0: never).")
    var printEvery: Int = 0

    @Option(name: .long, help: "Save an intermediate image every N steps as <output>_<step>.<ext> (0: never).")
    var saveEvery: Int = 0

    @Flag(name: .long, help: "Keep the content image's colours (transfer only luminance).")
    var originalColors = false

    @Option(name: .long, help: "Write the per-step losses to this CSV file.")
    var log: String?

    @Option(name: .long, help: "Compute threads (default: 1 below 96×96 pixels, else the core count).")
    var threads: Int?

    @Flag(name: [.short, .long], help: "No progress bar or messages.")
    var quiet = false

    func validate() throws {
        guard size >= 16 && size <= 4096 else { throw ValidationError("--size must be between 16 and 4096 pixels") }
        if let iterations { guard iterations >= 1 && iterations <= 1_000_000 else { throw ValidationError("--iterations must be at least 1") } }
        if model != nil && optimizer != .lstm {
            throw ValidationError("--model is for --optimizer lstm")
        }
        if let lr = learningRate, !(lr > 0 && lr.isFinite) { throw ValidationError("--learning-rate must be positive") }
        guard epsilon >= 0 else { throw ValidationError("--epsilon must be non-negative") }
        guard styleScale > 0 && styleScale <= 8 else { throw ValidationError("--style-scale must be in (0, 8]") }
        if !styleWeights.isEmpty {
            guard styleWeights.count == max(style.count, 1) else {
                throw ValidationError("--style-weights needs one weight per --style (\(max(style.count, 1))), got \(styleWeights.count)")
            }
            guard styleWeights.allSatisfy({ $0 >= 0 }) && styleWeights.reduce(0, +) > 0 else {
                throw ValidationError("--style-weights must be non-negative with a positive sum")
            }
        }
        guard printEvery >= 0, saveEvery >= 0 else { throw ValidationError("--print-every and --save-every must be ≥ 0") }
        guard ImageFile.Format(pathExtensionOf: output) != nil else {
            throw ValidationError("--output must end in .png, .jpg or .jpeg (got '\(output)')")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        try runReportingErrors { try stylize() }
    }

    func stylize() throws {
        let contentPath = try content ?? BundledAssets.require(BundledAssets.defaultContent)
        let stylePaths = try style.isEmpty ? [BundledAssets.require(BundledAssets.defaultStyle)] : style
        let contentImage = try ImageFile.read(contentPath)
        let styleImages = try stylePaths.map { try ImageFile.read($0) }
        let initialization: Initialization
        switch self.`init` {
        case "content": initialization = .content
        case "noise": initialization = .noise
        default: initialization = .image(try ImageFile.read(self.`init`))
        }
        try checkOutputDirectory(output)
        if let log { try checkOutputDirectory(log) }

        let transfer = StyleTransfer(
            content: contentImage, styles: styleImages, styleWeights: styleWeights.isEmpty ? nil : styleWeights,
            size: size, styleScale: styleScale,
            weights: lossWeights.weights)
        ComputeThreads.setForImage(width: transfer.width, height: transfer.height, requested: threads)
        let opt: any Optimizer
        let description: String
        if let kind = optimizer.baseline {
            let lr = learningRate ?? kind.stylizeLearningRate
            opt = kind.make(learningRate: lr, epsilon: epsilon)
            description = "\(kind.rawValue) (lr \(lr))"
        } else {
            let path = try model ?? BundledAssets.require("models/neural-art.lstm")
            opt = try ModelFile.load(path: path).optimizer(forTaskNamed: "style", path: path)
            description = "learned optimizer \((path as NSString).lastPathComponent)"
        }
        let pixels = transfer.initialPixels(initialization, seed: seed)

        let bar = ProgressBar(label: "stylize", total: steps, quiet: quiet)
        if !quiet {
            bar.log("\(description) on \(transfer.width)×\(transfer.height) px, \(steps) steps, " +
                    "weights content \(lossWeights.contentWeight) style \(lossWeights.styleWeight) tv \(lossWeights.tvWeight)")
        }
        var saveError: Error?
        let history = try transfer.run(optimizer: opt, pixels: pixels, iterations: steps) { step, current in
            bar.update(step: step.step, message: String(format: "loss %.4g", step.loss.total))
            if printEvery > 0 && step.step % printEvery == 0 {
                bar.log(Self.describe(step.step, step.loss))
            }
            if saveEvery > 0 && step.step % saveEvery == 0 && step.step < steps {
                do {
                    try ImageFile.write(transfer.image(from: current, originalColors: originalColors),
                                        to: Self.intermediatePath(output, step: step.step))
                } catch { saveError = error; return false }
            }
            return true
        }
        if let saveError { throw saveError }
        try ImageFile.write(transfer.image(from: pixels, originalColors: originalColors), to: output)
        if let log { try writeLog(history, to: log) }
        if !quiet {
            let first = history.first!, last = history.last!
            bar.log(String(format: "loss %.4g → %.4g (content %.3g, style %.3g, tv %.3g); wrote %@",
                           first.total, last.total, last.content, last.style, last.tv, output))
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

    func writeLog(_ history: [LossBreakdown], to path: String) throws {
        var csv = "step,total,content,style,tv,style_s1,style_s2,style_s3,style_s4\n"
        for (t, l) in history.enumerated() {
            csv += "\(t),\(l.total),\(l.content),\(l.style),\(l.tv)," + l.styleLayers.map { "\($0)" }.joined(separator: ",") + "\n"
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

/// Fails early (before long work) if the folder of an output path does not exist.
func checkOutputDirectory(_ path: String) throws {
    let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
        throw CLIError("cannot write '\(path)': the folder '\(dir)' does not exist")
    }
}

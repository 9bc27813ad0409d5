import Foundation
import ImageIO
import MetaLearning
import Numerics

/// The Neural Art meta-learning task: "stylize this content crop in style S".
///
/// A problem is a `size × size` crop of a content image (random source image, position, scale
/// 1–2.5× the crop size in a copy of the source whose shorter side is 4·size, and horizontal
/// flip), stylized in one fixed style whose target Grams come from the style image resized to
/// `size` (exactly as `neural-art stylize` does). Training problems sample the training images;
/// validation and test problems sample held-out images, from disjoint seed streams, so every
/// test crop is new. The optimizer starts from the content crop, pixels are clamped to [0, 1].
///
/// **Style augmentation** (optional, training problems only): each training problem's targets
/// come from its own random view of the one style image — a square crop of 50–100 % of its
/// shorter side, a horizontal flip with probability ½ and one of the 6 orderings of its RGB
/// channels — so an optimizer trained on one style sees many Gram targets. Validation and test
/// problems always use the style image itself.
///
/// **Style distribution** (optional, `init(training:heldOut:distribution:…)`): each problem draws
/// its crop size, style (procedural families, the bundled styles, the user's folder), and loss
/// weights from a `StyleDistribution` (see `StyleTask+Distribution.swift`); without one the
/// task is the single-style task above, bit for bit.
///
/// What the optimizer sees (`lossScale`) is f·(H·W/4096)/f_ref, with f_ref the loss at the
/// content crop itself: per-pixel gradients then neither shrink with the image size nor change
/// with the user's loss weights, so one learned optimizer (and one learning rate) serves all.
public final class StyleTask: MetaTask {
    /// Side of the crops, in pixels (with a distribution: the largest crop side).
    public let size: Int
    public let weights: LossWeights
    public let seed: UInt64
    public let styleName: String
    public let trainingNames: [String]
    public let heldOutNames: [String]
    /// Source images, each resized so its shorter side is 4·size (or kept if smaller).
    let training: [Image]
    let heldOut: [Image]
    let network: RandVGGS
    /// The single style's targets (nil with a distribution).
    let targets: StyleTargets?
    /// The style image (for augmented views; nil with a distribution), and whether training
    /// problems use them.
    let styleImage: Image?
    public let augmentStyle: Bool
    /// Where each problem's style, size and weights come from; nil: the one style image.
    public let distribution: StyleDistribution?
    /// Coarse to fine (with a distribution): each problem is first stylized at half its crop
    /// size for this many steps, then at full size (`CoarseStyleProblem`); nil: one scale.
    public let coarseSteps: Int?
    /// Palette starts (with a distribution): the probability that a problem's content crop is
    /// first recoloured to its style's colour statistics (`Image.matchingColorStatistics`), as
    /// `stylize --init palette` (the default) recolours the photo; the recoloured crop is then
    /// the start and the content reference. Drawn per problem (`startsFromPalette`); 0: every
    /// problem starts from the crop as it is.
    public let paletteStart: Double

    public var name: String { "style" }
    public var defaultHorizon: Int { 128 }
    public var settings: [String: String] {
        if let distribution { return distributionSettings(distribution) }
        return ["size": "\(size)", "style": styleName, "training": trainingNames.joined(separator: ";"),
         "heldOut": heldOutNames.joined(separator: ";"), "seed": "\(seed)",
         "weights": "\(weights.content),\(weights.style),\(weights.tv)", "scale": "1-2.5", "flip": "true"]
            .merging(augmentStyle ? ["styleAugmentation": "crop 0.5-1, flip, channel order"] : [:]) { a, _ in a }
    }

    /// The default data seed (validation and test crops are the same for every run).
    public static let defaultSeed: UInt64 = 1606_04474

    /// - Parameters:
    ///   - training, heldOut: named source images (content photos); both non-empty.
    ///   - style: the style image and its name (recorded in model files).
    public convenience init(training: [(name: String, image: Image)], heldOut: [(name: String, image: Image)],
                style: (name: String, image: Image), size: Int = 64, weights: LossWeights = .default,
                seed: UInt64 = StyleTask.defaultSeed, network: RandVGGS = RandVGGS(), augmentStyle: Bool = false) {
        precondition(size >= 16, "StyleTask: size \(size) below 16")
        self.init(training: training, heldOut: heldOut, size: size, weights: weights, seed: seed, network: network,
                  styleName: style.name,
                  targets: StyleTargets(network: network, styles: [Tensor(image: style.image.resized(longestSide: size))]),
                  styleImage: style.image, augmentStyle: augmentStyle, distribution: nil, coarseSteps: nil, paletteStart: 0)
    }

    /// The task whose problems draw their crop size, style and loss weights from `distribution`
    /// (`weights` are the base weights the drawn factors multiply).
    /// With `coarseSteps`, every problem is painted coarse to fine (`CoarseStyleProblem`).
    public convenience init(training: [(name: String, image: Image)], heldOut: [(name: String, image: Image)],
                            distribution: StyleDistribution, weights: LossWeights = .default,
                            seed: UInt64 = StyleTask.defaultSeed, network: RandVGGS = RandVGGS(), coarseSteps: Int? = nil,
                            paletteStart: Double = 0) {
        precondition(coarseSteps.map { $0 >= 1 } ?? true, "StyleTask: \(coarseSteps!) coarse steps")
        precondition((0...1).contains(paletteStart), "StyleTask: palette-start probability \(paletteStart)")
        precondition(coarseSteps == nil || distribution.sizes.lowerBound >= 2 * RandVGGS.minimumSide * 2,
                     "StyleTask: crops of \(distribution.sizes.lowerBound) px are too small to halve")
        self.init(training: training, heldOut: heldOut, size: distribution.sizes.upperBound, weights: weights, seed: seed,
                  network: network, styleName: "distribution", targets: nil, styleImage: nil, augmentStyle: false,
                  distribution: distribution, coarseSteps: coarseSteps, paletteStart: paletteStart)
    }

    private init(training: [(name: String, image: Image)], heldOut: [(name: String, image: Image)], size: Int,
                 weights: LossWeights, seed: UInt64, network: RandVGGS, styleName: String, targets: StyleTargets?,
                 styleImage: Image?, augmentStyle: Bool, distribution: StyleDistribution?, coarseSteps: Int?,
                 paletteStart: Double) {
        precondition(!training.isEmpty && !heldOut.isEmpty, "StyleTask: need training and held-out images")
        self.size = size
        self.weights = weights
        self.seed = seed
        self.network = network
        self.styleName = styleName
        trainingNames = training.map(\.name)
        heldOutNames = heldOut.map(\.name)
        let side = 4 * size
        func prepare(_ image: Image) -> Image {
            let short = min(image.width, image.height)
            guard short > side else { return image }
            let f = Double(side) / Double(short)
            return image.resized(width: max(size, Int((Double(image.width) * f).rounded())),
                                 height: max(size, Int((Double(image.height) * f).rounded())))
        }
        self.training = training.map { prepare($0.image) }
        self.heldOut = heldOut.map { prepare($0.image) }
        self.targets = targets
        self.styleImage = styleImage
        self.augmentStyle = augmentStyle
        self.distribution = distribution
        self.coarseSteps = coarseSteps
        self.paletteStart = paletteStart
    }

    /// The style view of training problem `index` when augmenting (see the type's documentation),
    /// resized to `size` on its side. Drawn from its own seed stream: content crops do not change.
    public func augmentedStyle(index: Int) -> Image {
        guard let styleImage else { preconditionFailure("StyleTask.augmentedStyle: a distribution task has no style image") }
        var g = Self.generator(seed: seed, split: .training, index: index).fork(0x5354_594C)   // "STYL"
        let short = min(styleImage.width, styleImage.height)
        let side = max(1, min(short, Int((Double(short) * g.nextUniform(in: 0.5, 1)).rounded())))
        let x = g.nextInt(styleImage.width - side + 1), y = g.nextInt(styleImage.height - side + 1)
        var view = styleImage.cropped(x: x, y: y, width: side, height: side).resized(width: size, height: size)
        if g.nextUniform() < 0.5 { view = view.flippedHorizontally() }
        let orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]
        let order = orders[g.nextInt(orders.count)]
        let n = view.planeSize
        var pixels = view.pixels
        for c in 0..<3 { pixels.replaceSubrange(c * n..<(c + 1) * n, with: view.pixels[order[c] * n..<(order[c] + 1) * n]) }
        return Image(width: view.width, height: view.height, pixels: pixels)
    }

    /// The content crop of problem `index` of `split` (`size × size`, planar RGB in [0, 1]).
    public func contentCrop(split: Split, index: Int) -> Image {
        contentCrop(split: split, index: index, size: size)
    }

    /// The content crop of problem `index` of `split` at `size × size` (at most the task's `size`).
    public func contentCrop(split: Split, index: Int, size: Int) -> Image {
        precondition(size >= 1 && size <= self.size, "StyleTask.contentCrop: size \(size) outside 1...\(self.size)")
        var g = Self.generator(seed: seed, split: split, index: index)
        let sources = split == .training ? training : heldOut
        let source = sources[g.nextInt(sources.count)]
        let maxSide = min(source.width, source.height)
        let scale = g.nextUniform(in: 1, 2.5)
        let side = max(size, min(maxSide, Int((Double(size) * scale).rounded())))
        let x = g.nextInt(source.width - side + 1), y = g.nextInt(source.height - side + 1)
        var crop = source.cropped(x: x, y: y, width: side, height: side).resized(width: size, height: size)
        if g.nextUniform() < 0.5 { crop = crop.flippedHorizontally() }
        return crop
    }

    public func makeProblem(split: Split, index: Int) -> any Problem {
        guard let targets else { return makeDistributionProblem(split: split, index: index) }
        let t = augmentStyle && split == .training
            ? StyleTargets(network: network, styles: [Tensor(image: augmentedStyle(index: index))]) : targets
        return StyleProblem(content: contentCrop(split: split, index: index), network: network, targets: t,
                            weights: weights)
    }
}

/// A stylization problem in the meta-learning core's terms: the loss `StylizationProblem` over
/// pixels bounded to [0, 1], started from the content, with the size- and weight-normalizing
/// loss scale. The one problem type of stylizing (`StyleTransfer`), comparing, tuning and
/// meta-training (`StyleTask`); all of them run it through `ProblemBatch.optimize`.
public final class StyleProblem: Problem {
    public let stylization: StylizationProblem
    /// θ₀ (the content, or the start given to `init(stylization:start:initial:)`).
    let initial: Tensor
    /// f at the content image (the reference the optimizer's view of the loss is divided by).
    public let referenceLoss: Float
    public let lossScale: Float
    /// The loss terms of the last `lossAndGradient` call.
    public private(set) var lastLoss: LossBreakdown?

    public convenience init(content image: Image, network: RandVGGS, targets: StyleTargets, weights: LossWeights) {
        let content = Tensor(image: image)
        self.init(stylization: StylizationProblem(network: network, content: content, height: image.height,
                                                  width: image.width, styleTargets: targets, weights: weights),
                  start: content)
    }

    /// The problem of `stylization`, normalized at `start`, `[3, H, W]` in [0, 1] (the content,
    /// or the content on its canvas), and started there — or at `initial` (same shape; e.g. a
    /// coarser scale's picture upsampled, which `stylize` also normalizes at the content).
    public init(stylization: StylizationProblem, start: Tensor, initial: Tensor? = nil) {
        precondition(start.count == stylization.parameterCount && (initial?.count ?? start.count) == start.count,
                     "StyleProblem: start \(start.shape) for a \(stylization.width)×\(stylization.height) problem")
        self.stylization = stylization
        self.initial = initial ?? start
        referenceLoss = stylization.evaluate(at: start.data, gradient: nil).total
        lossScale = Self.optimizerScale(width: stylization.width, height: stylization.height, referenceLoss: referenceLoss)
    }

    /// (H·W/4096)/f_ref, with f_ref floored so a problem already at its optimum stays finite.
    public static func optimizerScale(width: Int, height: Int, referenceLoss: Float) -> Float {
        Float(width * height) / 4096 / max(referenceLoss, 1e-6)
    }

    public var parameterCount: Int { initial.count }
    public var bounds: ClosedRange<Float>? { 0...1 }
    /// The picture on its canvas: 3 × H × W (the wrap margin included).
    public var imageShape: ImageShape? { ImageShape(planes: 3, height: stylization.height, width: stylization.width) }
    /// Each problem owns its feature maps; the network and style targets are read-only.
    public var allowsConcurrentEvaluation: Bool { true }
    public func initialParameters() -> [Float] { initial.toArray() }

    public func lossAndGradient(at theta: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>) -> Float {
        let loss = stylization.evaluate(at: theta, gradient: gradient)
        lastLoss = loss
        return loss.total
    }
}

extension StyleTask {
    /// The bundled split (images/SOURCES.md): training on astronaut, coffee, camera, coins and
    /// hubble_deep_field; validation and test crops from the held-out chelsea and rocket.
    public static let bundledTraining = ["astronaut.png", "coffee.png", "camera.png", "coins.png", "hubble_deep_field.jpg"]
    public static let bundledHeldOut = ["chelsea.png", "rocket.jpg"]

    /// A style task on the bundled images, or on `contentDirectory` (every PNG/JPEG in it; the
    /// last 2 in name order are held out, at least 3 files needed) with the style image `style`
    /// (default the bundled swirls).
    /// With `distribution`, problems draw their styles from it (`style` and `augmentStyle` must
    /// then be unset, and `size` is not used: the distribution's crop sizes are).
    public static func load(size: Int = 64, style: String? = nil, contentDirectory: String? = nil,
                            weights: LossWeights = .default, seed: UInt64 = StyleTask.defaultSeed,
                            augmentStyle: Bool = false, distribution: StyleDistribution? = nil,
                            coarseSteps: Int? = nil, paletteStart: Double = 0) throws -> StyleTask {
        precondition(distribution == nil || (style == nil && !augmentStyle),
                     "StyleTask.load: a style distribution excludes a style image and style augmentation")
        precondition(coarseSteps == nil || distribution != nil, "StyleTask.load: coarse to fine needs a style distribution")
        precondition(paletteStart == 0 || distribution != nil, "StyleTask.load: palette starts need a style distribution")
        func read(_ path: String) throws -> (name: String, image: Image) {
            ((path as NSString).lastPathComponent, try ImageFile.read(path))
        }
        let training: [(name: String, image: Image)], heldOut: [(name: String, image: Image)]
        if let dir = contentDirectory {
            let files = try listImages(in: dir)
            guard files.count >= 3 else { throw StyleTaskError.tooFewImages(directory: dir, found: files.count) }
            training = try files.dropLast(2).map(read)
            heldOut = try files.suffix(2).map(read)
        } else {
            training = try bundledTraining.map { try read(try BundledAssets.require("images/" + $0)) }
            heldOut = try bundledHeldOut.map { try read(try BundledAssets.require("images/" + $0)) }
        }
        if let distribution {
            return StyleTask(training: training, heldOut: heldOut, distribution: distribution, weights: weights, seed: seed,
                             coarseSteps: coarseSteps, paletteStart: paletteStart)
        }
        let stylePath = try style ?? BundledAssets.require(BundledAssets.defaultStyle)
        return StyleTask(training: training, heldOut: heldOut, style: try read(stylePath), size: size,
                         weights: weights, seed: seed, augmentStyle: augmentStyle)
    }

    /// PNG and JPEG files (by extension) in `directory`, sorted by name.
    static func listImages(in directory: String) throws -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw StyleTaskError.unreadableDirectory(directory)
        }
        return names.filter { ["png", "jpg", "jpeg"].contains(($0 as NSString).pathExtension.lowercased()) }
            .sorted().map { (directory as NSString).appendingPathComponent($0) }
    }
}

/// Why a style task could not be set up.
public enum StyleTaskError: Error, CustomStringConvertible, Equatable {
    case unreadableDirectory(String)
    case tooFewImages(directory: String, found: Int)
    /// A `--style-dir` with no PNG or JPEG file.
    case noStyleImages(directory: String)
    case unknownFamily(String)
    case noFamilies
    case dirFamilyWithoutDirectory
    case heldOutNotDrawn(String, drawn: String)
    case everyFamilyHeldOut

    public var description: String {
        switch self {
        case .unreadableDirectory(let d): return "cannot read the folder '\(d)'"
        case let .tooFewImages(d, n):
            return "'\(d)' holds \(n) PNG/JPEG images; need at least 3 (the last 2 by name are held out)"
        case .noStyleImages(let d): return "the style folder '\(d)' holds no PNG or JPEG image"
        case .unknownFamily(let f): return "unknown style family '\(f)' (known: all, \(StyleFamily.namesList))"
        case .noFamilies: return "no style family to draw from"
        case .dirFamilyWithoutDirectory: return "the dir style family needs --style-dir <folder>"
        case let .heldOutNotDrawn(f, drawn): return "held-out family '\(f)' is not among the families drawn from (\(drawn))"
        case .everyFamilyHeldOut: return "every style family is held out; none is left to train on"
        }
    }
}

import ImageIO
import MetaLearning
import Numerics

/// Where the optimization starts.
public enum Initialization: Sendable, Equatable {
    /// The content image itself (the default: fastest to a recognisable picture).
    case content
    /// Uniform noise in [0, 1] from the run's seed.
    case noise
    /// A given picture (resized to the output size).
    case image(Image)
}

/// The whole style-transfer set-up from user images: sizes, tensors, the loss, and a runner.
///
/// The content is resized so its longer side is `size`; each style image so its longer side is
/// `size · styleScale` (the Gram loss is normalized by positions, so sizes may differ).
public final class StyleTransfer {
    public let width: Int
    public let height: Int
    public let content: Image
    public let problem: StylizationProblem

    /// - Parameters:
    ///   - styleWeights: blend weights of the styles (default equal).
    public init(content: Image, styles: [Image], styleWeights: [Float]? = nil, size: Int,
                styleScale: Double = 1, weights: LossWeights = .default, network: RandVGGS = RandVGGS(),
                pyramidLevels: Int? = nil) {
        precondition(size >= RandVGGS.minimumSide, "StyleTransfer: size \(size) below \(RandVGGS.minimumSide)")
        let c = content.resized(longestSide: size)
        precondition(min(c.width, c.height) >= RandVGGS.minimumSide,
                     "StyleTransfer: content \(c.width)×\(c.height) too thin")
        self.content = c
        width = c.width
        height = c.height
        let styleSide = max(RandVGGS.minimumSide, Int((Double(size) * styleScale).rounded()))
        let styleTensors = styles.map { s -> Tensor in
            var r = s.resized(longestSide: styleSide)
            if min(r.width, r.height) < RandVGGS.minimumSide {
                r = s.resized(width: max(r.width, RandVGGS.minimumSide), height: max(r.height, RandVGGS.minimumSide))
            }
            return Tensor(image: r)
        }
        let levels = pyramidLevels ?? StylizationProblem.pyramidLevels(height: c.height, width: c.width)
        let targets = StyleTargets(network: network, styles: styleTensors, weights: styleWeights, levels: levels)
        let contentTensor = Tensor(image: c)
        problem = StylizationProblem(network: network, content: contentTensor, height: height, width: width,
                                     styleTargets: targets, weights: weights)
        referenceLoss = problem.evaluate(at: contentTensor.data, gradient: nil).total
    }

    /// f at the content image: the loss the optimizer's view is normalized by.
    public let referenceLoss: Float

    /// The factor the optimizer's view of the loss is multiplied by: (H·W/4096)/f(content), as in
    /// `StyleTask`. Per-pixel gradients then do not shrink with the image size and do not change
    /// with the loss weights, so one learning rate (and one learned optimizer) serves every size
    /// and setting. Reported losses are unscaled.
    public var gradientScale: Float {
        StyleProblem.optimizerScale(width: width, height: height, referenceLoss: referenceLoss)
    }

    /// Starting pixels `[3, height, width]` in [0, 1].
    public func initialPixels(_ initialization: Initialization, seed: UInt64) -> Tensor {
        switch initialization {
        case .content:
            return Tensor(image: content)
        case .noise:
            var rng = SeededGenerator(seed: seed)
            let t = Tensor(shape: [3, height, width])
            rng.fillUniform(t)
            return t
        case .image(let image):
            let t = Tensor(image: image.resized(width: width, height: height))
            for i in 0..<t.count { t.data[i] = min(1, max(0, t.data[i])) }
            return t
        }
    }

    /// Optimizes `pixels` in place (see `Stylizer.run`), feeding the optimizer size-normalized
    /// gradients. Returns f(θ_0) … f(θ_T).
    @discardableResult
    public func run<O: Optimizer>(
        optimizer: O, pixels: Tensor, iterations: Int,
        observer: (StylizeStep, Tensor) -> Bool = { _, _ in true }
    ) throws -> [LossBreakdown] {
        try Stylizer(problem: problem).run(optimizer: optimizer, pixels: pixels, iterations: iterations,
                                           gradientScale: gradientScale, observer: observer)
    }

    /// The picture for `pixels`, optionally keeping the content's colours.
    public func image(from pixels: Tensor, originalColors: Bool = false) -> Image {
        let img = Image(tensor: pixels)
        return originalColors ? img.withLuminance(keepingColorsOf: content) : img
    }
}

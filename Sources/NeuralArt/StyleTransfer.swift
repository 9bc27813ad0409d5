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
/// `size · styleScale` (the Gram loss is normalized by positions, so sizes may differ). With a
/// network that wraps around the edges, the optimized canvas is the picture plus a `WrapMargin`
/// below and to the right, cropped off by `image(from:)`.
public final class StyleTransfer {
    /// The picture's size (the content resized).
    public let width: Int
    public let height: Int
    /// The optimized canvas: the picture plus `margin`.
    public var canvasWidth: Int { width + margin.columns }
    public var canvasHeight: Int { height + margin.rows }
    public let margin: WrapMargin
    /// The content resized to the picture's size.
    public let content: Image
    /// The loss over the canvas's pixels.
    public let problem: StylizationProblem

    /// - Parameters:
    ///   - styleWeights: blend weights of the styles (default equal).
    public init(content: Image, styles: [Image], styleWeights: [Float]? = nil, size: Int,
                styleScale: Double = 1, weights: LossWeights = .default, network: RandVGGS = RandVGGS(),
                pyramidLevels: Int? = nil, margin: WrapMargin? = nil) {
        precondition(size >= RandVGGS.minimumSide, "StyleTransfer: size \(size) below \(RandVGGS.minimumSide)")
        let layout = Self.canvasGeometry(contentWidth: content.width, contentHeight: content.height, size: size,
                                         network: network)
        let c = content.resized(width: layout.width, height: layout.height)
        precondition(min(c.width, c.height) >= RandVGGS.minimumSide,
                     "StyleTransfer: content \(c.width)×\(c.height) too thin")
        self.content = c
        width = c.width
        height = c.height
        let margin = margin ?? layout.margin
        self.margin = margin
        let canvas = c.wrapPadded(margin)
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
        let contentTensor = Tensor(image: canvas)
        problem = StylizationProblem(network: network, content: contentTensor, height: canvas.height,
                                     width: canvas.width, styleTargets: targets, weights: weights)
        styleProblem = StyleProblem(stylization: problem, start: contentTensor)
    }

    /// The loss as a meta-learning `Problem` (bounds [0, 1], `gradientScale` as its loss scale).
    public let styleProblem: StyleProblem

    /// f at the content image: the loss the optimizer's view is normalized by.
    public var referenceLoss: Float { styleProblem.referenceLoss }

    /// The factor the optimizer's view of the loss is multiplied by: (H·W/4096)/f(content), as in
    /// `StyleTask`. Per-pixel gradients then do not shrink with the image size and do not change
    /// with the loss weights, so one learning rate (and one learned optimizer) serves every size
    /// and setting. Reported losses are unscaled.
    public var gradientScale: Float { styleProblem.lossScale }

    /// The canvas `init` lays out (with the default margin) for a `contentWidth`×`contentHeight`
    /// content at `size`, without building anything: the content fitted to `size` on its longer
    /// side (`Image.fittedSize`) and `WrapMargin.standard` around it for a periodic network, none
    /// otherwise.
    static func canvasGeometry(contentWidth: Int, contentHeight: Int, size: Int, network: RandVGGS) -> CanvasGeometry {
        let fit = Image.fittedSize(width: contentWidth, height: contentHeight, longestSide: size)
        return CanvasGeometry(width: fit.width, height: fit.height,
                              margin: network.isPeriodic ? WrapMargin.standard(width: fit.width, height: fit.height) : .none)
    }

    /// Starting pixels of the canvas, `[3, canvasHeight, canvasWidth]` in [0, 1].
    public func initialPixels(_ initialization: Initialization, seed: UInt64) -> Tensor {
        switch initialization {
        case .content:
            return Tensor(image: content.wrapPadded(margin))
        case .noise:
            var rng = SeededGenerator(seed: seed)
            let t = Tensor(shape: [3, canvasHeight, canvasWidth])
            rng.fillUniform(t)
            return t
        case .image(let image):
            return canvas(from: image)
        }
    }

    /// A picture (any size) resized to the picture's size and padded to the canvas, in [0, 1].
    public func canvas(from image: Image, filter: ResizeFilter = .lanczos3) -> Tensor {
        let t = Tensor(image: image.resized(width: width, height: height, filter: filter).wrapPadded(margin))
        for i in 0..<t.count { t.data[i] = min(1, max(0, t.data[i])) }
        return t
    }

    /// Optimizes `pixels` in place (see `StyleProblem.run`), feeding the optimizer size-normalized
    /// gradients. Returns f(θ_0) … f(θ_T).
    @discardableResult
    public func run<O: Optimizer>(
        optimizer: O, pixels: Tensor, iterations: Int,
        observer: (StylizeStep, Tensor) -> Bool = { _, _ in true }
    ) throws -> [LossBreakdown] {
        try styleProblem.run(optimizer: optimizer, pixels: pixels, iterations: iterations,
                                                observer: observer)
    }

    /// `run` continuing from `state` (advanced in place).
    @discardableResult
    public func run<O: Optimizer>(
        optimizer: O, pixels: Tensor, iterations: Int, state: O.State,
        observer: (StylizeStep, Tensor) -> Bool = { _, _ in true }
    ) throws -> [LossBreakdown] {
        try styleProblem.run(optimizer: optimizer, pixels: pixels, iterations: iterations, state: state, observer: observer)
    }

    /// The picture for canvas `pixels` (the margin cropped off), optionally keeping the content's
    /// colours.
    public func image(from pixels: Tensor, originalColors: Bool = false) -> Image {
        let img = Image(tensor: pixels).cropped(x: 0, y: 0, width: width, height: height)
        return originalColors ? img.withLuminance(keepingColorsOf: content) : img
    }
}

/// The picture size and wrap margin of one scale's canvas (planar `[3, height + margin.rows,
/// width + margin.columns]`): what carrying an optimizer state between scales needs to know.
struct CanvasGeometry: Equatable {
    let width: Int, height: Int, margin: WrapMargin
    /// The canvas as an image: 3 × (height + margin rows) × (width + margin columns).
    var imageShape: ImageShape { ImageShape(planes: 3, height: height + margin.rows, width: width + margin.columns) }
    var count: Int { imageShape.count }

    init(width: Int, height: Int, margin: WrapMargin) { self.width = width; self.height = height; self.margin = margin }
    init(_ t: StyleTransfer) { self.init(width: t.width, height: t.height, margin: t.margin) }
}

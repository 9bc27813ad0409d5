import ImageIO
import MetaLearning
import Numerics

/// A coarse-to-fine stylization problem for meta-training and evaluation, painted as `stylize`
/// paints a picture: the crop stylized at half its size for `coarseSteps` steps, then at its
/// full size from that picture upsampled (bicubic, clamped to [0, 1]), normalized at the
/// full-size content, the optimizer's state carried over coordinate by coordinate (each
/// full-size value takes the state of its nearest half-size value in the same channel).
///
/// `Problem` calls go to the coarse problem; `finer(from:)` builds the full-size problem (its
/// style targets are made only then).
public final class CoarseStyleProblem: Problem {
    /// The half-size problem.
    public let coarse: StyleProblem
    public let coarseSteps: Int?
    /// The full-size problem's width and height.
    let fineWidth: Int, fineHeight: Int
    let makeFine: (Tensor) -> StyleProblem

    /// - Parameters:
    ///   - makeFine: the full-size problem (`fineWidth × fineHeight`) started at the given
    ///     pixels (`[3, fineHeight, fineWidth]`).
    init(coarse: StyleProblem, coarseSteps: Int, fineWidth: Int, fineHeight: Int, makeFine: @escaping (Tensor) -> StyleProblem) {
        precondition(coarseSteps >= 1, "CoarseStyleProblem: \(coarseSteps) coarse steps")
        self.coarse = coarse
        self.coarseSteps = coarseSteps
        self.fineWidth = fineWidth
        self.fineHeight = fineHeight
        self.makeFine = makeFine
    }

    public var parameterCount: Int { coarse.parameterCount }
    public var bounds: ClosedRange<Float>? { coarse.bounds }
    public var imageShape: ImageShape? { coarse.imageShape }
    public var lossScale: Float { coarse.lossScale }
    public var allowsConcurrentEvaluation: Bool { true }
    public func initialParameters() -> [Float] { coarse.initialParameters() }
    public func lossAndGradient(at theta: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>) -> Float {
        coarse.lossAndGradient(at: theta, gradient: gradient)
    }

    public func finer(from theta: UnsafePointer<Float>) -> (problem: any Problem, source: [Int32]) {
        let w = coarse.stylization.width, h = coarse.stylization.height
        let picture = Tensor(shape: [3, h, w])
        picture.data.update(from: theta, count: picture.count)
        let up = Tensor(image: Image(tensor: picture).resized(width: fineWidth, height: fineHeight, filter: .bicubic))
        for i in 0..<up.count { up.data[i] = min(1, max(0, up.data[i])) }
        let source = CoarseToFine.nearestSource(fromWidth: w, height: h, toWidth: fineWidth, height: fineHeight)
        return (makeFine(up), source)
    }
}

import MetaLearning

/// The hand-designed optimizers by name, with learning rates that work for stylization.
public enum HandDesignedOptimizer: String, CaseIterable, Sendable {
    case sgd, nag, rmsprop, adam

    /// Learning rates for stylization with size-normalized gradients (`StyleTransfer.gradientScale`),
    /// the default loss weights and pixels in [0, 1]. ADAM's 0.02 is the rate that looks best
    /// (the loss-optimal rate is higher and leaves colour grain); the others were picked on the
    /// bundled images at 128 px for a similar look in 200 steps.
    public var stylizeLearningRate: Float {
        switch self {
        case .sgd: return 30
        case .nag: return 3
        case .rmsprop: return 0.01
        case .adam: return 0.02
        }
    }

    /// The optimizer with the given learning rate (momentum 0.9 for NAG; ε for RMSprop and ADAM).
    public func make(learningRate: Float, epsilon: Float = 1e-8) -> any Optimizer {
        switch self {
        case .sgd: return SGD(learningRate: learningRate)
        case .nag: return NAG(learningRate: learningRate, momentum: 0.9)
        case .rmsprop: return RMSprop(learningRate: learningRate, epsilon: epsilon)
        case .adam: return Adam(learningRate: learningRate, epsilon: epsilon)
        }
    }
}

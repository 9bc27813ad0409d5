import MetaLearning

extension Baseline {
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
}

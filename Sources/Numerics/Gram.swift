/// The Gram matrix of a feature map and its adjoint.
///
/// For features `F` of shape `[channels, positions]` (a CHW map with `positions = height·width`),
/// `G = F·Fᵀ / positions`, a symmetric `channels × channels` matrix. Dividing by the number of
/// positions lets a style image of any size serve any output size.
/// Cost: channels²·positions FLOP (symmetric rank-k update) forward, 2·channels²·positions backward.
public enum Gram {
    /// gram ← F·Fᵀ / positions (full symmetric matrix, row-major `channels × channels`).
    public static func forward(
        features: UnsafePointer<Float>, channels: Int, positions: Int,
        gram: UnsafeMutablePointer<Float>
    ) {
        BLAS.syrkUpper(n: channels, k: positions, alpha: 1 / Float(positions),
                       a: features, lda: positions, c: gram, ldc: channels)
        for i in 0..<channels {
            for j in 0..<i { gram[i * channels + j] = gram[j * channels + i] }
        }
    }

    /// featureGradient (+)= ∂L/∂F given a **symmetric** gramGradient = ∂L/∂G:
    /// ∂L/∂F = (∂L/∂G + ∂L/∂Gᵀ)·F / positions = 2·∂L/∂G·F / positions.
    /// - Parameter accumulate: add into `featureGradient` instead of overwriting it.
    public static func backward(
        gramGradient: UnsafePointer<Float>, features: UnsafePointer<Float>,
        channels: Int, positions: Int,
        featureGradient: UnsafeMutablePointer<Float>, accumulate: Bool
    ) {
        BLAS.gemm(m: channels, n: positions, k: channels, alpha: 2 / Float(positions),
                  a: gramGradient, lda: channels, b: features, ldb: positions,
                  beta: accumulate ? 1 : 0, c: featureGradient, ldc: positions)
    }
}

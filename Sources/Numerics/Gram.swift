/// The Gram matrix of a feature map and its adjoint.
///
/// For features `F` of shape `[channels, positions]` (a CHW map with `positions = height·width`),
/// `G = F·Fᵀ / positions`, a symmetric `channels × channels` matrix. Dividing by the number of
/// positions lets a style image of any size serve any output size.
/// Cost: channels²·positions FLOP (upper triangle) forward, 2·channels²·positions backward.
public enum Gram {
    /// gram ← F·Fᵀ / positions (full symmetric matrix, row-major `channels × channels`).
    ///
    /// Outside a parallel region and with `BLAS.threads > 1`, large Grams split their rows
    /// between threads; every entry is summed in the same order either way, so the result is
    /// bit-identical for every thread count.
    public static func forward(
        features: UnsafePointer<Float>, channels: Int, positions: Int,
        gram: UnsafeMutablePointer<Float>
    ) {
        let alpha = 1 / Float(positions)
        let work = channels * channels * positions / 2
        let parts = (work < BLAS.splitThreshold || channels < 16 || ParallelRegion.isInside) ? 1 : BLAS.threads
        parallelFor(chunks: parts) { p in
            upperTriangle(features: features, channels: channels, positions: positions, alpha: alpha,
                          rows: triangleRows(p, of: parts, channels: channels), gram: gram)
        }
        for i in 0..<channels {
            for j in 0..<i { gram[i * channels + j] = gram[j * channels + i] }
        }
    }

    /// featureGradient (+)= ∂L/∂F given a **symmetric** gramGradient = ∂L/∂G:
    /// ∂L/∂F = (∂L/∂G + ∂L/∂Gᵀ)·F / positions = 2·∂L/∂G·F / positions.
    /// - Parameter scale: an extra factor on the result (∂L/∂F = scale·2·∂L/∂G·F / positions), so
    ///   callers can pass an unscaled gramGradient.
    /// - Parameter accumulate: add into `featureGradient` instead of overwriting it.
    public static func backward(
        gramGradient: UnsafePointer<Float>, features: UnsafePointer<Float>,
        channels: Int, positions: Int, scale: Float = 1,
        featureGradient: UnsafeMutablePointer<Float>, accumulate: Bool
    ) {
        BLAS.gemm(m: channels, n: positions, k: channels, alpha: scale * 2 / Float(positions),
                  a: gramGradient, lda: channels, b: features, ldb: positions,
                  beta: accumulate ? 1 : 0, c: featureGradient, ldc: positions)
    }
}

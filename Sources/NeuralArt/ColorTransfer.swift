import Foundation
import ImageIO

extension Image {
    /// This image recoloured to the colour statistics of `palette` images: an affine map of RGB,
    /// x ↦ μ_p + Σ_p^{½} Σ_x^{−½} (x − μ_x), that gives the result the palette's mean colour and
    /// colour covariance (the "PCA" colour transfer of Gatys et al., "Controlling perceptual
    /// factors in neural style transfer", 2017). Several palette images are pooled with
    /// `weights` (default equal) as one mixture. Results are clamped to [0, 1].
    ///
    /// Grey and low-colour photos take the palette's colours along their luminance: Σ_x is
    /// regularized by 10⁻³ of its mean variance times I, so colour directions the photo does not
    /// vary in stay flat instead of amplifying noise.
    ///
    /// Complexity: O(width·height + Σ palette pixels).
    public func matchingColorStatistics(of palette: [Image], weights: [Float]? = nil) -> Image {
        precondition(!palette.isEmpty, "matchingColorStatistics: at least one palette image")
        let w = weights ?? [Float](repeating: 1, count: palette.count)
        precondition(w.count == palette.count && w.allSatisfy { $0 >= 0 } && w.reduce(0, +) > 0,
                     "matchingColorStatistics: \(w.count) non-negative weights for \(palette.count) images")
        let total = Double(w.reduce(0, +))
        // Mixture moments: E[x] and E[x xᵀ] pooled with the weights.
        var mean = [Double](repeating: 0, count: 3), second = [Double](repeating: 0, count: 9)
        for (image, weight) in zip(palette, w) {
            let (m, s) = image.colorMoments()
            let f = Double(weight) / total
            for i in 0..<3 { mean[i] += f * m[i] }
            for i in 0..<9 { second[i] += f * s[i] }
        }
        let targetCov = Self.covariance(mean: mean, second: second)
        let (ownMean, ownSecond) = colorMoments()
        var ownCov = Self.covariance(mean: ownMean, second: ownSecond)
        let ridge = 1e-3 * (ownCov[0] + ownCov[4] + ownCov[8]) / 3 + 1e-8
        for i in 0..<3 { ownCov[4 * i] += ridge }
        let a = Symmetric3.multiply(Symmetric3.power(targetCov, 0.5), Symmetric3.power(ownCov, -0.5))
        let n = planeSize
        var out = [Float](repeating: 0, count: 3 * n)
        pixels.withUnsafeBufferPointer { p in
            for i in 0..<n {
                let d = (0..<3).map { Double(p[$0 * n + i]) - ownMean[$0] }
                for c in 0..<3 {
                    let v = mean[c] + a[3 * c] * d[0] + a[3 * c + 1] * d[1] + a[3 * c + 2] * d[2]
                    out[c * n + i] = Float(min(1, max(0, v)))
                }
            }
        }
        return Image(width: width, height: height, pixels: out)
    }

    /// Mean colour and E[x xᵀ] (row-major 3×3) over the pixels.
    func colorMoments() -> (mean: [Double], second: [Double]) {
        let n = planeSize
        var mean = [Double](repeating: 0, count: 3), second = [Double](repeating: 0, count: 9)
        pixels.withUnsafeBufferPointer { p in
            for i in 0..<n {
                let x = (Double(p[i]), Double(p[n + i]), Double(p[2 * n + i]))
                let v = [x.0, x.1, x.2]
                for r in 0..<3 {
                    mean[r] += v[r]
                    for c in 0..<3 { second[3 * r + c] += v[r] * v[c] }
                }
            }
        }
        return (mean.map { $0 / Double(n) }, second.map { $0 / Double(n) })
    }

    static func covariance(mean: [Double], second: [Double]) -> [Double] {
        (0..<9).map { second[$0] - mean[$0 / 3] * mean[$0 % 3] }
    }
}

/// 3×3 symmetric matrices (row-major `[Double]` of 9) for colour statistics.
enum Symmetric3 {
    /// Eigenvalues and eigenvectors (columns of `vectors`) by cyclic Jacobi rotations.
    static func eigen(_ m: [Double]) -> (values: [Double], vectors: [Double]) {
        var a = m, v: [Double] = [1, 0, 0, 0, 1, 0, 0, 0, 1]
        for _ in 0..<50 {
            let off = a[1] * a[1] + a[2] * a[2] + a[5] * a[5]
            if off < 1e-30 { break }
            for (p, q) in [(0, 1), (0, 2), (1, 2)] where abs(a[3 * p + q]) > 1e-300 {
                let theta = (a[3 * q + q] - a[3 * p + p]) / (2 * a[3 * p + q])
                let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot(), s = t * c
                // a ← Jᵀ a J with J the rotation in the (p, q) plane; v ← v J.
                for k in 0..<3 {
                    let akp = a[3 * k + p], akq = a[3 * k + q]
                    a[3 * k + p] = c * akp - s * akq
                    a[3 * k + q] = s * akp + c * akq
                }
                for k in 0..<3 {
                    let apk = a[3 * p + k], aqk = a[3 * q + k]
                    a[3 * p + k] = c * apk - s * aqk
                    a[3 * q + k] = s * apk + c * aqk
                }
                for k in 0..<3 {
                    let vkp = v[3 * k + p], vkq = v[3 * k + q]
                    v[3 * k + p] = c * vkp - s * vkq
                    v[3 * k + q] = s * vkp + c * vkq
                }
            }
        }
        return ([a[0], a[4], a[8]], v)
    }

    /// M^e for a symmetric positive semi-definite M (eigenvalues floored at 10⁻¹²).
    static func power(_ m: [Double], _ e: Double) -> [Double] {
        let (values, vectors) = eigen(m)
        let d = values.map { pow(max($0, 1e-12), e) }
        var out = [Double](repeating: 0, count: 9)
        for r in 0..<3 {
            for c in 0..<3 {
                var sum = 0.0
                for k in 0..<3 { sum += vectors[3 * r + k] * d[k] * vectors[3 * c + k] }
                out[3 * r + c] = sum
            }
        }
        return out
    }

    static func multiply(_ a: [Double], _ b: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: 9)
        for r in 0..<3 {
            for c in 0..<3 {
                var sum = 0.0
                for k in 0..<3 { sum += a[3 * r + k] * b[3 * k + c] }
                out[3 * r + c] = sum
            }
        }
        return out
    }
}

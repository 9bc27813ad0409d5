import Numerics

/// "Make these pixels look like the content image, painted in the style": the stylization loss
/// f(θ) over the pixels θ (`[3, height, width]`, values in [0, 1]) and its exact gradient.
///
/// f = w_c·‖F₃(θ) − F₃(c)‖²/‖F₃(c)‖² + w_s·¼Σ_s ‖G_s(θ) − G_s(S)‖²_F/‖G_s(S)‖²_F + w_tv·tv(θ),
/// with F_s the RandVGG-S activations of stage s and G_s their Gram matrices. Evaluation
/// reuses buffers allocated at initialization: nothing is allocated per call.
public final class StylizationProblem {
    public let network: RandVGGS
    public let height: Int
    public let width: Int
    /// Number of pixels values (coordinates): 3·height·width.
    public var parameterCount: Int { 3 * height * width }
    public var weights: LossWeights

    let maps: FeatureMaps
    let styleTargets: StyleTargets
    /// F₃(content), or nil for pure texture synthesis.
    let contentFeatures: Tensor?
    let contentSquaredNorm: Double
    /// Per-stage Gram of the current image, then reused for ∂L/∂G.
    let grams: [Tensor]
    /// Total variation's partial sum of each pixel row, `[3, height]`.
    let tvRowSums: Tensor

    /// The stage whose activations the content loss compares (s3).
    public static let contentStage = 2

    /// - Parameters:
    ///   - content: `[3, height, width]` in [0, 1], or nil (texture synthesis at `height × width`).
    ///   - styleTargets: blended target Grams (see `StyleTargets`).
    public init(network: RandVGGS, content: Tensor?, height: Int, width: Int,
                styleTargets: StyleTargets, weights: LossWeights = .default) {
        if let content {
            precondition(content.shape == [3, height, width],
                         "StylizationProblem: content \(content.shape) for size \(width)×\(height)")
        }
        self.network = network
        self.height = height
        self.width = width
        self.weights = weights
        self.styleTargets = styleTargets
        self.maps = FeatureMaps(height: height, width: width)
        self.tvRowSums = Tensor(shape: [3, height])
        self.grams = (0..<4).map { Tensor(shape: [RandVGGS.channels[$0 + 1], RandVGGS.channels[$0 + 1]]) }
        if let content {
            network.forward(pixels: content.data, maps: maps)
            let f = maps.activations[Self.contentStage].copy()
            var s = 0.0
            for i in 0..<f.count { s += Double(f.data[i]) * Double(f.data[i]) }
            contentFeatures = f
            contentSquaredNorm = max(s, 1e-30)
        } else {
            contentFeatures = nil
            contentSquaredNorm = 1
        }
    }

    /// The loss at θ and, when `gradient` is non-nil, ∂f/∂θ written into it (`parameterCount` values).
    @discardableResult
    public func evaluate(at theta: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>?) -> LossBreakdown {
        network.forward(pixels: theta, maps: maps)
        // Each stage's style loss (Gram, difference, adjoint) and the content loss run as one
        // task per stage; the four have equal FLOPs (C_s²·H_s·W_s is the same at every stage), so
        // the stages, not the small products within them, are split between threads. Each task
        // writes only its own stage's buffers and sums; totals are summed in stage order below.
        var styleRel = [Double](repeating: 0, count: 4)
        var contentSq: Double = 0
        styleRel.withUnsafeMutableBufferPointer { rel in
            let rel = rel.baseAddress!
            let stages = TaskSchedule(threads: ParallelRegion.isInside ? 1 : BLAS.threads, tasks: 4)
            parallelFor(chunks: stages.chunks) { chunk in
                stages.forEachTask(of: chunk) { s in
                    rel[s] = styleLoss(stage: s, gradient: gradient != nil)
                    if s == Self.contentStage { contentSq = contentSquaredError(gradient: gradient != nil) }
                    if s == 3 && gradient != nil { network.maskTopGradient(maps: maps) }
                }
            }
        }
        let styleLayers = styleRel.map { Float($0) }
        var styleTotal: Double = 0
        for s in 0..<4 { styleTotal += styleRel[s] / 4 }
        let contentLoss = contentSq / contentSquaredNorm
        let tv: Float
        if let gradient {
            // The smoothness term is added row by row as the pixel gradient's rows become final.
            let tvWeight = weights.tv, rowSums = tvRowSums.data
            network.backward(maps: maps, pixelGradient: gradient, topMasked: true) { rows in
                TotalVariation.accumulate(theta, channels: 3, height: height, width: width, rows: rows,
                                          gradient: gradient, weight: tvWeight, rowSums: rowSums)
            }
            tv = TotalVariation.total(rowSums: rowSums, channels: 3, height: height, width: width)
        } else {
            tv = TotalVariation.evaluate(theta, channels: 3, height: height, width: width,
                                         gradient: nil, weight: weights.tv)
        }
        let style = Float(styleTotal)
        let total = weights.content * Float(contentLoss) + weights.style * style + weights.tv * tv
        return LossBreakdown(total: total, content: Float(contentLoss), style: style, tv: tv,
                             styleLayers: styleLayers)
    }

    /// ‖G_s(θ) − G_s(S)‖²_F / ‖G_s(S)‖²_F for stage `s`; with `gradient`, also writes its
    /// weighted adjoint w_s·¼·∂rel/∂F_s into `maps.gradients[s]` (overwriting it). Serial inside a
    /// stage task (the products are not split again).
    private func styleLoss(stage s: Int, gradient: Bool) -> Double {
        let cs = RandVGGS.channels[s + 1], positions = maps.heights[s] * maps.widths[s]
        let g = grams[s].data, target = styleTargets.grams[s].data
        Gram.forward(features: maps.activations[s].data, channels: cs, positions: positions, gram: g)
        var sq: Double = 0
        for i in 0..<cs * cs {
            let d = g[i] - target[i]
            sq += Double(d) * Double(d)
            g[i] = d   // reuse as G − G_target
        }
        if gradient {
            // ∂(w_s·¼·rel)/∂G = w_s·¼·2(G − G_t)/‖G_t‖²
            let k = Float(Double(weights.style) * 0.5 / styleTargets.squaredNorms[s])
            Gram.backward(gramGradient: g, features: maps.activations[s].data, channels: cs,
                          positions: positions, scale: k, featureGradient: maps.gradients[s].data,
                          accumulate: false)
        }
        return sq / styleTargets.squaredNorms[s]
    }

    /// ‖F₃(θ) − F₃(c)‖² (0 without content); with `gradient`, adds w_c·∂(…/‖F₃(c)‖²)/∂F₃ into
    /// `maps.gradients[contentStage]` (so it must run after that stage's `styleLoss`).
    private func contentSquaredError(gradient: Bool) -> Double {
        guard let target = contentFeatures else { return 0 }
        let f = maps.activations[Self.contentStage].data, t = target.data
        let gradF = maps.gradients[Self.contentStage].data
        let k = Float(2 * Double(weights.content) / contentSquaredNorm)
        var sq: Double = 0
        for i in 0..<target.count {
            let d = f[i] - t[i]
            sq += Double(d * d)
            if gradient { gradF[i] += k * d }
        }
        return sq
    }

    /// FLOPs of one loss + gradient evaluation (network forward and input-gradient pass, Gram
    /// matrices and their adjoints); the denominator of the benchmark's GFLOP/s.
    public var flopsPerEvaluation: Double {
        let conv = network.forwardFlops(height: height, width: width)
        var gram = 0.0
        for s in 0..<4 {
            let cs = Double(RandVGGS.channels[s + 1])
            let n = Double(maps.heights[s] * maps.widths[s])
            gram += cs * cs * n + 2 * cs * cs * n   // SYRK forward, GEMM adjoint
        }
        return 2 * conv + gram
    }
}

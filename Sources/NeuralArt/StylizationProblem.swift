import Numerics

/// "Make these pixels look like the content image, painted in the style": the stylization loss
/// f(θ) over the pixels θ (`[3, height, width]`, values in [0, 1]) and its exact gradient.
///
/// f = w_c·‖F₃(θ) − F₃(c)‖²/‖F₃(c)‖² + w_s·(1/4L)·Σ_l Σ_s ‖G_s(Dˡθ) − G_{l,s}(S)‖²_F/‖G_{l,s}(S)‖²_F
///     + w_tv·tv(θ),
/// with F_s the RandVGG-S activations of stage s, G_s their Gram matrices, D the antialiased
/// halving `Downsample2x` and L the pyramid levels of the style targets: the style statistics
/// are matched on the image and on its downsamplings by 2, 4, …, each against the style image's
/// downsampling by the same factor, so structures several times the network's receptive field
/// are matched too. The gradient runs back through each level's network and then Dᵀ.
/// With `weights.sliced` > 0, the term w_sw·(1/4L)·Σ_l Σ_s SW_{l,s} is added: the sliced
/// Wasserstein distance of each level's and stage's features to the style's
/// (`SlicedWasserstein`, relative to the target's squared norm), which matches the features'
/// distributions whole, not only their second moments.
/// Evaluation reuses buffers allocated at initialization: nothing is allocated per call.
public final class StylizationProblem {
    public let network: RandVGGS
    public let height: Int
    public let width: Int
    /// Number of pixels values (coordinates): 3·height·width.
    public var parameterCount: Int { 3 * height * width }
    public var weights: LossWeights
    /// Pyramid levels (1: the image alone).
    public var levels: Int { styleTargets.levels }

    /// Feature maps of each level (level 0: the image itself); all share one conv workspace.
    let levelMaps: [FeatureMaps]
    /// Level l ≥ 1's image Dˡθ and, during backward, its gradient (index l − 1).
    let levelPixels: [Tensor]
    let levelGradients: [Tensor]
    /// Workspace of `Downsample2x` at level 0's size.
    let downsampleWorkspace: Tensor
    let styleTargets: StyleTargets
    /// F₃(content), or nil for pure texture synthesis.
    let contentFeatures: Tensor?
    let contentSquaredNorm: Double
    /// Per-level, per-stage Gram of the current image, then reused for ∂L/∂G.
    let grams: [[Tensor]]
    /// Total variation's partial sum of each pixel row, `[3, height]`.
    let tvRowSums: Tensor
    /// Per-stage workspaces of the sliced term, made at the first evaluation that needs them.
    private var slicedWorkspaces: [SlicedWorkspace] = []

    /// The least mean square of F₃(content) the content loss is normalized by. Photos give
    /// 0.01–0.3 (the lowest seen on a 32-px training crop: 0.005); a flat content image gives
    /// ~1e-15, which without this floor made the content term 10¹⁴ times too steep for any
    /// learning rate (the loss went from 20 to 10¹¹ in one ADAM step).
    static let contentEnergyFloor = 1e-4

    /// The stage whose activations the content loss compares (s3).
    public static let contentStage = 2

    /// Level 0's maps.
    var maps: FeatureMaps { levelMaps[0] }

    /// The number of pyramid levels for an image of `height × width`: halvings continue while
    /// the shorter side stays at least `coarsestSide` (at most `maximum` levels). With a fixed
    /// coarsest size the largest structures matched are a fixed fraction of the picture at
    /// every size.
    public static func pyramidLevels(height: Int, width: Int, coarsestSide: Int = 32, maximum: Int = 6) -> Int {
        var side = min(height, width), levels = 1
        while levels < maximum && side / 2 >= max(coarsestSide, RandVGGS.minimumSide) { side /= 2; levels += 1 }
        return levels
    }

    /// - Parameters:
    ///   - content: `[3, height, width]` in [0, 1], or nil (texture synthesis at `height × width`).
    ///   - styleTargets: blended target Grams (see `StyleTargets`); their level count sets the
    ///     pyramid's (levels whose image would fall below `RandVGGS.minimumSide` are dropped).
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
        var levels = 1, h = height, w = width
        while levels < styleTargets.levels && min(h, w) / 2 >= RandVGGS.minimumSide { h /= 2; w /= 2; levels += 1 }
        self.styleTargets = levels == styleTargets.levels ? styleTargets : styleTargets.prefix(levels)
        let workspace = Tensor(shape: [FeatureMaps.workspaceCount(height: height, width: width)])
        var maps: [FeatureMaps] = [], pixels: [Tensor] = [], grads: [Tensor] = []
        h = height; w = width
        for l in 0..<levels {
            if l > 0 {
                h /= 2; w /= 2
                pixels.append(Tensor(shape: [3, h, w]))
                grads.append(Tensor(shape: [3, h, w]))
            }
            maps.append(FeatureMaps(height: h, width: w, workspace: workspace))
        }
        levelMaps = maps
        levelPixels = pixels
        levelGradients = grads
        downsampleWorkspace = Tensor(shape: [Downsample2x.workspaceCount(channels: 3, height: height, width: width)])
        self.tvRowSums = Tensor(shape: [3, height])
        self.grams = (0..<levels).map { _ in
            (0..<4).map { Tensor(shape: [RandVGGS.channels[$0 + 1], RandVGGS.channels[$0 + 1]]) }
        }
        if let content {
            network.forward(pixels: content.data, maps: maps[0])
            let f = maps[0].activations[Self.contentStage].copy()
            var s = 0.0
            for i in 0..<f.count { s += Double(f.data[i]) * Double(f.data[i]) }
            contentFeatures = f
            contentSquaredNorm = max(s, Self.contentEnergyFloor * Double(f.count))
        } else {
            contentFeatures = nil
            contentSquaredNorm = 1
        }
    }

    /// The loss at θ and, when `gradient` is non-nil, ∂f/∂θ written into it (`parameterCount` values).
    @discardableResult
    public func evaluate(at theta: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>?) -> LossBreakdown {
        let levels = levelMaps.count
        // The pyramid Dθ, D²θ, …
        for l in 1..<max(levels, 1) where levels > 1 {
            let src = l == 1 ? theta : UnsafePointer(levelPixels[l - 2].data)
            let m = levelMaps[l - 1]
            Downsample2x.forward(input: src, channels: 3, height: m.heights[0], width: m.widths[0],
                                 output: levelPixels[l - 1].data, workspace: downsampleWorkspace.data,
                                 periodic: network.isPeriodic)
        }
        // Each stage's style loss (Gram, difference, adjoint) and the content loss run as one
        // task per stage; the four have equal FLOPs (C_s²·H_s·W_s is the same at every stage), so
        // the stages, not the small products within them, are split between threads. Each task
        // writes only its own stage's buffers and sums; totals are summed in a fixed order below.
        // relative[4l + s]: level l's stage-s Gram term; relative[4L + 4l + s]: its sliced term.
        var relative = [Double](repeating: 0, count: 8 * levels)
        let sliced = weights.sliced != 0
        if sliced && slicedWorkspaces.isEmpty {
            slicedWorkspaces = (0..<4).map { s in
                SlicedWorkspace(projections: styleTargets.directions[s].shape[1], positions: maps.heights[s] * maps.widths[s],
                                threads: s == 0 ? max(1, BLAS.threads) : 1)
            }
        }
        var contentSq: Double = 0
        for l in 0..<levels {
            let m = levelMaps[l]
            network.forward(pixels: l == 0 ? theta : UnsafePointer(levelPixels[l - 1].data), maps: m)
            relative.withUnsafeMutableBufferPointer { all in
                let rel = all.baseAddress! + 4 * l, slicedRel = all.baseAddress! + 4 * levels + 4 * l
                let stages = TaskSchedule(threads: ParallelRegion.isInside ? 1 : BLAS.threads, tasks: 4)
                parallelFor(chunks: stages.chunks) { chunk in
                    stages.forEachTask(of: chunk) { s in
                        rel[s] = styleLoss(level: l, stage: s, gradient: gradient != nil)
                        // s1's sliced term (most of that term's work: 16 sorts of H·W values)
                        // runs after the stage tasks, its rows split over the threads.
                        if sliced && s > 0 {
                            slicedRel[s] = slicedLoss(level: l, stage: s, threads: 1, gradient: gradient != nil)
                        }
                        if l == 0 && s == Self.contentStage { contentSq = contentSquaredError(gradient: gradient != nil) }
                        if s == 3 && gradient != nil { network.maskTopGradient(maps: m) }
                    }
                }
                if sliced {
                    slicedRel[0] = slicedLoss(level: l, stage: 0, threads: ParallelRegion.isInside ? 1 : BLAS.threads,
                                              gradient: gradient != nil)
                }
            }
        }
        var styleLayers = [Float](repeating: 0, count: 4)
        var styleTotal: Double = 0, slicedTotal: Double = 0
        for s in 0..<4 {
            var layer: Double = 0, slicedLayer: Double = 0
            for l in 0..<levels {
                layer += relative[4 * l + s] / Double(levels)
                slicedLayer += relative[4 * levels + 4 * l + s] / Double(levels)
            }
            styleLayers[s] = Float(layer)
            styleTotal += layer / 4
            slicedTotal += slicedLayer / 4
        }
        let contentLoss = contentSq / contentSquaredNorm
        let tv: Float
        if let gradient {
            // Coarse to fine: level l's gradient is its network's input gradient plus Dᵀ of level
            // l + 1's, so each level's is complete before it is passed down.
            for l in stride(from: levels - 1, through: 1, by: -1) {
                let g = levelGradients[l - 1].data
                network.backward(maps: levelMaps[l], pixelGradient: g, topMasked: true)
                if l + 1 < levels { addDownsampleAdjoint(level: l + 1, into: g) }
            }
            // The smoothness term is added row by row as the pixel gradient's rows become final.
            let tvWeight = weights.tv, rowSums = tvRowSums.data
            network.backward(maps: maps, pixelGradient: gradient, topMasked: true) { rows in
                TotalVariation.accumulate(theta, channels: 3, height: height, width: width, rows: rows,
                                          gradient: gradient, weight: tvWeight, rowSums: rowSums)
            }
            if levels > 1 { addDownsampleAdjoint(level: 1, into: gradient) }
            tv = TotalVariation.total(rowSums: rowSums, channels: 3, height: height, width: width)
        } else {
            tv = TotalVariation.evaluate(theta, channels: 3, height: height, width: width,
                                         gradient: nil, weight: weights.tv)
        }
        let style = Float(styleTotal), slicedValue = Float(slicedTotal)
        let total = weights.content * Float(contentLoss) + weights.style * style + weights.tv * tv
            + weights.sliced * slicedValue
        return LossBreakdown(total: total, content: Float(contentLoss), style: style, tv: tv,
                             styleLayers: styleLayers, sliced: slicedValue)
    }

    /// gradient(level l − 1) += Dᵀ·gradient(level l).
    private func addDownsampleAdjoint(level l: Int, into target: UnsafeMutablePointer<Float>) {
        let above = levelMaps[l - 1]
        Downsample2x.backward(outputGradient: levelGradients[l - 1].data, channels: 3, height: above.heights[0],
                              width: above.widths[0], inputGradient: target, accumulate: true,
                              workspace: downsampleWorkspace.data, periodic: network.isPeriodic)
    }

    /// ‖G_s(Dˡθ) − G_{l,s}(S)‖²_F / ‖G_{l,s}(S)‖²_F for level `l`, stage `s`; with `gradient`, also
    /// writes its weighted adjoint w_s·(1/4L)·∂rel/∂F_s into that level's `maps.gradients[s]`
    /// (overwriting it). Serial inside a stage task (the products are not split again).
    private func styleLoss(level l: Int, stage s: Int, gradient: Bool) -> Double {
        let maps = levelMaps[l]
        let cs = RandVGGS.channels[s + 1], positions = maps.heights[s] * maps.widths[s]
        let g = grams[l][s].data, target = styleTargets.grams[l][s].data
        Gram.forward(features: maps.activations[s].data, channels: cs, positions: positions, gram: g)
        var sq: Double = 0
        for i in 0..<cs * cs {
            let d = g[i] - target[i]
            sq += Double(d) * Double(d)
            g[i] = d   // reuse as G − G_target
        }
        if gradient {
            // ∂(w_s·rel/4L)/∂G = w_s·2(G − G_t)/(4L·‖G_t‖²)
            let k = Float(Double(weights.style) * 0.5 / (Double(levelMaps.count) * styleTargets.squaredNorms[l][s]))
            Gram.backward(gramGradient: g, features: maps.activations[s].data, channels: cs,
                          positions: positions, scale: k, featureGradient: maps.gradients[s].data,
                          accumulate: false)
        }
        return sq / styleTargets.squaredNorms[l][s]
    }

    /// SW_{l,s} = Σ_m Σ_i (sort(P_m)_i − T_{m,i})² / ‖T‖² for level `l`, stage `s` (P = VᵀF_s, T the
    /// style's quantile functions resampled to this level's positions); with `gradient`, adds its
    /// weighted adjoint w_sw·(1/4L)·∂SW/∂F_s into `maps.gradients[s]` (so it must run after that
    /// stage's `styleLoss`). Serial inside a stage task.
    private func slicedLoss(level l: Int, stage s: Int, threads: Int, gradient: Bool) -> Double {
        let maps = levelMaps[l], work = slicedWorkspaces[s]
        let cs = RandVGGS.channels[s + 1], positions = maps.heights[s] * maps.widths[s]
        let norm = Double(positions) * styleTargets.quantileSquaredMeans[l][s]
        let k = Float(Double(weights.sliced) / (4 * Double(levelMaps.count) * norm))
        let sum = SlicedWasserstein.evaluate(
            features: maps.activations[s].data, channels: cs, positions: positions,
            directions: styleTargets.directions[s].data, projections: styleTargets.directions[s].shape[1],
            targetQuantiles: styleTargets.quantiles[l][s].data, quantileCount: StyleTargets.quantileCount,
            projectionWorkspace: work.floats, keys: work.keys, threads: min(threads, work.threads), scale: k,
            featureGradient: gradient ? maps.gradients[s].data : nil)
        return sum / norm
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
        var total = 0.0
        for maps in levelMaps {
            let conv = network.forwardFlops(height: maps.heights[0], width: maps.widths[0])
            var gram = 0.0
            for s in 0..<4 {
                let cs = Double(RandVGGS.channels[s + 1])
                let n = Double(maps.heights[s] * maps.widths[s])
                gram += cs * cs * n + 2 * cs * cs * n   // SYRK forward, GEMM adjoint
            }
            total += 2 * conv + gram
        }
        return total
    }
}

/// Workspace of the sliced term for one stage, sized for level 0 (the largest), for up to
/// `threads` row threads.
final class SlicedWorkspace {
    let floats: UnsafeMutablePointer<Float>
    let keys: UnsafeMutablePointer<UInt64>
    let threads: Int

    init(projections: Int, positions: Int, threads: Int) {
        self.threads = threads
        let counts = SlicedWasserstein.workspaceCounts(projections: projections, positions: positions, threads: threads)
        floats = .allocate(capacity: counts.floats)
        keys = .allocate(capacity: counts.keys)
    }

    deinit {
        floats.deallocate()
        keys.deallocate()
    }
}

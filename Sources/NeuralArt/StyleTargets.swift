import Numerics

/// The style statistics to match: one target Gram matrix per pyramid level and stage, blended
/// from one or more style images, with the squared Frobenius norm of each target.
///
/// Level 0 is the style image as given; level l is it downsampled l times by `Downsample2x` (an
/// antialiased bicubic halving), so the network's ~38-pixel receptive field covers 38·2^l
/// pixels of the style there. A level whose image would fall below `RandVGGS.minimumSide`
/// reuses the level above it.
public struct StyleTargets: Sendable {
    /// Blended targets, `grams[level][stage]`, each `[C_s, C_s]`.
    public let grams: [[Tensor]]
    /// ‖G_{l,s}(style)‖²_F of each blended target (the relative loss divides by it),
    /// `squaredNorms[level][stage]`.
    public let squaredNorms: [[Double]]
    /// Number of pyramid levels.
    public var levels: Int { grams.count }
    /// The sliced Wasserstein loss's projection directions of each stage, `[C_s, C_s]` (one unit
    /// column per projection; seeded, the same for every style).
    public let directions: [Tensor]
    /// The blended quantile functions of the style's projected features, `quantiles[level][stage]`,
    /// each `[C_s, quantileCount]` (row m ascending: the 1-D Wasserstein barycenter of the styles'
    /// distributions of projection m, sampled at ranks (i + ½)/quantileCount).
    public let quantiles: [[Tensor]]
    /// Mean of the squared quantiles of each row, summed over rows: ‖T‖² / N for T resampled to
    /// any N (the sliced loss divides by it), `quantileSquaredMeans[level][stage]`.
    public let quantileSquaredMeans: [[Double]]
    /// Points of each stored quantile function.
    public static let quantileCount = 2048
    /// The seed of the projection directions.
    public static let directionSeed: UInt64 = 0x534C_4943   // "SLIC"

    /// Projections per stage of the sliced loss (at most the stage's channels).
    /// 16 matched the pictures of one projection per channel at a third of the cost of 32
    /// (docs/PICTURES.md).
    public static let maximumProjections = 16

    /// Seeded unit directions, `[channels, projections]` (one per column).
    public static func makeDirections(channels: Int, stage: Int) -> Tensor {
        var rng = SeededGenerator(seed: directionSeed).fork(UInt64(stage))
        let p = min(channels, maximumProjections)
        let v = Tensor(shape: [channels, p])
        rng.fillNormal(v)
        for m in 0..<p {
            var n: Float = 0
            for c in 0..<channels { n += v.data[c * p + m] * v.data[c * p + m] }
            let k = 1 / max(n.squareRoot(), 1e-12)
            for c in 0..<channels { v.data[c * p + m] *= k }
        }
        return v
    }

    /// Targets from style images (`[3, h_i, w_i]`, values in [0, 1], any sizes) and blend weights
    /// (non-negative, normalized to sum to 1), for `levels` pyramid levels.
    public init(network: RandVGGS, styles: [Tensor], weights: [Float]? = nil, levels: Int = 1) {
        precondition(!styles.isEmpty, "StyleTargets: at least one style image")
        precondition(levels >= 1, "StyleTargets: at least one level")
        let w = weights ?? [Float](repeating: 1, count: styles.count)
        precondition(w.count == styles.count && w.allSatisfy { $0 >= 0 } && w.reduce(0, +) > 0,
                     "StyleTargets: \(w.count) non-negative weights with a positive sum for \(styles.count) styles")
        let total = w.reduce(0, +)
        let c = RandVGGS.channels
        let grams = (0..<levels).map { _ in (0..<4).map { Tensor(shape: [c[$0 + 1], c[$0 + 1]]) } }
        let q = Self.quantileCount
        let directions = (0..<4).map { Self.makeDirections(channels: c[$0 + 1], stage: $0) }
        let quantiles = (0..<levels).map { _ in (0..<4).map { Tensor(shape: [directions[$0].shape[1], q]) } }
        // One convolution workspace for every level of every style (the largest need: a level's
        // is a quarter of the one above), and forward-only maps: no gradients, as large as the
        // activations, are allocated (at 1024 px they are 240 MB of fresh pages per style).
        let workspace = Tensor(shape: [styles.map {
            precondition($0.shape.count == 3 && $0.shape[0] == 3, "StyleTargets: style must be [3, h, w]")
            return FeatureMaps.workspaceCount(height: $0.shape[1], width: $0.shape[2])
        }.max()!])
        for (style, weight) in zip(styles, w) {
            var image = style
            for level in 0..<levels {
                let h = image.shape[1], wd = image.shape[2]
                let maps = FeatureMaps(height: h, width: wd, workspace: workspace, backward: false)
                network.forward(pixels: image.data, maps: maps)
                for s in 0..<4 {
                    let cs = c[s + 1]
                    let g = Tensor(shape: [cs, cs])
                    Gram.forward(features: maps.activations[s].data, channels: cs,
                                 positions: maps.heights[s] * maps.widths[s], gram: g.data)
                    let f = weight / total
                    for i in 0..<g.count { grams[level][s].data[i] += f * g.data[i] }
                    Self.addQuantiles(features: maps.activations[s].data, channels: cs,
                                      positions: maps.heights[s] * maps.widths[s], directions: directions[s],
                                      weight: f, into: quantiles[level][s])
                }
                if level + 1 < levels && min(h, wd) / 2 >= RandVGGS.minimumSide {
                    let next = Tensor(shape: [3, h / 2, wd / 2])
                    let ws = Tensor(shape: [Downsample2x.workspaceCount(channels: 3, height: h, width: wd)])
                    Downsample2x.forward(input: image.data, channels: 3, height: h, width: wd,
                                         output: next.data, workspace: ws.data, periodic: network.isPeriodic)
                    image = next
                }
            }
        }
        self.grams = grams
        self.directions = directions
        self.quantiles = quantiles
        self.quantileSquaredMeans = quantiles.map { level in
            level.map { t in
                var s = 0.0
                for i in 0..<t.count { s += Double(t.data[i]) * Double(t.data[i]) }
                return max(s / Double(q), 1e-30)
            }
        }
        self.squaredNorms = grams.map { level in
            level.map { g in
                var s = 0.0
                for i in 0..<g.count { s += Double(g.data[i]) * Double(g.data[i]) }
                return max(s, 1e-30)
            }
        }
    }
}

extension StyleTargets {
    /// The first `levels` levels.
    public func prefix(_ levels: Int) -> StyleTargets {
        precondition(levels >= 1 && levels <= self.levels, "StyleTargets.prefix: \(levels) of \(self.levels) levels")
        return StyleTargets(grams: Array(grams.prefix(levels)), squaredNorms: Array(squaredNorms.prefix(levels)),
                            directions: directions, quantiles: Array(quantiles.prefix(levels)),
                            quantileSquaredMeans: Array(quantileSquaredMeans.prefix(levels)))
    }

    private init(grams: [[Tensor]], squaredNorms: [[Double]], directions: [Tensor], quantiles: [[Tensor]],
                 quantileSquaredMeans: [[Double]]) {
        self.grams = grams
        self.squaredNorms = squaredNorms
        self.directions = directions
        self.quantiles = quantiles
        self.quantileSquaredMeans = quantileSquaredMeans
    }

    /// target += weight · (the quantile functions of Vᵀ·features), `[C, quantileCount]`.
    static func addQuantiles(features: UnsafePointer<Float>, channels c: Int, positions n: Int,
                             directions: Tensor, weight: Float, into target: Tensor) {
        let q = quantileCount, mp = directions.shape[1]
        let p = UnsafeMutablePointer<Float>.allocate(capacity: mp * n)
        let keys = UnsafeMutablePointer<UInt64>.allocate(capacity: 2 * n)
        let sorted = UnsafeMutablePointer<Float>.allocate(capacity: n)
        let row = UnsafeMutablePointer<Float>.allocate(capacity: q)
        defer { p.deallocate(); keys.deallocate(); sorted.deallocate(); row.deallocate() }
        BLAS.gemm(transA: true, m: mp, n: n, k: c, a: directions.data, lda: mp, b: features, ldb: n, c: p, ldc: n)
        for m in 0..<mp {
            SlicedWasserstein.sortIndices(p + m * n, count: n, keys: keys)
            for i in 0..<n { sorted[i] = p[m * n + Int(truncatingIfNeeded: keys[i] & 0xFFFF_FFFF)] }
            SlicedWasserstein.resampleQuantiles(sorted, count: n, into: row, count: q)
            let t = target.data + m * q
            for i in 0..<q { t[i] += weight * row[i] }
        }
    }
}

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
        for (style, weight) in zip(styles, w) {
            precondition(style.shape.count == 3 && style.shape[0] == 3, "StyleTargets: style must be [3, h, w]")
            var image = style
            for level in 0..<levels {
                let h = image.shape[1], wd = image.shape[2]
                let maps = FeatureMaps(height: h, width: wd)
                network.forward(pixels: image.data, maps: maps)
                for s in 0..<4 {
                    let cs = c[s + 1]
                    let g = Tensor(shape: [cs, cs])
                    Gram.forward(features: maps.activations[s].data, channels: cs,
                                 positions: maps.heights[s] * maps.widths[s], gram: g.data)
                    let f = weight / total
                    for i in 0..<g.count { grams[level][s].data[i] += f * g.data[i] }
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
        return StyleTargets(grams: Array(grams.prefix(levels)), squaredNorms: Array(squaredNorms.prefix(levels)))
    }

    private init(grams: [[Tensor]], squaredNorms: [[Double]]) {
        self.grams = grams
        self.squaredNorms = squaredNorms
    }
}

import Numerics

/// The style statistics to match: one target Gram matrix per stage (s1 … s4), blended from one
/// or more style images, with the squared Frobenius norm of each target.
public struct StyleTargets: Sendable {
    /// Blended targets, `[C_s, C_s]` each.
    public let grams: [Tensor]
    /// ‖G_s(style)‖²_F of each blended target (the relative loss divides by it).
    public let squaredNorms: [Double]

    /// Targets from style images (`[3, h_i, w_i]`, values in [0, 1], any sizes) and blend weights
    /// (non-negative, normalized to sum to 1).
    public init(network: RandVGGS, styles: [Tensor], weights: [Float]? = nil) {
        precondition(!styles.isEmpty, "StyleTargets: at least one style image")
        let w = weights ?? [Float](repeating: 1, count: styles.count)
        precondition(w.count == styles.count && w.allSatisfy { $0 >= 0 } && w.reduce(0, +) > 0,
                     "StyleTargets: \(w.count) non-negative weights with a positive sum for \(styles.count) styles")
        let total = w.reduce(0, +)
        let c = RandVGGS.channels
        let grams = (0..<4).map { Tensor(shape: [c[$0 + 1], c[$0 + 1]]) }
        for (style, weight) in zip(styles, w) {
            precondition(style.shape.count == 3 && style.shape[0] == 3, "StyleTargets: style must be [3, h, w]")
            let maps = FeatureMaps(height: style.shape[1], width: style.shape[2])
            network.forward(pixels: style.data, maps: maps)
            for s in 0..<4 {
                let cs = c[s + 1]
                let g = Tensor(shape: [cs, cs])
                Gram.forward(features: maps.activations[s].data, channels: cs,
                             positions: maps.heights[s] * maps.widths[s], gram: g.data)
                let f = weight / total
                for i in 0..<g.count { grams[s].data[i] += f * g.data[i] }
            }
        }
        self.grams = grams
        self.squaredNorms = grams.map { g in
            var s = 0.0
            for i in 0..<g.count { s += Double(g.data[i]) * Double(g.data[i]) }
            return max(s, 1e-30)
        }
    }
}

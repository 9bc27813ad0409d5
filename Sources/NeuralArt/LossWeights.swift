/// Weights of the terms of the stylization loss
/// f = content·L_content + style·L_style + sliced·L_sliced + tv·L_tv
/// (L_style: Gram matrices; L_sliced: sliced Wasserstein distances of the same features).
public struct LossWeights: Sendable, Equatable, Codable {
    public var content: Float
    public var style: Float
    public var tv: Float
    /// Weight of the sliced Wasserstein style term (0: off, and its work is skipped).
    public var sliced: Float

    /// Defaults that give a clearly stylized yet recognisable picture (docs/PICTURES.md).
    public static let `default` = LossWeights(content: 1, style: 10, tv: 5, sliced: 10)

    public init(content: Float, style: Float, tv: Float, sliced: Float = 0) {
        self.content = content; self.style = style; self.tv = tv; self.sliced = sliced
    }

    private enum CodingKeys: String, CodingKey { case content, style, tv, sliced }

    /// Files written before the sliced term existed decode with `sliced` 0.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(content: try c.decode(Float.self, forKey: .content), style: try c.decode(Float.self, forKey: .style),
                  tv: try c.decode(Float.self, forKey: .tv),
                  sliced: try c.decodeIfPresent(Float.self, forKey: .sliced) ?? 0)
    }
}

/// The value of the stylization loss and its parts (unweighted parts; `total` is weighted).
public struct LossBreakdown: Sendable, Equatable {
    /// w_c·content + w_s·style + w_tv·tv.
    public var total: Float
    /// ‖F₃(x) − F₃(c)‖² / ‖F₃(c)‖² (0 when there is no content image).
    public var content: Float
    /// Mean over s1 … s4 of ‖G_s(x) − G_s(style)‖²_F / ‖G_s(style)‖²_F.
    public var style: Float
    /// Mean squared difference of neighbouring pixels.
    public var tv: Float
    /// The four per-stage relative style losses.
    public var styleLayers: [Float]
    /// Mean over levels and stages of Σ(sort(P) − T)² / ‖T‖² (0 when its weight is 0).
    public var sliced: Float

    public init(total: Float, content: Float, style: Float, tv: Float, styleLayers: [Float], sliced: Float = 0) {
        self.total = total; self.content = content; self.style = style; self.tv = tv
        self.styleLayers = styleLayers; self.sliced = sliced
    }
}

/// Weights of the three terms of the stylization loss
/// f = content·L_content + style·L_style + tv·L_tv.
public struct LossWeights: Sendable, Equatable, Codable {
    public var content: Float
    public var style: Float
    public var tv: Float

    /// Defaults that give a clearly stylized yet recognisable picture at 128–256 px.
    public static let `default` = LossWeights(content: 1, style: 10, tv: 5)

    public init(content: Float, style: Float, tv: Float) {
        self.content = content; self.style = style; self.tv = tv
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

    public init(total: Float, content: Float, style: Float, tv: Float, styleLayers: [Float]) {
        self.total = total; self.content = content; self.style = style; self.tv = tv
        self.styleLayers = styleLayers
    }
}

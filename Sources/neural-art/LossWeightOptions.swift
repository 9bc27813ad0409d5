import ArgumentParser
import NeuralArt

/// The loss-weight options shared by `stylize` and `compare`.
struct LossWeightOptions: ParsableArguments {
    @Option(name: .long, parsing: .unconditional, help: "Weight of the content loss (0 to 1e6).")
    var contentWeight: Float = LossWeights.default.content

    @Option(name: .long, parsing: .unconditional, help: "Weight of the style loss (0 to 1e6).")
    var styleWeight: Float = LossWeights.default.style

    @Option(name: .long, parsing: .unconditional, help: "Weight of the smoothness (total variation) loss (0 to 1e6).")
    var tvWeight: Float = LossWeights.default.tv

    @Option(name: .long, parsing: .unconditional,
            help: "Weight of the sliced Wasserstein style loss: matches the style's feature distributions whole (flat areas, crisp edges), not only their Gram matrices (0 to 1e6; 0: off).")
    var slicedWeight: Float = LossWeights.default.sliced

    /// The largest weight accepted: larger ones overflow the loss (Float) on ordinary pictures.
    static let maximumWeight: Float = 1e6

    var weights: LossWeights { LossWeights(content: contentWeight, style: styleWeight, tv: tvWeight, sliced: slicedWeight) }

    func validate() throws {
        for (name, w) in [("--content-weight", contentWeight), ("--style-weight", styleWeight), ("--tv-weight", tvWeight),
                       ("--sliced-weight", slicedWeight)] {
            guard w >= 0 && w <= Self.maximumWeight else {
                throw ValidationError("\(name) must be a number between 0 and 1e6 (got \(w))")
            }
        }
    }
}

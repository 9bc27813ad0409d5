import ArgumentParser
import NeuralArt

/// The loss-weight options shared by `stylize` and `compare`.
struct LossWeightOptions: ParsableArguments {
    @Option(name: .long, help: "Weight of the content loss.")
    var contentWeight: Float = LossWeights.default.content

    @Option(name: .long, help: "Weight of the style loss.")
    var styleWeight: Float = LossWeights.default.style

    @Option(name: .long, help: "Weight of the smoothness (total variation) loss.")
    var tvWeight: Float = LossWeights.default.tv

    var weights: LossWeights { LossWeights(content: contentWeight, style: styleWeight, tv: tvWeight) }

    func validate() throws {
        for (name, w) in [("--content-weight", contentWeight), ("--style-weight", styleWeight), ("--tv-weight", tvWeight)] {
            guard w >= 0 && w.isFinite else { throw ValidationError("\(name) must be a non-negative number") }
        }
    }
}

import ImageIO
import MetaLearning
import Numerics

extension StyleTask {
    /// Problem `index` of `split`'s draw from the distribution: crop size, family, style image
    /// and loss weights (`weights` times the drawn factors).
    /// - Precondition: the task has a distribution.
    public func styleDraw(split: Split, index: Int) -> StyleDistribution.Draw {
        guard let distribution else { preconditionFailure("StyleTask.styleDraw: the task has no style distribution") }
        return distribution.draw(seed: seed, split: split, index: index, baseWeights: weights)
    }

    /// The problem of a distribution task: the drawn style's targets on an image pyramid (as
    /// many levels as `stylize` uses at the crop size: halvings down to a 32-px side), the
    /// content crop at the drawn size, the drawn weights.
    /// With `coarseSteps`, the problem is painted coarse to fine (`CoarseStyleProblem`): first
    /// at half the crop size (content crop and style image both resized, as `stylize` resizes
    /// them at each scale), then at the drawn size.
    /// A palette start (`startsFromPalette`) recolours the crop to the drawn style image's colour
    /// statistics first; that crop is then the content at every scale.
    func makeDistributionProblem(split: Split, index: Int) -> any Problem {
        let d = styleDraw(split: split, index: index)
        var content = contentCrop(split: split, index: index, size: d.size)
        if startsFromPalette(split: split, index: index) { content = content.matchingColorStatistics(of: [d.image]) }
        let network = self.network
        func problem(size: Int, initial: Tensor?) -> StyleProblem {
            let levels = StylizationProblem.pyramidLevels(height: size, width: size)
            let style = size == d.size ? d.image : d.image.resized(width: size, height: size)
            let targets = StyleTargets(network: network, styles: [Tensor(image: style)], levels: levels)
            let c = Tensor(image: size == d.size ? content : content.resized(width: size, height: size))
            let stylization = StylizationProblem(network: network, content: c, height: size, width: size,
                                                 styleTargets: targets, weights: d.weights)
            return StyleProblem(stylization: stylization, start: c, initial: initial)
        }
        guard let k = coarseSteps else { return problem(size: d.size, initial: nil) }
        return CoarseStyleProblem(coarse: problem(size: d.size / 2, initial: nil), coarseSteps: k,
                                  fineWidth: d.size, fineHeight: d.size) { problem(size: d.size, initial: $0) }
    }

    /// Whether problem `index` of `split` starts from its crop recoloured to the style's colours:
    /// true with probability `paletteStart`, from the problem's own stream (disjoint from the crop's
    /// and the style draw's, so the crop and style of a problem do not depend on `paletteStart`).
    public func startsFromPalette(split: Split, index: Int) -> Bool {
        guard paletteStart > 0 else { return false }
        var g = Self.generator(seed: seed, split: split, index: index).fork(0x5041_4C53)   // "PALS"
        return g.nextUniform() < paletteStart
    }

    /// The settings of a distribution task: the content split and crop recipe, the base weights
    /// (all four terms), the pyramid rule and the distribution's own settings.
    func distributionSettings(_ distribution: StyleDistribution) -> [String: String] {
        ["style": "distribution", "size": "\(distribution.sizes.lowerBound)-\(distribution.sizes.upperBound)",
         "training": trainingNames.joined(separator: ";"), "heldOut": heldOutNames.joined(separator: ";"),
         "seed": "\(seed)", "weights": "\(weights.content),\(weights.style),\(weights.tv),\(weights.sliced)",
         "scale": "1-2.5", "flip": "true", "pyramid": "halvings down to 32 px"]
            .merging(distribution.settings) { a, _ in a }
            .merging(coarseSteps.map { ["coarseToFine": "\($0) steps at half the crop size, then the crop size, state carried"] } ?? [:]) { a, _ in a }
            .merging(paletteStart > 0 ? ["paletteStart": "\(paletteStart) of problems start from the crop in the style's colours"] : [:]) { a, _ in a }
    }
}

extension StyleTask {
    /// Problems 0..<`count` of `split` grouped by their style family (families in canonical
    /// order; families with no problem among them left out). Renders nothing.
    /// - Precondition: the task has a distribution.
    public func problemIndicesByFamily(split: Split, count: Int) -> [(family: StyleFamily, indices: [Int])] {
        guard let distribution else { preconditionFailure("StyleTask.problemIndicesByFamily: the task has no style distribution") }
        var groups: [StyleFamily: [Int]] = [:]
        for i in 0..<count { groups[distribution.family(seed: seed, split: split, index: i), default: []].append(i) }
        return groups.keys.sorted().map { ($0, groups[$0]!) }
    }

    /// The first `perFamily` problems of `split` of each family drawn for that split (every
    /// family for validation and test, the training families for training), grouped by family
    /// in canonical order: as many indices as it takes for each family to have `perFamily`
    /// (validation and test problem i has family i mod the family count, so `perFamily` × that
    /// count indices). Renders nothing.
    /// - Precondition: the task has a distribution; `perFamily` ≥ 1.
    public func problemIndicesByFamily(split: Split, perFamily: Int) -> [(family: StyleFamily, indices: [Int])] {
        guard let distribution else { preconditionFailure("StyleTask.problemIndicesByFamily: the task has no style distribution") }
        precondition(perFamily >= 1, "StyleTask.problemIndicesByFamily: perFamily \(perFamily)")
        let wanted = split == .training ? distribution.trainingFamilies : distribution.families
        var groups: [StyleFamily: [Int]] = [:]
        var full = 0, i = 0
        while full < wanted.count {
            let f = distribution.family(seed: seed, split: split, index: i)
            if groups[f, default: []].count < perFamily {
                groups[f, default: []].append(i)
                if groups[f]!.count == perFamily { full += 1 }
            }
            i += 1
        }
        return wanted.map { ($0, groups[$0]!) }
    }
}

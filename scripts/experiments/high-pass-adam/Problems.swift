// The problems and models every probe of this harness runs on (see main.swift).
import Foundation
import MetaLearning
import NeuralArt

/// The style families meta-training draws from (the README's stage-6 recipe).
let trainingFamilies: [StyleFamily] = [.cells, .marble, .stripes, .strokes, .wash, .bundled]
/// The families the any-style reports hold out.
let heldOutFamilies: [StyleFamily] = [.dots, .mosaic, .crackle, .ripples, .plaid, .contours, .facets, .truchet, .drips,
                                      .camo, .impasto, .whirls]

/// Problems 0 ..< count of `split` at one crop size, from the photo (`paletteStart` 0) or the palette (1).
func probeProblems(size: Int, count: Int, families: [StyleFamily] = trainingFamilies, split: Split = .validation,
                   paletteStart: Double = 0) throws -> [any Problem] {
    let distribution = try StyleDistribution.load(families: families, heldOut: [], sizes: size...size)
    let task = try StyleTask.load(distribution: distribution, paletteStart: paletteStart)
    return (0..<count).map { task.makeProblem(split: split, index: $0) }
}

/// A model file's learned optimizer.
func loadLearnedOptimizer(_ path: String) throws -> LSTMOptimizer {
    let model = try ModelFile.load(path: path)
    return LSTMOptimizer(configuration: model.configuration, weights: model.weights)
}

/// The arguments of a `<mode> <size> <problems> <model>` probe.
func probeArguments() throws -> (size: Int, count: Int, lstm: LSTMOptimizer) {
    (Int(CommandLine.arguments[2])!, Int(CommandLine.arguments[3])!, try loadLearnedOptimizer(CommandLine.arguments[4]))
}

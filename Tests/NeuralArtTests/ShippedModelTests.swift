import XCTest
import MetaLearning
@testable import NeuralArt

/// The shipped learned optimizer is what the benchmark times and what `stylize` loads.
final class ShippedModelTests: XCTestCase {
    func testShippedStyleModelMatchesTheBenchmarkedArchitecture() throws {
        let path = try BundledAssets.require("models/neural-art.lstm")
        let file = try ModelFile.load(path: path)
        XCTAssertEqual(file.configuration, StylizeBenchmark.lstmConfiguration)
        try file.requireTask("style", path: path)
    }

    /// models/neural-art.lstm is stage 4 of scripts/train-neural-art.sh: trained on the style
    /// distribution's six training families only (nothing held out inside training, so every
    /// other family is unseen by training and validation alike), coarse to fine (48 steps at half
    /// the crop size, then 32 at 64–128 px), horizon 80, early weight 32; stage 5 (the last)
    /// with half its problems from palette starts, as `stylize` starts by default.
    func testShippedStyleModelRecordsTheDistributionRecipe() throws {
        let file = try ModelFile.load(path: try BundledAssets.require("models/neural-art.lstm"))
        let settings = file.task.settings
        XCTAssertEqual(settings["styleFamilies"], "cells,marble,stripes,strokes,wash,bundled")
        XCTAssertEqual(settings["heldOutFamilies"], "none")
        let t = try XCTUnwrap(file.training)
        XCTAssertEqual([t.horizon, t.unroll, t.problemsPerStep, t.metaSteps], [80, 16, 2, 400], "stage 6")
        XCTAssertEqual(t.metaLearningRate, 2.5e-4)
        XCTAssertEqual(file.configuration.inputs.highPass, .init(radius: 16, gain: -0.75))
        XCTAssertEqual(settings["cropSizes"], "64-128")
        XCTAssertEqual(settings["coarseToFine"], "48 steps at half the crop size, then the crop size, state carried")
        XCTAssertEqual(settings["paletteStart"], "0.5 of problems start from the crop in the style's colours")
        XCTAssertEqual(t.earlyWeight, 32)
        XCTAssertEqual(t.objective, .log)
        XCTAssertEqual(t.randomScale, 1)
    }

    /// models/mlp.lstm is the paper's MNIST architecture (2 × 20, log-sign p = 10) trained on
    /// the mlp task; its settings record the stage-2 recipe of scripts/train-mlp.sh, and its
    /// output scale (0.1 in the paper) the two calibrations (stage 1's, then the final one on the
    /// 100 validation problems the baselines were tuned on).
    func testShippedMLPModelIsThePapersArchitectureWithTheDocumentedRecipe() throws {
        let path = try BundledAssets.require("models/mlp.lstm")
        let file = try ModelFile.load(path: path)
        var paper = LSTMConfiguration(layers: 2, hiddenSize: 20, inputs: .paper, outputScale: 0.1)
        paper.outputScale = file.configuration.outputScale
        XCTAssertEqual(file.configuration, paper)
        try file.requireTask("mlp", path: path)
        let t = try XCTUnwrap(file.training)
        XCTAssertEqual([t.horizon, t.unroll, t.problemsPerStep, t.validationProblems], [100, 100, 2, 20])
        XCTAssertEqual(t.objective, .log)
        XCTAssertEqual(t.selection, .final)
        XCTAssertEqual(t.metaLearningRate, 3e-4)
        XCTAssertEqual(t.secondOrderSteps, 20, "stage 2 had second-order terms over the last 20 steps")
        let c = try XCTUnwrap(file.metadata.calibration)
        XCTAssertEqual([c.problems, c.steps], [100, 100])
        XCTAssertEqual(c.criterion, .final)
        XCTAssertEqual(file.configuration.outputScale, c.previousOutputScale * c.multiplier)
        XCTAssertLessThan(c.previousOutputScale, 0.1, "stage 2 started from the calibrated stage 1")
        XCTAssertLessThan(c.value!, c.uncalibratedValue!)
    }
}

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

    /// models/mlp.lstm is the paper's MNIST architecture (2 × 20, log-sign p = 10, output × 0.1),
    /// trained on the mlp task; its settings record the stage-2 recipe docs/TASKS.md gives.
    func testShippedMLPModelIsThePapersArchitectureWithTheDocumentedRecipe() throws {
        let path = try BundledAssets.require("models/mlp.lstm")
        let file = try ModelFile.load(path: path)
        XCTAssertEqual(file.configuration, LSTMConfiguration(layers: 2, hiddenSize: 20, inputs: .paper, outputScale: 0.1))
        try file.requireTask("mlp", path: path)
        let t = try XCTUnwrap(file.training)
        XCTAssertEqual([t.horizon, t.unroll, t.problemsPerStep, t.validationProblems], [100, 100, 2, 20])
        XCTAssertEqual(t.objective, .log)
        XCTAssertEqual(t.selection, .final)
        XCTAssertEqual(t.metaLearningRate, 3e-4)
    }
}

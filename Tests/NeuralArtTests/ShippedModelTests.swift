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
}

import Foundation
import XCTest
@testable import MetaLearning

final class StepScaleCalibrationTests: XCTestCase {
    /// The grid search finds an interior minimum to within its refined resolution, widens the
    /// grid when the minimum lies beyond an edge, and stops at its limits.
    func testLogGridSearchFindsInteriorAndWidensAtEdges() {
        var calls = 0
        let interior = LogGridSearch.minimize(initialRange: 0.1...10, pointsPerDecade: 3, limits: 1e-3...1e3) { e in
            calls += 1
            return (e - log10(0.37)) * (e - log10(0.37))
        }
        XCTAssertEqual(log10(interior.best), log10(0.37), accuracy: 1.0 / 24 + 1e-9)
        XCTAssertEqual(interior.tried.count, calls, "each point once")
        XCTAssertEqual(interior.tried.map(\.x), interior.tried.map(\.x).sorted())

        let below = LogGridSearch.minimize(initialRange: 0.1...10, pointsPerDecade: 2, limits: 1e-8...1e3) { e in abs(e + 5) }
        XCTAssertEqual(log10(below.best), -5, accuracy: 1e-6)
        let clamped = LogGridSearch.minimize(initialRange: 0.1...10, pointsPerDecade: 2, limits: 1e-2...1e3) { e in abs(e + 5) }
        XCTAssertEqual(log10(clamped.tried.first!.x), -2 - 0.5 / 4 * 3, accuracy: 1e-6, "refinement may step just past a limit")
        XCTAssertEqual(log10(clamped.best), -2 - 0.5 / 4 * 3, accuracy: 1e-6)
        // Edges that are not round decades (compare's ±1 decade around a default) still widen.
        let offGrid = LogGridSearch.minimize(initialRange: 0.3...30, pointsPerDecade: 2, limits: 1e-8...1e4) { e in abs(e - 2.2) }
        XCTAssertGreaterThan(offGrid.tried.last!.x, 100)
        XCTAssertEqual(log10(offGrid.best), 2.2, accuracy: 0.5 / 4 + 1e-9)
        // One refinement point per side: a quarter-decade resolution at 2 points per decade.
        var coarseCalls = 0
        let coarse = LogGridSearch.minimize(initialRange: 0.1...10, pointsPerDecade: 2, limits: 1e-8...1e4, refinement: 1) { e in
            coarseCalls += 1
            return abs(e - 0.3)
        }
        XCTAssertEqual(coarseCalls, 5 + 2)
        XCTAssertEqual(log10(coarse.best), 0.25, accuracy: 1e-6)
    }

    /// A deliberately mis-scaled learned optimizer is brought back: the calibration of a model
    /// whose output scale is 10^(2/3) too large picks the same absolute output scale as the
    /// calibration of the original (the grids coincide in absolute terms), and its value is the
    /// grid minimum, below the uncalibrated value.
    func testCalibrationIsInvariantToTheStartingScale() throws {
        // The shipped quadratic optimizer (a sensible one, so the best scale is interior).
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("models/quadratic.lstm").path
        let file = try ModelFile.load(path: path)
        let task = QuadraticTask(), config = file.configuration, weights = file.weights
        func calibrate(_ c: LSTMConfiguration) -> StepScaleCalibration {
            StepScaleCalibrator.calibrate(configuration: c, task: task, steps: 20, problems: 4, criterion: .final,
                                          optimizer: { LSTMOptimizer(configuration: $0, weights: weights) })
        }
        let a = calibrate(config)
        var large = config
        large.outputScale = config.outputScale * Float(pow(10, 2.0 / 3))
        let b = calibrate(large)
        XCTAssertEqual(Double(a.previousOutputScale * a.multiplier), Double(b.previousOutputScale * b.multiplier),
                       accuracy: 1e-5 * Double(a.previousOutputScale * a.multiplier))
        XCTAssertGreaterThan(a.multiplier, 1e-2, "an interior optimum")
        XCTAssertNotEqual(b.multiplier, 1, "the mis-scaled optimizer must be corrected for this check to mean anything")
        for c in [a, b] {
            XCTAssertEqual(c.value, c.grid.map(\.value).min())
            XCTAssertNotNil(c.uncalibratedValue)
            XCTAssertLessThanOrEqual(c.value!, c.uncalibratedValue!)
            XCTAssertEqual(c.problems, 4); XCTAssertEqual(c.steps, 20); XCTAssertEqual(c.criterion, .final)
        }
    }

    /// A calibrated model file stores the multiplied scale and the search, and reads back equal.
    func testCalibratedModelRoundTrips() throws {
        let config = LSTMConfiguration(outputScale: 0.1)
        let model = ModelFile(configuration: config, weights: randomWeights(config, seed: 1, scale: 0.3),
                              task: TaskDescription(QuadraticTask()), training: nil, metadata: ModelMetadata())
        let c = StepScaleCalibration(multiplier: 0.5, previousOutputScale: 0.1, criterion: .final, steps: 10, problems: 3,
                                     grid: [.init(multiplier: 0.5, value: 1), .init(multiplier: 1, value: 2)])
        let calibrated = model.calibrated(c)
        XCTAssertEqual(calibrated.configuration.outputScale, 0.05)
        XCTAssertEqual(calibrated.weights, model.weights)
        let loaded = try ModelFile.decode(try calibrated.encoded(), path: "m.lstm")
        XCTAssertEqual(loaded, calibrated)
        XCTAssertEqual(loaded.metadata.calibration?.uncalibratedValue, 2)
        XCTAssertNil(try ModelFile.decode(try model.encoded(), path: "m.lstm").metadata.calibration)
    }
}

import XCTest
import ImageIO
import MetaLearning
import Numerics
@testable import NeuralArt

/// The coarse-to-fine style task (`StyleTask(…, coarseSteps:)`, `CoarseStyleProblem`): each
/// problem is the crop at half size, then at full size from the upsampled picture, normalized
/// at the full-size content — the single-scale problem of the same draw, started elsewhere.
final class CoarseStyleProblemTests: XCTestCase {
    typealias Helper = StyleDistributionTests

    func makeTask(coarseSteps: Int?) -> StyleTask {
        let d = Helper.makeDistribution(sizes: 32...48)
        return StyleTask(training: [("a", Helper.picture(4, width: 140, height: 130)), ("b", Helper.picture(5, width: 150, height: 140))],
                         heldOut: [("c", Helper.picture(6, width: 140, height: 140))], distribution: d, coarseSteps: coarseSteps)
    }

    func testProblemsStartAtHalfSizeAndRefineToTheSingleScaleProblem() {
        let task = makeTask(coarseSteps: 5), single = makeTask(coarseSteps: nil)
        XCTAssertEqual(task.settings["coarseToFine"], "5 steps at half the crop size, then the crop size, state carried")
        XCTAssertNil(single.settings["coarseToFine"])
        for (split, index) in [(Split.training, 1), (.validation, 0)] {
            let draw = task.styleDraw(split: split, index: index)
            let n = draw.size, h = n / 2
            let p = task.makeProblem(split: split, index: index)
            XCTAssertEqual(p.coarseSteps, 5)
            XCTAssertEqual(p.parameterCount, 3 * h * h)
            XCTAssertEqual(p.bounds, 0...1)
            let coarse = (p as! CoarseStyleProblem).coarse
            XCTAssertEqual(coarse.stylization.weights, draw.weights)
            XCTAssertEqual(p.initialParameters(),
                           task.contentCrop(split: split, index: index, size: n).resized(width: h, height: h).pixels)
            // A picture at half size: its refinement starts at the picture upsampled (in [0, 1]).
            var g = SeededGenerator(seed: 3)
            let theta = (0..<p.parameterCount).map { _ in Float(g.nextUniform()) }
            let (fine, source) = theta.withUnsafeBufferPointer { p.finer(from: $0.baseAddress!) }
            XCTAssertNil(fine.coarseSteps)
            let expected = Image(width: h, height: h, pixels: theta).resized(width: n, height: n, filter: .bicubic)
                .pixels.map { min(1, max(0, $0)) }
            XCTAssertEqual(fine.initialParameters(), expected)
            // The same loss and normalization as the single-scale problem of the draw.
            let reference = single.makeProblem(split: split, index: index) as! StyleProblem
            XCTAssertEqual(fine.parameterCount, reference.parameterCount)
            XCTAssertEqual(fine.lossScale, reference.lossScale)
            var g1 = [Float](repeating: 0, count: fine.parameterCount), g2 = g1
            let f1 = expected.withUnsafeBufferPointer { fine.lossAndGradient(at: $0.baseAddress!, gradient: &g1) }
            let f2 = expected.withUnsafeBufferPointer { reference.lossAndGradient(at: $0.baseAddress!, gradient: &g2) }
            XCTAssertEqual(f1, f2)
            XCTAssertEqual(g1, g2)
            // Each full-size value takes the state of the half-size value under it, same channel.
            XCTAssertEqual(source.count, 3 * n * n)
            for (c, y, x) in [(0, 0, 0), (1, n - 1, 3), (2, 7, n - 1)] {
                XCTAssertEqual(Int(source[(c * n + y) * n + x]), (c * h + y / 2) * h + x / 2)
            }
        }
    }

    /// The learned optimizer runs through the change of scale in evaluation and in meta-training.
    func testEvaluationAndMetaTrainingRunAcrossScales() throws {
        let task = makeTask(coarseSteps: 2)
        let settings = MetaTrainingSettings(metaSteps: 2, horizon: 4, unroll: 2, problemsPerStep: 2,
                                            metaLearningRate: 1e-2, validateEvery: 2, validationProblems: 2,
                                            objective: .log, randomScale: 1)
        let trainer = try MetaTrainer(task: task, configuration: LSTMConfiguration(), settings: settings)
        let before = trainer.weights
        try trainer.run()
        XCTAssertNotEqual(trainer.weights, before)
        XCTAssertEqual(trainer.progress.skipped, 0)
        let curve = Evaluator.meanLossCurve(trainer.optimizer(), problemCount: 2, steps: 4) {
            task.makeProblem(split: .test, index: $0)
        }
        XCTAssertEqual(curve.count, 5)
        XCTAssertTrue(curve.allSatisfy(\.isFinite))
    }
}

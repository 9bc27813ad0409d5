import XCTest
import Numerics
@testable import MetaLearning

/// A problem started at given parameters (the finer problem of `CoarseQuadratic`).
final class StartedProblem: Problem {
    let base: any Problem
    let start: [Float]
    init(_ base: any Problem, start: [Float]) {
        precondition(start.count == base.parameterCount)
        self.base = base
        self.start = start
    }
    var parameterCount: Int { base.parameterCount }
    func initialParameters() -> [Float] { start }
    func lossAndGradient(at theta: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>) -> Float {
        base.lossAndGradient(at: theta, gradient: gradient)
    }
    var bounds: ClosedRange<Float>? { base.bounds }
    var lossScale: Float { base.lossScale }
}

/// A coarse-to-fine test problem: a `d`-dimensional quadratic for `coarseSteps` steps, then a
/// `2d`-dimensional one started at θ with every coordinate duplicated (coordinate j of the
/// finer problem takes the state of coordinate j / 2).
final class CoarseQuadratic: Problem {
    let coarse: TestQuadratic
    let coarseSteps: Int?
    let seed: UInt64
    init(dimension d: Int, seed: UInt64, coarseSteps: Int, bounds: ClosedRange<Float>? = nil) {
        coarse = TestQuadratic(dimension: d, seed: seed, bounds: bounds)
        self.coarseSteps = coarseSteps
        self.seed = seed
    }
    var parameterCount: Int { coarse.parameterCount }
    func initialParameters() -> [Float] { coarse.initialParameters() }
    func lossAndGradient(at theta: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>) -> Float {
        coarse.lossAndGradient(at: theta, gradient: gradient)
    }
    var bounds: ClosedRange<Float>? { coarse.bounds }
    func finer(from theta: UnsafePointer<Float>) -> (problem: any Problem, source: [Int32]) {
        let d = coarse.d
        let fine = TestQuadratic(dimension: 2 * d, seed: seed &+ 100, bounds: coarse.bounds, thetaStd: 0.1)
        return (StartedProblem(fine, start: (0..<2 * d).map { theta[$0 / 2] }), (0..<2 * d).map { Int32($0 / 2) })
    }
}

/// A meta-task of `CoarseQuadratic` problems.
final class CoarseQuadraticTask: MetaTask {
    let coarseSteps: Int
    init(coarseSteps: Int) { self.coarseSteps = coarseSteps }
    var name: String { "coarse-quadratic" }
    var settings: [String: String] { ["coarseSteps": "\(coarseSteps)"] }
    var defaultHorizon: Int { 8 }
    func makeProblem(split: Split, index: Int) -> any Problem {
        CoarseQuadratic(dimension: 3, seed: UInt64(index) &+ (split == .training ? 0 : 1000), coarseSteps: coarseSteps,
                        bounds: -2...2)
    }
}

/// Coarse-to-fine runs in the meta-learning core (`Problem.coarseSteps`, `ProblemBatch.refined`):
/// the meta-trainer's recorded forward pass across a change of scale is the inference
/// optimizer's run (the evaluator's), state carried; the trainer trains and resumes on such
/// problems. (After the change of scale an unroll starts from a carried, detached state and θ,
/// exactly as after `carry()`, so its meta-gradient is the one `MetaGradientTests` checks
/// against finite differences with warm-up steps.)
final class CoarseToFineTests: XCTestCase {
    let config = LSTMConfiguration(hiddenSize: 5, inputs: InputFeatures(rmsInputs: true, momentumDecays: [0.5, 0.95]),
                                   outputScale: 0.3)

    func testTrainerForwardAcrossScalesMatchesInference() {
        let weights = randomWeights(config, seed: 5, scale: 0.4)
        let problems: [any Problem] = [CoarseQuadratic(dimension: 4, seed: 8, coarseSteps: 3, bounds: -0.5...0.5),
                                       CoarseQuadratic(dimension: 3, seed: 9, coarseSteps: 3)]
        let batch = ProblemBatch(problems)
        XCTAssertEqual(batch.coarseSteps, 3)
        let coarse = LSTMUnroll(configuration: config, count: batch.count, maxSteps: 3)
        var trained: [Double] = [coarse.reset(batch: batch)]
        weights.withUnsafeBufferPointer { w in
            _ = coarse.forward(batch: batch, weights: w.baseAddress!, steps: 3) { _, loss in trained.append(loss) }
            coarse.carry()
            let (fine, source) = batch.refined(at: coarse.theta.data)
            XCTAssertEqual(fine.count, 2 * batch.count)
            XCTAssertNil(fine.coarseSteps)
            // Problem 1's source coordinates are offset by problem 0's size.
            XCTAssertEqual(Array(source[8..<10]), [4, 4])
            let unroll = LSTMUnroll(configuration: config, count: fine.count, maxSteps: 2)
            // The loss at the finer start replaces the coarse problem's loss at step 3.
            trained[3] = source.withUnsafeBufferPointer { unroll.reset(batch: fine, carrying: coarse, source: $0.baseAddress!) }
            XCTAssertEqual(unroll.stepsTaken, 3)
            for _ in 0..<2 {
                _ = unroll.forward(batch: fine, weights: w.baseAddress!, steps: 2) { _, loss in trained.append(loss) }
                unroll.carry()
            }
        }
        let inference = Evaluator.meanLossCurve(LSTMOptimizer(configuration: config, weights: weights), problems: problems, steps: 7)
        XCTAssertEqual(trained.count, inference.count)
        for t in trained.indices {
            XCTAssertEqual(trained[t], inference[t], accuracy: 1e-5 * abs(inference[t]), "step \(t)")
        }
        // Without the carried state the run after the change of scale differs.
        let afresh = Evaluator.meanLossCurve(LSTMOptimizer(configuration: config, weights: weights), problems: problems,
                                             steps: 7, carryState: false)
        XCTAssertEqual(Array(afresh.prefix(4)), Array(inference.prefix(4)))
        XCTAssertNotEqual(afresh[5], inference[5])
    }

    func testMetaTrainerTrainsAndResumesAcrossScales() throws {
        let task = CoarseQuadraticTask(coarseSteps: 4)
        let settings = MetaTrainingSettings(metaSteps: 12, horizon: 8, unroll: 2, problemsPerStep: 2,
                                            validateEvery: 4, validationProblems: 2)
        let full = try MetaTrainer(task: task, configuration: config, settings: settings)
        let start = full.weights
        let dir = try temporaryDirectory(self)
        let (_, resumed) = try runStraightAndResumed(full, task: task, every: 4, path: dir.appendingPathComponent("c.ckpt").path)
        XCTAssertNotEqual(full.weights, start)
        XCTAssertEqual(full.progress.skipped, 0)
        XCTAssertTrue(full.progress.bestValidationLoss!.isFinite)
        assertSameRun(resumed, full)
    }

    func testCoarseStepsMustAlignWithTheUnroll() {
        let settings = MetaTrainingSettings(metaSteps: 1, horizon: 8, unroll: 3, problemsPerStep: 1)
        XCTAssertThrowsError(try MetaTrainer(task: CoarseQuadraticTask(coarseSteps: 4), configuration: config, settings: settings))
        let beyond = MetaTrainingSettings(metaSteps: 1, horizon: 8, unroll: 2, problemsPerStep: 1)
        XCTAssertThrowsError(try MetaTrainer(task: CoarseQuadraticTask(coarseSteps: 8), configuration: config, settings: beyond))
    }
}

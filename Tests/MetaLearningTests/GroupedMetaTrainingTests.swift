import Foundation
import XCTest
@testable import MetaLearning
import Numerics

/// The quadratic task with θ split into named groups (which are not part of its description,
/// so a checkpoint's task check passes and only the groups can differ).
final class GroupedQuadraticTask: GroupedParameterTask {
    let base: QuadraticTask
    let parameterGroups: ParameterGroups
    init(groups: ParameterGroups) {
        base = QuadraticTask(dimension: groups.period)
        parameterGroups = groups
    }
    var name: String { base.name }
    var settings: [String: String] { base.settings }
    var defaultHorizon: Int { base.defaultHorizon }
    func makeProblem(split: Split, index: Int) -> any Problem { base.makeProblem(split: split, index: index) }
}

/// `MetaTrainer` with one LSTM per parameter group: its meta-gradient against the single-LSTM
/// one (itself finite-difference checked in MetaGradientTests), training, and checkpoints.
final class GroupedMetaTrainingTests: XCTestCase {
    func quadraticBatch(_ n: Int, dimension: Int = 6) -> ProblemBatch {
        ProblemBatch((0..<n).map { TestQuadratic(dimension: dimension, seed: UInt64(40 + $0)) })
    }

    /// Asserts `grouped` (G concatenated copies' gradients) sums, per weight, to `reference` within
    /// `tolerance`·(1 + |reference|).
    func assertSumsToReference(_ grouped: [Float], _ reference: [Float], groups: Int, tolerance: Float,
                               file: StaticString = #filePath, line: UInt = #line) {
        let n = reference.count
        XCTAssertEqual(grouped.count, groups * n, file: file, line: line)
        for i in 0..<n {
            let sum = (0..<groups).reduce(Float(0)) { $0 + grouped[$1 * n + i] }
            XCTAssertEqual(sum, reference[i], accuracy: tolerance * (1 + abs(reference[i])), "weight \(i)", file: file, line: line)
        }
    }

    /// One group: exactly the core `MetaTrainer`'s meta-gradient (same φ₀, same problems).
    /// Two groups with identical weights: the group gradients sum to the core's.
    func testGroupedUnrollReproducesTheCoreMetaGradient() throws {
        let config = LSTMConfiguration(outputScale: 0.1)
        let settings = MetaTrainingSettings(horizon: 8, unroll: 8, problemsPerStep: 2, seed: 5)
        let core = try MetaTrainer(task: QuadraticTask(dimension: 6), configuration: config, settings: settings)
        let reference = core.metaGradient(batch: quadraticBatch(2), steps: 8)

        let one = try MetaTrainer(task: QuadraticTask(dimension: 6), configuration: config, settings: settings,
                                  groups: ParameterGroups(names: ["all"], counts: [6]))
        XCTAssertEqual(one.weights, core.weights)
        let g1 = one.metaGradient(batch: quadraticBatch(2), steps: 8)
        XCTAssertEqual(g1.loss, reference.loss, accuracy: 1e-9 * abs(reference.loss))
        assertSumsToReference(g1.gradient, reference.gradient, groups: 1, tolerance: 1e-5)

        let two = try MetaTrainer(task: QuadraticTask(dimension: 6), configuration: config, settings: settings,
                                  groups: ParameterGroups(names: ["a", "b"], counts: [4, 2]))
        let n = core.weights.count
        XCTAssertEqual(Array(two.weights[0..<n]), core.weights, "group 0 is seeded like the single LSTM")
        // With different weights the groups' gradients differ (they are separate LSTMs).
        let g3 = two.metaGradient(batch: quadraticBatch(2), steps: 8)
        XCTAssertNotEqual(Array(g3.gradient[0..<n]), Array(g3.gradient[n...]))
        two.setWeights(core.weights + core.weights)
        let g2 = two.metaGradient(batch: quadraticBatch(2), steps: 8)
        XCTAssertEqual(g2.loss, reference.loss, accuracy: 1e-9 * abs(reference.loss))
        assertSumsToReference(g2.gradient, reference.gradient, groups: 2, tolerance: 1e-4)
    }

    /// Second order over the last 4 of 6 steps (after 2 warm-up steps), where H_t couples the
    /// groups: one group reproduces the single LSTM's second-order meta-gradient (itself checked
    /// against finite differences of the true loss in MetaGradientTests), two groups with
    /// identical weights sum to it, and it differs from the first-order one.
    func testGroupedSecondOrderMatchesTheCore() throws {
        let config = LSTMConfiguration(hiddenSize: 4, outputScale: 0.3)
        let settings = MetaTrainingSettings(horizon: 8, unroll: 8, problemsPerStep: 2, seed: 5, secondOrderSteps: 4)
        let core = try MetaTrainer(task: QuadraticTask(dimension: 6), configuration: config, settings: settings)
        let phi = randomWeights(config, seed: 9, scale: 0.5)
        core.setWeights(phi)
        let reference = core.metaGradient(batch: quadraticBatch(2), steps: 6, warmupSteps: 2)
        var first = settings
        first.secondOrderSteps = 0
        let firstOrder = try MetaTrainer(task: QuadraticTask(dimension: 6), configuration: config, settings: first)
        firstOrder.setWeights(phi)
        let plain = firstOrder.metaGradient(batch: quadraticBatch(2), steps: 6, warmupSteps: 2).gradient
        let distance = zip(plain, reference.gradient).map { abs($0 - $1) }.max()!
        XCTAssertGreaterThan(distance, 1e-3 * reference.gradient.map(abs).max()!, "second order makes a difference here")

        for counts in [[6], [4, 2]] {
            let t = try MetaTrainer(task: QuadraticTask(dimension: 6), configuration: config, settings: settings,
                                    groups: ParameterGroups(names: counts.indices.map { "g\($0)" }, counts: counts))
            t.setWeights(Array([[Float]](repeating: phi, count: counts.count).joined()))
            let g = t.metaGradient(batch: quadraticBatch(2), steps: 6, warmupSteps: 2)
            XCTAssertEqual(g.loss, reference.loss, accuracy: 1e-9 * abs(reference.loss))
            assertSumsToReference(g.gradient, reference.gradient, groups: counts.count, tolerance: 1e-4)
        }
    }

    /// The log objective with late step weights w_t = 3(t/H)² (H = 10; steps 4…8 after 3 warm-up
    /// steps), on problems whose loss scales differ by orders of magnitude, so every (step,
    /// problem) factor of ĝ differs: one group reproduces the single LSTM's meta-gradient, and
    /// two groups (3 + 1 coordinates per problem, so problem k's lane offsets are not the batch's)
    /// with identical weights sum to it.
    func testGroupedLogObjectiveAndStepWeightsMatchTheCore() throws {
        // Also with momentum inputs and the momentum read-out (whose weights are in each lane).
        let configs = [LSTMConfiguration(hiddenSize: 4, outputScale: 0.3),
                       LSTMConfiguration(hiddenSize: 4, inputs: InputFeatures(momentumDecays: [0.5, 0.9]), outputScale: 0.3,
                                         momentumReadoutScale: 0.5)]
        for config in configs {
            let phi = randomWeights(config, seed: 11, scale: 0.5)
            let settings = MetaTrainingSettings(horizon: 100, unroll: 20)
            func batch() -> ProblemBatch {
                ProblemBatch([TestQuadratic(dimension: 4, seed: 1), TestQuadratic(dimension: 4, seed: 2, lossScale: 2),
                              TestQuadratic(dimension: 4, seed: 3, lossScale: 1e-6)])
            }
            let weighting = StepWeighting(exponent: 2, horizon: 10)
            let core = try MetaTrainer(task: QuadraticTask(dimension: 4), configuration: config, settings: settings)
            core.setWeights(phi)
            let reference = core.metaGradient(batch: batch(), steps: 5, warmupSteps: 3, objective: .log, weighting: weighting)
            let plain = core.metaGradient(batch: batch(), steps: 5, warmupSteps: 3)
            XCTAssertGreaterThan(zip(reference.gradient, plain.gradient).map { abs($0 - $1) }.max()!, 1e-3,
                                 "the objective and weights must change the meta-gradient for this check to mean anything")

            for groups in [ParameterGroups(names: ["all"], counts: [4]), ParameterGroups(names: ["a", "b"], counts: [3, 1])] {
                let t = try MetaTrainer(task: QuadraticTask(dimension: 4), configuration: config, settings: settings, groups: groups)
                t.setWeights(Array(repeating: phi, count: groups.count).flatMap { $0 })
                let g = t.metaGradient(batch: batch(), steps: 5, warmupSteps: 3, objective: .log, weighting: weighting)
                XCTAssertEqual(g.loss, reference.loss, accuracy: 1e-9 * abs(reference.loss), "\(groups.names)")
                assertSumsToReference(g.gradient, reference.gradient, groups: groups.count, tolerance: groups.count == 1 ? 1e-5 : 1e-4)
            }
        }
    }

    /// A short grouped meta-training run changes both LSTMs and lowers the validation loss.
    func testGroupedTrainerTrainsBothGroups() throws {
        let settings = MetaTrainingSettings(metaSteps: 60, horizon: 20, unroll: 10, problemsPerStep: 4,
                                            metaLearningRate: 1e-2, validateEvery: 30, validationProblems: 8, seed: 1)
        let config = LSTMConfiguration(inputs: .paper, outputScale: 0.1)
        let t = try MetaTrainer(task: QuadraticTask(dimension: 6), configuration: config, settings: settings,
                                groups: ParameterGroups(names: ["a", "b"], counts: [3, 3]))
        let w0 = t.weights, before = t.validationLoss()
        try t.run()
        let n = config.layout.weightCount
        XCTAssertNotEqual(Array(t.weights[0..<n]), Array(w0[0..<n]))
        XCTAssertNotEqual(Array(t.weights[n...]), Array(w0[n...]))
        XCTAssertLessThan(t.progress.bestValidationLoss!, before)
        XCTAssertEqual(t.logText.split(separator: "\n").count, 61)
        XCTAssertEqual(t.weightsPerGroup(t.bestWeights), [Array(t.bestWeights[0..<n]), Array(t.bestWeights[n...])])
        let best = try XCTUnwrap(t.optimizer(weights: t.bestWeights) as? GroupedOptimizer<LSTMOptimizer>)
        XCTAssertEqual(best.members.map(\.weights), t.weightsPerGroup(t.bestWeights))
    }

    func smallSettings(metaSteps: Int) -> MetaTrainingSettings {
        MetaTrainingSettings(metaSteps: metaSteps, horizon: 6, unroll: 3, problemsPerStep: 2, metaLearningRate: 1e-2,
                             clipNorm: 1, validateEvery: 4, validationProblems: 3, seed: 7, maxConsecutiveSkips: 3,
                             objective: .log, randomScale: 1, lateWeight: 1)
    }
    let config = LSTMConfiguration(hiddenSize: 6)
    let groups = ParameterGroups(names: ["a", "b"], counts: [3, 1])

    /// Training 2N meta-steps equals training N, checkpointing, loading and resuming N — bit for
    /// bit — with groups, the log objective, late weights and random scaling.
    func testGroupedResumeIsBitExact() throws {
        let dir = try temporaryDirectory(self)
        let path = dir.appendingPathComponent("run.ckpt").path
        let task = GroupedQuadraticTask(groups: groups)
        let full = try MetaTrainer(task: task, configuration: config, settings: smallSettings(metaSteps: 8), groups: groups)
        let (checkpoint, resumed) = try runStraightAndResumed(full, task: task, every: 4, path: path)
        XCTAssertEqual(checkpoint.progress.metaStep, 4)
        XCTAssertEqual(checkpoint.groups, groups)
        XCTAssertEqual(resumed.groups, groups)
        assertSameRun(resumed, full)
        XCTAssertEqual(resumed.logText.split(separator: "\n").count, 9)
    }

    /// A grouped checkpoint reloads equal to the trainer's snapshot and refuses a task with other
    /// groups, or none, in one line naming the file; a single-LSTM checkpoint's header has no
    /// groups (as before groups existed).
    func testGroupedCheckpointRejectsOtherGroups() throws {
        let dir = try temporaryDirectory(self)
        let path = dir.appendingPathComponent("grouped.ckpt").path
        let t = try MetaTrainer(task: GroupedQuadraticTask(groups: groups), configuration: config,
                                settings: smallSettings(metaSteps: 2), groups: groups)
        try t.run()
        try Checkpoint(t).write(to: path)
        let checkpoint = try Checkpoint.load(path: path)
        XCTAssertEqual(checkpoint, Checkpoint(t))
        for other in [GroupedQuadraticTask(groups: ParameterGroups(names: ["a", "b"], counts: [2, 2])) as any MetaTask,
                      GroupedQuadraticTask(groups: ParameterGroups(names: ["b", "a"], counts: [3, 1])),
                      QuadraticTask(dimension: 4)] {
            XCTAssertThrowsError(try checkpoint.makeTrainer(task: other, path: path)) {
                guard case ModelFileError.mismatched = $0 else { return XCTFail("\($0)") }
                XCTAssertTrue("\($0)".contains(path) && "\($0)".contains("parameter group"), "\($0)")
                XCTAssertFalse("\($0)".contains("\n"))
            }
        }

        let single = try MetaTrainer(task: QuadraticTask(dimension: 4), configuration: config, settings: smallSettings(metaSteps: 2))
        try single.run()
        let singlePath = dir.appendingPathComponent("single.ckpt").path
        try Checkpoint(single).write(to: singlePath)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: singlePath))
        XCTAssertNil(bytes.range(of: Data("\"groups\"".utf8)))
        XCTAssertNil(try Checkpoint.load(path: singlePath).groups)
    }
}

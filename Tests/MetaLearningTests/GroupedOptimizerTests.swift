import XCTest
@testable import MetaLearning
import Numerics

/// Parameter groups: the grouped optimizer routes coordinates, the grouped unroll reproduces the
/// core's meta-gradient, the grouped trainer trains both LSTMs, and grouped model files.
final class GroupedOptimizerTests: XCTestCase {
    func testGroupedOptimizerRoutesEachGroupToItsMember() {
        let groups = ParameterGroups(names: ["a", "b"], counts: [2, 3])
        let opt = GroupedOptimizer(groups: groups, members: [SGD(learningRate: 1), SGD(learningRate: 10)])
        let state = opt.makeState(count: 10)   // two problems
        XCTAssertEqual(state.problems, 2)
        XCTAssertEqual(state.members.map(\.count), [4, 6])
        let g: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
        var d = [Float](repeating: 0, count: 10)
        opt.update(gradient: g, delta: &d, state: state)
        XCTAssertEqual(d, [-1, -2, -30, -40, -50, -6, -7, -80, -90, -100])
        XCTAssertEqual(state.step, 1)
        XCTAssertEqual(groups.offset(1), 2)
    }

    /// Per-group LSTM states: coordinates of different groups never share state, and the same
    /// member on the same gathered gradients gives the same deltas as run alone.
    func testGroupedLSTMMatchesMembersRunAlone() {
        let c = LSTMConfiguration()
        let a = LSTMOptimizer(configuration: c, seed: 1), b = LSTMOptimizer(configuration: c, seed: 2)
        let groups = ParameterGroups(names: ["a", "b"], counts: [3, 2])
        let opt = GroupedOptimizer(groups: groups, members: [a, b])
        let s = opt.makeState(count: 10), sa = a.makeState(count: 6), sb = b.makeState(count: 4)
        var gen = SeededGenerator(seed: 3)
        for _ in 0..<3 {
            let g = (0..<10).map { _ in Float(gen.nextNormal()) }
            var d = [Float](repeating: 0, count: 10), da = [Float](repeating: 0, count: 6), db = [Float](repeating: 0, count: 4)
            opt.update(gradient: g, delta: &d, state: s)
            a.update(gradient: [g[0], g[1], g[2], g[5], g[6], g[7]], delta: &da, state: sa)
            b.update(gradient: [g[3], g[4], g[8], g[9]], delta: &db, state: sb)
            XCTAssertEqual(d, [da[0], da[1], da[2], db[0], db[1], da[3], da[4], da[5], db[2], db[3]])
        }
    }

    func quadraticBatch(_ n: Int, dimension: Int = 6) -> ProblemBatch {
        ProblemBatch((0..<n).map { TestQuadratic(dimension: dimension, seed: UInt64(40 + $0)) })
    }

    /// One group: exactly the core `MetaTrainer`'s meta-gradient (same φ₀, same problems).
    /// Two groups with identical weights: the group gradients sum to the core's.
    func testGroupedUnrollReproducesTheCoreMetaGradient() throws {
        let config = LSTMConfiguration(outputScale: 0.1)
        let settings = MetaTrainingSettings(horizon: 8, unroll: 8, problemsPerStep: 2, seed: 5)
        let core = try MetaTrainer(task: QuadraticTask(dimension: 6), configuration: config, settings: settings)
        let reference = core.metaGradient(batch: quadraticBatch(2), steps: 8)

        let one = try GroupedMetaTrainer(task: QuadraticTask(dimension: 6), groups: ParameterGroups(names: ["all"], counts: [6]),
                                         configuration: config, settings: settings)
        XCTAssertEqual(one.weights, core.weights)
        let g1 = one.metaGradient(batch: quadraticBatch(2), steps: 8)
        XCTAssertEqual(g1.loss, reference.loss, accuracy: 1e-9 * abs(reference.loss))
        for i in reference.gradient.indices {
            XCTAssertEqual(g1.gradient[i], reference.gradient[i], accuracy: 1e-5 * (1 + abs(reference.gradient[i])))
        }

        let two = try GroupedMetaTrainer(task: QuadraticTask(dimension: 6), groups: ParameterGroups(names: ["a", "b"], counts: [4, 2]),
                                         configuration: config, settings: settings)
        let g2 = two.metaGradient(batch: quadraticBatch(2), steps: 8, weights: core.weights + core.weights)
        XCTAssertEqual(g2.loss, reference.loss, accuracy: 1e-9 * abs(reference.loss))
        let n = core.weights.count
        for i in 0..<n {
            XCTAssertEqual(g2.gradient[i] + g2.gradient[n + i], reference.gradient[i],
                           accuracy: 1e-4 * (1 + abs(reference.gradient[i])))
        }
        // With different weights the groups' gradients differ (they are separate LSTMs).
        let g3 = two.metaGradient(batch: quadraticBatch(2), steps: 8)
        XCTAssertNotEqual(Array(g3.gradient[0..<n]), Array(g3.gradient[n...]))
    }

    /// A short grouped meta-training run changes both LSTMs and lowers the validation loss.
    func testGroupedTrainerTrainsBothGroups() throws {
        let settings = MetaTrainingSettings(metaSteps: 60, horizon: 20, unroll: 10, problemsPerStep: 4,
                                            metaLearningRate: 1e-2, validateEvery: 30, validationProblems: 8, seed: 1)
        let config = LSTMConfiguration(inputs: .paper, outputScale: 0.1)
        let t = try GroupedMetaTrainer(task: QuadraticTask(dimension: 6), groups: ParameterGroups(names: ["a", "b"], counts: [3, 3]),
                                       configuration: config, settings: settings)
        let w0 = t.weights, before = t.validationLoss()
        try t.run()
        let n = config.layout.weightCount
        XCTAssertNotEqual(Array(t.weights[0..<n]), Array(w0[0..<n]))
        XCTAssertNotEqual(Array(t.weights[n...]), Array(w0[n...]))
        XCTAssertLessThan(t.progress.bestValidationLoss!, before)
        XCTAssertEqual(t.logText.split(separator: "\n").count, 61)
    }

    func testGroupedModelFileRoundTripAndErrors() throws {
        let c = LSTMConfiguration()
        var g = SeededGenerator(seed: 9)
        let w = [LSTMOptimizer.initialWeights(c, generator: &g), LSTMOptimizer.initialWeights(c, generator: &g)]
        let groups = ParameterGroups(names: ["conv", "fc"], counts: [100, 50])
        let file = GroupedModelFile(configuration: c, groups: groups, weights: w,
                                    task: TaskDescription(name: "conv", settings: ["x": "1"]), training: nil,
                                    metadata: ModelMetadata(created: "now", tool: "test"))
        let dir = try temporaryDirectory(self)
        let path = dir.appendingPathComponent("g.lstm").path
        try file.write(to: path)
        XCTAssertTrue(GroupedModelFile.isGroupedModel(path: path))
        let back = try GroupedModelFile.load(path: path)
        XCTAssertEqual(back, file)
        // Any partition with the same names works; other names do not.
        let opt = try back.optimizer(for: ParameterGroups(names: ["conv", "fc"], counts: [7, 3]))
        XCTAssertEqual(opt.members.map(\.weights), w)
        XCTAssertThrowsError(try back.optimizer(for: ParameterGroups(names: ["fc", "conv"], counts: [7, 3]), path: path)) {
            XCTAssertTrue("\($0)".contains("parameter groups"))
        }
        // A flipped byte fails the checksum; a single-LSTM model file is the wrong kind.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count / 2] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try GroupedModelFile.load(path: path))
        let single = dir.appendingPathComponent("s.lstm").path
        try ModelFile(configuration: c, weights: w[0], task: TaskDescription(name: "mlp", settings: [:]), training: nil,
                      metadata: ModelMetadata()).write(to: single)
        XCTAssertFalse(GroupedModelFile.isGroupedModel(path: single))
        XCTAssertThrowsError(try GroupedModelFile.load(path: single)) { XCTAssertTrue("\($0)".contains("is not")) }
    }
}

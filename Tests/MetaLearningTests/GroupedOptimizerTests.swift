import XCTest
@testable import MetaLearning
import Numerics

/// Parameter groups: the grouped optimizer routes coordinates, and grouped model files (the
/// grouped meta-trainer is tested in GroupedMetaTrainingTests).
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

    func testGroupedModelFileRoundTripAndErrors() throws {
        let c = LSTMConfiguration()
        var g = SeededGenerator(seed: 9)
        let w = [LSTMOptimizer.initialWeights(c, generator: &g), LSTMOptimizer.initialWeights(c, generator: &g)]
        let groups = ParameterGroups(names: ["conv", "fc"], counts: [100, 50])
        let file = ModelFile(configuration: c, groups: groups, weights: w.flatMap { $0 },
                                    task: TaskDescription(name: "conv", settings: ["x": "1"]), training: nil,
                                    metadata: ModelMetadata(created: "now", tool: "test"))
        let dir = try temporaryDirectory(self)
        let path = dir.appendingPathComponent("g.lstm").path
        try file.write(to: path)
        XCTAssertTrue(try Data(contentsOf: URL(fileURLWithPath: path)).starts(with: ModelFile.groupedMagic))
        let back = try ModelFile.load(path: path)
        XCTAssertEqual(back, file)
        // Any partition with the same names works; other names do not.
        let target = ParameterGroups(names: ["conv", "fc"], counts: [7, 3])
        try back.requireGroups(target, path: path)
        let opt = try XCTUnwrap(back.optimizer(groups: target) as? GroupedOptimizer<LSTMOptimizer>)
        XCTAssertEqual(opt.groups, target)
        XCTAssertEqual(opt.members.map(\.weights), w)
        XCTAssertThrowsError(try back.requireGroups(ParameterGroups(names: ["fc", "conv"], counts: [7, 3]), path: path)) {
            XCTAssertTrue("\($0)".contains("parameter groups"))
        }
        // A flipped byte fails the checksum; a single-LSTM model file is the wrong kind.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count / 2] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try ModelFile.load(path: path))
        let single = dir.appendingPathComponent("s.lstm").path
        try ModelFile(configuration: c, weights: w[0], task: TaskDescription(name: "mlp", settings: [:]), training: nil,
                      metadata: ModelMetadata()).write(to: single)
        // A model with one LSTM is not one for groups, and the other way round.
        let one = try ModelFile.load(path: single)
        XCTAssertNil(one.groups)
        XCTAssertTrue(one.optimizer(groups: target) is LSTMOptimizer)
        XCTAssertThrowsError(try one.requireGroups(target, path: single)) { XCTAssertTrue("\($0)".contains("one LSTM over every coordinate")) }
        XCTAssertThrowsError(try file.requireGroups(nil, path: path)) { XCTAssertTrue("\($0)".contains("no groups")) }
    }
}

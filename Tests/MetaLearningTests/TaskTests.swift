import Foundation
import XCTest
@testable import MetaLearning
import Numerics

/// Records which splits were asked for.
final class SpyTask: MetaTask {
    let base = QuadraticTask(dimension: 4)
    var splits = Set<Split>()
    var name: String { base.name }
    var settings: [String: String] { base.settings }
    var defaultHorizon: Int { 20 }
    func makeProblem(split: Split, index: Int) -> any Problem {
        splits.insert(split)
        return base.makeProblem(split: split, index: index)
    }
}

final class TaskTests: XCTestCase {
    func testQuadraticGradientMatchesFiniteDifferences() {
        let p = QuadraticTask().makeProblem(split: .training, index: 0) as! QuadraticProblem
        let theta: [Float] = (0..<10).map { Float($0) * 0.1 - 0.4 }
        var g = [Float](repeating: 0, count: 10), scratch = g
        let f = p.lossAndGradient(at: theta, gradient: &g)
        XCTAssertGreaterThan(f, 0)
        for j in 0..<10 {
            var a = theta, b = theta
            a[j] += 1e-2; b[j] -= 1e-2
            let fd = (p.lossAndGradient(at: a, gradient: &scratch) - p.lossAndGradient(at: b, gradient: &scratch)) / 2e-2
            XCTAssertEqual(fd, g[j], accuracy: 2e-3 * max(1, abs(g[j])))
        }
    }

    func testSplitsAreDeterministicAndDisjoint() {
        let task = QuadraticTask()
        func w(_ s: Split, _ i: Int) -> [Float] { (task.makeProblem(split: s, index: i) as! QuadraticProblem).w }
        XCTAssertEqual(w(.test, 3), w(.test, 3))
        XCTAssertEqual(w(.test, 3), (QuadraticTask().makeProblem(split: .test, index: 3) as! QuadraticProblem).w)
        var seen = Set<[Float]>()
        for s in Split.allCases { for i in 0..<50 { seen.insert(w(s, i)) } }
        XCTAssertEqual(seen.count, 150)
        XCTAssertNotEqual(w(.test, 0), (QuadraticTask(seed: 5).makeProblem(split: .test, index: 0) as! QuadraticProblem).w)
    }

    /// Tuning touches validation problems only; the chosen rate is inside the grid, not at an edge.
    func testTunerUsesValidationProblemsOnly() {
        let spy = SpyTask()
        let rates = BaselineTuner.tune(task: spy, baselines: [.sgd, .adam], steps: 20, problems: 4, pointsPerDecade: 2)
        XCTAssertEqual(spy.splits, [.validation])
        for b in ["sgd", "adam"] {
            let grid = rates.grids[b]!, lr = rates.rates[b]!
            XCTAssertTrue(grid.first!.learningRate < lr && lr < grid.last!.learningRate, "\(b) best at an edge")
            XCTAssertEqual(grid.map(\.value).min(), grid.first { $0.learningRate == lr }!.value)
        }
    }

    func testEvaluationUsesTestProblemsAndWritesJSON() throws {
        let spy = SpyTask()
        let r = EvaluationResult.run(task: spy, optimizers: [("lstm", nil, LSTMOptimizer(configuration: LSTMConfiguration(), seed: 1)),
                                                            ("adam", 0.1, Adam(learningRate: 0.1))],
                                     problems: 3, steps: 12)
        XCTAssertEqual(spy.splits, [.test])
        let json = try JSONSerialization.jsonObject(with: r.json()) as! [String: Any]
        XCTAssertEqual(json["task"] as? String, "quadratic")
        XCTAssertEqual(json["steps"] as? Int, 12)
        let opts = json["optimizers"] as! [String: [String: Any]]
        XCTAssertEqual(Set(opts.keys), ["lstm", "adam"])
        XCTAssertTrue(opts["lstm"]!["learning_rate"] is NSNull)
        XCTAssertEqual(opts["adam"]!["learning_rate"] as? Double ?? 0, 0.1, accuracy: 1e-7)
        XCTAssertEqual((opts["adam"]!["mean_loss"] as! [Double]).count, 12)
        XCTAssertEqual(r.tableSteps, [1, 10, 12])
        XCTAssertEqual(r.csv().split(separator: "\n").count, 14)
        XCTAssertTrue(r.table().contains("sum"))
    }

    func testBaselineRatesRoundTrip() throws {
        let dir = try temporaryDirectory(self)
        let path = dir.appendingPathComponent("b.json").path
        let rates = BaselineTuner.tune(task: SpyTask(), baselines: [.nag], steps: 5, problems: 2, pointsPerDecade: 1)
        try rates.encoded().write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try BaselineRates.load(path: path), rates)
        try Data("{}".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try BaselineRates.load(path: path)) { XCTAssertTrue("\($0)".contains(path)) }
    }

    /// Per-family rates round-trip; files without them (older ones) load with none; a bad
    /// family entry is refused naming the file.
    func testFamilyRatesRoundTripAndOldFilesLoad() throws {
        let dir = try temporaryDirectory(self)
        let path = dir.appendingPathComponent("b.json").path
        let spy = SpyTask()
        let overall = BaselineTuner.tune(task: spy, baselines: [.adam], steps: 5, problems: 2, pointsPerDecade: 1)
        let a = BaselineTuner.tune(task: spy, baselines: [.adam], steps: 5, validationIndices: [0, 2], pointsPerDecade: 1)
        let b = BaselineTuner.tune(task: spy, baselines: [.adam], steps: 5, validationIndices: [1, 3], pointsPerDecade: 1)
        XCTAssertEqual(a.problems, 2)
        let rates = overall.addingFamilies([("cells", a), ("dots", b)])
        XCTAssertEqual(rates.familyRates, ["cells": a.rates, "dots": b.rates])
        XCTAssertEqual(rates.familyProblems, 2)
        try rates.encoded().write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try BaselineRates.load(path: path), rates)
        try overall.encoded().write(to: URL(fileURLWithPath: path))
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        XCTAssertFalse(text.contains("family"), "a file without per-family rates has no such field")
        XCTAssertNil(try BaselineRates.load(path: path).familyRates)
        var bad = rates
        bad.familyRates!["dots"]!["adam"] = -1
        try bad.encoded().write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try BaselineRates.load(path: path)) { XCTAssertTrue("\($0)".contains("family 'dots'")) }
    }

    /// Tuning on chosen validation indices is tuning on those problems.
    func testTuningOnChosenIndices() {
        let task = QuadraticTask(dimension: 4)
        let chosen = BaselineTuner.tune(task: task, baselines: [.sgd], steps: 10, validationIndices: [3], pointsPerDecade: 1)
        final class Shifted: MetaTask {
            let base = QuadraticTask(dimension: 4)
            var name: String { base.name }
            var settings: [String: String] { base.settings }
            var defaultHorizon: Int { 10 }
            func makeProblem(split: Split, index: Int) -> any Problem { base.makeProblem(split: split, index: index + 3) }
        }
        let first = BaselineTuner.tune(task: Shifted(), baselines: [.sgd], steps: 10, problems: 1, pointsPerDecade: 1)
        XCTAssertEqual(chosen.rates, first.rates)
        XCTAssertEqual(chosen.grids, first.grids)
    }
}

final class MetaBenchTests: XCTestCase {
    func testBenchRunsAndReports() {
        let r = MetaBench.run(coordinates: [10, 300], unroll: 3, repetitions: 1)
        XCTAssertEqual(r.map(\.coordinates), [10, 300])
        XCTAssertTrue(r.allSatisfy { $0.secondsPerInferenceStep > 0 && $0.secondsPerUnroll > 0 })
        XCTAssertTrue(MetaBench.table(r).contains("300"))
    }
}

extension MetaBenchTests {
    /// The full benchmark (10, 12,288 and 49,152 coordinates): run with NEURALART_META_BENCH=1.
    func testFullBenchReport() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["NEURALART_META_BENCH"] == "1", "set NEURALART_META_BENCH=1")
        print(MetaBench.table(MetaBench.run(progress: { print($0) })))
    }
}

import Foundation
import XCTest
@testable import MetaLearning
import Numerics

/// A task whose problems (of chosen training indices) return NaN gradients.
final class PoisonedTask: MetaTask {
    let base = QuadraticTask(dimension: 4)
    let poisoned: (Int) -> Bool
    init(poisoned: @escaping (Int) -> Bool) { self.poisoned = poisoned }
    var name: String { "poisoned" }
    var settings: [String: String] { [:] }
    var defaultHorizon: Int { 6 }
    func makeProblem(split: Split, index: Int) -> any Problem {
        let p = base.makeProblem(split: split, index: index)
        return split == .training && poisoned(index) ? NaNProblem(p) : p
    }
    final class NaNProblem: Problem {
        let inner: any Problem
        init(_ p: any Problem) { inner = p }
        var parameterCount: Int { inner.parameterCount }
        func initialParameters() -> [Float] { inner.initialParameters() }
        func lossAndGradient(at theta: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>) -> Float {
            _ = inner.lossAndGradient(at: theta, gradient: gradient)
            gradient[0] = .nan
            return .nan
        }
    }
}

final class MetaTrainerTests: XCTestCase {
    func smallSettings(metaSteps: Int = 8) -> MetaTrainingSettings {
        MetaTrainingSettings(metaSteps: metaSteps, horizon: 6, unroll: 3, problemsPerStep: 2, metaLearningRate: 1e-2,
                             clipNorm: 1, validateEvery: 4, validationProblems: 3, seed: 7, maxConsecutiveSkips: 3)
    }
    let config = LSTMConfiguration(hiddenSize: 6)

    /// Regression for "the LSTM weights were never trainable": every block of φ moves.
    func testMetaTrainingChangesEveryWeightBlock() throws {
        let trainer = try MetaTrainer(task: QuadraticTask(dimension: 4), configuration: config, settings: smallSettings(metaSteps: 10))
        let before = trainer.weights
        try trainer.run()
        let L = config.layout
        let blocks = (0..<L.layers).map { (L.weightOffset(layer: $0), L.weightOffset(layer: $0 + 1)) } + [(L.readoutOffset, L.weightCount)]
        for (a, b) in blocks {
            let change = (a..<b).map { abs(trainer.weights[$0] - before[$0]) }.max()!
            XCTAssertGreaterThan(change, 1e-4, "block \(a)..<\(b) did not change")
        }
        XCTAssertEqual(trainer.progress.metaStep, 10)
        XCTAssertEqual(trainer.progress.skipped, 0)
        XCTAssertNotNil(trainer.progress.bestValidationLoss)
    }

    /// Meta-training lowers the validation loss on the quadratic (a short run).
    func testMetaTrainingImprovesValidationLoss() throws {
        var s = MetaTrainingSettings(metaSteps: 300, horizon: 40, unroll: 10, problemsPerStep: 5, metaLearningRate: 3e-3,
                                     validateEvery: 0, validationProblems: 20, seed: 1)
        s.validateEvery = 300
        let trainer = try MetaTrainer(task: QuadraticTask(), configuration: LSTMConfiguration(), settings: s)
        let initial = trainer.validationLoss()
        try trainer.run()
        XCTAssertLessThan(trainer.progress.bestValidationLoss!, 0.7 * initial)
    }

    /// Regression for "state not reset between problems": the first unroll of batch 2 gives the
    /// same meta-loss in a trainer that just finished batch 1 and in a fresh one starting there.
    func testStateIsResetBetweenProblems() throws {
        let c = LSTMConfiguration(hiddenSize: 6, inputs: InputFeatures(rmsInputs: true))
        let a = try MetaTrainer(task: QuadraticTask(dimension: 4), configuration: c, settings: smallSettings())
        _ = a.step(); _ = a.step()
        XCTAssertTrue(a.isAtBatchBoundary)
        XCTAssertEqual(a.progress.batch, 1)
        let weights = a.weights
        let next = a.step()
        let b = try MetaTrainer(task: QuadraticTask(dimension: 4), configuration: c, settings: smallSettings())
        b.setWeights(weights)
        b.progress.batch = 1
        let fresh = b.step()
        XCTAssertEqual(next.metaLoss, fresh.metaLoss)
        // And a carried unroll differs from a fresh start (the state does carry within a problem).
        let c2 = try MetaTrainer(task: QuadraticTask(dimension: 4), configuration: c, settings: smallSettings())
        c2.setWeights(weights)
        let first = c2.step()
        XCTAssertNotEqual(first.metaLoss, a.step().metaLoss)
    }

    /// Training 2N meta-steps equals training N, checkpointing, loading and resuming N — bit for bit.
    func testResumeIsBitExact() throws {
        let dir = try temporaryDirectory(self)
        let path = dir.appendingPathComponent("run.ckpt").path
        let task = QuadraticTask(dimension: 4)
        let full = try MetaTrainer(task: task, configuration: config, settings: smallSettings(metaSteps: 8))
        let (checkpoint, resumed) = try runStraightAndResumed(full, task: task, every: 4, path: path)
        XCTAssertEqual(checkpoint.progress.metaStep, 4)
        assertSameRun(resumed, full)
        XCTAssertEqual(resumed.logText.split(separator: "\n").count, 9)
    }

    /// The log objective is stored with the run: a checkpoint resumes with it, its validation
    /// criterion is a sum of logs, and settings written before the option existed read as sum.
    func testObjectiveIsStoredAndOldSettingsReadAsSum() throws {
        let dir = try temporaryDirectory(self)
        let path = dir.appendingPathComponent("log.ckpt").path
        var s = smallSettings(metaSteps: 4)
        s.objective = .log
        let trainer = try MetaTrainer(task: QuadraticTask(dimension: 4), configuration: config, settings: s)
        try trainer.run(checkpointEvery: 4, checkpoint: { t in try Checkpoint(t).write(to: path) })
        let resumed = try Checkpoint.load(path: path).makeTrainer(task: QuadraticTask(dimension: 4))
        XCTAssertEqual(resumed.settings.objective, .log)
        let curve = Evaluator.meanLossCurve(trainer.optimizer(), problems: (0..<3).map {
            QuadraticTask(dimension: 4).makeProblem(split: .validation, index: $0) }, steps: 6)
        XCTAssertEqual(trainer.validationLoss(), curve.dropFirst().map { Foundation.log($0) }.reduce(0, +), accuracy: 1e-9)

        var json = String(decoding: try JSONEncoder().encode(smallSettings()), as: UTF8.self)
        XCTAssertFalse(json.contains("Objective"), json)
        json = String(decoding: try JSONEncoder().encode(s), as: UTF8.self)
        XCTAssertTrue(json.contains("\"metaObjective\":\"log\""), json)
        let old = #"{"metaSteps":1,"horizon":6,"unroll":3,"problemsPerStep":2,"metaLearningRate":0.01,"clipNorm":1,"validateEvery":4,"validationProblems":3,"seed":7,"maxConsecutiveSkips":3}"#
        let decoded = try JSONDecoder().decode(MetaTrainingSettings.self, from: Data(old.utf8))
        XCTAssertEqual(decoded.objective, .sum)
    }

    /// `--select final` ranks φ by the mean loss after the last step; it is stored with the run
    /// and absent from settings that use the default.
    func testFinalSelectionRanksByLastStepAndIsStored() throws {
        let dir = try temporaryDirectory(self)
        let path = dir.appendingPathComponent("final.ckpt").path
        var s = smallSettings(metaSteps: 4)
        s.selection = .final
        let task = QuadraticTask(dimension: 4)
        let trainer = try MetaTrainer(task: task, configuration: config, settings: s)
        try trainer.run(checkpointEvery: 4, checkpoint: { t in try Checkpoint(t).write(to: path) })
        let curve = Evaluator.meanLossCurve(trainer.optimizer(), problems: (0..<3).map {
            task.makeProblem(split: .validation, index: $0) }, steps: 6)
        XCTAssertEqual(trainer.validationLoss(), curve[6], accuracy: 1e-12)
        XCTAssertNotEqual(trainer.validationLoss(), Evaluator.summedLoss(curve))
        XCTAssertEqual(try Checkpoint.load(path: path).makeTrainer(task: task).settings.selection, .final)
        XCTAssertFalse(String(decoding: try JSONEncoder().encode(smallSettings()), as: UTF8.self).contains("Selection"))
        XCTAssertEqual(s.validationCriterion([3, 2, .nan]), .infinity)
    }

    /// `lateWeight` k weighs step t of the horizon by (k+1)(t/H)^k in the validation criterion
    /// (the meta-gradient's weights are checked in MetaGradientTests); it is stored only when set.
    func testLateWeightWeighsTheValidationCriterion() throws {
        var s = smallSettings()
        let curve: [Double] = [9, 6, 5, 4, 3, 2, 1]
        XCTAssertEqual(s.validationCriterion(curve), 21)
        s.lateWeight = 1
        XCTAssertEqual(s.validationCriterion(curve), (1...6).map { 2 * Double($0) / 6 * curve[$0] }.reduce(0, +), accuracy: 1e-12)
        XCTAssertEqual(StepWeighting(exponent: 3, horizon: 100).weight(step: 100), 4)
        XCTAssertEqual((1...100).map { StepWeighting(exponent: 3, horizon: 100).weight(step: $0) }.reduce(0, +) / 100, 1, accuracy: 0.03)
        XCTAssertTrue(String(decoding: try JSONEncoder().encode(s), as: UTF8.self).contains("\"lateWeight\":1"))
        XCTAssertFalse(String(decoding: try JSONEncoder().encode(smallSettings()), as: UTF8.self).contains("lateWeight"))
        s.lateWeight = -1
        XCTAssertThrowsError(try s.validate())
        // Negative values given to the initializer (the CLI's path) are kept and rejected, not dropped.
        XCTAssertThrowsError(try MetaTrainingSettings(lateWeight: -1).validate())
        XCTAssertThrowsError(try MetaTrainingSettings(randomScale: -0.5).validate())
        XCTAssertThrowsError(try MetaTrainingSettings(lateWeight: .nan).validate())
    }

    /// `earlyWeight` a multiplies step t's weight by 1 + a/t, on top of the late weights; it is
    /// stored only when set, and files without it still load.
    func testEarlyWeightWeighsTheFirstStepsMore() throws {
        var s = smallSettings()
        let curve: [Double] = [9, 6, 5, 4, 3, 2, 1]
        s.earlyWeight = 4
        XCTAssertEqual(s.validationCriterion(curve), (1...6).map { (1 + 4 / Double($0)) * curve[$0] }.reduce(0, +), accuracy: 1e-12)
        XCTAssertEqual(s.validationCriterionName, "weighted summed loss")
        s.lateWeight = 1
        let both: [Double] = (1...6).map { (t: Int) -> Double in
            let late: Double = 2 * Double(t) / 6, early: Double = 1 + 4 / Double(t)
            return late * early * curve[t]
        }
        XCTAssertEqual(s.validationCriterion(curve), both.reduce(0, +), accuracy: 1e-12)
        XCTAssertEqual(StepWeighting(exponent: 0, horizon: 64, early: 16).weight(step: 1), 17)
        XCTAssertEqual(StepWeighting(exponent: 0, horizon: 64, early: 16).weight(step: 16), 2)
        let json = try JSONEncoder().encode(s)
        XCTAssertTrue(String(decoding: json, as: UTF8.self).contains("\"earlyWeight\":4"))
        XCTAssertEqual(try JSONDecoder().decode(MetaTrainingSettings.self, from: json), s)
        XCTAssertFalse(String(decoding: try JSONEncoder().encode(smallSettings()), as: UTF8.self).contains("earlyWeight"))
        XCTAssertThrowsError(try MetaTrainingSettings(earlyWeight: -1).validate())
        XCTAssertThrowsError(try MetaTrainingSettings(earlyWeight: .nan).validate())
    }

    /// Random scaling multiplies training problems' loss scales by 10^u, u in [−r, r], seeded per
    /// problem (the same in every run); problems and their θ are otherwise unchanged.
    func testRandomScaleRescalesTrainingProblemsOnly() throws {
        var s = smallSettings()
        s.randomScale = 1
        let task = QuadraticTask(dimension: 4)
        let a = try MetaTrainer(task: task, configuration: config, settings: s)
        let b = try MetaTrainer(task: task, configuration: config, settings: s)
        let batch = a.makeBatch(3)
        XCTAssertEqual(batch.scales, b.makeBatch(3).scales)
        let factors = (0..<20).flatMap { a.makeBatch($0).scales }
        XCTAssertTrue(factors.allSatisfy { $0 >= 0.1 && $0 <= 10 }, "\(factors)")
        XCTAssertGreaterThan(factors.max()! / factors.min()!, 10)
        let plain = try MetaTrainer(task: task, configuration: config, settings: smallSettings()).makeBatch(3)
        XCTAssertEqual(plain.scales, [1, 1])
        XCTAssertEqual(batch.problems.map { $0.initialParameters() }, plain.problems.map { $0.initialParameters() })
        s.randomScale = 7
        XCTAssertThrowsError(try s.validate())
    }

    func testResumeRejectsAnotherTask() throws {
        let dir = try temporaryDirectory(self)
        let path = dir.appendingPathComponent("run.ckpt").path
        let t = try MetaTrainer(task: QuadraticTask(dimension: 4), configuration: config, settings: smallSettings(metaSteps: 2))
        try t.run()
        try Checkpoint(t).write(to: path)
        XCTAssertThrowsError(try Checkpoint.load(path: path).makeTrainer(task: QuadraticTask(dimension: 5), path: path)) {
            XCTAssertTrue("\($0)".contains(path))
        }
    }

    /// A non-finite meta-step is skipped (φ untouched) and training goes on with the next problems.
    func testNonFiniteStepIsSkipped() throws {
        let trainer = try MetaTrainer(task: PoisonedTask { $0 < 2 }, configuration: config, settings: smallSettings(metaSteps: 5))
        let before = trainer.weights
        let r = trainer.step()
        XCTAssertTrue(r.skipped)
        XCTAssertEqual(trainer.weights, before)
        XCTAssertEqual(trainer.progress.batch, 1, "the ruined batch is abandoned")
        try trainer.run()
        XCTAssertEqual(trainer.progress.skipped, 1)
        XCTAssertNotEqual(trainer.weights, before)
    }

    /// A run that keeps diverging stops with a clear error; φ stays the last finite one.
    func testPersistentDivergenceStopsWithClearError() throws {
        let trainer = try MetaTrainer(task: PoisonedTask { _ in true }, configuration: config, settings: smallSettings(metaSteps: 50))
        let before = trainer.weights
        XCTAssertThrowsError(try trainer.run()) { error in
            guard case MetaTrainingError.diverged(let step, let n) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(step, 4); XCTAssertEqual(n, 4)
            XCTAssertFalse("\(error)".contains("\n"))
            XCTAssertTrue("\(error)".contains("diverged"))
        }
        XCTAssertEqual(trainer.weights, before)
        XCTAssertTrue(trainer.logText.contains("\n4,"))
    }

    func testInvalidSettingsAreRejected() {
        var s = smallSettings()
        s.unroll = 10
        XCTAssertThrowsError(try MetaTrainer(task: QuadraticTask(), configuration: config, settings: s)) {
            XCTAssertTrue("\($0)".contains("unroll"))
        }
    }

    /// Second order on minibatch problems (the MLP task): the meta-gradient of a 6-step unroll
    /// agrees with a central difference of the true unrolled loss along it within 0.1 % (measured
    /// 3e-5; the first-order one is 0.3 % off), and meta-training with it runs and resumes bit
    /// for bit.
    func testSecondOrderOnTheMLPTask() throws {
        let task = MLPTask(data: learnableSplit(), hiddenSizes: [5], batchSize: 16, initialStd: 0.3, horizon: 12)
        let config = LSTMConfiguration(hiddenSize: 4, outputScale: 0.3)
        func trainer(_ k: Int) throws -> MetaTrainer {
            let t = try MetaTrainer(task: task, configuration: config, settings: MetaTrainingSettings(
                metaSteps: 4, horizon: 12, unroll: 6, problemsPerStep: 2, validateEvery: 2, validationProblems: 2,
                secondOrderSteps: k))
            t.setWeights(randomWeights(config, seed: 3, scale: 0.5))
            return t
        }
        func batch() -> ProblemBatch { ProblemBatch((0..<2).map { task.makeProblem(split: .training, index: $0) }) }
        let second = try trainer(6).metaGradient(batch: batch(), steps: 6).gradient
        let first = try trainer(0).metaGradient(batch: batch(), steps: 6).gradient
        let norm = second.map { Double($0 * $0) }.reduce(0, +).squareRoot()
        let u = second.map { Double($0) / norm }
        let phi = randomWeights(config, seed: 3, scale: 0.5)
        func loss(_ h: Double) throws -> Double {
            let t = try trainer(0)
            t.setWeights(zip(phi, u).map { Float(Double($0) + h * $1) })
            return t.metaGradient(batch: batch(), steps: 6).loss
        }
        let h = 1e-2
        let fd = (try loss(h) - loss(-h)) / (2 * h)
        let along2 = norm, along1 = zip(first, u).map { Double($0) * $1 }.reduce(0, +)
        print("MLP meta-gradient along u: second order \(along2), first order \(along1), finite difference \(fd)")
        XCTAssertEqual(along2, fd, accuracy: 1e-3 * abs(fd))
        XCTAssertLessThan(abs(along2 - fd), abs(along1 - fd))

        let dir = try temporaryDirectory(self)
        let full = try trainer(6)
        let (checkpoint, resumed) = try runStraightAndResumed(full, task: task, every: 2, path: dir.appendingPathComponent("so.ckpt").path)
        XCTAssertEqual(checkpoint.settings.secondOrderSteps, 6)
        assertSameRun(resumed, full)
        XCTAssertTrue(full.weights.allSatisfy(\.isFinite))
    }
}

import XCTest
import Numerics
@testable import MetaLearning

/// `ResamplableOptimizerState`: a state carried with the identity map continues exactly as the
/// original; carried onto twice as many coordinates (each old one duplicated), duplicated
/// gradients give duplicated updates equal to the original's.
final class StateResamplingTests: XCTestCase {
    func gradients(_ n: Int, seed: UInt64) -> [[Float]] {
        var g = SeededGenerator(seed: seed)
        return (0..<8).map { _ in (0..<n).map { _ in Float(g.nextUniform(in: -1, 1)) * 1e-2 } }
    }

    func check<O: Optimizer>(_ optimizer: O, file: StaticString = #filePath, line: UInt = #line) where O.State: ResamplableOptimizerState {
        let n = 50   // more than two 24-coordinate tiles of the LSTM's state
        let gs = gradients(n, seed: 3)
        let a = optimizer.makeState(count: n)
        var delta = [Float](repeating: 0, count: n)
        for g in gs.prefix(5) { optimizer.update(gradient: g, delta: &delta, state: a) }

        // Identity: continues bit for bit.
        let b = optimizer.makeState(count: n)
        let identity = (0..<n).map(Int32.init)
        XCTAssertTrue(identity.withUnsafeBufferPointer { b.resample(from: a, source: $0.baseAddress!) }, file: file, line: line)
        XCTAssertEqual(b.step, a.step, file: file, line: line)
        // Duplicated onto 2n coordinates (coordinate 2i and 2i + 1 from i).
        let c = optimizer.makeState(count: 2 * n)
        let twice = (0..<2 * n).map { Int32($0 / 2) }
        XCTAssertTrue(twice.withUnsafeBufferPointer { c.resample(from: a, source: $0.baseAddress!) }, file: file, line: line)

        for g in gs.suffix(3) {
            var da = [Float](repeating: 0, count: n), db = da, dc = [Float](repeating: 0, count: 2 * n)
            optimizer.update(gradient: g, delta: &da, state: a)
            optimizer.update(gradient: g, delta: &db, state: b)
            optimizer.update(gradient: g.flatMap { [$0, $0] }, delta: &dc, state: c)
            XCTAssertEqual(db, da, "identity map", file: file, line: line)
            XCTAssertEqual(dc, da.flatMap { [$0, $0] }, "duplicated coordinates", file: file, line: line)
        }
    }

    func testAdamMomentsCarryOver() { check(Adam(learningRate: 0.01)) }
    func testRMSpropAndNAGCarryOver() {
        check(RMSprop(learningRate: 0.01))
        check(NAG(learningRate: 0.5))
    }

    func testLSTMStateCarriesOver() {
        let config = LSTMConfiguration(inputs: InputFeatures(rmsInputs: true, momentumDecays: [0.5, 0.9]))
        check(LSTMOptimizer(configuration: config, seed: 7))
    }

    /// A state of another kind or shape is refused and leaves the state as it was.
    func testMismatchedStatesAreRefused() {
        let sgd = SGD(learningRate: 1).makeState(count: 4), adam = Adam(learningRate: 0.1).makeState(count: 4)
        let source: [Int32] = [0, 1, 2, 3]
        XCTAssertFalse(source.withUnsafeBufferPointer { adam.resample(from: sgd, source: $0.baseAddress!) })
        let small = LSTMOptimizer(configuration: LSTMConfiguration(hiddenSize: 4), seed: 1).makeState(count: 4)
        let other = LSTMOptimizer(configuration: LSTMConfiguration(hiddenSize: 5), seed: 1).makeState(count: 4)
        XCTAssertFalse(source.withUnsafeBufferPointer { small.resample(from: other, source: $0.baseAddress!) })
        XCTAssertFalse(source.withUnsafeBufferPointer { small.resample(from: adam, source: $0.baseAddress!) })
        XCTAssertEqual(small.step, 0)
    }
}

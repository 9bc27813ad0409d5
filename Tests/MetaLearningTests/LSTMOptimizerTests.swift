import Foundation
import XCTest
@testable import MetaLearning
import Numerics

final class LSTMOptimizerTests: XCTestCase {
    /// One step of a 2-layer, 1-unit LSTM optimizer with hand-picked weights, computed by hand.
    func testSingleStepMatchesHandComputedValue() {
        let config = LSTMConfiguration(layers: 2, hiddenSize: 1, outputScale: 0.1)
        // Layer 0 rows i, f, g, o over columns (x0, x1, h, bias); layer 1 over (h0, h1, bias).
        let w0: [Float] = [0.1, 0.2, 0.3, 0.0,
                           0.4, -0.1, 0.2, 1.0,
                           0.5, 0.5, -0.2, 0.1,
                           -0.3, 0.6, 0.1, 0.2]
        let w1: [Float] = [0.7, -0.5, 0.1,
                           0.2, 0.3, 1.0,
                           -0.6, 0.4, 0.0,
                           0.9, 0.1, -0.1]
        let readout: [Float] = [0.8, 0.05]
        XCTAssertEqual(config.layout.weightCount, 30)
        let lstm = LSTMOptimizer(configuration: config, weights: w0 + w1 + readout)

        // By hand: g = 0.5 ⇒ x = (ln 0.5 / 10, 1); zero initial state.
        func s(_ z: Double) -> Double { 1 / (1 + exp(-z)) }
        let x0 = log(0.5) / 10, x1 = 1.0
        let i0 = s(0.1 * x0 + 0.2 * x1), g0 = tanh(0.5 * x0 + 0.5 * x1 + 0.1), o0 = s(-0.3 * x0 + 0.6 * x1 + 0.2)
        let c0 = i0 * g0                      // f · 0 + i · g
        let h0 = o0 * tanh(c0)
        let i1 = s(0.7 * h0 + 0.1), g1 = tanh(-0.6 * h0), o1 = s(0.9 * h0 - 0.1)
        let c1 = i1 * g1
        let h1 = o1 * tanh(c1)
        let expected = 0.1 * (0.8 * h1 + 0.05)

        let state = lstm.makeState(count: 1)
        var g: [Float] = [0.5], d: [Float] = [0]
        lstm.update(gradient: &g, delta: &d, state: state)
        XCTAssertEqual(Double(d[0]), expected, accuracy: 1e-7)
        XCTAssertEqual(Double(state.cell(layer: 0, coordinate: 0)[0]), c0, accuracy: 1e-7)
        XCTAssertEqual(Double(state.hidden(layer: 1, coordinate: 0)[0]), h1, accuracy: 1e-7)
        XCTAssertEqual(state.step, 1)
    }

    /// Regression for coordinates accidentally sharing state: N coordinates in one batch give
    /// exactly what each coordinate gives alone (also across the parallel-chunk threshold).
    func testCoordinatesDoNotShareState() {
        let config = LSTMConfiguration(inputs: InputFeatures(rmsInputs: true), outputScale: 0.5)
        let lstm = LSTMOptimizer(configuration: config, weights: randomWeights(config, seed: 3, scale: 0.3))
        for n in [37, 5000] {
            var rng = SeededGenerator(seed: UInt64(n))
            let steps = 5
            let grads = (0..<steps).map { _ in (0..<n).map { _ in Float(rng.nextNormal() * pow(10, rng.nextUniform(in: -6, 1))) } }
            let state = lstm.makeState(count: n)
            var batched: [[Float]] = []
            var delta = [Float](repeating: 0, count: n)
            for t in 0..<steps {
                lstm.update(gradient: grads[t], delta: &delta, state: state)
                batched.append(delta)
            }
            for k in [0, 1, n / 2, n - 1] {
                let single = lstm.makeState(count: 1)
                var d: [Float] = [0]
                for t in 0..<steps {
                    lstm.update(gradient: [grads[t][k]], delta: &d, state: single)
                    XCTAssertEqual(d[0], batched[t][k], accuracy: 1e-6 * max(1, abs(d[0])), "n \(n) coordinate \(k) step \(t)")
                }
            }
            // Distinct gradients give distinct states.
            XCTAssertNotEqual(state.hidden(layer: 1, coordinate: 0), state.hidden(layer: 1, coordinate: 1))
        }
    }

    /// The meta-trainer's recorded forward pass and the inference optimizer (what users call)
    /// produce the same trajectory, including clamping and carried state across unrolls.
    func testTrainerForwardMatchesInferenceOptimizer() {
        assertTrainerForwardMatchesInference(LSTMConfiguration(hiddenSize: 5, outputScale: 0.3))
    }

    /// The same with momentum inputs, RMS inputs and the momentum read-out.
    func testTrainerForwardMatchesInferenceOptimizerWithMomentumReadout() {
        assertTrainerForwardMatchesInference(LSTMConfiguration(
            hiddenSize: 5, inputs: InputFeatures(rmsInputs: true, momentumDecays: [0.5, 0.95]), outputScale: 0.3,
            momentumReadoutScale: 2))
    }

    func assertTrainerForwardMatchesInference(_ config: LSTMConfiguration, file: StaticString = #filePath, line: UInt = #line) {
        let weights = randomWeights(config, seed: 5, scale: 0.4)
        let problems = [TestQuadratic(dimension: 4, seed: 8, bounds: -0.3...0.3), TestQuadratic(dimension: 3, seed: 9, lossScale: 3)]
        let batch = ProblemBatch(problems)
        let unroll = LSTMUnroll(configuration: config, count: batch.count, maxSteps: 3)
        var trained: [Double] = [unroll.reset(batch: batch)]
        weights.withUnsafeBufferPointer { w in
            for _ in 0..<2 {
                _ = unroll.forward(batch: batch, weights: w.baseAddress!, steps: 3) { _, loss in trained.append(loss) }
                unroll.carry()
            }
        }
        let inference = Evaluator.meanLossCurve(LSTMOptimizer(configuration: config, weights: weights), problems: problems, steps: 6)
        XCTAssertEqual(trained.count, inference.count)
        for t in trained.indices {
            XCTAssertEqual(trained[t], inference[t], accuracy: 1e-5 * abs(inference[t]), "step \(t)", file: file, line: line)
        }
    }

    func testPreprocessingBranches() {
        let f = InputFeatures.paper
        let g: [Float] = [0.5, -0.5, 1e-5, -1e-5, 0, 1e3, .nan]
        var x = [Float](repeating: 9, count: 2 * g.count)
        g.withUnsafeBufferPointer { gp in
            x.withUnsafeMutableBufferPointer { xp in
                preprocessGradient(f, gradient: gp.baseAddress!, scale: 1, x: xp.baseAddress!, stride: g.count,
                                   state: nil, step: 1, range: 0..<g.count)
            }
        }
        let n = g.count
        XCTAssertEqual(x[0], Float(log(0.5) / 10), accuracy: 1e-7); XCTAssertEqual(x[n + 0], 1)
        XCTAssertEqual(x[1], Float(log(0.5) / 10), accuracy: 1e-7); XCTAssertEqual(x[n + 1], -1)
        XCTAssertEqual(x[2], -1); XCTAssertEqual(x[n + 2], Float(exp(10.0) * 1e-5), accuracy: 1e-5)
        XCTAssertEqual(x[3], -1); XCTAssertEqual(x[n + 3], -Float(exp(10.0) * 1e-5), accuracy: 1e-5)
        XCTAssertEqual(x[4], -1); XCTAssertEqual(x[n + 4], 0)           // log(0) guarded
        XCTAssertEqual(x[5], Float(log(1000.0) / 10), accuracy: 1e-6); XCTAssertEqual(x[n + 5], 1)
        XCTAssertTrue(x[n + 6].isNaN)                                     // NaN propagates (divergence is detected)
    }

    /// RMS and momentum features over several steps equal the Double reference's (which keeps
    /// its running averages its own way), in the documented feature order.
    func testRMSAndMomentumFeaturesMatchReference() {
        let f = InputFeatures(rmsInputs: true, momentumDecays: [0.5, 0.9])
        XCTAssertEqual(f.count, 8); XCTAssertEqual(f.stateCount, 4)
        let ref = ReferenceLSTM(config: LSTMConfiguration(inputs: f))
        let n = 5
        var rng = SeededGenerator(seed: 11)
        var refState = ref.zeroState(n)
        var state = [Float](repeating: 0, count: f.stateCount * n)
        var x = [Float](repeating: 0, count: f.count * n)
        for step in 1...6 {
            let g = (0..<n).map { _ in Float(rng.nextNormal() * pow(10, rng.nextUniform(in: -6, 0))) }
            g.withUnsafeBufferPointer { gp in
                x.withUnsafeMutableBufferPointer { xp in
                    state.withUnsafeMutableBufferPointer { sp in
                        preprocessGradient(f, gradient: gp.baseAddress!, scale: 1, x: xp.baseAddress!, stride: n,
                                           state: sp.baseAddress!, step: step, range: 0..<n)
                    }
                }
            }
            let expected = ref.features(g.map(Double.init), &refState)
            for c in 0..<n {
                for k in 0..<f.count {
                    XCTAssertEqual(Double(x[k * n + c]), expected[c][k], accuracy: 1e-4 * max(1, abs(expected[c][k])),
                                   "step \(step) coordinate \(c) feature \(k)")
                }
            }
        }
    }

    func testInvalidFeatureSettingsAreRejected() {
        XCTAssertTrue(InputFeatures.paper.isValid)
        XCTAssertTrue(InputFeatures(momentumDecays: [0.5, 0.99]).isValid)
        XCTAssertFalse(InputFeatures(momentumDecays: [1]).isValid)
        XCTAssertFalse(InputFeatures(momentumDecays: [0]).isValid)
        XCTAssertFalse(InputFeatures(momentumDecays: [.nan]).isValid)
        XCTAssertFalse(InputFeatures(p: 0).isValid)
    }

    func testResetRestoresFreshState() {
        let config = LSTMConfiguration(inputs: InputFeatures(rmsInputs: true, momentumDecays: [0.9]))
        let lstm = LSTMOptimizer(configuration: config, seed: 4)
        let state = lstm.makeState(count: 3)
        var d = [Float](repeating: 0, count: 3)
        lstm.update(gradient: [1, 2, 3], delta: &d, state: state)
        let first = d
        lstm.update(gradient: [1, 2, 3], delta: &d, state: state)
        XCTAssertNotEqual(d, first)
        state.reset()
        lstm.update(gradient: [1, 2, 3], delta: &d, state: state)
        XCTAssertEqual(d, first)
    }
}

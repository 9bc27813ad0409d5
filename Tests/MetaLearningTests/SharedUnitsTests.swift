import Foundation
import XCTest
@testable import MetaLearning
import Numerics

/// Shared units (`InputFeatures.sharedUnits`): the inference step reads, as K more inputs, the
/// per-problem means of the top layer's first K hidden units after the previous step.
final class SharedUnitsTests: XCTestCase {
    /// `LSTMOptimizer.update` (the fused step) against the Double reference, over several steps
    /// and two problems of unequal size: Δ agrees, and the shared inputs differ between problems.
    func testInferenceStepMatchesTheReference() {
        let config = LSTMConfiguration(layers: 2, hiddenSize: 5,
                                       inputs: InputFeatures(rmsInputs: true, momentumDecays: [0.9], sharedUnits: 3))
        let weights = randomWeights(config, seed: 8, scale: 0.5)
        let lstm = LSTMOptimizer(configuration: config, weights: weights)
        let segments = [37, 50], offsets = [0, 37, 87], n = 87
        let state = lstm.makeState(segments: segments)
        let ref = ReferenceLSTM(config: config)
        var s = ref.zeroState(n)
        var gen = SeededGenerator(seed: 9)
        for _ in 0..<4 {
            let g = (0..<n).map { _ in Float(gen.nextNormal()) * 0.01 }
            var d = [Float](repeating: 0, count: n)
            lstm.update(gradient: g, delta: &d, state: state)
            let x = ref.appendingSharedUnits(ref.features(g.map(Double.init), &s), s, offsets: offsets)
            let e = ref.step(x, &s, weights.map(Double.init))
            for i in 0..<n { XCTAssertEqual(Double(d[i]), e[i], accuracy: 1e-5 * max(1, abs(e[i]))) }
        }
        XCTAssertNotEqual(state.shared!.data[0], state.shared!.data[n - 1])  // the two problems' means
    }

    /// A model widened by K shared inputs with zero weights steps as the model without them; the
    /// count, file round trip and validity.
    func testWidenedModelStepsAsBeforeAndIsSaved() throws {
        let inputs = InputFeatures(rmsInputs: true, momentumDecays: [0.9])
        let narrow = LSTMOptimizer(configuration: LSTMConfiguration(layers: 2, hiddenSize: 5, inputs: inputs), seed: 4)
        var wideInputs = inputs
        wideInputs.sharedUnits = 2
        let wideConfig = LSTMConfiguration(layers: 2, hiddenSize: 5, inputs: wideInputs)
        let wide = LSTMOptimizer(configuration: wideConfig,
                                 weights: LSTMOptimizer.addingInputs(2, to: narrow.weights, layout: narrow.configuration.layout))
        let ns = narrow.makeState(segments: [30, 20]), ws = wide.makeState(segments: [30, 20])
        var gen = SeededGenerator(seed: 5)
        for _ in 0..<3 {
            let g = (0..<50).map { _ in Float(gen.nextNormal()) * 0.01 }
            var dn = [Float](repeating: 0, count: 50), dw = dn
            narrow.update(gradient: g, delta: &dn, state: ns)
            wide.update(gradient: g, delta: &dw, state: ws)
            XCTAssertEqual(dw, dn)
        }
        XCTAssertEqual(wideInputs.count, inputs.count + 2)
        XCTAssertEqual(try JSONDecoder().decode(InputFeatures.self, from: try JSONEncoder().encode(wideInputs)), wideInputs)
        XCTAssertFalse(try JSONDecoder().decode(InputFeatures.self, from: try JSONEncoder().encode(inputs)).sharedUnits > 0)
        XCTAssertTrue(wideInputs.summary.hasSuffix("+shared(2)"), wideInputs.summary)
        XCTAssertFalse(wideConfig.allowsSecondOrder)
        XCTAssertFalse(LSTMConfiguration(layers: 2, hiddenSize: 1, inputs: wideInputs).isValid)  // more than the units
    }
}

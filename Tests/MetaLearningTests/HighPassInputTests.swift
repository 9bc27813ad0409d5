import Foundation
import XCTest
@testable import MetaLearning
import Numerics

/// The high-pass input (`InputFeatures.highPass`): the learned optimizer's features see
/// g + gain·B_r(g) per plane of each problem's image.
final class HighPassInputTests: XCTestCase {
    let shapes = [ImageShape(planes: 3, height: 7, width: 5), ImageShape(planes: 1, height: 4, width: 9)]

    /// g + gain·B_r(g), computed here plane by plane with `BoxMean`; at 1-based step `step` with
    /// a ramp of k steps the gain is gain·min(1, (step − 1)/k).
    func filtered(_ g: [Float], _ h: InputFeatures.HighPass, step: Int = 1) -> [Float] {
        let gain = h.ramp.map { h.gain * Float(min($0, step - 1)) / Float($0) } ?? h.gain
        var out = g, offset = 0
        for s in shapes {
            for _ in 0..<s.planes {
                let n = s.height * s.width
                var b = [Float](repeating: 0, count: n), t = b
                Array(g[offset..<(offset + n)]).withUnsafeBufferPointer {
                    BoxMean.apply($0.baseAddress!, into: &b, scratch: &t, height: s.height, width: s.width, radius: h.radius)
                }
                for i in 0..<n { out[offset + i] = g[offset + i] + gain * b[i] }
                offset += n
            }
        }
        return out
    }

    /// A high-pass optimizer's step is, bit for bit, the same LSTM's step without it on the
    /// filtered gradient, over several steps (its running averages too), two shaped problems;
    /// with a ramp, step 1 reads the gradient as it is and the gain grows to its full value.
    func testStepIsThePlainStepOnTheFilteredGradient() {
        for ramp in [nil, 2] { checkStepIsThePlainStep(InputFeatures.HighPass(radius: 2, gain: -0.5, ramp: ramp)) }
    }

    func checkStepIsThePlainStep(_ filter: InputFeatures.HighPass) {
        var inputs = InputFeatures(rmsInputs: true, momentumDecays: [0.9])
        let plain = LSTMOptimizer(configuration: LSTMConfiguration(layers: 2, hiddenSize: 5, inputs: inputs), seed: 3)
        inputs.highPass = filter
        let highPass = LSTMOptimizer(configuration: LSTMConfiguration(layers: 2, hiddenSize: 5, inputs: inputs),
                                     weights: plain.weights)
        let segments = shapes.map(\.count), n = segments.reduce(0, +)
        let hs = highPass.makeState(segments: segments, imageShapes: shapes)
        let ps = plain.makeState(segments: segments)
        var gen = SeededGenerator(seed: 5)
        for step in 1...4 {
            let g = (0..<n).map { _ in Float(gen.nextNormal()) * 0.01 }, f = filtered(g, filter, step: step)
            var dh = [Float](repeating: 0, count: n), dp = dh
            highPass.update(gradient: g, delta: &dh, state: hs)
            plain.update(gradient: f, delta: &dp, state: ps)
            XCTAssertEqual(dh, dp)
            if filter.ramp != nil && step == 1 { XCTAssertEqual(f, g) } else { XCTAssertNotEqual(f, g) }
        }
    }

    /// The smooth-fraction input (`InputFeatures.smoothFraction`): the inference step against the
    /// Double reference over several steps and two shaped problems (`ReferenceRun.features`
    /// computes 2ρ − 1 directly); a gradient constant on every plane is all smooth (+1), and
    /// the two problems of a random gradient get their own values.
    func testSmoothFractionInputMatchesTheReference() {
        let config = LSTMConfiguration(layers: 2, hiddenSize: 5,
                                       inputs: InputFeatures(rmsInputs: true, momentumDecays: [0.9],
                                                             highPass: .init(radius: 2, gain: -0.5), smoothFraction: true))
        let weights = randomWeights(config, seed: 12, scale: 0.5)
        let lstm = LSTMOptimizer(configuration: config, weights: weights)
        let problems = shapes.enumerated().map { k, shape in
            let q = TestQuadratic(dimension: shape.count, seed: UInt64(40 + k)); q.shape = shape; return q
        }
        let run = ReferenceRun(ref: ReferenceLSTM(config: config), problems: problems)
        let segments = shapes.map(\.count), n = segments.reduce(0, +)
        let state = lstm.makeState(segments: segments, imageShapes: shapes)
        var s = run.ref.zeroState(n)
        var gen = SeededGenerator(seed: 13)
        for _ in 0..<4 {
            let g = (0..<n).map { _ in Float(gen.nextNormal()) * 0.01 + 0.002 }
            var d = [Float](repeating: 0, count: n)
            lstm.update(gradient: g, delta: &d, state: state)
            let e = run.ref.step(run.features(g.map(Double.init), &s), &s, weights.map(Double.init))
            for i in 0..<n { XCTAssertEqual(Double(d[i]), e[i], accuracy: 1e-5 * max(1, abs(e[i]))) }
            let smooth = state.highPass!.smoothFraction!
            XCTAssertNotEqual(smooth[0], smooth[n - 1])
            XCTAssertTrue((-1...1).contains(smooth[0]) && (-1...1).contains(smooth[n - 1]))
        }
        var d = [Float](repeating: 0, count: n)
        lstm.update(gradient: [Float](repeating: 0.01, count: n), delta: &d, state: state)
        XCTAssertEqual(state.highPass!.smoothFraction![0], 1, accuracy: 1e-6)
        XCTAssertEqual(state.highPass!.smoothFraction![n - 1], 1, accuracy: 1e-6)
    }

    /// With the luma/chroma basis a step is Cᵀ·(the high-pass step on C·g), bit for bit, over
    /// several steps and two RGB images; C is orthonormal and maps grey to brightness alone.
    func testLumaChromaStepIsTheStepInTheRotatedBasis() {
        let rgb = [ImageShape(planes: 3, height: 7, width: 5), ImageShape(planes: 3, height: 2, width: 9)]
        var inputs = InputFeatures(rmsInputs: true, momentumDecays: [0.9], highPass: .init(radius: 2, gain: -0.5))
        let plain = LSTMOptimizer(configuration: LSTMConfiguration(layers: 2, hiddenSize: 5, inputs: inputs), seed: 6)
        inputs.lumaChroma = true
        let rotated = LSTMOptimizer(configuration: LSTMConfiguration(layers: 2, hiddenSize: 5, inputs: inputs),
                                    weights: plain.weights)
        let segments = rgb.map(\.count), n = segments.reduce(0, +), offsets = [0, segments[0]]
        let rs = rotated.makeState(segments: segments, imageShapes: rgb)
        let ps = plain.makeState(segments: segments, imageShapes: rgb)
        /// `map` on each image of x.
        func each(_ x: [Float], _ map: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) -> [Float] {
            var y = x
            for (k, s) in rgb.enumerated() {
                x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
                    map(xp.baseAddress! + offsets[k], yp.baseAddress! + offsets[k], s.height * s.width)
                } }
            }
            return y
        }
        var gen = SeededGenerator(seed: 7)
        for _ in 0..<4 {
            let g = (0..<n).map { _ in Float(gen.nextNormal()) * 0.01 }
            var dr = [Float](repeating: 0, count: n), dp = dr
            rotated.update(gradient: g, delta: &dr, state: rs)
            plain.update(gradient: each(g, LumaChroma.forward), delta: &dp, state: ps)
            XCTAssertEqual(dr, each(dp, LumaChroma.transpose))
            XCTAssertNotEqual(dr, dp)
            let back = each(each(g, LumaChroma.forward), LumaChroma.transpose)
            for i in 0..<n { XCTAssertEqual(back[i], g[i], accuracy: 1e-6 * 0.05) }
        }
        var grey: [Float] = [0.5, 0.5, 0.5], out = grey
        LumaChroma.forward(grey, into: &out, pixels: 1)
        XCTAssertEqual(out[0], Float(0.5 * 3.0.squareRoot()), accuracy: 1e-6)
        XCTAssertEqual(out[1], 0, accuracy: 1e-7)
        XCTAssertEqual(out[2], 0, accuracy: 1e-7)
        grey = [0.2, -0.1, 0.4]
        LumaChroma.forward(grey, into: &out, pixels: 1)
        XCTAssertEqual(out.map { $0 * $0 }.reduce(0, +), grey.map { $0 * $0 }.reduce(0, +), accuracy: 1e-6)
    }

    /// The filter is part of the model: it is saved and read back, and files without it
    /// (every model before it existed) read as none.
    func testTheFilterIsSavedWithTheFeatures() throws {
        let f = InputFeatures(rmsInputs: true, highPass: .init(radius: 16, gain: -0.5))
        let data = try JSONEncoder().encode(f)
        XCTAssertEqual(try JSONDecoder().decode(InputFeatures.self, from: data), f)
        XCTAssertTrue(String(decoding: data, as: UTF8.self).contains("highPass"))
        XCTAssertTrue(f.summary.hasSuffix("+high-pass(r=16,gain=-0.5)"), f.summary)
        let old = try JSONEncoder().encode(InputFeatures(rmsInputs: true))
        XCTAssertFalse(String(decoding: old, as: UTF8.self).contains("highPass"))
        XCTAssertNil(try JSONDecoder().decode(InputFeatures.self, from: old).highPass)
        XCTAssertFalse(InputFeatures(highPass: .init(radius: 0, gain: -0.5)).isValid)
        XCTAssertFalse(InputFeatures(highPass: .init(radius: 4, gain: -1)).isValid)
        XCTAssertFalse(LSTMConfiguration(inputs: f).allowsSecondOrder)
        var lc = f
        lc.lumaChroma = true
        let lcData = try JSONEncoder().encode(lc)
        XCTAssertEqual(try JSONDecoder().decode(InputFeatures.self, from: lcData), lc)
        XCTAssertFalse(String(decoding: data, as: UTF8.self).contains("lumaChroma"))
        XCTAssertFalse(try JSONDecoder().decode(InputFeatures.self, from: data).lumaChroma)
        XCTAssertTrue(lc.summary.hasSuffix("+luma-chroma"), lc.summary)
        XCTAssertTrue(lc.isValid)
        XCTAssertFalse(InputFeatures(rmsInputs: true, lumaChroma: true).isValid)  // only with the high-pass
        var gr = f
        gr.globalRMS = true
        XCTAssertEqual(try JSONDecoder().decode(InputFeatures.self, from: try JSONEncoder().encode(gr)), gr)
        XCTAssertFalse(try JSONDecoder().decode(InputFeatures.self, from: data).globalRMS)
        XCTAssertEqual(gr.count, f.count + 1)
        XCTAssertTrue(gr.summary.hasSuffix("+global-rms"), gr.summary)
        XCTAssertFalse(InputFeatures(rmsInputs: true, globalRMS: true).isValid)
        var sf = gr
        sf.smoothFraction = true
        XCTAssertEqual(try JSONDecoder().decode(InputFeatures.self, from: try JSONEncoder().encode(sf)), sf)
        XCTAssertFalse(try JSONDecoder().decode(InputFeatures.self, from: try JSONEncoder().encode(gr)).smoothFraction)
        XCTAssertEqual(sf.count, gr.count + 1)
        XCTAssertEqual(sf.extraInputsStart, f.count)
        XCTAssertTrue(sf.summary.hasSuffix("+global-rms+smooth-fraction"), sf.summary)
        XCTAssertFalse(InputFeatures(rmsInputs: true, smoothFraction: true).isValid)
    }

    /// A model widened by the local-mean input (`LSTMOptimizer.addingInputs`, zero weights for
    /// it) steps bit for bit as the model without it; once its weights move, the input is used.
    /// Likewise the global-RMS and the smooth-fraction inputs.
    func testLocalMeanInputStartsAsTheModelWithout() {
        checkWidenedInput(\.localMean)
        checkWidenedInput(\.globalRMS)
        checkWidenedInput(\.smoothFraction)
    }

    func checkWidenedInput(_ flag: WritableKeyPath<InputFeatures, Bool>) {
        let inputs = InputFeatures(rmsInputs: true, momentumDecays: [0.9], highPass: .init(radius: 2, gain: -0.5))
        let narrow = LSTMOptimizer(configuration: LSTMConfiguration(layers: 2, hiddenSize: 5, inputs: inputs), seed: 4)
        var wideInputs = inputs
        wideInputs[keyPath: flag] = true
        let wideConfig = LSTMConfiguration(layers: 2, hiddenSize: 5, inputs: wideInputs)
        var weights = LSTMOptimizer.addingInputs(1, to: narrow.weights, layout: narrow.configuration.layout)
        XCTAssertEqual(weights.count, wideConfig.layout.weightCount)
        XCTAssertEqual(wideConfig.layout.inputs, narrow.configuration.layout.inputs + 1)
        let wide = LSTMOptimizer(configuration: wideConfig, weights: weights)
        let cols = wideConfig.layout.columns(layer: 0), k = wideConfig.layout.inputs - 1
        for r in 0..<(4 * 5) { weights[r * cols + k] = 0.7 }  // the local mean reaches every gate
        let used = LSTMOptimizer(configuration: wideConfig, weights: weights)
        let segments = shapes.map(\.count), n = segments.reduce(0, +)
        let ns = narrow.makeState(segments: segments, imageShapes: shapes)
        let ws = wide.makeState(segments: segments, imageShapes: shapes)
        let us = used.makeState(segments: segments, imageShapes: shapes)
        var gen = SeededGenerator(seed: 6)
        for _ in 0..<4 {
            let g = (0..<n).map { _ in Float(gen.nextNormal()) * 0.01 + 0.004 }
            var dn = [Float](repeating: 0, count: n), dw = dn, du = dn
            narrow.update(gradient: g, delta: &dn, state: ns)
            wide.update(gradient: g, delta: &dw, state: ws)
            used.update(gradient: g, delta: &du, state: us)
            XCTAssertEqual(dw, dn)
            XCTAssertNotEqual(du, dn)
        }
    }

    /// The local-mean input is saved with the features, needs the high-pass and RMS inputs, and
    /// older files read as without it.
    func testLocalMeanIsSavedAndChecked() throws {
        let f = InputFeatures(rmsInputs: true, highPass: .init(radius: 16, gain: -0.5), localMean: true)
        XCTAssertTrue(f.isValid)
        XCTAssertEqual(f.count, 5)
        XCTAssertEqual(try JSONDecoder().decode(InputFeatures.self, from: try JSONEncoder().encode(f)), f)
        XCTAssertTrue(f.summary.hasSuffix("+local-mean"), f.summary)
        let old = try JSONEncoder().encode(InputFeatures(rmsInputs: true, highPass: .init(radius: 16, gain: -0.5)))
        XCTAssertFalse(String(decoding: old, as: UTF8.self).contains("localMean"))
        XCTAssertFalse(try JSONDecoder().decode(InputFeatures.self, from: old).localMean)
        XCTAssertFalse(InputFeatures(rmsInputs: true, localMean: true).isValid)
        XCTAssertFalse(InputFeatures(highPass: .init(radius: 16, gain: -0.5), localMean: true).isValid)
    }
}

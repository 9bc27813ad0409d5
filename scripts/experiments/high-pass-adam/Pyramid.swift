// ADAM and the learned optimizer on a multi-scale (pyramid) parameterization (see main.swift).
import Foundation
import MetaLearning
import NeuralArt

/// ADAM on a multi-scale parameterization: θ = Σ_l w_l·U_l(c_l), with U_l the nearest-neighbour
/// upsampling of a coarse image c_l of side ⌈s/2^l⌉ (l = 0…L, w_l = decay^l). ADAM runs on every
/// coefficient of every level (the gradient of c_l is w_l·U_lᵀ·g, a block sum), and the picture
/// moves by Σ_l w_l·U_l(Δc_l).
struct Pyramid {
    var levels: Int
    var decay: Float
    /// Per segment [3, s, s]: the extended coordinate count Σ_l 3·⌈s/2^l⌉².
    func extended(_ segment: Int) -> Int {
        let s = Int(Double(segment / 3).squareRoot().rounded())
        return (0...levels).reduce(0) { $0 + 3 * sq((s + (1 << $1) - 1) >> $1) }
    }
    func sq(_ x: Int) -> Int { x * x }
    /// e = analysis of g (forward) or g = synthesis of e (backward), over all segments.
    func apply(_ g: UnsafeMutablePointer<Float>, _ e: UnsafeMutablePointer<Float>, segments: [Int], analysis: Bool) {
        var go = 0, eo = 0
        for segment in segments {
            let s = Int(Double(segment / 3).squareRoot().rounded())
            if !analysis { for i in 0..<segment { g[go + i] = 0 } }
            var lo = eo
            for l in 0...levels {
                let sl = (s + (1 << l) - 1) >> l
                let w = pow(decay, Float(l))
                if analysis { for i in 0..<(3 * sl * sl) { e[lo + i] = 0 } }
                for p in 0..<3 {
                    for y in 0..<s {
                        for x in 0..<s {
                            let gi = go + (p * s + y) * s + x
                            let ei = lo + (p * sl + (y >> l)) * sl + (x >> l)
                            if analysis { e[ei] += w * g[gi] } else { g[gi] += w * e[ei] }
                        }
                    }
                }
                lo += 3 * sl * sl
            }
            go += segment; eo += extended(segment)
        }
    }
}

final class PyramidAdamState: OptimizerState {
    let count: Int
    var step = 0
    let segments: [Int]
    let extended: [Int]
    /// ADAM's moments, the coefficients' gradient and step (all coefficients), the picture's gradient.
    var m: [Float], v: [Float], e: [Float], s: [Float], g: [Float]
    init(segments: [Int], pyramid: Pyramid) {
        self.segments = segments
        count = segments.reduce(0, +)
        extended = segments.map(pyramid.extended)
        let n = extended.reduce(0, +)
        m = .init(repeating: 0, count: n); v = m; e = m; s = m; g = .init(repeating: 0, count: count)
    }

    /// One step in the pyramid: the gradient read into the coefficients (through C with
    /// `chroma`), `step` writing the coefficients' step from their gradient, the picture's step
    /// Σ_l w_l·U_l(step) (through Cᵀ·diag(1, s, s)) into `delta`.
    func step(_ pyramid: Pyramid, chroma: Float?, gradient: UnsafePointer<Float>, delta: UnsafeMutablePointer<Float>,
              _ step: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
        g.withUnsafeMutableBufferPointer { gb in
            e.withUnsafeMutableBufferPointer { eb in
                s.withUnsafeMutableBufferPointer { sb in
                    let g = gb.baseAddress!, e = eb.baseAddress!
                    g.update(from: gradient, count: count)
                    if chroma != nil { FilteredAdam.rotate(g, segments: segments, forward: true) }
                    pyramid.apply(g, e, segments: segments, analysis: true)
                    step(UnsafePointer(e), sb.baseAddress!)
                    pyramid.apply(delta, sb.baseAddress!, segments: segments, analysis: false)
                    if let chroma { FilteredAdam.rotate(delta, segments: segments, forward: false, chroma: chroma) }
                }
            }
        }
    }
}

struct PyramidAdam: Optimizer {
    var learningRate: Float
    var pyramid: Pyramid
    var chroma: Float? = nil
    var name: String { "adam" }
    func makeState(count: Int) -> PyramidAdamState { makeState(segments: [count]) }
    func makeState(segments: [Int]) -> PyramidAdamState { PyramidAdamState(segments: segments, pyramid: pyramid) }
    func update(gradient: UnsafePointer<Float>, delta: UnsafeMutablePointer<Float>, state: PyramidAdamState) {
        state.step += 1
        let n = state.e.count
        state.step(pyramid, chroma: chroma, gradient: gradient, delta: delta) { e, out in
            adamStep(e, count: n, m: &state.m, v: &state.v, step: state.step, rate: learningRate, into: out)
        }
    }
}

/// The learned optimizer run on the pyramid's coefficients (each level a [3, s_l, s_l] image).
final class PyramidLSTMState: OptimizerState {
    let inner: LSTMOptimizerState
    let outer: PyramidAdamState
    var count: Int { outer.count }
    var step: Int { inner.step }
    init(inner: LSTMOptimizerState, outer: PyramidAdamState) { self.inner = inner; self.outer = outer }
}

struct PyramidLSTM: Optimizer {
    let lstm: LSTMOptimizer
    var pyramid: Pyramid
    var chroma: Float? = nil
    var name: String { "lstm" }
    func makeState(count: Int) -> PyramidLSTMState { makeState(segments: [count]) }
    func makeState(segments: [Int]) -> PyramidLSTMState {
        let outer = PyramidAdamState(segments: segments, pyramid: pyramid)
        return PyramidLSTMState(inner: lstm.makeState(segments: outer.extended), outer: outer)
    }
    func update(gradient: UnsafePointer<Float>, delta: UnsafeMutablePointer<Float>, state: PyramidLSTMState) {
        state.outer.step(pyramid, chroma: chroma, gradient: gradient, delta: delta) { e, out in
            lstm.update(gradient: e, delta: out, state: state.inner)
        }
    }
}

// ADAM and the learned optimizer on a spatially filtered gradient (see main.swift).
import Foundation
import MetaLearning
import NeuralArt

/// A filter term: add gain·B_radius(g).
typealias Term = (radius: Int, gain: Float)

/// Per-run state: ADAM's moments and scratch for the filtered gradient, per segment (problem).
final class FilteredAdamState: OptimizerState {
    let count: Int
    var step = 0
    /// The batched problems' coordinate counts (each a square [3, s, s] image).
    let segments: [Int]
    var m: [Float], v: [Float], filtered: [Float], blurred: [Float], rows: [Float]
    init(segments: [Int]) {
        self.segments = segments
        count = segments.reduce(0, +)
        m = .init(repeating: 0, count: count); v = m; filtered = m; blurred = m; rows = m
    }
}

/// ADAM on g + Σ gain·B_radius(g).
struct FilteredAdam: Optimizer {
    var learningRate: Float
    var terms: [Term]
    /// Luminance/chroma basis (orthonormal) with the chroma step scaled by this (nil: RGB).
    var chroma: Float? = nil
    var name: String { "adam" }
    func makeState(count: Int) -> FilteredAdamState { FilteredAdamState(segments: [count]) }
    func makeState(segments: [Int]) -> FilteredAdamState { FilteredAdamState(segments: segments) }

    /// y = B_r(x) on one s×s plane (separable running sums; `t` is s·s scratch).
    static func boxMean(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                        _ t: UnsafeMutablePointer<Float>, side s: Int, radius r: Int) {
        func pass(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, along: (Int, Int) -> Int) {
            for line in 0..<s {
                var sum: Float = 0
                for j in 0...min(r, s - 1) { sum += src[along(line, j)] }
                for j in 0..<s {
                    dst[along(line, j)] = sum / Float(min(s - 1, j + r) - max(0, j - r) + 1)
                    if j + r + 1 < s { sum += src[along(line, j + r + 1)] }
                    if j - r >= 0 { sum -= src[along(line, j - r)] }
                }
            }
        }
        pass(x, t) { $0 * s + $1 }                 // along rows
        pass(UnsafePointer(t), y) { $1 * s + $0 }  // along columns
    }

    /// state.filtered = g + Σ gain·B_radius(g).
    static func filter(_ gradient: UnsafePointer<Float>, terms: [Term], state: FilteredAdamState) {
        let n = state.count
        for i in 0..<n { state.filtered[i] = gradient[i] }
        for (radius, gain) in terms {
            state.blurred.withUnsafeMutableBufferPointer { b in
                state.rows.withUnsafeMutableBufferPointer { t in
                    var offset = 0
                    for segment in state.segments {
                        let s = Int(Double(segment / 3).squareRoot().rounded())
                        precondition(3 * s * s == segment, "high-pass-adam: a problem of \(segment) coordinates is not [3, s, s]")
                        for plane in 0..<3 {
                            let o = offset + plane * s * s
                            boxMean(gradient + o, b.baseAddress! + o, t.baseAddress!, side: s, radius: radius)
                        }
                        offset += segment
                    }
                }
            }
            for i in 0..<n { state.filtered[i] += gain * state.blurred[i] }
        }
    }

    /// x ↦ Cx (forward) or Cᵀx per pixel of every [3, s, s] segment, in place.
    static func rotate(_ x: UnsafeMutablePointer<Float>, segments: [Int], forward: Bool, chroma: Float = 1) {
        let a = Float(1 / 3.0.squareRoot()), b = Float(1 / 2.0.squareRoot()), c = Float(1 / 6.0.squareRoot())
        // rows of C: (a,a,a), (b,-b,0), (c,c,-2c)
        var offset = 0
        for segment in segments {
            let n = segment / 3
            for i in 0..<n {
                let p0 = x[offset + i], p1 = x[offset + n + i], p2 = x[offset + 2 * n + i]
                if forward {
                    x[offset + i] = a * (p0 + p1 + p2); x[offset + n + i] = b * (p0 - p1); x[offset + 2 * n + i] = c * (p0 + p1 - 2 * p2)
                } else {
                    let q1 = chroma * p1, q2 = chroma * p2
                    x[offset + i] = a * p0 + b * q1 + c * q2; x[offset + n + i] = a * p0 - b * q1 + c * q2; x[offset + 2 * n + i] = a * p0 - 2 * c * q2
                }
            }
            offset += segment
        }
    }

    func update(gradient: UnsafePointer<Float>, delta: UnsafeMutablePointer<Float>, state: FilteredAdamState) {
        state.step += 1
        let n = state.count
        var gradient = gradient
        let rotated = UnsafeMutablePointer<Float>.allocate(capacity: n); defer { rotated.deallocate() }
        if chroma != nil {
            rotated.update(from: gradient, count: n)
            Self.rotate(rotated, segments: state.segments, forward: true)
            gradient = UnsafePointer(rotated)
        }
        Self.filter(gradient, terms: terms, state: state)
        adamStep(state.filtered, count: n, m: &state.m, v: &state.v, step: state.step, rate: learningRate, into: delta)
        if let chroma { Self.rotate(delta, segments: state.segments, forward: false, chroma: chroma) }
    }
}

/// ADAM's step (β 0.9 / 0.999, ε 1e-8, bias-corrected for the 1-based `step`) for `count`
/// coordinates of gradient `x`, its moments in `m` and `v`, written into `out`.
func adamStep(_ x: UnsafePointer<Float>, count n: Int, m: inout [Float], v: inout [Float], step: Int, rate: Float,
              into out: UnsafeMutablePointer<Float>) {
    let t = Double(step)
    let c1 = Float(1 - pow(0.9, t)), c2 = Float(1 - pow(0.999, t))
    for i in 0..<n {
        let g = x[i]
        m[i] = 0.9 * m[i] + 0.1 * g
        v[i] = 0.999 * v[i] + 0.001 * g * g
        out[i] = -rate / c1 * m[i] / ((v[i] / c2).squareRoot() + 1e-8)
    }
}

/// The learned optimizer (a model file's LSTM, unchanged) run on the filtered gradient.
final class FilteredLSTMState: OptimizerState {
    let inner: LSTMOptimizerState
    let filter: FilteredAdamState
    var count: Int { inner.count }
    var step: Int { inner.step }
    init(inner: LSTMOptimizerState, segments: [Int]) { self.inner = inner; filter = FilteredAdamState(segments: segments) }
}

struct FilteredLSTM: Optimizer {
    let lstm: LSTMOptimizer
    var terms: [Term]
    var name: String { "lstm" }
    func makeState(count: Int) -> FilteredLSTMState { makeState(segments: [count]) }
    func makeState(segments: [Int]) -> FilteredLSTMState {
        FilteredLSTMState(inner: lstm.makeState(segments: segments), segments: segments)
    }
    func update(gradient: UnsafePointer<Float>, delta: UnsafeMutablePointer<Float>, state: FilteredLSTMState) {
        FilteredAdam.filter(gradient, terms: terms, state: state.filter)
        state.filter.filtered.withUnsafeBufferPointer { lstm.update(gradient: $0.baseAddress!, delta: delta, state: state.inner) }
    }
}

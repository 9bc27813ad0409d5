// ADAM on a spatially filtered gradient: a probe of where the style loss's slow directions are
// (docs/TAIL.md). Built and run by scripts/high-pass-adam.sh; not part of the package.
//
// g' = g + Σ_k a_k·B_{r_k}(g), with B_r the mean over the (2r+1)×(2r+1) window of the same colour
// plane (clipped at the borders; a problem's parameters are a [3, s, s] planar image). a_k > 0
// amplifies smooth (low-frequency) changes of the picture, a_k < 0 damps them (a high-pass).
// ADAM (β 0.9 / 0.999) then runs on g' as on a gradient; every configuration is run at each of
// the rates and its best by the summed loss is kept, as `neural-art tune` picks a rate.
// A term `yuv:s` runs ADAM in the luminance/chroma basis instead (`Numerics.LumaChroma`'s C,
// written out here: it reads C·g, filtered, and moves θ by Cᵀ·diag(1, s, s)·Δ).
import Foundation
import MetaLearning
import NeuralArt

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
        let t = Double(state.step)
        let c1 = Float(1 - pow(0.9, t)), c2 = Float(1 - pow(0.999, t))
        for i in 0..<n {
            let g = state.filtered[i]
            state.m[i] = 0.9 * state.m[i] + 0.1 * g
            state.v[i] = 0.999 * state.v[i] + 0.001 * g * g
            delta[i] = -learningRate / c1 * state.m[i] / ((state.v[i] / c2).squareRoot() + 1e-8)
        }
        if let chroma { Self.rotate(delta, segments: state.segments, forward: false, chroma: chroma) }
    }
}


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
    var m: [Float], v: [Float], e: [Float], g: [Float]
    init(segments: [Int], pyramid: Pyramid) {
        self.segments = segments
        count = segments.reduce(0, +)
        extended = segments.map(pyramid.extended)
        let n = extended.reduce(0, +)
        m = .init(repeating: 0, count: n); v = m; e = m; g = .init(repeating: 0, count: count)
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
        let n = state.count
        state.g.withUnsafeMutableBufferPointer { gb in
            state.e.withUnsafeMutableBufferPointer { eb in
                let g = gb.baseAddress!, e = eb.baseAddress!
                g.update(from: gradient, count: n)
                if chroma != nil { FilteredAdam.rotate(g, segments: state.segments, forward: true) }
                pyramid.apply(g, e, segments: state.segments, analysis: true)
                let t = Double(state.step)
                let c1 = Float(1 - pow(0.9, t)), c2 = Float(1 - pow(0.999, t))
                for i in 0..<eb.count {
                    let x = e[i]
                    state.m[i] = 0.9 * state.m[i] + 0.1 * x
                    state.v[i] = 0.999 * state.v[i] + 0.001 * x * x
                    e[i] = -learningRate / c1 * state.m[i] / ((state.v[i] / c2).squareRoot() + 1e-8)
                }
                pyramid.apply(delta, e, segments: state.segments, analysis: false)
                if let chroma { FilteredAdam.rotate(delta, segments: state.segments, forward: false, chroma: chroma) }
            }
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
        let o = state.outer, n = o.count
        o.g.withUnsafeMutableBufferPointer { gb in
            o.e.withUnsafeMutableBufferPointer { eb in
                let g = gb.baseAddress!, e = eb.baseAddress!
                g.update(from: gradient, count: n)
                if chroma != nil { FilteredAdam.rotate(g, segments: o.segments, forward: true) }
                pyramid.apply(g, e, segments: o.segments, analysis: true)
                o.m.withUnsafeMutableBufferPointer { step in
                    lstm.update(gradient: UnsafePointer(e), delta: step.baseAddress!, state: state.inner)
                    pyramid.apply(delta, step.baseAddress!, segments: o.segments, analysis: false)
                }
                if let chroma { FilteredAdam.rotate(delta, segments: o.segments, forward: false, chroma: chroma) }
            }
        }
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


// Oracle mode: `high-pass-adam oracle <size> <problems> <model>`: how much a per-step global step
// scale (greedy, by trying α ∈ {0.5, 0.71, 1, 1.41, 2} on the true loss) and L-BFGS's curvature
// would buy, on the same problems as the filter probe.
func oracleRun<O: Optimizer>(_ optimizer: O, problem: any Problem, steps: Int, scales: [Float]) -> [Double] {
    let n = problem.parameterCount
    var theta = problem.initialParameters()
    var g = [Float](repeating: 0, count: n), d = [Float](repeating: 0, count: n), trial = theta
    let state = optimizer.makeState(segments: [n], imageShapes: [problem.imageShape])
    let s = problem.lossScale
    var curve = [Double(problem.lossAndGradient(at: theta, gradient: &g))]
    for _ in 0..<steps {
        for i in 0..<n { g[i] *= s }
        g.withUnsafeBufferPointer { gb in d.withUnsafeMutableBufferPointer { optimizer.update(gradient: gb.baseAddress!, delta: $0.baseAddress!, state: state) } }
        var best: (Float, [Float])? = nil
        var scratch = g
        for a in scales {
            for i in 0..<n { trial[i] = theta[i] + a * d[i]; if let b = problem.bounds { trial[i] = min(max(trial[i], b.lowerBound), b.upperBound) } }
            let f = scales.count == 1 ? 0 : problem.lossAndGradient(at: trial, gradient: &scratch)
            if best == nil || f < best!.0 { best = (f, trial) }
        }
        theta = best!.1
        curve.append(Double(problem.lossAndGradient(at: theta, gradient: &g)))
    }
    return curve
}

/// L-BFGS (memory 10) with a backtracking (Armijo) line search from step 1 (the first direction
/// scaled to a 0.05 max-norm move), the box handled by clamping the trial point; every loss and
/// gradient evaluation counts as a step (the curve holds the best loss after each evaluation).
func lbfgs(problem: any Problem, evaluations: Int, clamp: Bool = true, firstMove: Float = 0.05) -> [Double] {
    let n = problem.parameterCount
    var x = problem.initialParameters(), g = [Float](repeating: 0, count: n)
    var f = problem.lossAndGradient(at: x, gradient: &g)
    var curve = [Double(f)]
    var S: [[Float]] = [], Y: [[Float]] = []
    func dot(_ a: [Float], _ b: [Float]) -> Float { var s: Float = 0; for i in a.indices { s += a[i] * b[i] }; return s }
    var first = true
    while curve.count <= evaluations {
        // two-loop recursion
        var q = g
        var alphas: [Float] = []
        for k in stride(from: S.count - 1, through: 0, by: -1) {
            let rho = 1 / dot(Y[k], S[k]); let a = rho * dot(S[k], q); alphas.append(a)
            for i in 0..<n { q[i] -= a * Y[k][i] }
        }
        if let yl = Y.last, let sl = S.last { let gamma = dot(sl, yl) / dot(yl, yl); for i in 0..<n { q[i] *= gamma } }
        for (j, k) in S.indices.enumerated() {
            let rho = 1 / dot(Y[k], S[k]); let b = rho * dot(Y[k], q); let a = alphas[S.count - 1 - j]
            for i in 0..<n { q[i] += S[k][i] * (a - b) }
        }
        var dir = q.map { -$0 }
        if first { let m = dir.map(abs).max()!; dir = dir.map { $0 * firstMove / m }; first = false }
        let slope = dot(dir, g)
        var t: Float = 1
        var accepted = false
        var xn = x, gn = g, fn: Float = 0
        while curve.count <= evaluations {
            for i in 0..<n { xn[i] = clamp ? min(max(x[i] + t * dir[i], 0), 1) : x[i] + t * dir[i] }
            fn = problem.lossAndGradient(at: xn, gradient: &gn)
            curve.append(Double(min(fn, Float(curve.last!))))
            if fn <= f + 1e-4 * t * slope { accepted = true; break }
            t *= 0.5
        }
        if !accepted { break }
        let sv = (0..<n).map { xn[$0] - x[$0] }, yv = (0..<n).map { gn[$0] - g[$0] }
        if dot(sv, yv) > 1e-10 { S.append(sv); Y.append(yv); if S.count > 10 { S.removeFirst(); Y.removeFirst() } }
        x = xn; g = gn; f = fn
    }
    return Array(curve.prefix(evaluations + 1))
}

if CommandLine.arguments.count == 5 && CommandLine.arguments[1] == "oracle" {
    let size = Int(CommandLine.arguments[2])!, count = Int(CommandLine.arguments[3])!
    let distribution = try StyleDistribution.load(families: [.cells, .marble, .stripes, .strokes, .wash, .bundled],
                                                  heldOut: [], sizes: size...size)
    let task = try StyleTask.load(distribution: distribution)
    let problems = (0..<count).map { task.makeProblem(split: .validation, index: $0) }
    let model = try ModelFile.load(path: CommandLine.arguments[4])
    let lstm = LSTMOptimizer(configuration: model.configuration, weights: model.weights)
    let steps = 128
    func mean(_ curves: [[Double]]) -> [Double] { (0...steps).map { t in curves.map { $0[t] }.reduce(0, +) / Double(curves.count) } }
    var reference: Double? = nil
    func report(_ name: String, _ c: [Double]) {
        if reference == nil { reference = c[steps] }
        let reach = (1...steps).first { c[$0] <= reference! }.map(String.init) ?? "never"
        print(name.padding(toLength: 16, withPad: " ", startingAt: 0) + String(format: "%7.3f  %7.4f  %7.4f  %7.4f  %8.4f  %@", c[1], c[16], c[32], c[64], c[steps], reach as NSString))
        fflush(stdout)
    }
    print("config           step 1  step 16  step 32  step 64  step 128  reaches plain ADAM's final")
    let line: [Float] = [0.5, 0.71, 1, 1.41, 2]
    report("adam 0.068", mean(problems.map { oracleRun(Adam(learningRate: 0.068), problem: $0, steps: steps, scales: [1]) }))
    report("adam greedy α", mean(problems.map { oracleRun(Adam(learningRate: 0.068), problem: $0, steps: steps, scales: line) }))
    report("lstm", mean(problems.map { oracleRun(lstm, problem: $0, steps: steps, scales: [1]) }))
    if ProcessInfo.processInfo.environment["ORACLE_LBFGS"] != nil {
        report("l-bfgs 0.02", mean(problems.map { lbfgs(problem: $0, evaluations: steps, firstMove: 0.02) }))
        report("l-bfgs no box", mean(problems.map { lbfgs(problem: $0, evaluations: steps, clamp: false) }))
        exit(0)
    }
    report("lstm greedy α", mean(problems.map { oracleRun(lstm, problem: $0, steps: steps, scales: line) }))
    report("l-bfgs (evals)", mean(problems.map { lbfgs(problem: $0, evaluations: steps) }))
    report("l-bfgs 0.02", mean(problems.map { lbfgs(problem: $0, evaluations: steps, firstMove: 0.02) }))
    report("l-bfgs no box", mean(problems.map { lbfgs(problem: $0, evaluations: steps, clamp: false) }))
    exit(0)
}


// Step-1 probe: `high-pass-adam step1 <size> <problems> <model>`: per problem, from the photo and
// from the palette, the smooth fraction ρ = RMS(B₁₆(g))/RMS(g) of the first gradient and the loss
// after the model's first step scaled by α.
if CommandLine.arguments.count == 5 && CommandLine.arguments[1] == "step1" {
    let size = Int(CommandLine.arguments[2])!, count = Int(CommandLine.arguments[3])!
    let model = try ModelFile.load(path: CommandLine.arguments[4])
    let lstm = LSTMOptimizer(configuration: model.configuration, weights: model.weights)
    let alphas: [Float] = [0.35, 0.5, 0.71, 1, 1.41]
    for start in [0.0, 1.0] {
        let distribution = try StyleDistribution.load(families: [.cells, .marble, .stripes, .strokes, .wash, .bundled],
                                                      heldOut: [], sizes: size...size)
        let task = try StyleTask.load(distribution: distribution, paletteStart: start)
        print(start == 0 ? "from the photo" : "from the palette")
        print("problem  ρ       loss0    " + alphas.map { String(format: "α=%-7.2f", $0) }.joined(separator: " "))
        var sums = [Double](repeating: 0, count: alphas.count)
        for k in 0..<count {
            let problem = task.makeProblem(split: .validation, index: k)
            let n = problem.parameterCount
            let theta = problem.initialParameters()
            var g = [Float](repeating: 0, count: n)
            let f0 = problem.lossAndGradient(at: theta, gradient: &g)
            let side = Int(Double(n / 3).squareRoot().rounded())
            var b = [Float](repeating: 0, count: n), t = [Float](repeating: 0, count: side * side)
            g.withUnsafeBufferPointer { gp in b.withUnsafeMutableBufferPointer { bp in t.withUnsafeMutableBufferPointer { tp in
                for plane in 0..<3 { FilteredAdam.boxMean(gp.baseAddress! + plane * side * side, bp.baseAddress! + plane * side * side, tp.baseAddress!, side: side, radius: 16) }
            } } }
            let rho = (b.reduce(0) { $0 + Double($1 * $1) } / g.reduce(0) { $0 + Double($1 * $1) }).squareRoot()
            let state = lstm.makeState(segments: [n], imageShapes: [problem.imageShape])
            var d = [Float](repeating: 0, count: n)
            let sg = g.map { $0 * problem.lossScale }
            sg.withUnsafeBufferPointer { gp in d.withUnsafeMutableBufferPointer { lstm.update(gradient: gp.baseAddress!, delta: $0.baseAddress!, state: state) } }
            var line = String(format: "%7d  %.3f  %7.3f  ", k, rho, f0)
            for (i, a) in alphas.enumerated() {
                var trial = theta
                for j in 0..<n { trial[j] = min(max(theta[j] + a * d[j], 0), 1) }
                var scratch = g
                let f = problem.lossAndGradient(at: trial, gradient: &scratch)
                sums[i] += Double(f)
                line += String(format: "%8.3f  ", f)
            }
            print(line); fflush(stdout)
        }
        print("mean                     " + sums.map { String(format: "%8.3f  ", $0 / Double(count)) }.joined())
    }
    exit(0)
}


// First-step probe: `high-pass-adam first <size> <problems> <model>`: the model's first step
// scaled by α₁ (later steps as they are), from the photo and from the palette.
if CommandLine.arguments.count == 5 && CommandLine.arguments[1] == "first" {
    let size = Int(CommandLine.arguments[2])!, count = Int(CommandLine.arguments[3])!
    let model = try ModelFile.load(path: CommandLine.arguments[4])
    let lstm = LSTMOptimizer(configuration: model.configuration, weights: model.weights)
    let steps = 128
    for start in [0.0, 1.0] {
        let distribution = try StyleDistribution.load(families: [.cells, .marble, .stripes, .strokes, .wash, .bundled],
                                                      heldOut: [], sizes: size...size)
        let task = try StyleTask.load(distribution: distribution, paletteStart: start)
        let problems = (0..<count).map { task.makeProblem(split: .validation, index: $0) }
        print(start == 0 ? "from the photo" : "from the palette")
        print("α₁      step 1  step 4  step 16  step 32  step 64  step 128")
        for a1 in [Float(0.35), 0.5, 0.71, 1, 1.41] {
            var mean = [Double](repeating: 0, count: steps + 1)
            var criterion = 0.0  // meta-training's: Σ_{t ≤ 80} (1 + 32/t)·log f_t, mean over problems
            for problem in problems {
                let n = problem.parameterCount
                var theta = problem.initialParameters(), g = [Float](repeating: 0, count: n), d = g
                let state = lstm.makeState(segments: [n], imageShapes: [problem.imageShape])
                mean[0] += Double(problem.lossAndGradient(at: theta, gradient: &g)) / Double(count)
                for t in 1...steps {
                    let sg = g.map { $0 * problem.lossScale }
                    sg.withUnsafeBufferPointer { gp in d.withUnsafeMutableBufferPointer { lstm.update(gradient: gp.baseAddress!, delta: $0.baseAddress!, state: state) } }
                    let a: Float = t == 1 ? a1 : 1
                    for j in 0..<n { theta[j] = min(max(theta[j] + a * d[j], 0), 1) }
                    let f = Double(problem.lossAndGradient(at: theta, gradient: &g))
                    mean[t] += f / Double(count)
                    if t <= 80 { criterion += (1 + 32 / Double(t)) * log(max(f, 1e-30)) / Double(count) }
                }
            }
            print(String(format: "%4.2f  %7.3f %7.4f %8.4f %8.4f %8.4f %8.4f   criterion %9.3f", a1, mean[1], mean[4], mean[16], mean[32], mean[64], mean[128], criterion))
            fflush(stdout)
        }
    }
    exit(0)
}


// First-step rule: `high-pass-adam rule <size> <problems> <model>`: the model's first step scaled by
// α₁ = exp(c₀ + c₁·(2ρ − 1)), ρ = RMS(B₁₆(g))/RMS(g) of the problem's first gradient. (c₀, c₁) is
// chosen on a grid by meta-training's criterion (Σ_{t ≤ 80} (1 + 32/t)·log f_t) on the training
// families' validation problems from both starts, then checked on the held-out families' test
// problems (the any-style reports' problems) from each start.
func firstStepRun(_ lstm: LSTMOptimizer, _ problem: any Problem, steps: Int, c0: Double, c1: Double) -> [Double] {
    let n = problem.parameterCount
    var theta = problem.initialParameters(), g = [Float](repeating: 0, count: n), d = g
    let state = lstm.makeState(segments: [n], imageShapes: [problem.imageShape])
    var curve = [Double(problem.lossAndGradient(at: theta, gradient: &g))]
    let side = Int(Double(n / 3).squareRoot().rounded())
    var b = [Float](repeating: 0, count: n), t = [Float](repeating: 0, count: side * side)
    g.withUnsafeBufferPointer { gp in b.withUnsafeMutableBufferPointer { bp in t.withUnsafeMutableBufferPointer { tp in
        for plane in 0..<3 { FilteredAdam.boxMean(gp.baseAddress! + plane * side * side, bp.baseAddress! + plane * side * side, tp.baseAddress!, side: side, radius: 16) }
    } } }
    let rho = (b.reduce(0) { $0 + Double($1 * $1) } / max(1e-30, g.reduce(0) { $0 + Double($1 * $1) })).squareRoot()
    let a1 = Float(exp(c0 + c1 * (2 * rho - 1)))
    for step in 1...steps {
        let sg = g.map { $0 * problem.lossScale }
        sg.withUnsafeBufferPointer { gp in d.withUnsafeMutableBufferPointer { lstm.update(gradient: gp.baseAddress!, delta: $0.baseAddress!, state: state) } }
        let a: Float = step == 1 ? a1 : 1
        for j in 0..<n { theta[j] = min(max(theta[j] + a * d[j], 0), 1) }
        curve.append(Double(problem.lossAndGradient(at: theta, gradient: &g)))
    }
    return curve
}
if CommandLine.arguments.count == 5 && CommandLine.arguments[1] == "rule" {
    let size = Int(CommandLine.arguments[2])!, count = Int(CommandLine.arguments[3])!
    let model = try ModelFile.load(path: CommandLine.arguments[4])
    let lstm = LSTMOptimizer(configuration: model.configuration, weights: model.weights)
    func problems(_ families: [StyleFamily], split: Split, start: Double) throws -> [any Problem] {
        let distribution = try StyleDistribution.load(families: families, heldOut: [], sizes: size...size)
        let task = try StyleTask.load(distribution: distribution, paletteStart: start)
        return (0..<count).map { task.makeProblem(split: split, index: $0) }
    }
    let training: [StyleFamily] = [.cells, .marble, .stripes, .strokes, .wash, .bundled]
    let fit = try problems(training, split: .validation, start: 0) + problems(training, split: .validation, start: 1)
    func criterion(_ c: [Double]) -> Double { (1...80).reduce(0) { $0 + (1 + 32 / Double($1)) * log(max(c[$1], 1e-30)) } }
    var best = (c0: 0.0, c1: 0.0, value: Double.infinity)
    let env = ProcessInfo.processInfo.environment
    if let c0 = env["RULE_C0"].flatMap(Double.init), let c1 = env["RULE_C1"].flatMap(Double.init) { best = (c0, c1, 0) }
    else { print("c0     c1     criterion (mean over \(fit.count) validation problems, both starts)") }
    for c0 in best.value == 0 ? [] : [-0.75, -0.5, -0.25, 0] {
        for c1 in [0.0, 0.5, 1, 1.5] {
            let v = fit.map { criterion(firstStepRun(lstm, $0, steps: 80, c0: c0, c1: c1)) }.reduce(0, +) / Double(fit.count)
            print(String(format: "%5.2f  %5.2f  %9.3f", c0, c1, v)); fflush(stdout)
            if v < best.value { best = (c0, c1, v) }
        }
    }
    print(String(format: "best c0 %.2f c1 %.2f", best.c0, best.c1))
    let heldOut: [StyleFamily] = [.dots, .mosaic, .crackle, .ripples, .plaid, .contours, .facets, .truchet, .drips, .camo, .impasto, .whirls]
    for start in [0.0, 1.0] {
        let test = try problems(heldOut, split: .test, start: start)
        print("held-out families' test problems from the " + (start == 0 ? "photo" : "palette") + ": mean loss at step 1 / 4 / 16 / 32 / 64 / 128")
        for (name, c0, c1) in [("as shipped", 0.0, 0.0), ("with the rule", best.c0, best.c1)] {
            let curves = test.map { firstStepRun(lstm, $0, steps: 128, c0: c0, c1: c1) }
            let m = (0...128).map { t in curves.map { $0[t] }.reduce(0, +) / Double(curves.count) }
            print(name.padding(toLength: 14, withPad: " ", startingAt: 0) + String(format: "%8.4f %8.4f %8.4f %8.4f %8.4f %8.4f", m[1], m[4], m[16], m[32], m[64], m[128]))
            fflush(stdout)
        }
    }
    exit(0)
}

// Arguments: size problems "name=r:a,r:a;name=…" rates (comma-separated) [model]. The first
// configuration is the reference whose best final loss the others must reach. With a model
// file, its learned optimizer (weights unchanged) also runs on each filtered gradient.
let arguments = CommandLine.arguments
guard arguments.count == 5 || arguments.count == 6, let size = Int(arguments[1]), let count = Int(arguments[2]) else {
    print("usage: high-pass-adam <size> <problems> <name=radius:gain,…;…> <rate,rate,…> [model.lstm]"); exit(2)
}
typealias Term = (radius: Int, gain: Float)
/// "name" or "name=radius:gain,radius:gain".
func configuration(_ text: Substring) -> (name: String, terms: [Term], chroma: Float?, pyramid: Pyramid?) {
    let parts = text.split(separator: "=", maxSplits: 1)
    var terms: [Term] = []
    var chroma: Float? = nil
    var pyramid: Pyramid? = nil
    if parts.count == 2 {
        for t in parts[1].split(separator: ",") {
            if t.hasPrefix("yuv:") { chroma = Float(t.dropFirst(4)); continue }
            if t.hasPrefix("pyr:") {
                let f = t.split(separator: ":")
                guard f.count == 3, let l = Int(f[1]), let d = Float(f[2]) else { print("bad pyr term"); exit(2) }
                pyramid = Pyramid(levels: l, decay: d); continue
            }
            let rg = t.split(separator: ":")
            guard rg.count == 2, let r = Int(rg[0]), let a = Float(rg[1]), r >= 0 else {
                print("high-pass-adam: bad term '\(t)' (radius:gain)"); exit(2)
            }
            terms.append((r, a))
        }
    }
    return (String(parts[0]), terms, chroma, pyramid)
}
let configurations = arguments[3].split(separator: ";").map(configuration)
let rates = arguments[4].split(separator: ",").compactMap { Float($0) }
// The training families' validation problems at one crop size, from the photo (as the README's
// calibrate and tune diagnostics).
let distribution = try StyleDistribution.load(families: [.cells, .marble, .stripes, .strokes, .wash, .bundled],
                                              heldOut: [], sizes: size...size)
let task = try StyleTask.load(distribution: distribution)
let problems = (0..<count).map { task.makeProblem(split: .validation, index: $0) }
let steps = 128
print("size \(size) px, \(count) validation problems of the training families, \(steps) steps; best rate of \(rates) by summed loss")
print("config          lr      step 1  step 16  step 32  step 64  step 128  reaches ref's final")
var reference: Double? = nil
for (name, terms, chroma, pyramid) in configurations {
    var best: (rate: Float, curve: [Double], sum: Double)? = nil
    for rate in rates {
        let curve = pyramid.map { Evaluator.meanLossCurve(PyramidAdam(learningRate: rate, pyramid: $0, chroma: chroma), problems: problems, steps: steps) }
            ?? Evaluator.meanLossCurve(FilteredAdam(learningRate: rate, terms: terms, chroma: chroma), problems: problems, steps: steps)
        let sum = curve.dropFirst().reduce(0, +)
        if sum.isFinite, best == nil || sum < best!.sum { best = (rate, curve, sum) }
    }
    guard let b = best else { print("\(name): diverged at every rate"); continue }
    let c = b.curve
    if reference == nil { reference = c[steps] }
    let reach = (1...steps).first { c[$0] <= reference! }.map(String.init) ?? "never"
    print(name.padding(toLength: 14, withPad: " ", startingAt: 0) + String(format: " %6.3f  %7.3f  %7.4f  %7.4f  %7.4f  %8.4f  %@", b.rate, c[1], c[16], c[32], c[64], c[steps],
                 reach as NSString))
    fflush(stdout)
}
if arguments.count == 6 {
    let model = try ModelFile.load(path: arguments[5])
    let lstm = LSTMOptimizer(configuration: model.configuration, weights: model.weights)
    print("the learned optimizer of \(arguments[5]) on the filtered gradient:")
    for (name, terms, chroma, pyramid) in configurations {
        let c = pyramid.map { Evaluator.meanLossCurve(PyramidLSTM(lstm: lstm, pyramid: $0, chroma: chroma), problems: problems, steps: steps) }
            ?? Evaluator.meanLossCurve(FilteredLSTM(lstm: lstm, terms: terms), problems: problems, steps: steps)
        let reach = (1...steps).first { c[$0] <= reference! }.map(String.init) ?? "never"
        print(("lstm " + name).padding(toLength: 14, withPad: " ", startingAt: 0) + String(format: "      -  %7.3f  %7.4f  %7.4f  %7.4f  %8.4f  %@",
              c[1], c[16], c[32], c[64], c[steps], reach as NSString))
        fflush(stdout)
    }
}

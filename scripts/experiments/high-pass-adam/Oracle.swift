import Foundation
import MetaLearning
import NeuralArt

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

func runOracle() throws {
    let (size, count, lstm) = try probeArguments()
    let problems = try probeProblems(size: size, count: count)
    let steps = 128
    let mean = meanCurve
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
    report("lstm evaluator", Evaluator.meanLossCurve(lstm, problems: problems, steps: steps))  // the same curve
    if ProcessInfo.processInfo.environment["ORACLE_LBFGS"] != nil {
        report("l-bfgs 0.02", mean(problems.map { lbfgs(problem: $0, evaluations: steps, firstMove: 0.02) }))
        report("l-bfgs no box", mean(problems.map { lbfgs(problem: $0, evaluations: steps, clamp: false) }))
        return
    }
    report("lstm greedy α", mean(problems.map { oracleRun(lstm, problem: $0, steps: steps, scales: line) }))
    report("l-bfgs (evals)", mean(problems.map { lbfgs(problem: $0, evaluations: steps) }))
    report("l-bfgs 0.02", mean(problems.map { lbfgs(problem: $0, evaluations: steps, firstMove: 0.02) }))
    report("l-bfgs no box", mean(problems.map { lbfgs(problem: $0, evaluations: steps, clamp: false) }))
}

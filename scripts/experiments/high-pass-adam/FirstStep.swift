// Probes of the learned optimizer's first step (docs/TAIL.md section 8; see main.swift).
import Foundation
import MetaLearning
import NeuralArt

/// ρ = RMS(B₁₆(g))/RMS(g) of a [3, s, s] gradient: how much of it is smooth.
func smoothFraction(_ g: [Float]) -> Double {
    let n = g.count, side = Int(Double(n / 3).squareRoot().rounded())
    var b = [Float](repeating: 0, count: n), t = [Float](repeating: 0, count: side * side)
    g.withUnsafeBufferPointer { gp in b.withUnsafeMutableBufferPointer { bp in t.withUnsafeMutableBufferPointer { tp in
        for plane in 0..<3 {
            FilteredAdam.boxMean(gp.baseAddress! + plane * side * side, bp.baseAddress! + plane * side * side, tp.baseAddress!,
                                 side: side, radius: 16)
        }
    } } }
    return (b.reduce(0) { $0 + Double($1 * $1) } / max(1e-30, g.reduce(0) { $0 + Double($1 * $1) })).squareRoot()
}

/// The model's step Δ for the scaled gradient `g` (the state advanced).
func learnedStep(_ lstm: LSTMOptimizer, _ g: [Float], scale: Float, state: LSTMOptimizerState) -> [Float] {
    var d = [Float](repeating: 0, count: g.count)
    let sg = g.map { $0 * scale }
    sg.withUnsafeBufferPointer { gp in d.withUnsafeMutableBufferPointer { lstm.update(gradient: gp.baseAddress!, delta: $0.baseAddress!, state: state) } }
    return d
}

/// The loss curve (index 0: the start) of the model on `problem` with its first step scaled by
/// `firstScale(ρ)`, ρ the smooth fraction of the first gradient; the pixels clamped to [0, 1].
func firstStepRun(_ lstm: LSTMOptimizer, _ problem: any Problem, steps: Int, firstScale: (Double) -> Float) -> [Double] {
    let n = problem.parameterCount
    var theta = problem.initialParameters(), g = [Float](repeating: 0, count: n)
    let state = lstm.makeState(segments: [n], imageShapes: [problem.imageShape])
    var curve = [Double(problem.lossAndGradient(at: theta, gradient: &g))]
    let a1 = firstScale(smoothFraction(g))
    for step in 1...steps {
        let d = learnedStep(lstm, g, scale: problem.lossScale, state: state), a: Float = step == 1 ? a1 : 1
        for j in 0..<n { theta[j] = min(max(theta[j] + a * d[j], 0), 1) }
        curve.append(Double(problem.lossAndGradient(at: theta, gradient: &g)))
    }
    return curve
}

/// Meta-training's validation criterion of one curve: Σ_{t ≤ 80} (1 + 32/t)·log f_t.
func criterion(_ c: [Double]) -> Double { (1...80).reduce(0) { $0 + (1 + 32 / Double($1)) * log(max(c[$1], 1e-30)) } }

/// The mean of equally long curves, step by step.
func meanCurve(_ curves: [[Double]]) -> [Double] {
    (0..<curves[0].count).map { t in curves.map { $0[t] }.reduce(0, +) / Double(curves.count) }
}

// `step1`: per problem, from the photo and from the palette, the smooth fraction of the first
// gradient and the loss after the model's first step scaled by α.
func runStep1() throws {
    let (size, count, lstm) = try probeArguments()
    let alphas: [Float] = [0.35, 0.5, 0.71, 1, 1.41]
    for start in [0.0, 1.0] {
        print(start == 0 ? "from the photo" : "from the palette")
        print("problem  ρ       loss0    " + alphas.map { String(format: "α=%-7.2f", $0) }.joined(separator: " "))
        var sums = [Double](repeating: 0, count: alphas.count)
        for (k, problem) in try probeProblems(size: size, count: count, paletteStart: start).enumerated() {
            let n = problem.parameterCount, theta = problem.initialParameters()
            var g = [Float](repeating: 0, count: n)
            let f0 = problem.lossAndGradient(at: theta, gradient: &g)
            let d = learnedStep(lstm, g, scale: problem.lossScale,
                                state: lstm.makeState(segments: [n], imageShapes: [problem.imageShape]))
            var line = String(format: "%7d  %.3f  %7.3f  ", k, smoothFraction(g), f0)
            for (i, a) in alphas.enumerated() {
                let trial = (0..<n).map { min(max(theta[$0] + a * d[$0], 0), 1) }
                var scratch = g
                let f = problem.lossAndGradient(at: trial, gradient: &scratch)
                sums[i] += Double(f)
                line += String(format: "%8.3f  ", f)
            }
            print(line); fflush(stdout)
        }
        print("mean                     " + sums.map { String(format: "%8.3f  ", $0 / Double(count)) }.joined())
    }
}

// `first`: the model's first step scaled by α₁ (later steps as they are), from the photo and from
// the palette: mean curves and meta-training's criterion.
func runFirst() throws {
    let (size, count, lstm) = try probeArguments()
    for start in [0.0, 1.0] {
        let problems = try probeProblems(size: size, count: count, paletteStart: start)
        print(start == 0 ? "from the photo" : "from the palette")
        print("α₁      step 1  step 4  step 16  step 32  step 64  step 128")
        for a1 in [Float(0.35), 0.5, 0.71, 1, 1.41] {
            let curves = problems.map { firstStepRun(lstm, $0, steps: 128, firstScale: { _ in a1 }) }
            let m = meanCurve(curves), c = curves.map(criterion).reduce(0, +) / Double(count)
            print(String(format: "%4.2f  %7.3f %7.4f %8.4f %8.4f %8.4f %8.4f   criterion %9.3f", a1, m[1], m[4], m[16], m[32], m[64], m[128], c))
            fflush(stdout)
        }
    }
}

// `rule`: the model's first step scaled by α₁ = exp(c₀ + c₁·(2ρ − 1)). (c₀, c₁) is chosen on a
// grid by meta-training's criterion on the training families' validation problems from both
// starts (or given: RULE_C0, RULE_C1), then checked on the held-out families' test problems (the
// any-style reports' problems) from each start.
func runRule() throws {
    let (size, count, lstm) = try probeArguments()
    func rule(_ c0: Double, _ c1: Double) -> (Double) -> Float { { rho in Float(exp(c0 + c1 * (2 * rho - 1))) } }
    var best = (c0: 0.0, c1: 0.0)
    let env = ProcessInfo.processInfo.environment
    if let c0 = env["RULE_C0"].flatMap(Double.init), let c1 = env["RULE_C1"].flatMap(Double.init) {
        best = (c0, c1)
    } else {
        let fit = try probeProblems(size: size, count: count, paletteStart: 0) + probeProblems(size: size, count: count, paletteStart: 1)
        print("c0     c1     criterion (mean over \(fit.count) validation problems, both starts)")
        var bestValue = Double.infinity
        for c0 in [-0.75, -0.5, -0.25, 0] {
            for c1 in [0.0, 0.5, 1, 1.5] {
                let v = fit.map { criterion(firstStepRun(lstm, $0, steps: 80, firstScale: rule(c0, c1))) }.reduce(0, +) / Double(fit.count)
                print(String(format: "%5.2f  %5.2f  %9.3f", c0, c1, v)); fflush(stdout)
                if v < bestValue { best = (c0, c1); bestValue = v }
            }
        }
    }
    print(String(format: "best c0 %.2f c1 %.2f", best.c0, best.c1))
    for start in [0.0, 1.0] {
        let test = try probeProblems(size: size, count: count, families: heldOutFamilies, split: .test, paletteStart: start)
        print("held-out families' test problems from the " + (start == 0 ? "photo" : "palette") + ": mean loss at step 1 / 4 / 16 / 32 / 64 / 128")
        for (name, c0, c1) in [("as shipped", 0.0, 0.0), ("with the rule", best.c0, best.c1)] {
            let m = meanCurve(test.map { firstStepRun(lstm, $0, steps: 128, firstScale: rule(c0, c1)) })
            print(name.padding(toLength: 14, withPad: " ", startingAt: 0) + String(format: "%8.4f %8.4f %8.4f %8.4f %8.4f %8.4f", m[1], m[4], m[16], m[32], m[64], m[128]))
            fflush(stdout)
        }
    }
}

import Foundation
import MetaLearning
import NeuralArt

// Step-1 probe: `high-pass-adam step1 <size> <problems> <model>`: per problem, from the photo and
// from the palette, the smooth fraction ρ = RMS(B₁₆(g))/RMS(g) of the first gradient and the loss
// after the model's first step scaled by α.
func runStep1() throws {
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
}


// First-step probe: `high-pass-adam first <size> <problems> <model>`: the model's first step
// scaled by α₁ (later steps as they are), from the photo and from the palette.
func runFirst() throws {
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
func runRule() throws {
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
}

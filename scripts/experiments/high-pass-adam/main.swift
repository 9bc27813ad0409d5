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
//
// Other modes (docs/TAIL.md sections 7 and 8), each `<mode> <size> <problems> <model>`:
//   oracle  ADAM and the model with a greedy line-search oracle on their step size, and L-BFGS
//   step1   per problem, the smooth fraction of the first gradient and the loss after the
//           model's first step scaled by α
//   first   the model's first step scaled by α₁, the rest as they are (mean curves)
//   rule    a per-problem first-step scale fitted by meta-training's criterion, checked on
//           the held-out families
import Foundation
import MetaLearning
import NeuralArt

if CommandLine.arguments.count == 5, let run = ["oracle": runOracle, "step1": runStep1, "first": runFirst,
                                                "rule": runRule][CommandLine.arguments[1]] {
    try run()
    exit(0)
}

// Arguments: size problems "name=r:a,r:a;name=…" rates (comma-separated) [model]. The first
// configuration is the reference whose best final loss the others must reach. With a model
// file, its learned optimizer (weights unchanged) also runs on each filtered gradient.
let arguments = CommandLine.arguments
guard arguments.count == 5 || arguments.count == 6, let size = Int(arguments[1]), let count = Int(arguments[2]) else {
    print("usage: high-pass-adam <size> <problems> <name=radius:gain,…;…> <rate,rate,…> [model.lstm]"); exit(2)
}
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
let problems = try probeProblems(size: size, count: count)
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
    let lstm = try loadLearnedOptimizer(arguments[5])
    guard lstm.configuration.inputs.highPass == nil else {
        print("high-pass-adam: \(arguments[5]) filters its gradient itself; give a model without a high-pass (e.g. stage 5)")
        exit(2)
    }
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

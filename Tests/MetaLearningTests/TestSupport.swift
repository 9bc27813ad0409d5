import Foundation
import XCTest
@testable import MetaLearning
import Numerics

/// A small dense quadratic f(θ) = ‖Wθ − y‖² with optional bounds and loss scale, with an exact
/// Double evaluation for reference computations.
final class TestQuadratic: Problem {
    let d: Int
    let w: [Double], y: [Double], theta0: [Float]
    let bounds: ClosedRange<Float>?
    let lossScale: Float
    var calls = 0

    init(dimension d: Int, seed: UInt64, bounds: ClosedRange<Float>? = nil, lossScale: Float = 1, thetaStd: Double = 0.3) {
        var g = SeededGenerator(seed: seed)
        self.d = d
        w = (0..<(d * d)).map { _ in g.nextNormal() }
        y = (0..<d).map { _ in g.nextNormal() }
        theta0 = (0..<d).map { _ in Float(thetaStd * g.nextNormal()) }
        self.bounds = bounds
        self.lossScale = lossScale
    }

    var parameterCount: Int { d }
    func initialParameters() -> [Float] { theta0 }
    /// θ seen as images (for the high-pass input); nil: flat.
    var shape: ImageShape?
    var imageShape: ImageShape? { shape }

    func lossAndGradient(at theta: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>) -> Float {
        calls += 1
        let t = (0..<d).map { Double(theta[$0]) }
        let (f, g) = lossAndGradient(t)
        for j in 0..<d { gradient[j] = Float(g[j]) }
        return Float(f)
    }

    func enableReplay() -> Bool { true }
    func replayLossAndGradient(call: Int, at theta: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>) -> Float {
        let (f, g) = lossAndGradient((0..<d).map { Double(theta[$0]) })
        for j in 0..<d { gradient[j] = Float(g[j]) }
        return Float(f)
    }

    func lossAndGradient(_ t: [Double]) -> (Double, [Double]) {
        var f = 0.0
        var g = [Double](repeating: 0, count: d)
        for i in 0..<d {
            var r = -y[i]
            for j in 0..<d { r += w[i * d + j] * t[j] }
            f += r * r
            for j in 0..<d { g[j] += 2 * r * w[i * d + j] }
        }
        return (f, g)
    }
}

/// A straightforward Double implementation of the LSTM optimizer's math, written independently
/// of the Float kernels (naive loops, coordinate by coordinate), for reference values.
struct ReferenceLSTM {
    let config: LSTMConfiguration
    var L: LSTMLayout { config.layout }

    struct State {
        var h: [[[Double]]]  // [layer][coordinate][unit]
        var c: [[[Double]]]
        var m: [Double], v: [Double]
        /// Momentum averages: [decay][coordinate].
        var momenta: [[Double]] = []
        var step = 0
    }

    func zeroState(_ n: Int) -> State {
        let z = [[Double]](repeating: [Double](repeating: 0, count: L.hidden), count: n)
        return State(h: Array(repeating: z, count: L.layers), c: Array(repeating: z, count: L.layers),
                     m: [Double](repeating: 0, count: n), v: [Double](repeating: 0, count: n),
                     momenta: config.inputs.momentumDecays.map { _ in [Double](repeating: 0, count: n) })
    }

    static func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }

    /// Input features of every coordinate (advances the RMS moments); `localMean` is the local
    /// mean of the unfiltered gradient (for `InputFeatures.localMean`).
    /// `globalRMS`: each coordinate's problem's RMS of g (for `InputFeatures.globalRMS`);
    /// `smooth`: each coordinate's problem's 2ρ − 1 (for `InputFeatures.smoothFraction`).
    func features(_ g: [Double], _ s: inout State, localMean: [Double]? = nil, globalRMS: [Double]? = nil,
                  smooth: [Double]? = nil) -> [[Double]] {
        let f = config.inputs
        s.step += 1
        let p = Double(f.p)
        func logSign(_ g: Double) -> [Double] {
            abs(g) >= Foundation.exp(-p) ? [Foundation.log(abs(g)) / p, g > 0 ? 1 : -1] : [-1, Foundation.exp(p) * g]
        }
        return g.indices.map { n in
            var x: [Double] = []
            switch f.gradient {
            case .logSign:
                x += logSign(g[n])
            case .raw:
                x.append(g[n])
            }
            if f.rmsInputs {
                let b = Double(f.rmsDecay), clip = Double(f.rmsClip)
                s.m[n] = b * s.m[n] + (1 - b) * g[n]
                s.v[n] = b * s.v[n] + (1 - b) * g[n] * g[n]
                let corr = 1 - Foundation.pow(b, Double(s.step))
                let rms = (s.v[n] / corr).squareRoot() + 1e-30
                x += [min(clip, max(-clip, g[n] / rms)), min(clip, max(-clip, s.m[n] / corr / rms))]
            }
            for (k, decay) in f.momentumDecays.enumerated() {
                let b = Double(decay)
                s.momenta[k][n] = b * s.momenta[k][n] + (1 - b) * g[n]
                x += logSign(s.momenta[k][n] / (1 - Foundation.pow(b, Double(s.step))))
            }
            if f.localMean, let localMean {
                let clip = Double(f.rmsClip), corr = 1 - Foundation.pow(Double(f.rmsDecay), Double(s.step))
                x.append(min(clip, max(-clip, localMean[n] / ((s.v[n] / corr).squareRoot() + 1e-30))))
            }
            if f.globalRMS, let globalRMS {
                let clip = Double(f.rmsClip)
                x.append(min(clip, max(-clip, g[n] / (globalRMS[n] + 1e-30))))
            }
            if f.smoothFraction, let smooth { x.append(Double(f.rmsClip) * smooth[n]) }
            return x
        }
    }

    /// x with the shared units' inputs appended (`InputFeatures.sharedUnits` K): for each
    /// coordinate, the means over its problem (`offsets`) of the top layer's first K hidden
    /// units in `s` (the state before the step).
    func appendingSharedUnits(_ x: [[Double]], _ s: State, offsets o: [Int]) -> [[Double]] {
        let K = config.inputs.sharedUnits
        guard K > 0 else { return x }
        var out = x
        for p in 0..<(o.count - 1) {
            let means = (0..<K).map { k in (o[p]..<o[p + 1]).map { s.h[L.layers - 1][$0][k] }.reduce(0, +) / Double(o[p + 1] - o[p]) }
            for n in o[p]..<o[p + 1] { out[n] += means }
        }
        return out
    }

    /// Δ for every coordinate from given input features (advances h, c).
    func step(_ x: [[Double]], _ s: inout State, _ w: [Double]) -> [Double] {
        let H = L.hidden
        var out = [Double](repeating: 0, count: x.count)
        for n in x.indices {
            var input = x[n]
            for l in 0..<L.layers {
                let cols = L.columns(layer: l), off = L.weightOffset(layer: l)
                let xh = input + s.h[l][n] + [1]
                var z = [Double](repeating: 0, count: 4 * H)
                for r in 0..<(4 * H) { for k in 0..<cols { z[r] += w[off + r * cols + k] * xh[k] } }
                for j in 0..<H {
                    let i = Self.sigmoid(z[j]), f = Self.sigmoid(z[H + j])
                    let g = Foundation.tanh(z[2 * H + j]), o = Self.sigmoid(z[3 * H + j])
                    s.c[l][n][j] = f * s.c[l][n][j] + i * g
                    s.h[l][n][j] = o * Foundation.tanh(s.c[l][n][j])
                }
                input = s.h[l][n]
            }
            var d = w[L.readoutOffset + H]
            for j in 0..<H { d += w[L.readoutOffset + j] * input[j] }
            out[n] = Double(config.outputScale) * d
            for k in 0..<config.momentumReadoutCount {
                let b = Double(config.inputs.momentumDecays[k])
                let mHat = s.momenta[k][n] / (1 - Foundation.pow(b, Double(s.step)))
                out[n] += Double(config.momentumReadoutScale) * w[L.momentumReadoutOffset + k] * mHat
            }
        }
        return out
    }
}

/// The reference of a batch run: problems concatenated, scaled gradients, clamping.
struct ReferenceRun {
    let ref: ReferenceLSTM
    let problems: [TestQuadratic]
    /// Meta-loss terms log(s·f) instead of s·f.
    var logObjective = false
    /// Weight of the meta-loss term of each step (1-based, warm-up steps counted).
    var stepWeight: (Int) -> Double = { _ in 1 }
    var offsets: [Int] { problems.reduce(into: [0]) { $0.append($0.last! + $1.d) } }

    /// The gradient the LSTM's features are computed from: g, or with a high-pass
    /// g + gain·B_r(g) per plane of each problem's image shape (B_r: the window mean clipped at
    /// the borders, computed directly).
    /// With the luma/chroma basis, of C·g (`lumaChroma(_:transpose:)`).
    /// `step`: the 1-based step the gradient is for (the gain's ramp, `HighPass.ramp`).
    func seen(_ g: [Double], step: Int) -> [Double] {
        guard let h = ref.config.inputs.highPass else { return g }
        let g = lumaChroma(g)
        let gain = h.ramp.map { step <= $0 ? Double(h.gain) * Double(step - 1) / Double($0) : Double(h.gain) } ?? Double(h.gain)
        return zip(g, boxMean(g)).map { $0 + gain * $1 }
    }

    /// The features of gradient g: of `seen(g)`, with the local mean B_r(g) if the inputs have it.
    /// With the global-RMS input, each problem's RMS of `seen(g)` beside it; with the smooth
    /// fraction, each problem's 2·RMS(B_r(g))/RMS(g) − 1 (of C·g with the luma/chroma basis).
    func features(_ g: [Double], _ s: inout ReferenceLSTM.State) -> [[Double]] {
        let seen = seen(g, step: s.step + 1)
        var rms = seen
        let o = offsets
        func norm(_ x: ArraySlice<Double>) -> Double { x.map { $0 * $0 }.reduce(0, +).squareRoot() }
        for k in problems.indices {
            let r = norm(seen[o[k]..<o[k + 1]]) / Double(o[k + 1] - o[k]).squareRoot()
            for n in o[k]..<o[k + 1] { rms[n] = r }
        }
        var smooth = g
        if ref.config.inputs.smoothFraction {
            let basis = lumaChroma(g), blurred = boxMean(basis)
            for k in problems.indices {
                let rho = norm(blurred[o[k]..<o[k + 1]]) / norm(basis[o[k]..<o[k + 1]])
                for n in o[k]..<o[k + 1] { smooth[n] = 2 * rho - 1 }
            }
        }
        let x = ref.features(seen, &s, localMean: ref.config.inputs.localMean ? boxMean(lumaChroma(g)) : nil,
                             globalRMS: ref.config.inputs.globalRMS ? rms : nil,
                             smooth: ref.config.inputs.smoothFraction ? smooth : nil)
        return ref.appendingSharedUnits(x, s, offsets: o)
    }

    /// C·x (or Cᵀ·x) per pixel of each problem's [3, H, W] image with the luma/chroma basis (C's
    /// rows (1,1,1)/√3, (1,−1,0)/√2, (1,1,−2)/√6, written out); x itself without it.
    func lumaChroma(_ x: [Double], transpose: Bool = false) -> [Double] {
        guard ref.config.inputs.lumaChroma else { return x }
        let C = [[1, 1, 1].map { $0 / 3.0.squareRoot() }, [1, -1, 0].map { $0 / 2.0.squareRoot() },
                 [1, 1, -2].map { $0 / 6.0.squareRoot() }]
        var out = x
        let o = offsets
        for (k, p) in problems.enumerated() {
            let n = p.shape!.height * p.shape!.width
            for i in 0..<n {
                for r in 0..<3 {
                    out[o[k] + r * n + i] = (0..<3).map { c in (transpose ? C[c][r] : C[r][c]) * x[o[k] + c * n + i] }
                        .reduce(0, +)
                }
            }
        }
        return out
    }

    /// θ moved by the optimizer's output d (through Cᵀ with the luma/chroma basis), clamped.
    func move(_ theta: [Double], _ d: [Double]) -> [Double] {
        clamp(zip(theta, lumaChroma(d, transpose: true)).map { $0 + $1 })
    }

    /// B_r(g) per plane of each problem's image shape (the high-pass's radius).
    func boxMean(_ g: [Double]) -> [Double] {
        let h = ref.config.inputs.highPass!
        var out = g
        let o = offsets
        for (k, p) in problems.enumerated() {
            let s = p.shape!, r = h.radius
            for plane in 0..<s.planes {
                let base = o[k] + plane * s.height * s.width
                for i in 0..<s.height {
                    for j in 0..<s.width {
                        var sum = 0.0, n = 0
                        for a in max(0, i - r)...min(s.height - 1, i + r) {
                            for b in max(0, j - r)...min(s.width - 1, j + r) { sum += g[base + a * s.width + b]; n += 1 }
                        }
                        out[base + i * s.width + j] = sum / Double(n)
                    }
                }
            }
        }
        return out
    }

    func scaledGradientAndLosses(_ theta: [Double]) -> ([Double], [Double]) {
        var g: [Double] = [], losses: [Double] = []
        let o = offsets
        for (k, p) in problems.enumerated() {
            let (f, gp) = p.lossAndGradient(Array(theta[o[k]..<o[k + 1]]))
            losses.append(f)
            g += gp.map { $0 * Double(p.lossScale) }
        }
        return (g, losses)
    }

    func clamp(_ theta: [Double]) -> [Double] {
        let o = offsets
        var t = theta
        for (k, p) in problems.enumerated() {
            guard let b = p.bounds else { continue }
            for i in o[k]..<o[k + 1] { t[i] = min(Double(b.upperBound), max(Double(b.lowerBound), t[i])) }
        }
        return t
    }

    /// What the first-order surrogate freezes of one step: the input features and the running
    /// averages (with the step number) that the momentum read-out reads — functions of gradients only.
    struct FrozenStep {
        var x: [[Double]]
        var momenta: [[Double]]
        var step: Int
    }

    /// Runs `warmup` steps with φ₀ (live gradients), then records the input features of the next
    /// `steps` steps (still with φ₀). Returns the state and θ after the warm-up, and the inputs.
    func recordInputs(phi0: [Double], warmup: Int, steps: Int) -> (ReferenceLSTM.State, [Double], [FrozenStep], Double) {
        var theta = problems.flatMap { $0.theta0.map(Double.init) }
        var s = ref.zeroState(theta.count)
        var (g, _) = scaledGradientAndLosses(theta)
        for _ in 0..<warmup {
            let d = ref.step(features(g, &s), &s, phi0)
            theta = move(theta, d)
            g = scaledGradientAndLosses(theta).0
        }
        let start = s, theta0 = theta
        var inputs: [FrozenStep] = []
        var loss = 0.0
        for t in 0..<steps {
            let x = features(g, &s)
            inputs.append(FrozenStep(x: x, momenta: s.momenta, step: s.step))
            let d = ref.step(x, &s, phi0)
            theta = move(theta, d)
            let (gn, losses) = scaledGradientAndLosses(theta)
            g = gn
            loss += stepWeight(warmup + t + 1) * metaLoss(losses)
        }
        return (start, theta0, inputs, loss)
    }

    func metaLoss(_ losses: [Double]) -> Double {
        zip(problems, losses).map { p, f in
            logObjective ? Foundation.log(Double(p.lossScale) * f) : Double(p.lossScale) * f
        }.reduce(0, +) / Double(problems.count)
    }

    /// The true meta-loss of the unroll: from the recorded start (detached: the state and θ after
    /// the warm-up), `inputs.count` steps with φ and live gradients from step `liveFrom` on (the
    /// recorded, frozen inputs before it: stateless features only); Σ_t meta-loss. What the
    /// second-order meta-gradient over the last `inputs.count − liveFrom` steps differentiates.
    func live(phi: [Double], start: ReferenceLSTM.State, theta0: [Double], inputs: [FrozenStep], liveFrom: Int = 0,
              warmup: Int = 0) -> Double {
        var s = start, theta = theta0, total = 0.0
        var g = scaledGradientAndLosses(theta).0
        for t in inputs.indices {
            let x = t < liveFrom ? inputs[t].x : features(g, &s)
            let d = ref.step(x, &s, phi)
            theta = move(theta, d)
            let (gn, losses) = scaledGradientAndLosses(theta)
            g = gn
            total += stepWeight(warmup + t + 1) * metaLoss(losses)
        }
        return total
    }

    /// The first-order surrogate: replay with frozen inputs and weights φ; Σ_t meta-loss.
    /// `warmup`: the steps taken before the unroll (for the step weights).
    func surrogate(phi: [Double], start: ReferenceLSTM.State, theta0: [Double], inputs: [FrozenStep], warmup: Int = 0) -> Double {
        var s = start, theta = theta0, total = 0.0
        for (t, frozen) in inputs.enumerated() {
            s.momenta = frozen.momenta; s.step = frozen.step
            let d = ref.step(frozen.x, &s, phi)
            theta = move(theta, d)
            total += stepWeight(warmup + t + 1) * metaLoss(scaledGradientAndLosses(theta).1)
        }
        return total
    }
}

/// Random weights with a given spread (larger than the default init, so every path matters).
func randomWeights(_ c: LSTMConfiguration, seed: UInt64, scale: Double) -> [Float] {
    var g = SeededGenerator(seed: seed)
    return (0..<c.layout.weightCount).map { _ in Float(scale * g.nextNormal()) }
}

/// A temporary directory removed at the end of the test.
func temporaryDirectory(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("metalearning-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// Runs `full` to its end, writing its first checkpoint (after `every` meta-steps) to `path`;
/// then loads that checkpoint, resumes it on `task` and runs the resumed trainer to the end.
func runStraightAndResumed(_ full: MetaTrainer, task: any MetaTask, every: Int, path: String) throws
    -> (checkpoint: Checkpoint, resumed: MetaTrainer) {
    var saved = false
    try full.run(checkpointEvery: every, checkpoint: { t in
        if !saved { try Checkpoint(t).write(to: path); saved = true }
    })
    let checkpoint = try Checkpoint.load(path: path)
    let resumed = try checkpoint.makeTrainer(task: task)
    try resumed.run()
    return (checkpoint, resumed)
}

/// Asserts that a resumed run ended exactly where an uninterrupted one did: φ, best φ, ADAM's
/// moments, best validation loss, batch counter and every log column but the seconds (column 6).
func assertSameRun(_ resumed: MetaTrainer, _ full: MetaTrainer, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(resumed.weights, full.weights, file: file, line: line)
    XCTAssertEqual(resumed.bestWeights, full.bestWeights, file: file, line: line)
    XCTAssertEqual(resumed.metaState.m.toArray(), full.metaState.m.toArray(), file: file, line: line)
    XCTAssertEqual(resumed.metaState.v.toArray(), full.metaState.v.toArray(), file: file, line: line)
    XCTAssertEqual(resumed.progress.bestValidationLoss, full.progress.bestValidationLoss, file: file, line: line)
    XCTAssertEqual(resumed.progress.batch, full.progress.batch, file: file, line: line)
    func lossColumns(_ log: String) -> [String] {
        log.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).enumerated()
            .filter { $0.offset != 6 }.map { String($0.element) }.joined(separator: ",") }
    }
    XCTAssertEqual(lossColumns(resumed.logText), lossColumns(full.logText), file: file, line: line)
}

import Foundation
import ImageIO
import MetaLearning
import Numerics

/// Timing of the stylization pipeline on this machine (medians of repeated runs).
public enum StylizeBenchmark {
    /// Medians for one image size.
    public struct SizeResult: Sendable, Codable {
        public var size: Int
        /// RandVGG-S forward pass.
        public var netForwardMs: Double
        /// Total loss forward and backward to the pixels.
        public var lossForwardBackwardMs: Double
        /// One full ADAM step: loss, gradient, update, clamp.
        public var adamStepMs: Double
        /// One full learned-optimizer step: loss, gradient, 2×20 LSTM update, clamp.
        public var lstmStepMs: Double
        /// Making the learned optimizer's state for this size (allocating and zeroing it; paid
        /// once per run or scale, not per step, so not in `lstmStepMs`).
        public var lstmStateSetupMs: Double
        /// FLOPs of one forward pass / of one loss forward+backward.
        public var netForwardFlops: Double
        public var lossFlops: Double
        /// BLAS threads used.
        public var threads: Int

        /// A learned-optimizer step in ADAM steps (both from the same run).
        public var lstmOverAdam: Double { lstmStepMs / adamStepMs }
    }

    /// The median wall time in seconds of `body` over `repeats` runs after `warmup` runs.
    public static func median(repeats: Int, warmup: Int = 2, _ body: () -> Void) -> Double {
        for _ in 0..<warmup { body() }
        var times: [Double] = []
        for _ in 0..<max(repeats, 1) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9)
        }
        times.sort()
        return times[times.count / 2]
    }

    /// The median wall times in seconds of `a` and of `b` over `repeats` runs each, run
    /// alternately (a, b, a, b, …) after `warmup` runs of each.
    public static func alternatingMedians(repeats: Int, warmup: Int = 2, _ a: () -> Void, _ b: () -> Void) -> (Double, Double) {
        for _ in 0..<warmup { a(); b() }
        var times: ([Double], [Double]) = ([], [])
        func time(_ body: () -> Void) -> Double {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            return Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
        }
        for _ in 0..<max(repeats, 1) {
            times.0.append(time(a))
            times.1.append(time(b))
        }
        return (times.0.sorted()[times.0.count / 2], times.1.sorted()[times.1.count / 2])
    }

    /// The best GEMM rate (GFLOP/s) over square products of 256, 512 and 1024 and the conv shapes.
    public static func gemmPeakGFlops(repeats: Int = 7) -> Double {
        var best = 0.0
        for (m, n, k) in [(512, 512, 512), (1024, 1024, 1024), (128, 1024, 576), (64, 4096, 288)] {
            let a = Tensor(shape: [m, k]), b = Tensor(shape: [k, n]), c = Tensor(shape: [m, n])
            var rng = SeededGenerator(seed: 1)
            rng.fillUniform(a); rng.fillUniform(b)
            let t = median(repeats: repeats) {
                BLAS.gemm(m: m, n: n, k: k, a: a.data, lda: k, b: b.data, ldb: n, c: c.data, ldc: n)
            }
            best = max(best, 2 * Double(m) * Double(n) * Double(k) / t * 1e-9)
        }
        return best
    }

    /// Times the pipeline at a `size × size` image with a synthetic content and style.
    public static func run(size: Int, repeats: Int) -> SizeResult {
        let net = RandVGGS()
        var rng = SeededGenerator(seed: 2)
        let content = Tensor(shape: [3, size, size]), style = Tensor(shape: [3, size, size])
        rng.fillUniform(content); rng.fillUniform(style)
        // The loss as `stylize` builds it: the style pyramid's levels for this size.
        let levels = StylizationProblem.pyramidLevels(height: size, width: size)
        let problem = StylizationProblem(network: net, content: content, height: size, width: size,
                                         styleTargets: StyleTargets(network: net, styles: [style], levels: levels))
        let maps = FeatureMaps(height: size, width: size)
        let theta = content.copy()
        let grad = Tensor(shape: [3, size, size])
        let forward = median(repeats: repeats) { net.forward(pixels: theta.data, maps: maps) }
        let lossFB = median(repeats: repeats) { problem.evaluate(at: theta.data, gradient: grad.data) }
        let lossOnly = median(repeats: repeats) { problem.evaluate(at: theta.data, gradient: nil) }
        let styleProblem = StyleProblem(stylization: problem, start: content)
        let adam = Adam(learningRate: 0.02)
        let lstm = LSTMOptimizer(configuration: Self.lstmConfiguration, seed: 1)
        let steps = 5
        // Steady-state steps: each optimizer's state is made once, here, and every timed run
        // continues it (the first, warm-up run faults its pages in), so a step's time holds no
        // allocation. The one-time cost of the learned optimizer's state is timed on its own.
        let adamState = adam.makeState(problems: [styleProblem])
        let lstmState = lstm.makeState(problems: [styleProblem])
        let setup = median(repeats: max(3, repeats / 4), warmup: 1) {
            // `Tensor` zero-fills what it allocates: this faults in and writes every page once.
            withExtendedLifetime(lstm.makeState(problems: [styleProblem])) {}
        }
        // ADAM and learned-optimizer runs alternate, so a change in the machine's load between
        // them does not skew their ratio.
        let (adamRun, lstmRun) = alternatingMedians(repeats: max(1, repeats / 2), warmup: 1, {
            _ = try? styleProblem.run(optimizer: adam, pixels: theta, iterations: steps, state: adamState)
        }, {
            _ = try? styleProblem.run(optimizer: lstm, pixels: theta, iterations: steps, state: lstmState)
        })
        // `run` evaluates the loss once more at the end (without gradient): subtract that evaluation.
        let adamStep = (adamRun - lossOnly) / Double(steps)
        let lstmStep = (lstmRun - lossOnly) / Double(steps)
        return SizeResult(size: size, netForwardMs: forward * 1e3, lossForwardBackwardMs: lossFB * 1e3,
                          adamStepMs: adamStep * 1e3, lstmStepMs: lstmStep * 1e3, lstmStateSetupMs: setup * 1e3,
                          netForwardFlops: net.forwardFlops(height: size, width: size),
                          lossFlops: problem.flopsPerEvaluation, threads: BLAS.threads)
    }

    /// The architecture of the shipped `models/neural-art.lstm`: 2×20, log-sign inputs (p = 10)
    /// plus the scale-invariant RMS inputs and momentum inputs at three timescales (β = 0.5, 0.9,
    /// 0.99), all computed from the gradient high-passed with radius 16 and gain −0.5.
    public static let lstmConfiguration = LSTMConfiguration(
        inputs: InputFeatures(gradient: .logSign, p: 10, rmsInputs: true, momentumDecays: [0.5, 0.9, 0.99],
                              highPass: .init(radius: 16, gain: -0.75)))

    /// Seconds for one meta-training unroll of `steps` steps (forward with records and BPTT, one
    /// ADAM step on φ) on one `size × size` synthetic style problem; median of `repeats`.
    public static func unrollSeconds(size: Int = 64, steps: Int = 20, repeats: Int = 5) throws -> Double {
        var rng = SeededGenerator(seed: 3)
        func picture(_ w: Int, _ h: Int) -> Image {
            let t = Tensor(shape: [3, h, w]); rng.fillUniform(t)
            return Image(tensor: t)
        }
        let task = StyleTask(training: [("a", picture(4 * size, 4 * size))], heldOut: [("b", picture(4 * size, 4 * size))],
                             style: ("s", picture(size, size)), size: size)
        let settings = MetaTrainingSettings(metaSteps: 1_000, horizon: steps, unroll: steps, problemsPerStep: 1,
                                            metaLearningRate: 1e-3, clipNorm: 1, validateEvery: 1_000_000,
                                            validationProblems: 1, seed: 1)
        let trainer = try MetaTrainer(task: task, configuration: Self.lstmConfiguration, settings: settings)
        return median(repeats: repeats, warmup: 1) { _ = trainer.step() }
    }
}

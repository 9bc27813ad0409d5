import ImageIO
import MetaLearning
import Numerics

/// Runs several optimizers on the same stylization from the same start and keeps their loss
/// curves and pictures at chosen steps — the data behind `neural-art compare`.
public enum OptimizerComparison {
    /// One optimizer on one content image.
    public struct Run: Sendable {
        public var name: String
        public var learningRate: Float?
        /// f(θ_0) … f(θ_steps), unscaled.
        public var losses: [Float]
        /// The picture after each requested step (and after the last).
        public var snapshots: [Int: Image]
    }

    /// Runs every optimizer for `steps` steps on `transfer` from the content image; pictures are
    /// kept at `snapshotSteps` (those ≤ steps) and at `steps`. A diverging optimizer throws.
    public static func run(
        transfer: StyleTransfer, optimizers: [(name: String, learningRate: Float?, optimizer: any Optimizer)],
        steps: Int, snapshotSteps: [Int], originalColors: Bool = false,
        progress: (String, Int) -> Void = { _, _ in }
    ) throws -> [Run] {
        var runs: [Run] = []
        let keep = Set(snapshotSteps.filter { $0 >= 1 && $0 <= steps } + [steps])
        for o in optimizers {
            let pixels = transfer.initialPixels(.content, seed: 0)
            var snapshots: [Int: Image] = [:]
            let history = try transfer.run(optimizer: o.optimizer, pixels: pixels, iterations: steps) { step, current in
                if keep.contains(step.step) {
                    snapshots[step.step] = transfer.image(from: current, originalColors: originalColors)
                }
                progress(o.name, step.step)
                return true
            }
            runs.append(Run(name: o.name, learningRate: o.learningRate, losses: history.map(\.total), snapshots: snapshots))
        }
        return runs
    }

    /// Mean curves over several content images (`runs[image][optimizer]`, same optimizer order).
    public static func meanResult(task: String, runs: [[Run]], steps: Int) -> EvaluationResult {
        precondition(!runs.isEmpty, "meanResult: no runs")
        let curves = runs[0].indices.map { k -> EvaluationResult.Curve in
            var mean = [Double](repeating: 0, count: steps + 1)
            for image in runs {
                for t in 0...steps { mean[t] += Double(image[k].losses[t]) / Double(runs.count) }
            }
            return EvaluationResult.Curve.measured(name: runs[0][k].name, learningRate: runs[0][k].learningRate,
                                          initialLoss: mean[0], meanLoss: Array(mean.dropFirst()))
        }
        return EvaluationResult.measured(task: task, split: .test, steps: steps, problems: runs.count, curves: curves)
    }
}

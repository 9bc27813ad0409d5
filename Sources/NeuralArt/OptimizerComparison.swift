import Foundation
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
        /// Wall seconds of the run (its steps, loss evaluations and snapshots).
        public var seconds: Double
        /// Steps taken: `losses.count − 1`.
        public var steps: Int { losses.count - 1 }
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
            let start = DispatchTime.now().uptimeNanoseconds
            let history = try transfer.run(optimizer: o.optimizer, pixels: pixels, iterations: steps) { step, current in
                if keep.contains(step.step) {
                    snapshots[step.step] = transfer.image(from: current, originalColors: originalColors)
                }
                progress(o.name, step.step)
                return true
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            runs.append(Run(name: o.name, learningRate: o.learningRate, losses: history.map(\.total), snapshots: snapshots,
                            seconds: seconds))
        }
        return runs
    }

    /// `compare`'s summary.json: `result.json()` (the `evaluate --json` schema) with, for each
    /// optimizer, "seconds" — its wall seconds summed over its runs in `runs` (`runs[image][optimizer]`)
    /// — and "steps" — the steps of those runs together (so seconds / steps is its time per step).
    public static func summaryJSON(result: EvaluationResult, runs: [[Run]]) throws -> Data {
        var object = try JSONSerialization.jsonObject(with: try result.json()) as! [String: Any]
        var optimizers = object["optimizers"] as! [String: Any]
        for name in optimizers.keys {
            let mine = runs.flatMap { $0.filter { $0.name == name } }
            var entry = optimizers[name] as! [String: Any]
            entry["seconds"] = mine.map(\.seconds).reduce(0, +)
            entry["steps"] = mine.map(\.steps).reduce(0, +)
            optimizers[name] = entry
        }
        object["optimizers"] = optimizers
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }

    /// Mean curves over several content images (`runs[image][optimizer]`, same optimizer order),
    /// with each image's curve (a "problem" of the result) and the runs' wall seconds and steps.
    public static func meanResult(task: String, runs: [[Run]], steps: Int) -> EvaluationResult {
        precondition(!runs.isEmpty, "meanResult: no runs")
        let curves = runs[0].indices.map { k -> EvaluationResult.Curve in
            var mean = [Double](repeating: 0, count: steps + 1)
            for image in runs {
                for t in 0...steps { mean[t] += Double(image[k].losses[t]) / Double(runs.count) }
            }
            let mine = runs.map { $0[k] }
            return EvaluationResult.Curve.measured(name: runs[0][k].name, learningRate: runs[0][k].learningRate,
                                          initialLoss: mean[0], meanLoss: Array(mean.dropFirst()),
                                          problemLosses: mine.map { $0.losses.map(Double.init) },
                                          seconds: mine.map(\.seconds).reduce(0, +), stepsTaken: mine.map(\.steps).reduce(0, +))
        }
        return EvaluationResult.measured(task: task, split: .test, steps: steps, problems: runs.count, curves: curves)
    }
}

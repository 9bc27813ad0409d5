import Distributed
import Foundation
import Numerics

/// `EvaluationResult` plus what a classifier's loss curve does not show: the test-set loss and
/// accuracy of each run's final parameters θ_T, averaged over the problems.
///
/// Every optimizer runs on freshly made copies of the same problems (same θ₀, same minibatch
/// streams), so the runs are independent and comparable.
public struct ClassificationEvaluation: Sendable {
    public var result: EvaluationResult
    /// Mean over problems of the test accuracy of θ_T, by optimizer name.
    public var testAccuracy: [String: Double]
    /// Mean over problems of the test loss (mean cross-entropy) of θ_T, by optimizer name.
    public var testLoss: [String: Double]
    /// Test samples each θ_T was measured on.
    public var testSamples: Int

    public init(result: EvaluationResult, testAccuracy: [String: Double], testLoss: [String: Double], testSamples: Int) {
        self.result = result; self.testAccuracy = testAccuracy; self.testLoss = testLoss; self.testSamples = testSamples
    }

    /// Runs every optimizer on problems 0..<`count` of `split` for `steps` steps, then measures
    /// each final θ on the task's test set (its first `testLimit` samples if given).
    /// A diverged run (non-finite θ) counts as accuracy of the argmax of NaNs, i.e. class 0.
    /// With several `processes` each rank runs and measures its share of the problems; the
    /// per-problem results are gathered and added in problem order (the same on any number of ranks).
    public static func run(
        task: any ClassificationTask, optimizers: [(name: String, learningRate: Float?, optimizer: any Optimizer)],
        problems count: Int, steps: Int, split: Split = .test, testLimit: Int? = nil,
        processes: any ProcessGroup = SingleProcess(), progress: ((String) -> Void)? = nil
    ) -> ClassificationEvaluation {
        var curves: [EvaluationResult.Curve] = []
        var accuracy: [String: Double] = [:], loss: [String: Double] = [:]
        let test = task.data.test
        let samples = min(testLimit ?? test.count, test.count)
        let testSet = samples < test.count ? test.slice(0..<samples) : test
        for o in optimizers {
            let problems = processes.share(of: count).map { task.makeClassificationProblem(split: split, index: $0) }
            // Per problem: its loss curve, then the test accuracy and loss of its θ_T.
            let width = steps + 3
            var local = [Double]()
            local.reserveCapacity(problems.count * width)
            let start = DispatchTime.now().uptimeNanoseconds
            let curvesHere = Evaluator.problemCurves(o.optimizer, problems: problems, steps: steps)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            for (k, p) in problems.enumerated() {
                let m = task.evaluate(parameters: p.finalParameters, on: testSet, limit: nil)
                local += curvesHere[(k * (steps + 1))..<((k + 1) * (steps + 1))] + [m.accuracy, m.loss]
            }
            let all = processes.allgatherItems(local, items: count, width: width)
            var problemCurves = [Double](), a = 0.0, l = 0.0
            problemCurves.reserveCapacity(count * (steps + 1))
            for k in 0..<count {
                problemCurves += all[(k * width)..<(k * width + steps + 1)]
                a += all[k * width + steps + 1]
                l += all[k * width + steps + 2]
            }
            let c = Evaluator.meanOfCurves(problemCurves, problems: count, steps: steps)
            let totalSeconds = processes.allgather([seconds], counts: Array(repeating: 1, count: processes.size)).reduce(0, +)
            let curve = steps + 1
            curves.append(.init(name: o.name, learningRate: o.learningRate, initialLoss: c[0], meanLoss: Array(c.dropFirst()),
                                problemLosses: (0..<count).map { Array(problemCurves[($0 * curve)..<(($0 + 1) * curve)]) },
                                seconds: totalSeconds, stepsTaken: count * steps))
            accuracy[o.name] = a / Double(count)
            loss[o.name] = l / Double(count)
            progress?(o.name)
        }
        let result = EvaluationResult(task: task.name, split: split, steps: steps, problems: count, curves: curves)
        return ClassificationEvaluation(result: result, testAccuracy: accuracy, testLoss: loss, testSamples: samples)
    }

    /// `result.table()` with two more columns: the test loss and accuracy of θ_T.
    public func table() -> String {
        let lines = result.table().split(separator: "\n").map(String.init)
        let width = lines.map(\.count).max() ?? 0
        func fmt(_ x: Double?, _ f: String) -> String { x.map { $0.isFinite ? String(format: f, $0) : "nan" } ?? "-" }
        var out = ""
        for (i, line) in lines.enumerated() {
            let pad = line.padding(toLength: width, withPad: " ", startingAt: 0)
            if i == 0 {
                out += pad + "  " + "test loss".leftPadded(9) + "  " + "test acc".leftPadded(8) + "\n"
            } else {
                let name = result.curves[i - 1].name
                out += pad + "  " + fmt(testLoss[name], "%.4f").leftPadded(9) + "  "
                    + fmt(testAccuracy[name].map { 100 * $0 }, "%.2f%%").leftPadded(8) + "\n"
            }
        }
        return out
    }

    /// The quadratic task's JSON (`EvaluationResult.json()`) with, per optimizer, two more keys —
    /// `test_accuracy` (fraction in [0, 1]) and `test_loss` — and a top-level `test_samples`.
    public func json() throws -> Data {
        var object = try JSONSerialization.jsonObject(with: try result.json()) as! [String: Any]
        var optimizers = object["optimizers"] as! [String: Any]
        for (name, value) in optimizers {
            var entry = value as! [String: Any]
            entry["test_accuracy"] = testAccuracy[name].map { $0.isFinite ? $0 as Any : NSNull() } ?? NSNull()
            entry["test_loss"] = testLoss[name].map { $0.isFinite ? $0 as Any : NSNull() } ?? NSNull()
            optimizers[name] = entry
        }
        object["optimizers"] = optimizers
        object["test_samples"] = testSamples
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }
}

extension String {
    /// Right-aligned in a field of `width` characters.
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

import Distributed
import Foundation

/// Mean loss curves of several optimizers on the same fresh test problems.
public struct EvaluationResult: Sendable {
    public struct Curve: Sendable {
        public var name: String
        /// nil for the learned optimizer.
        public var learningRate: Float?
        /// Mean loss at θ₀ (the same for every optimizer).
        public var initialLoss: Double
        /// Mean loss after steps 1 … `steps`.
        public var meanLoss: [Double]
        /// Σ_{t=1..steps} of `meanLoss`.
        public var summedLoss: Double { Evaluator.summedLoss([initialLoss] + meanLoss) }
    }

    public var task: String
    public var split: Split
    public var steps: Int
    public var problems: Int
    public var curves: [Curve]

    /// Runs every optimizer on problems 0..<`problems` of `split` (the test split by default) for
    /// `steps` steps — the same problems for every optimizer (split over `processes`; the same
    /// result for any number of ranks).
    public static func run(
        task: any MetaTask, optimizers: [(name: String, learningRate: Float?, optimizer: any Optimizer)],
        problems count: Int, steps: Int, split: Split = .test, processes: any ProcessGroup = SingleProcess(),
        progress: ((String) -> Void)? = nil
    ) -> EvaluationResult {
        var made: [Int: any Problem] = [:]
        for i in processes.share(of: count) { made[i] = task.makeProblem(split: split, index: i) }
        var curves: [Curve] = []
        for o in optimizers {
            let c = Evaluator.meanLossCurve(o.optimizer, problemCount: count, steps: steps, processes: processes) { made[$0]! }
            curves.append(Curve(name: o.name, learningRate: o.learningRate, initialLoss: c[0], meanLoss: Array(c.dropFirst())))
            progress?(o.name)
        }
        return EvaluationResult(task: task.name, split: split, steps: steps, problems: count, curves: curves)
    }

    /// The steps shown in the table: 1, 10, 25, 50, 100 (those ≤ `steps`) and `steps`.
    public var tableSteps: [Int] {
        var s = [1, 10, 25, 50, 100].filter { $0 <= steps }
        if s.last != steps { s.append(steps) }
        return s
    }

    /// A plain-text table: one row per optimizer, mean loss at the table steps (or at `steps`,
    /// those within 1 … `self.steps`) and the sum.
    public func table(steps chosen: [Int]? = nil) -> String {
        let tableSteps = chosen.map { $0.filter { $0 >= 1 && $0 <= steps } } ?? self.tableSteps
        func f(_ x: Double) -> String {
            guard x.isFinite else { return x.isNaN ? "nan" : "inf" }
            return String(format: abs(x) >= 1e5 || (abs(x) < 1e-3 && x != 0) ? "%.3e" : "%.4f", x)
        }
        let header = ["optimizer", "lr"] + tableSteps.map { "step \($0)" } + ["sum"]
        var rows = [header]
        for c in curves {
            rows.append([c.name, c.learningRate.map { String(format: "%.3g", Double($0)) } ?? "-"]
                        + tableSteps.map { f(c.meanLoss[$0 - 1]) } + [f(c.summedLoss)])
        }
        let widths = header.indices.map { i in rows.map { $0[i].count }.max()! }
        return rows.map { r in
            r.indices.map { i in i < 2 ? r[i].padding(toLength: widths[i], withPad: " ", startingAt: 0)
                : String(repeating: " ", count: widths[i] - r[i].count) + r[i] }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    /// CSV of the curves: `step,<name>,…` with step 0 (θ₀) to `steps`.
    public func csv() -> String {
        var s = "step," + curves.map(\.name).joined(separator: ",") + "\n"
        for t in 0...steps {
            s += "\(t)," + curves.map { String(format: "%.9g", t == 0 ? $0.initialLoss : $0.meanLoss[t - 1]) }
                .joined(separator: ",") + "\n"
        }
        return s
    }

    /// `{"task", "steps", "problems", "split", "optimizers": {name: {"learning_rate", "mean_loss": [steps values]}}}`;
    /// `learning_rate` is null for the learned optimizer, `mean_loss[i]` the loss after step i + 1.
    public func json() throws -> Data {
        func number(_ x: Double) -> Any { x.isFinite ? x : NSNull() }
        var optimizers: [String: Any] = [:]
        for c in curves {
            optimizers[c.name] = [
                "learning_rate": c.learningRate.map { Double($0) as Any } ?? NSNull(),
                "mean_loss": c.meanLoss.map(number),
                "initial_loss": number(c.initialLoss),
                "summed_loss": number(c.summedLoss),
            ] as [String: Any]
        }
        let object: [String: Any] = ["task": task, "steps": steps, "problems": problems, "split": split.rawValue,
                                     "optimizers": optimizers]
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }
}

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
        /// Each problem's loss f(θ_0) … f(θ_steps), in problem order (empty when not kept).
        public var problemLosses: [[Double]] = []
        /// Wall seconds of the runs (with several processes, every rank's seconds added); nil
        /// when not measured.
        public var seconds: Double?
        /// Steps the runs took together (problems × steps).
        public var stepsTaken: Int = 0
        /// The rate of each group of problems when they ran at different rates (e.g. per style
        /// family); empty otherwise.
        public var groupLearningRates: [String: Float] = [:]
        /// The rate as the table shows it: the rate, the range of the group rates ("0.01–0.2"), or "-".
        public var rateLabel: String {
            if let learningRate { return String(format: "%.3g", Double(learningRate)) }
            guard let lo = groupLearningRates.values.min(), let hi = groupLearningRates.values.max() else { return "-" }
            return String(format: "%.2g–%.2g", Double(lo), Double(hi))
        }
        /// Wall seconds per step of one problem (`seconds / stepsTaken`); nil when not measured.
        public var secondsPerStep: Double? {
            guard let seconds, stepsTaken > 0 else { return nil }
            return seconds / Double(stepsTaken)
        }
    }

    public var task: String
    public var split: Split
    public var steps: Int
    public var problems: Int
    public var curves: [Curve]
    /// Coarse-to-fine problems (`Problem.coarseSteps`): the first step whose loss is at the final
    /// scale (losses before it are of the coarser problem, not comparable); 0 otherwise.
    public var finalScaleStart: Int = 0

    /// Runs every optimizer on problems 0..<`problems` of `split` (the test split by default) for
    /// `steps` steps — the same problems for every optimizer (split over `processes`; the same
    /// curves for any number of ranks). Keeps each problem's curve and each optimizer's wall time.
    public static func run(
        task: any MetaTask, optimizers: [(name: String, learningRate: Float?, optimizer: any Optimizer)],
        problems count: Int, steps: Int, split: Split = .test, processes: any ProcessGroup = SingleProcess(),
        progress: ((String) -> Void)? = nil
    ) -> EvaluationResult {
        run(task: task, optimizers: optimizers.map { EvaluatedOptimizer(name: $0.name, learningRate: $0.learningRate, optimizer: $0.optimizer) },
            problems: count, steps: steps, split: split, processes: processes, progress: progress)
    }

    /// `run(task:optimizers:…)` for optimizers that may run each group of problems with its own
    /// optimizer (`EvaluatedOptimizer.groups`). A group's problems are batched together; each
    /// problem's curve is the one it has alone (coordinatewise optimizers), so the result is the
    /// same for any number of ranks. Each row's wall time is measured on every rank around its
    /// runs (not the gathering) and the ranks' seconds are added.
    public static func run(
        task: any MetaTask, optimizers: [EvaluatedOptimizer], problems count: Int, steps: Int, split: Split = .test,
        processes: any ProcessGroup = SingleProcess(), progress: ((String) -> Void)? = nil
    ) -> EvaluationResult {
        precondition(count >= 1 && steps >= 0, "EvaluationResult.run: need problems and steps ≥ 0")
        let share = processes.share(of: count)
        var made: [Int: any Problem] = [:]
        for i in share { made[i] = task.makeProblem(split: split, index: i) }
        let width = steps + 1
        var curves: [Curve] = []
        for o in optimizers {
            var local = [Double](repeating: 0, count: share.count * width)
            let start = DispatchTime.now().uptimeNanoseconds
            for (g, member) in o.groups.enumerated() {
                let mine = share.filter { o.group($0) == g }
                guard !mine.isEmpty else { continue }
                // Coarse-to-fine problems: the learned optimizer carries its state to the finer
                // scale, the hand-designed ones start afresh there (as `stylize` runs them).
                let c = Evaluator.problemCurves(member.optimizer, problems: mine.map { made[$0]! }, steps: steps,
                                                carryState: member.learningRate == nil)
                for (k, i) in mine.enumerated() {
                    let at = (i - share.lowerBound) * width
                    local.replaceSubrange(at..<(at + width), with: c[(k * width)..<((k + 1) * width)])
                }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            let all = processes.allgatherItems(local, items: count, width: width)
            let totalSeconds = processes.allgather([seconds], counts: Array(repeating: 1, count: processes.size)).reduce(0, +)
            let mean = Evaluator.meanOfCurves(all, problems: count, steps: steps)
            var groupRates: [String: Float] = [:]
            for m in o.groups where !m.name.isEmpty { if let lr = m.learningRate { groupRates[m.name] = lr } }
            curves.append(Curve(name: o.name, learningRate: o.learningRate, initialLoss: mean[0], meanLoss: Array(mean.dropFirst()),
                                problemLosses: (0..<count).map { Array(all[($0 * width)..<(($0 + 1) * width)]) },
                                seconds: totalSeconds, stepsTaken: count * steps, groupLearningRates: groupRates))
            progress?(o.name)
        }
        var result = EvaluationResult(task: task.name, split: split, steps: steps, problems: count, curves: curves)
        // Every problem moves at the same step; the task's first test problem tells which.
        if let k = (made.values.first ?? task.makeProblem(split: split, index: 0)).coarseSteps, k < steps {
            result.finalScaleStart = k
        }
        return result
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
            rows.append([c.name, c.rateLabel]
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

    /// `{"task", "steps", "problems", "split", "optimizers": {name: {"learning_rate", "mean_loss": [steps values], …}}}`;
    /// `learning_rate` is null for the learned optimizer (and for rates that differ by group:
    /// then `group_learning_rates` maps each group, e.g. style family, to its rate),
    /// `mean_loss[i]` the loss after step i + 1. With measured wall times, each optimizer also
    /// has `seconds` (its runs', ranks added) and `steps` (problems × steps), and — when there
    /// is an "adam" row — the fields of `timeToReference()`: `steps_to_adam_final` (median; null:
    /// never), `steps_to_adam_final_by_problem`, `seconds_per_step`, `seconds_to_adam_final` and
    /// `adam_time_ratio` (null where not reached).
    public func json() throws -> Data {
        func number(_ x: Double) -> Any { x.isFinite ? x : NSNull() }
        func optional(_ x: Double?) -> Any { x.map(number) ?? NSNull() }
        var optimizers: [String: Any] = [:]
        let reach = timeToReference().map { Dictionary(uniqueKeysWithValues: $0.map { ($0.name, $0) }) }
        for c in curves {
            var entry: [String: Any] = [
                "learning_rate": c.learningRate.map { Double($0) as Any } ?? NSNull(),
                "mean_loss": c.meanLoss.map(number),
                "initial_loss": number(c.initialLoss),
                "summed_loss": number(c.summedLoss),
            ]
            if !c.groupLearningRates.isEmpty { entry["group_learning_rates"] = c.groupLearningRates.mapValues { Double($0) } }
            if let seconds = c.seconds {
                entry["seconds"] = seconds
                entry["steps"] = c.stepsTaken
            }
            if let r = reach?[c.name] {
                entry["steps_to_adam_final"] = optional(r.medianSteps)
                entry["steps_to_adam_final_by_problem"] = r.stepsByProblem.map { $0.map { $0 as Any } ?? NSNull() }
                entry["seconds_per_step"] = optional(r.secondsPerStep)
                entry["seconds_to_adam_final"] = optional(r.secondsToReach)
                entry["adam_time_ratio"] = optional(r.referenceTimeRatio)
            }
            optimizers[c.name] = entry
        }
        let object: [String: Any] = ["task": task, "steps": steps, "problems": problems, "split": split.rawValue,
                                     "optimizers": optimizers]
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }
}

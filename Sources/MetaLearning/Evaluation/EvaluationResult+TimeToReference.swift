import Foundation

extension EvaluationResult {
    /// How soon one optimizer reaches the reference optimizer's (tuned ADAM's) final loss, in
    /// steps and in wall time (`timeToReference(_:)`).
    public struct TimeToReference: Sendable, Equatable {
        public var name: String
        /// Per problem (in order): the first step t ∈ 1 … steps (from `finalScaleStart` on) after
        /// which this optimizer's loss is ≤ the reference's loss after its last step on the same
        /// problem; nil: never.
        public var stepsByProblem: [Int?]
        /// The median of `stepsByProblem` ("never" counting as later than every step; an even
        /// count averages the middle two); nil: never (at least half of the problems not reached).
        public var medianSteps: Double?
        /// Wall seconds per step of one problem (`Curve.secondsPerStep`); nil if not measured.
        public var secondsPerStep: Double?
        /// `medianSteps × secondsPerStep`: the wall time to reach the reference's final loss.
        public var secondsToReach: Double?
        /// `secondsToReach` over the reference's time for its whole run (steps × its seconds per step).
        public var referenceTimeRatio: Double?
    }

    /// For every optimizer, the steps and wall time it takes to reach the `reference` row's
    /// final loss, problem by problem (see `TimeToReference`); nil when there is no such row or
    /// the per-problem curves were not kept. Deterministic but for the seconds.
    /// Complexity: O(optimizers × problems × steps).
    public func timeToReference(_ reference: String = "adam") -> [TimeToReference]? {
        guard let ref = curves.first(where: { $0.name == reference }), ref.problemLosses.count == problems,
              curves.allSatisfy({ $0.problemLosses.count == problems }) else { return nil }
        let targets = ref.problemLosses.map { $0[steps] }
        let referenceSeconds = ref.secondsPerStep.map { $0 * Double(steps) }
        return curves.map { c in
            // Coarse to fine: only losses at the final scale compare with the reference's final one.
            let first = max(1, finalScaleStart)
            let reached: [Int?] = zip(c.problemLosses, targets).map { losses, target in
                guard steps >= first else { return nil }
                return (first...steps).first { losses[$0] <= target }
            }
            let median = Self.median(reached)
            let toReach = median.flatMap { m in c.secondsPerStep.map { m * $0 } }
            let ratio = toReach.flatMap { s in referenceSeconds.flatMap { $0 > 0 ? s / $0 : nil } }
            return TimeToReference(name: c.name, stepsByProblem: reached, medianSteps: median,
                                   secondsPerStep: c.secondsPerStep, secondsToReach: toReach, referenceTimeRatio: ratio)
        }
    }

    /// The median of step counts, nil ("never") sorting after every count.
    static func median(_ values: [Int?]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted { a, b in
            switch (a, b) {
            case let (x?, y?): return x < y
            case (_?, nil): return true
            default: return false
            }
        }
        let n = sorted.count
        if n % 2 == 1 { return sorted[n / 2].map(Double.init) }
        guard let a = sorted[n / 2 - 1], let b = sorted[n / 2] else { return nil }
        return Double(a + b) / 2
    }

    /// The wall-clock table: per optimizer, the median steps to reach the reference's step-N
    /// loss, milliseconds per step, seconds to get there and that time over the reference's
    /// whole run; nil when `timeToReference` is.
    public func timeToReferenceTable(_ reference: String = "adam") -> String? {
        guard let rows = timeToReference(reference) else { return nil }
        func g(_ x: Double?, _ format: String) -> String { x.map { $0.isFinite ? String(format: format, $0) : "inf" } ?? "-" }
        var table = [["optimizer", "steps", "ms/step", "seconds", "× \(reference)"]]
        for r in rows {
            let steps = r.medianSteps.map { $0 == $0.rounded() ? String(Int($0)) : String(format: "%.1f", $0) } ?? "never"
            table.append([r.name, steps, g(r.secondsPerStep.map { $0 * 1000 }, "%.3g"), g(r.secondsToReach, "%.3g"),
                          g(r.referenceTimeRatio, "%.2f")])
        }
        let widths = table[0].indices.map { i in table.map { $0[i].count }.max()! }
        let lines = table.map { r in
            r.indices.map { i in i == 0 ? r[i].padding(toLength: widths[i], withPad: " ", startingAt: 0)
                : String(repeating: " ", count: widths[i] - r[i].count) + r[i] }.joined(separator: "  ")
        }
        let scale = finalScaleStart > 0 ? " (at the final scale: from step \(finalScaleStart))" : ""
        return "steps to reach \(reference)'s step-\(steps) loss on each problem\(scale) (median over \(problems)), ms per step, "
            + "seconds to reach, × \(reference)'s time for \(steps) steps:\n" + lines.joined(separator: "\n") + "\n"
    }
}

import Numerics

/// Coarse-to-fine runs of a batch (`Problem.coarseSteps`): after that many steps every problem
/// moves on to its finer problem, θ carried over and each new coordinate's optimizer state
/// taken from its source coordinate.
extension ProblemBatch {
    /// The steps taken on this batch's problems before they move to finer ones; nil: never.
    /// - Precondition: every problem has the same `coarseSteps`, and it is at least 1.
    public var coarseSteps: Int? {
        let k = problems[0].coarseSteps
        precondition(problems.allSatisfy { $0.coarseSteps == k },
                     "ProblemBatch: problems move to finer scales at different steps \(problems.map(\.coarseSteps))")
        precondition(k.map { $0 >= 1 } ?? true, "ProblemBatch: coarseSteps \(k!) below 1")
        return k
    }

    /// The batch of every problem's finer problem at θ (`count` values, this batch's layout),
    /// and for each coordinate of the new batch the coordinate of this one whose optimizer
    /// state it takes (`ResamplableOptimizerState.resample`).
    public func refined(at theta: UnsafePointer<Float>) -> (batch: ProblemBatch, source: [Int32]) {
        var finer: [any Problem] = []
        var source: [Int32] = []
        for (k, p) in problems.enumerated() {
            let (q, s) = p.finer(from: theta + offsets[k])
            precondition(s.count == q.parameterCount && s.allSatisfy { $0 >= 0 && Int($0) < p.parameterCount },
                         "ProblemBatch.refined: problem \(k)'s source map does not fit (\(s.count) for \(q.parameterCount))")
            finer.append(q)
            source += s.map { $0 + Int32(offsets[k]) }
        }
        return (ProblemBatch(finer), source)
    }
}

/// One row of an evaluation (`EvaluationResult.run`): an optimizer for every problem, or one
/// optimizer per group of problems — e.g. a baseline at each style family's own tuned learning
/// rate, so the row is "ADAM tuned per family".
public struct EvaluatedOptimizer {
    /// The row's name ("lstm", "adam", …).
    public var name: String
    /// The rate shown for the row: nil for the learned optimizer and for rates that differ by group.
    public var learningRate: Float?
    /// The optimizer of each group, with the group's name (empty for the one group of a
    /// single optimizer) and rate.
    public var groups: [(name: String, learningRate: Float?, optimizer: any Optimizer)]
    /// Which group (an index into `groups`) runs problem `i`.
    public var group: (Int) -> Int

    /// One optimizer for every problem.
    public init(name: String, learningRate: Float?, optimizer: any Optimizer) {
        self.name = name
        self.learningRate = learningRate
        groups = [("", learningRate, optimizer)]
        group = { _ in 0 }
    }

    /// `groups[group(i)]` runs problem `i`.
    /// - Precondition: `groups` is non-empty and `group` maps every problem index into it.
    public init(name: String, groups: [(name: String, learningRate: Float?, optimizer: any Optimizer)],
                group: @escaping (Int) -> Int) {
        precondition(!groups.isEmpty, "EvaluatedOptimizer: \(name) has no group")
        self.name = name
        let rates = Set(groups.map(\.learningRate))
        learningRate = rates.count == 1 ? groups[0].learningRate : nil
        self.groups = groups
        self.group = { i in
            let g = group(i)
            precondition(g >= 0 && g < groups.count, "EvaluatedOptimizer: problem \(i) in group \(g) of \(groups.count)")
            return g
        }
    }
}

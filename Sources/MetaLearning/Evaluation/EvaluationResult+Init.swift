extension EvaluationResult {
    /// Curves measured elsewhere (e.g. by a caller that also keeps pictures of the runs).
    public static func measured(task: String, split: Split, steps: Int, problems: Int, curves: [Curve]) -> EvaluationResult {
        precondition(curves.allSatisfy { $0.meanLoss.count == steps }, "EvaluationResult: every curve needs \(steps) values")
        return EvaluationResult(task: task, split: split, steps: steps, problems: problems, curves: curves)
    }
}

extension EvaluationResult.Curve {
    /// A curve measured elsewhere: the mean loss at θ₀ and after steps 1 … n; optionally each
    /// problem's losses (n + 1 values each, θ₀ first), the runs' wall seconds and their steps
    /// together (problems × n).
    public static func measured(name: String, learningRate: Float?, initialLoss: Double, meanLoss: [Double],
                                problemLosses: [[Double]] = [], seconds: Double? = nil, stepsTaken: Int = 0) -> Self {
        precondition(problemLosses.allSatisfy { $0.count == meanLoss.count + 1 },
                     "EvaluationResult.Curve: each problem needs \(meanLoss.count + 1) losses")
        return Self(name: name, learningRate: learningRate, initialLoss: initialLoss, meanLoss: meanLoss,
                    problemLosses: problemLosses, seconds: seconds, stepsTaken: stepsTaken)
    }
}

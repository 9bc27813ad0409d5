import MetaLearning

/// The meta-training settings a task gets for the flags that are not given: each task's
/// documented recipe, so `meta-train --task style` with no flags runs the README's first stage
/// (minutes), not the quadratic task's 8000 meta-steps × 32 problems (days at 64 px).
struct MetaTrainDefaults {
    var metaSteps = 8000
    /// nil: the task's own `defaultHorizon`.
    var horizon: Int?
    var unroll = 20
    var problemsPerStep = 32
    var metaLearningRate: Float = 1e-3
    var validateEvery = 500
    var validationProblems = 100
    var objective: MetaObjective = .sum
    var randomScale: Float = 0
    var rmsInputs = false

    /// The defaults of the task named `name` (the paper's quadratic settings for unknown names).
    static func forTask(_ name: String) -> MetaTrainDefaults {
        switch name {
        case "style":
            // The single-style recipe's first stage (README, "Style tasks"; the shipped model comes from scripts/train-neural-art.sh).
            return MetaTrainDefaults(metaSteps: 480, horizon: 64, unroll: 16, problemsPerStep: 2, metaLearningRate: 2e-3,
                                     validateEvery: 80, validationProblems: 8, objective: .log, randomScale: 1, rmsInputs: true)
        case "mlp":
            // scripts/train-mlp.sh, stage 1.
            return MetaTrainDefaults(metaSteps: 600, problemsPerStep: 2, metaLearningRate: 3e-3, validateEvery: 50,
                                     validationProblems: 10)
        case "conv":
            // docs/TASKS.md, stage 1 of models/conv.lstm.
            return MetaTrainDefaults(metaSteps: 300, problemsPerStep: 2, validateEvery: 50, validationProblems: 5)
        default:
            // The paper's quadratic settings (docs/META-LEARNING.md).
            return MetaTrainDefaults()
        }
    }

    /// "quadratic 8000, style 480, mlp 600, conv 300" for one setting, for --help.
    static func summary<T>(_ key: KeyPath<MetaTrainDefaults, T>) -> String {
        TaskSelection.names.map { "\($0) \(forTask($0)[keyPath: key])" }.joined(separator: ", ")
    }

    /// The horizons for --help: the ones set here, and the tasks' own for the others.
    static var horizonSummary: String {
        let set = TaskSelection.names.compactMap { name in forTask(name).horizon.map { "\(name) \($0)" } }
        return (set + ["the others 100"]).joined(separator: ", ")
    }
}

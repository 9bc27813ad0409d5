import ArgumentParser
import Foundation
import MetaLearning

/// Which task a meta-learning command works on (`--task`) and the options of the style and
/// dataset tasks: the one option group of meta-train, tune, evaluate and calibrate.
struct TaskSelection: ParsableArguments {
    /// The tasks the meta-learning commands know, by name. Add new tasks here and in `makeTask`.
    static let names = ["quadratic", "style", "mlp", "conv"]

    @Option(help: "Task: \(TaskSelection.names.joined(separator: ", ")).")
    var task = "quadratic"

    @OptionGroup(title: "Style task") var style: StyleTaskOptions

    @OptionGroup(title: "Dataset tasks (mlp, conv)") var data: DatasetTaskOptions

    /// The task these options describe; an unknown name is a `ValidationError`, a missing or
    /// damaged image or dataset file a one-line typed error.
    func makeTask() throws -> any MetaTask {
        switch task {
        case "quadratic": return QuadraticTask()
        case "style": return try style.makeTask()
        case "mlp":
            return MLPTask(data: try data.loadData(), hiddenSizes: try data.hiddenSizes(),
                           activation: data.activation, batchSize: data.batchSize)
        case "conv":
            return ConvTask(data: try data.loadData(), batchSize: data.batchSize)
        default:
            throw ValidationError("unknown task '\(task)' (known: \(Self.names.joined(separator: ", ")))")
        }
    }
}

/// The grid search of `tune` (a baseline's learning rate) and `calibrate` (a learned optimizer's
/// step scale): on how many validation problems, for how many steps, how fine the log grid.
struct GridSearchOptions: ParsableArguments {
    @Option(help: "Number of validation problems.") var problems = 100
    @Option(help: "Optimization steps per problem (default: the task's horizon).") var steps: Int?
    @Option(help: "Grid points per decade (of the learning rate, or of calibrate's step-scale multiplier).") var pointsPerDecade = 3

    func validate() throws {
        if problems < 1 { throw ValidationError("--problems must be ≥ 1") }
        if let steps, steps < 1 { throw ValidationError("--steps must be ≥ 1") }
        if pointsPerDecade < 1 { throw ValidationError("--points-per-decade must be ≥ 1") }
    }

    /// `--steps`, or the task's horizon.
    func steps(for task: any MetaTask) -> Int { steps ?? task.defaultHorizon }
}

import Foundation
import MetaLearning

/// Loads the learned optimizer in `path` for `task`, checking that it was trained on a task of
/// that name: a grouped model (one LSTM per parameter group) for a task with parameter groups,
/// or a single-LSTM model for any task. Errors are `ModelFileError`s naming the path.
func loadLearnedOptimizer(path: String, task: any Task) throws -> any Optimizer {
    if GroupedModelFile.isGroupedModel(path: path) {
        let file = try GroupedModelFile.load(path: path)
        guard file.task.name == task.name else {
            throw ModelFileError.mismatched(path: path, detail: "trained on task '\(file.task.name)', not '\(task.name)'")
        }
        guard let grouped = task as? any GroupedParameterTask else {
            throw ModelFileError.mismatched(path: path, detail: "one LSTM per parameter group, but task '\(task.name)' has no groups")
        }
        return try file.optimizer(for: grouped.parameterGroups, path: path)
    }
    let file = try ModelFile.load(path: path)
    try file.requireTask(task.name, path: path)
    return file.optimizer
}

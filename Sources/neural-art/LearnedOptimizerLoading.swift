import Foundation
import MetaLearning

/// Loads the learned optimizer in `path` for `task`, checking that it was trained on a task of
/// that name. Errors are `ModelFileError`s naming the path.
func loadLearnedOptimizer(path: String, task: any Task) throws -> any Optimizer {
    let file = try ModelFile.load(path: path)
    try file.requireTask(task.name, path: path)
    return file.optimizer
}

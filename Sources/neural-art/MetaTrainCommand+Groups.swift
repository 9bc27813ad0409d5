import Foundation
import MetaLearning

/// What meta-training does differently for a task with parameter groups (e.g. conv: one LSTM
/// for the conv parameters, one for the fully connected ones, trained jointly by the same
/// `MetaTrainer` with every option, checkpoints included).
extension MetaTrainCommand {
    /// The header's description of the groups, e.g. "one LSTM per parameter group (conv 14048,
    /// fc 9578 coordinates per problem); ".
    func groupsSummary(_ groups: ParameterGroups) -> String {
        "one LSTM per parameter group (\(groups.summary) coordinates per problem); "
    }

    /// The architecture and concatenated φ of a grouped model (--initial-model) trained on a task
    /// of this name with the same group names; errors are `ModelFileError`s naming the path.
    func loadGroupedModel(_ path: String, task: any Task, groups: ParameterGroups) throws -> (LSTMConfiguration, [Float]) {
        let file = try GroupedModelFile.load(path: path)
        guard file.task.name == task.name else {
            throw ModelFileError.mismatched(path: path, detail: "trained on task '\(file.task.name)', not '\(task.name)'")
        }
        guard file.groups.names == groups.names else {
            throw ModelFileError.mismatched(path: path, detail: "trained for parameter groups \(file.groups.names), the task has \(groups.names)")
        }
        return (file.configuration, file.weights.flatMap { $0 })
    }
}

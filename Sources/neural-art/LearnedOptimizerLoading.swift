import Foundation
import MetaLearning

/// A learned-optimizer model file, checked against a task: the optimizer it holds, the same
/// weights with any other LSTM configuration (for `calibrate`'s grid), and the file re-encoded
/// with a calibration recorded.
struct LearnedOptimizerModel {
    /// The LSTM configuration in the file (shared by all groups of a grouped model).
    let configuration: LSTMConfiguration
    /// The optimizer as stored.
    let optimizer: any Optimizer
    /// The file's weights with configuration `c` (e.g. another output scale).
    let withConfiguration: (_ c: LSTMConfiguration) -> any Optimizer
    /// The file's bytes with `c` applied and recorded (`CalibratableModel.calibrated`).
    let calibratedData: (_ c: StepScaleCalibration) throws -> Data

    /// Loads the model in `path` for `task`, checking that it was trained on a task of that name:
    /// a grouped model (one LSTM per parameter group) for a task with those parameter groups, or
    /// a single-LSTM model for any task. Errors are `ModelFileError`s naming the path.
    init(path: String, task: any Task) throws {
        if GroupedModelFile.isGroupedModel(path: path) {
            let file = try GroupedModelFile.load(path: path)
            guard file.task.name == task.name else {
                throw ModelFileError.mismatched(path: path, detail: "trained on task '\(file.task.name)', not '\(task.name)'")
            }
            guard let grouped = task as? any GroupedParameterTask else {
                throw ModelFileError.mismatched(path: path, detail: "one LSTM per parameter group, but task '\(task.name)' has no groups")
            }
            let groups = grouped.parameterGroups
            configuration = file.configuration
            optimizer = try file.optimizer(for: groups, path: path)
            withConfiguration = { c in
                GroupedOptimizer(groups: groups, members: file.weights.map { LSTMOptimizer(configuration: c, weights: $0) })
            }
            calibratedData = { try file.calibrated($0).encoded() }
            return
        }
        let file = try ModelFile.load(path: path)
        try file.requireTask(task.name, path: path)
        configuration = file.configuration
        optimizer = file.optimizer
        withConfiguration = { LSTMOptimizer(configuration: $0, weights: file.weights) }
        calibratedData = { try file.calibrated($0).encoded() }
    }
}

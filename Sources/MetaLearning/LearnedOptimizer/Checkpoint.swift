import Distributed
import Foundation

/// Everything needed to continue a meta-training run exactly where it stopped.
///
/// Taken at problem-batch boundaries (so no problem or LSTM state needs saving: the next batch
/// is regenerated from its index). Holds φ, ADAM's moments and step, the best φ and its
/// validation loss, the counters, the settings and the CSV log so far. Same container as model
/// files (magic `"NACKPT\r\n"`, JSON header, Float32 arrays, CRC-32), written atomically.
///
/// A run with one LSTM per parameter group also stores the groups (`groups` in the header, with
/// their names and coordinate counts; absent for one LSTM, so files written before groups
/// existed load unchanged); its four arrays are then concatenated per group like φ, each
/// `groups.count × architecture.layout.weightCount` values.
public struct Checkpoint: Equatable {
    public static let magic: [UInt8] = Array("NACKPT\r\n".utf8)
    public static let version = 1
    public static let formatName = "neural-art-meta-checkpoint"

    public var task: TaskDescription
    public var configuration: LSTMConfiguration
    /// The parameter groups of a run with one LSTM per group (nil: one LSTM).
    public var groups: ParameterGroups?
    public var settings: MetaTrainingSettings
    public var progress: MetaTrainingProgress
    public var adamStep: Int
    public var log: String
    public var weights: [Float], bestWeights: [Float], adamM: [Float], adamV: [Float]

    struct Header: Codable {
        var format: String
        var task: TaskDescription
        var architecture: LSTMConfiguration
        var groups: ParameterGroups?
        var settings: MetaTrainingSettings
        var progress: MetaTrainingProgress
        var adamStep: Int
        var weightCount: Int
        var log: String
    }

    /// A snapshot of `trainer` (call at a batch boundary).
    public init(_ trainer: MetaTrainer) {
        precondition(trainer.isAtBatchBoundary, "Checkpoint: take checkpoints at problem-batch boundaries")
        task = TaskDescription(trainer.task)
        configuration = trainer.configuration
        groups = trainer.groups
        settings = trainer.settings
        progress = trainer.progress
        adamStep = trainer.metaState.step
        log = trainer.logText
        weights = trainer.weights
        bestWeights = trainer.bestWeights
        adamM = trainer.metaState.m.toArray()
        adamV = trainer.metaState.v.toArray()
    }

    public func write(to path: String) throws {
        let header = Header(format: Self.formatName, task: task, architecture: configuration, groups: groups, settings: settings,
                            progress: progress, adamStep: adamStep, weightCount: weights.count, log: log)
        let json: Data
        do { json = try BinaryContainer.jsonEncoder().encode(header) } catch {
            throw ModelFileError.unwritable(path: path, reason: "\(error)")
        }
        try BinaryContainer(magic: Self.magic, version: Self.version, header: json,
                            arrays: [weights, bestWeights, adamM, adamV]).write(to: path)
    }

    public static func load(path: String) throws -> Checkpoint {
        let decoder = BinaryContainer.jsonDecoder()
        let c = try BinaryContainer.read(
            path: path, magic: magic, kind: "a meta-training checkpoint (\(formatName))", supportedVersion: version
        ) { Array(repeating: try decoder.decode(Header.self, from: $0).weightCount, count: 4) }
        let h = try decoder.decode(Header.self, from: c.header)
        if let g = h.groups, g.names.isEmpty || g.names.count != g.counts.count || !g.counts.allSatisfy({ $0 >= 1 }) {
            throw ModelFileError.damaged(path: path, detail: "implausible parameter groups \(g.names) with counts \(g.counts)")
        }
        let lstms = h.groups?.count ?? 1
        guard lstms * h.architecture.layout.weightCount == h.weightCount else {
            throw ModelFileError.mismatched(
                path: path, detail: "weight count \(h.weightCount) does not fit its architecture (\(lstms) × \(h.architecture.layout.weightCount))")
        }
        return Checkpoint(task: h.task, configuration: h.architecture, groups: h.groups, settings: h.settings, progress: h.progress,
                          adamStep: h.adamStep, log: h.log, weights: c.arrays[0], bestWeights: c.arrays[1],
                          adamM: c.arrays[2], adamV: c.arrays[3])
    }

    init(task: TaskDescription, configuration: LSTMConfiguration, groups: ParameterGroups?, settings: MetaTrainingSettings,
         progress: MetaTrainingProgress, adamStep: Int, log: String,
         weights: [Float], bestWeights: [Float], adamM: [Float], adamV: [Float]) {
        self.task = task; self.configuration = configuration; self.groups = groups; self.settings = settings
        self.progress = progress; self.adamStep = adamStep; self.log = log
        self.weights = weights; self.bestWeights = bestWeights; self.adamM = adamM; self.adamV = adamV
    }

    /// A trainer that continues this run on `task` (which must be the checkpoint's task, and for
    /// a grouped run have the same `parameterGroups`), for `metaSteps` meta-steps in total if
    /// given (to extend a finished run), else the saved number, its meta-steps shared by
    /// `processes` (any number of ranks, whatever the run was saved with).
    public func makeTrainer(task: any MetaTask, metaSteps: Int? = nil, path: String = "checkpoint",
                            processes: any ProcessGroup = SingleProcess()) throws -> MetaTrainer {
        let t = TaskDescription(task)
        guard t == self.task else {
            throw ModelFileError.mismatched(
                path: path, detail: "saved for task '\(self.task.name)' \(self.task.settings), this run is '\(t.name)' \(t.settings)")
        }
        if let groups {
            let theirs = (task as? any GroupedParameterTask)?.parameterGroups
            guard theirs == groups else {
                throw ModelFileError.mismatched(
                    path: path, detail: "saved with one LSTM per parameter group (\(groups.summary)), task '\(t.name)' has "
                        + (theirs.map { "groups (\($0.summary))" } ?? "no parameter groups"))
            }
        }
        var s = settings
        if let metaSteps { s.metaSteps = metaSteps }
        return try MetaTrainer(task: task, configuration: configuration, settings: s, groups: groups, weights: weights,
                               bestWeights: bestWeights, adamM: adamM, adamV: adamV, adamStep: adamStep,
                               progress: progress, logText: log, processes: processes)
    }
}

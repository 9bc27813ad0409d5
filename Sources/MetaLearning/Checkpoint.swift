import Foundation

/// Everything needed to continue a meta-training run exactly where it stopped.
///
/// Taken at problem-batch boundaries (so no problem or LSTM state needs saving: the next batch
/// is regenerated from its index). Holds φ, ADAM's moments and step, the best φ and its
/// validation loss, the counters, the settings and the CSV log so far. Same container as model
/// files (magic `"NACKPT\r\n"`, JSON header, Float32 arrays, CRC-32), written atomically.
public struct Checkpoint: Equatable {
    public static let magic: [UInt8] = Array("NACKPT\r\n".utf8)
    public static let version = 1
    public static let formatName = "neural-art-meta-checkpoint"

    public var task: TaskDescription
    public var configuration: LSTMConfiguration
    public var settings: MetaTrainingSettings
    public var progress: MetaTrainingProgress
    public var adamStep: Int
    public var log: String
    public var weights: [Float], bestWeights: [Float], adamM: [Float], adamV: [Float]

    struct Header: Codable {
        var format: String
        var task: TaskDescription
        var architecture: LSTMConfiguration
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
        let header = Header(format: Self.formatName, task: task, architecture: configuration, settings: settings,
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
        guard h.architecture.layout.weightCount == h.weightCount else {
            throw ModelFileError.mismatched(path: path, detail: "weight count \(h.weightCount) does not fit its architecture")
        }
        return Checkpoint(task: h.task, configuration: h.architecture, settings: h.settings, progress: h.progress,
                          adamStep: h.adamStep, log: h.log, weights: c.arrays[0], bestWeights: c.arrays[1],
                          adamM: c.arrays[2], adamV: c.arrays[3])
    }

    init(task: TaskDescription, configuration: LSTMConfiguration, settings: MetaTrainingSettings,
         progress: MetaTrainingProgress, adamStep: Int, log: String,
         weights: [Float], bestWeights: [Float], adamM: [Float], adamV: [Float]) {
        self.task = task; self.configuration = configuration; self.settings = settings
        self.progress = progress; self.adamStep = adamStep; self.log = log
        self.weights = weights; self.bestWeights = bestWeights; self.adamM = adamM; self.adamV = adamV
    }

    /// A trainer that continues this run on `task` (which must be the checkpoint's task), for
    /// `metaSteps` meta-steps in total if given (to extend a finished run), else the saved number.
    public func makeTrainer(task: any Task, metaSteps: Int? = nil, path: String = "checkpoint") throws -> MetaTrainer {
        let t = TaskDescription(task)
        guard t == self.task else {
            throw ModelFileError.mismatched(
                path: path, detail: "saved for task '\(self.task.name)' \(self.task.settings), this run is '\(t.name)' \(t.settings)")
        }
        var s = settings
        if let metaSteps { s.metaSteps = metaSteps }
        return try MetaTrainer(task: task, configuration: configuration, settings: s, weights: weights,
                               bestWeights: bestWeights, adamM: adamM, adamV: adamV, adamStep: adamStep,
                               progress: progress, logText: log)
    }
}

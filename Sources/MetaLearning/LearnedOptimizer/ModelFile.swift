import Foundation

/// The task a model was trained on: its name and the settings of its problem distribution.
public struct TaskDescription: Codable, Equatable, Sendable {
    public var name: String
    public var settings: [String: String]
    public init(name: String, settings: [String: String]) { self.name = name; self.settings = settings }
    public init(_ task: any MetaTask) { self.init(name: task.name, settings: task.settings) }
}

/// Facts about how a model came to be.
public struct ModelMetadata: Codable, Equatable, Sendable {
    /// ISO 8601 time of writing.
    public var created: String
    /// The program that wrote it, e.g. `neural-art meta-train`.
    public var tool: String
    public var metaStepsDone: Int
    /// The meta-step whose φ this is (the best validated one).
    public var bestMetaStep: Int?
    /// Its mean summed validation loss.
    public var bestValidationLoss: Double?
    public var trainingSeconds: Double
    public var notes: String?
    /// The step-scale calibration applied after training, if any (`neural-art calibrate`).
    public var calibration: StepScaleCalibration?

    public init(created: String = ISO8601DateFormatter().string(from: Date()), tool: String = "neural-art",
                metaStepsDone: Int = 0, bestMetaStep: Int? = nil, bestValidationLoss: Double? = nil,
                trainingSeconds: Double = 0, notes: String? = nil) {
        self.created = created; self.tool = tool; self.metaStepsDone = metaStepsDone
        self.bestMetaStep = bestMetaStep; self.bestValidationLoss = bestValidationLoss
        self.trainingSeconds = trainingSeconds; self.notes = notes
    }
}

/// A learned optimizer on disk: a versioned, self-describing, checksummed file.
///
/// One type for one LSTM over every coordinate and for one LSTM per parameter group (as
/// torch.optim's param groups: a flat list is one group); `groups` says which.
///
/// Layout (`BinaryContainer`), one LSTM: magic `"NALSTM\r\n"`, version 1, a JSON header
/// (`format`, `architecture` — layers, hidden size, input features with p, output scale,
/// forget bias —, `weightCount`, `task`, `training` settings, `metadata`), then φ as
/// little-endian Float32, then a CRC-32. One LSTM per group: magic `"NAGLSTM\n"`, its own format
/// name, the header also holds `groups` (names and the coordinate counts it was trained with)
/// and `weightCount` is per group, then one Float32 array per group. Loading reads both and
/// validates all of it; any problem is one `ModelFileError` naming the path.
public struct ModelFile: Equatable, Sendable {
    public static let magic: [UInt8] = Array("NALSTM\r\n".utf8)
    public static let groupedMagic: [UInt8] = Array("NAGLSTM\n".utf8)
    public static let version = 1
    public static let formatName = "neural-art-lstm-optimizer"
    public static let groupedFormatName = "neural-art-grouped-lstm-optimizer"

    /// The architecture (shared by the LSTMs of every group).
    public var configuration: LSTMConfiguration
    /// One LSTM per group of these (nil: one LSTM over every coordinate). The LSTMs are
    /// coordinatewise, so the counts are informative: any partition with these names fits.
    public var groups: ParameterGroups?
    /// φ; with groups, one weight vector per group concatenated in `groups.names` order.
    public var weights: [Float]
    public var task: TaskDescription
    public var training: MetaTrainingSettings?
    public var metadata: ModelMetadata

    public init(configuration: LSTMConfiguration, groups: ParameterGroups? = nil, weights: [Float], task: TaskDescription,
                training: MetaTrainingSettings?, metadata: ModelMetadata) {
        precondition(weights.count == (groups?.count ?? 1) * configuration.layout.weightCount,
                     "ModelFile: \(weights.count) weights for \(groups?.count ?? 1) LSTMs of \(configuration.layout.weightCount)")
        self.configuration = configuration; self.groups = groups; self.weights = weights; self.task = task
        self.training = training; self.metadata = metadata
    }

    /// The learned optimizer as stored (with the groups' own coordinate counts).
    public var optimizer: any Optimizer { optimizer(groups: groups) }

    /// The learned optimizer for coordinates partitioned by `target` — a partition with the
    /// model's group names — or, for a model with one LSTM, for every coordinate (`target`
    /// ignored); `configuration` replaces the stored one (e.g. another output scale).
    public func optimizer(groups target: ParameterGroups?, configuration c: LSTMConfiguration? = nil) -> any Optimizer {
        LSTMOptimizer.learned(configuration: c ?? configuration, groups: groups == nil ? nil : target, weights: weights)
    }

    /// The learned optimizer for `task`, after checking that the model fits it: the one way
    /// the CLI's commands build a learned optimizer from a file.
    public func optimizer(for task: any MetaTask, path: String) throws -> any Optimizer {
        try optimizer(forTaskNamed: task.name, groups: (task as? any GroupedParameterTask)?.parameterGroups, path: path)
    }

    /// The learned optimizer for a task named `name` whose problems are partitioned by `groups`
    /// (nil: no groups), after checking that the model was trained on a task of that name
    /// (`requireTask`) and fits the partition (`partition(taskNamed:groups:path:)`).
    public func optimizer(forTaskNamed name: String, groups taskGroups: ParameterGroups? = nil, path: String) throws -> any Optimizer {
        try requireTask(name, path: path)
        return optimizer(groups: try partition(taskNamed: name, groups: taskGroups, path: path))
    }

    /// The partition the model's LSTMs apply to on `task` (see `partition(taskNamed:groups:path:)`).
    public func partition(for task: any MetaTask, path: String) throws -> ParameterGroups? {
        try partition(taskNamed: task.name, groups: (task as? any GroupedParameterTask)?.parameterGroups, path: path)
    }

    /// The partition the model's LSTMs apply to on a task named `name` with parameter groups
    /// `taskGroups`: nil for a model with one LSTM (every coordinate, whatever the task's
    /// groups), else the task's groups, which must have the model's names. Throws
    /// `ModelFileError.mismatched`.
    public func partition(taskNamed name: String, groups taskGroups: ParameterGroups?, path: String) throws -> ParameterGroups? {
        guard groups != nil else { return nil }
        guard let target = taskGroups else {
            throw ModelFileError.mismatched(path: path, detail: "one LSTM per parameter group, but task '\(name)' has no groups")
        }
        try requireGroups(target, path: path)
        return target
    }

    /// Checks that the model has LSTMs for `target`: the same group names, or no groups for nil.
    /// Throws `ModelFileError.mismatched`.
    public func requireGroups(_ target: ParameterGroups?, path: String) throws {
        guard groups?.names != target?.names else { return }
        let theirs = target.map { "the task has \($0.names)" } ?? "the task has no groups"
        throw ModelFileError.mismatched(
            path: path, detail: groups.map { "trained for parameter groups \($0.names), \(theirs)" }
                ?? "one LSTM over every coordinate, but the task has parameter groups \(target!.names)")
    }

    /// φ split into one LSTM weight vector per group (`[weights]` without groups).
    public var weightsPerGroup: [[Float]] { configuration.splitPerGroup(weights) }

    /// The JSON header of both layouts (`groups` absent for one LSTM, so its files are unchanged).
    struct Header: Codable {
        var format: String
        var architecture: LSTMConfiguration
        var groups: ParameterGroups?
        var weightCount: Int
        var task: TaskDescription
        var training: MetaTrainingSettings?
        var metadata: ModelMetadata
    }

    /// The file's bytes.
    public func encoded() throws -> Data {
        let encoder = BinaryContainer.jsonEncoder()
        guard let groups else {
            let header = Header(format: Self.formatName, architecture: configuration, groups: nil, weightCount: weights.count,
                                task: task, training: training, metadata: metadata)
            return BinaryContainer(magic: Self.magic, version: Self.version, header: try encoder.encode(header),
                                   arrays: [weights]).encoded()
        }
        let header = Header(format: Self.groupedFormatName, architecture: configuration, groups: groups,
                                   weightCount: configuration.layout.weightCount, task: task, training: training,
                                   metadata: metadata)
        return BinaryContainer(magic: Self.groupedMagic, version: Self.version, header: try encoder.encode(header),
                               arrays: weightsPerGroup).encoded()
    }

    /// Writes the model atomically.
    public func write(to path: String) throws {
        let data: Data
        do { data = try encoded() } catch { throw ModelFileError.unwritable(path: path, reason: "\(error)") }
        try writeAtomically(data, to: path)
    }

    /// Loads and validates a model file (either kind).
    public static func load(path: String) throws -> ModelFile {
        // readRegularFile: a FIFO, device or directory fails at once with what it is.
        try decode(readRegularFile(path), path: path)
    }

    /// Decodes and validates a model file's bytes (`path` only names it in errors).
    public static func decode(_ data: Data, path: String) throws -> ModelFile {
        if data.starts(with: groupedMagic) { return try decodeGrouped(data, path: path) }
        let decoder = BinaryContainer.jsonDecoder()
        let c = try BinaryContainer.decode(
            data, path: path, magic: magic, kind: "a learned-optimizer model file (\(formatName))",
            supportedVersion: version
        ) { [try decoder.decode(Header.self, from: $0).weightCount] }
        let h = try decoder.decode(Header.self, from: c.header)
        try check(format: h.format, expected: formatName, architecture: h.architecture, path: path)
        guard h.architecture.layout.weightCount == h.weightCount else {
            let a = h.architecture
            throw ModelFileError.mismatched(
                path: path,
                detail: "\(h.weightCount) weights, but a \(a.layers)×\(a.hiddenSize) LSTM with \(a.inputs.count) inputs has \(a.layout.weightCount)")
        }
        try checkFinite(c.arrays, path: path)
        return ModelFile(configuration: h.architecture, weights: c.arrays[0], task: h.task, training: h.training,
                         metadata: h.metadata)
    }

    private static func decodeGrouped(_ data: Data, path: String) throws -> ModelFile {
        let decoder = BinaryContainer.jsonDecoder()
        let c = try BinaryContainer.decode(
            data, path: path, magic: groupedMagic, kind: "a grouped learned-optimizer file (\(groupedFormatName))",
            supportedVersion: version
        ) { data in
            let h = try decoder.decode(Header.self, from: data)
            return Array(repeating: h.weightCount, count: h.groups?.names.count ?? 0)
        }
        let h = try decoder.decode(Header.self, from: c.header)
        try check(format: h.format, expected: groupedFormatName, architecture: h.architecture, path: path)
        guard let groups = h.groups, groups.names.count == groups.counts.count, !groups.names.isEmpty,
              groups.counts.allSatisfy({ $0 >= 1 }) else {
            throw ModelFileError.damaged(path: path, detail: "implausible parameter groups")
        }
        guard h.architecture.layout.weightCount == h.weightCount else {
            throw ModelFileError.mismatched(
                path: path, detail: "\(h.weightCount) weights per group, the architecture has \(h.architecture.layout.weightCount)")
        }
        try checkFinite(c.arrays, path: path)
        return ModelFile(configuration: h.architecture, groups: groups, weights: c.arrays.flatMap { $0 }, task: h.task,
                         training: h.training, metadata: h.metadata)
    }

    private static func check(format: String, expected: String, architecture a: LSTMConfiguration, path: String) throws {
        guard format == expected else {
            throw ModelFileError.wrongKind(path: path, expected: "a \(expected) file (header says '\(format)')")
        }
        guard a.isValid else {
            throw ModelFileError.damaged(path: path, detail: "implausible architecture (\(a.layers) layers × \(a.hiddenSize))")
        }
    }

    private static func checkFinite(_ arrays: [[Float]], path: String) throws {
        guard arrays.allSatisfy({ $0.allSatisfy { $0.isFinite } }) else {
            throw ModelFileError.damaged(path: path, detail: "non-finite weights")
        }
    }

    /// Checks that the model was trained for `task` (by name); throws `ModelFileError.mismatched`.
    public func requireTask(_ name: String, path: String) throws {
        guard task.name == name else {
            throw ModelFileError.mismatched(path: path, detail: "trained on task '\(task.name)', not '\(name)'")
        }
    }

    /// This model with its output scale multiplied by `c.multiplier` and `c` recorded.
    public func calibrated(_ c: StepScaleCalibration) -> ModelFile {
        var m = self
        m.configuration.outputScale *= c.multiplier
        m.metadata.calibration = c
        return m
    }
}

extension LSTMConfiguration {
    /// φ of one LSTM per group, concatenated, split into one weight vector per group.
    func splitPerGroup(_ w: [Float]) -> [[Float]] {
        let n = layout.weightCount
        return stride(from: 0, to: w.count, by: n).map { Array(w[$0..<($0 + n)]) }
    }
}

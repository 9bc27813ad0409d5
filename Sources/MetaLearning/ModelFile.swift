import Foundation

/// The task a model was trained on: its name and the settings of its problem distribution.
public struct TaskDescription: Codable, Equatable, Sendable {
    public var name: String
    public var settings: [String: String]
    public init(name: String, settings: [String: String]) { self.name = name; self.settings = settings }
    public init(_ task: any Task) { self.init(name: task.name, settings: task.settings) }
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
/// Layout (`BinaryContainer`): magic `"NALSTM\r\n"`, version 1, a JSON header
/// (`format`, `architecture` — layers, hidden size, input features with p, output scale,
/// forget bias —, `weightCount`, `task`, `training` settings, `metadata`), then φ as
/// little-endian Float32, then a CRC-32. Loading validates all of it; any problem is one
/// `ModelFileError` naming the path.
public struct ModelFile: Equatable, Sendable {
    public static let magic: [UInt8] = Array("NALSTM\r\n".utf8)
    public static let version = 1
    public static let formatName = "neural-art-lstm-optimizer"

    public var configuration: LSTMConfiguration
    public var weights: [Float]
    public var task: TaskDescription
    public var training: MetaTrainingSettings?
    public var metadata: ModelMetadata

    public init(configuration: LSTMConfiguration, weights: [Float], task: TaskDescription,
                training: MetaTrainingSettings?, metadata: ModelMetadata) {
        self.configuration = configuration; self.weights = weights; self.task = task
        self.training = training; self.metadata = metadata
    }

    /// The learned optimizer this file describes.
    public var optimizer: LSTMOptimizer { LSTMOptimizer(configuration: configuration, weights: weights) }

    struct Header: Codable {
        var format: String
        var architecture: LSTMConfiguration
        var weightCount: Int
        var task: TaskDescription
        var training: MetaTrainingSettings?
        var metadata: ModelMetadata
    }

    /// The file's bytes.
    public func encoded() throws -> Data {
        let header = Header(format: Self.formatName, architecture: configuration, weightCount: weights.count,
                            task: task, training: training, metadata: metadata)
        let json = try BinaryContainer.jsonEncoder().encode(header)
        return BinaryContainer(magic: Self.magic, version: Self.version, header: json, arrays: [weights]).encoded()
    }

    /// Writes the model atomically.
    public func write(to path: String) throws {
        let data: Data
        do { data = try encoded() } catch { throw ModelFileError.unwritable(path: path, reason: "\(error)") }
        try writeAtomically(data, to: path)
    }

    /// Loads and validates a model file.
    public static func load(path: String) throws -> ModelFile {
        let data: Data
        data = try readRegularFile(path)
        return try decode(data, path: path)
    }

    /// Decodes and validates a model file's bytes (`path` only names it in errors).
    public static func decode(_ data: Data, path: String) throws -> ModelFile {
        if data.starts(with: GroupedModelFile.magic) {
            throw ModelFileError.mismatched(
                path: path, detail: "it is a grouped model (one LSTM per parameter group, as for the conv task); this needs a single-LSTM model")
        }
        let decoder = BinaryContainer.jsonDecoder()
        let c = try BinaryContainer.decode(
            data, path: path, magic: magic, kind: "a learned-optimizer model file (\(formatName))",
            supportedVersion: version
        ) { [try decoder.decode(Header.self, from: $0).weightCount] }
        let h = try decoder.decode(Header.self, from: c.header)
        guard h.format == formatName else {
            throw ModelFileError.wrongKind(path: path, expected: "a \(formatName) file (header says '\(h.format)')")
        }
        let a = h.architecture
        guard a.isValid else {
            throw ModelFileError.damaged(path: path, detail: "implausible architecture (\(a.layers) layers × \(a.hiddenSize))")
        }
        guard a.layout.weightCount == h.weightCount else {
            throw ModelFileError.mismatched(
                path: path,
                detail: "\(h.weightCount) weights, but a \(a.layers)×\(a.hiddenSize) LSTM with \(a.inputs.count) inputs has \(a.layout.weightCount)")
        }
        guard c.arrays[0].allSatisfy({ $0.isFinite }) else {
            throw ModelFileError.damaged(path: path, detail: "non-finite weights")
        }
        return ModelFile(configuration: a, weights: c.arrays[0], task: h.task, training: h.training, metadata: h.metadata)
    }

    /// Checks that the model was trained for `task` (by name); throws `ModelFileError.mismatched`.
    public func requireTask(_ name: String, path: String) throws {
        guard task.name == name else {
            throw ModelFileError.mismatched(path: path, detail: "trained on task '\(task.name)', not '\(name)'")
        }
    }
}

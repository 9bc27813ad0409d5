import Foundation

/// A grouped learned optimizer on disk: one LSTM per named parameter group (e.g. `conv`, `fc`).
///
/// Same container as `ModelFile` (`BinaryContainer`) with its own magic `"NAGLSTM\n"` and
/// format name: a JSON header (`format`, `architecture` — shared by every group —, `groups`
/// with the names and the coordinate counts it was trained with, `weightCount` per group,
/// `task`, `training`, `metadata`), then one Float32 array per group, then a CRC-32. The LSTMs
/// are coordinatewise, so the counts are informative: `optimizer(for:)` applies the members to
/// any partition with the same group names.
public struct GroupedModelFile: Equatable, Sendable {
    public static let magic: [UInt8] = Array("NAGLSTM\n".utf8)
    public static let version = 1
    public static let formatName = "neural-art-grouped-lstm-optimizer"

    public var configuration: LSTMConfiguration
    public var groups: ParameterGroups
    /// φ of each group, in `groups.names` order.
    public var weights: [[Float]]
    public var task: TaskDescription
    public var training: MetaTrainingSettings?
    public var metadata: ModelMetadata

    public init(configuration: LSTMConfiguration, groups: ParameterGroups, weights: [[Float]], task: TaskDescription,
                training: MetaTrainingSettings?, metadata: ModelMetadata) {
        precondition(weights.count == groups.count && weights.allSatisfy { $0.count == configuration.layout.weightCount },
                     "GroupedModelFile: \(weights.count) weight vectors for \(groups.count) groups")
        self.configuration = configuration; self.groups = groups; self.weights = weights
        self.task = task; self.training = training; self.metadata = metadata
    }

    struct Header: Codable {
        var format: String
        var architecture: LSTMConfiguration
        var groups: ParameterGroups
        var weightCount: Int
        var task: TaskDescription
        var training: MetaTrainingSettings?
        var metadata: ModelMetadata
    }

    /// The grouped optimizer for a partition `target` with the same group names (in order).
    public func optimizer(for target: ParameterGroups, path: String = "model") throws -> GroupedOptimizer<LSTMOptimizer> {
        guard target.names == groups.names else {
            throw ModelFileError.mismatched(path: path, detail: "trained for parameter groups \(groups.names), the task has \(target.names)")
        }
        return GroupedOptimizer(groups: target, members: weights.map { LSTMOptimizer(configuration: configuration, weights: $0) })
    }

    public func encoded() throws -> Data {
        let header = Header(format: Self.formatName, architecture: configuration, groups: groups,
                            weightCount: configuration.layout.weightCount, task: task, training: training, metadata: metadata)
        let json = try BinaryContainer.jsonEncoder().encode(header)
        return BinaryContainer(magic: Self.magic, version: Self.version, header: json, arrays: weights).encoded()
    }

    public func write(to path: String) throws {
        let data: Data
        do { data = try encoded() } catch { throw ModelFileError.unwritable(path: path, reason: "\(error)") }
        try writeAtomically(data, to: path)
    }

    /// Whether the file at `path` starts with this format's magic (false if unreadable).
    public static func isGroupedModel(path: String) -> Bool {
        // readRegularFile refuses FIFOs and devices at once (FileHandle would block on a FIFO).
        guard let data = try? readRegularFile(path) else { return false }
        return data.prefix(magic.count).elementsEqual(magic)
    }

    public static func load(path: String) throws -> GroupedModelFile {
        let decoder = BinaryContainer.jsonDecoder()
        let c = try BinaryContainer.read(
            path: path, magic: magic, kind: "a grouped learned-optimizer file (\(formatName))", supportedVersion: version
        ) { data in
            let h = try decoder.decode(Header.self, from: data)
            return Array(repeating: h.weightCount, count: h.groups.names.count)
        }
        let h = try decoder.decode(Header.self, from: c.header)
        guard h.format == formatName else {
            throw ModelFileError.wrongKind(path: path, expected: "a \(formatName) file (header says '\(h.format)')")
        }
        let a = h.architecture
        guard a.isValid, h.groups.names.count == h.groups.counts.count,
              !h.groups.names.isEmpty, h.groups.counts.allSatisfy({ $0 >= 1 }) else {
            throw ModelFileError.damaged(path: path, detail: "implausible architecture or groups")
        }
        guard a.layout.weightCount == h.weightCount else {
            throw ModelFileError.mismatched(path: path, detail: "\(h.weightCount) weights per group, the architecture has \(a.layout.weightCount)")
        }
        guard c.arrays.allSatisfy({ $0.allSatisfy { $0.isFinite } }) else {
            throw ModelFileError.damaged(path: path, detail: "non-finite weights")
        }
        return GroupedModelFile(configuration: a, groups: h.groups, weights: c.arrays, task: h.task,
                                training: h.training, metadata: h.metadata)
    }
}

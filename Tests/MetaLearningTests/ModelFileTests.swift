import Foundation
import XCTest
@testable import MetaLearning

final class ModelFileTests: XCTestCase {
    func makeModel() -> ModelFile {
        let config = LSTMConfiguration(inputs: InputFeatures(rmsInputs: true), outputScale: 0.5)
        return ModelFile(configuration: config, weights: randomWeights(config, seed: 1, scale: 0.3),
                         task: TaskDescription(QuadraticTask()), training: MetaTrainingSettings(),
                         metadata: ModelMetadata(metaStepsDone: 12, bestMetaStep: 10, bestValidationLoss: 55.5))
    }

    /// Regression for "weights not reloaded at evaluation": a saved model reloads to identical outputs.
    func testRoundTripGivesIdenticalOutputs() throws {
        let dir = try temporaryDirectory(self)
        let path = dir.appendingPathComponent("m.lstm").path
        let model = makeModel()
        try model.write(to: path)
        let loaded = try ModelFile.load(path: path)
        XCTAssertEqual(loaded, model)
        let a = model.optimizer as! LSTMOptimizer, b = loaded.optimizer as! LSTMOptimizer
        let sa = a.makeState(count: 50), sb = b.makeState(count: 50)
        var da = [Float](repeating: 0, count: 50), db = da
        for t in 0..<4 {
            let g = (0..<50).map { Float(sin(Double($0 * 7 + t))) * 0.1 }
            a.update(gradient: g, delta: &da, state: sa)
            b.update(gradient: g, delta: &db, state: sb)
            XCTAssertEqual(da, db)
        }
        // Self-describing header.
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)).prefix(2000), as: UTF8.self)
        for key in ["neural-art-lstm-optimizer", "hiddenSize", "outputScale", "\"p\"", "quadratic", "metaLearningRate", "bestValidationLoss"] {
            XCTAssertTrue(text.contains(key), "header lacks \(key)")
        }
    }

    /// Momentum inputs survive a round trip; a header without them (every file written before
    /// they existed) reads as none, and the paper's header does not mention them.
    func testMomentumInputsRoundTripAndOldHeadersReadAsNone() throws {
        let config = LSTMConfiguration(inputs: InputFeatures(momentumDecays: [0.5, 0.9, 0.99]), momentumReadoutScale: 10)
        let model = ModelFile(configuration: config, weights: randomWeights(config, seed: 2, scale: 0.3),
                              task: TaskDescription(QuadraticTask()), training: nil, metadata: ModelMetadata())
        let loaded = try ModelFile.decode(try model.encoded(), path: "m.lstm")
        XCTAssertEqual(loaded.configuration.inputs.momentumDecays, [0.5, 0.9, 0.99])
        XCTAssertEqual(loaded.configuration.momentumReadoutCount, 3)
        XCTAssertEqual(loaded, model)
        let paper = try BinaryContainer.jsonEncoder().encode(LSTMConfiguration())
        XCTAssertFalse(String(decoding: paper, as: UTF8.self).contains("momentum"))
        XCTAssertEqual(try BinaryContainer.jsonDecoder().decode(LSTMConfiguration.self, from: paper), LSTMConfiguration())
    }

    func assertOneLineError(_ data: Data, _ check: (ModelFileError) -> Bool, file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = try temporaryDirectory(self)
        let path = dir.appendingPathComponent("bad.lstm").path
        try data.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try ModelFile.load(path: path), file: file, line: line) { error in
            guard let e = error as? ModelFileError else { return XCTFail("untyped error \(error)", file: file, line: line) }
            XCTAssertTrue(check(e), "unexpected \(e)", file: file, line: line)
            XCTAssertTrue(e.description.contains(path), file: file, line: line)
            XCTAssertFalse(e.description.contains("\n"), file: file, line: line)
        }
    }

    func testDamagedTruncatedAndMismatchedFilesGiveOneClearError() throws {
        let good = try makeModel().encoded()
        var flipped = good
        flipped[good.count - 40] ^= 0x10
        try assertOneLineError(flipped) { if case .damaged = $0 { return true }; return false }
        var headerFlip = good
        headerFlip[30] ^= 0x01
        try assertOneLineError(headerFlip) { if case .damaged = $0 { return true }; return false }
        try assertOneLineError(good.prefix(good.count - 9)) { if case .truncated = $0 { return true }; return false }
        try assertOneLineError(good.prefix(10)) { if case .truncated = $0 { return true }; return false }
        try assertOneLineError(Data("hello world, not a model".utf8)) { if case .wrongKind = $0 { return true }; return false }
        try assertOneLineError(Data()) { if case .wrongKind = $0 { return true }; return false }

        // A future version (valid checksum).
        var c = try BinaryContainer.decode(good, path: "x", magic: ModelFile.magic, kind: "", supportedVersion: 1) {
            [try JSONDecoder().decode(ModelFile.Header.self, from: $0).weightCount]
        }
        c.version = 2
        try assertOneLineError(c.encoded()) { if case .unsupportedVersion(_, 2, 1) = $0 { return true }; return false }

        // A header whose weight count does not fit its architecture.
        c.version = 1
        var header = try JSONSerialization.jsonObject(with: c.header) as! [String: Any]
        header["weightCount"] = 3
        c.header = try JSONSerialization.data(withJSONObject: header)
        c.arrays = [[1, 2, 3]]
        try assertOneLineError(c.encoded()) { if case .mismatched = $0 { return true }; return false }

        XCTAssertThrowsError(try ModelFile.load(path: "/nonexistent/m.lstm")) {
            XCTAssertTrue("\($0)".contains("/nonexistent/m.lstm"))
        }
    }

    func testDamagedCheckpointIsRejected() throws {
        let dir = try temporaryDirectory(self)
        let path = dir.appendingPathComponent("c.ckpt").path
        let t = try MetaTrainer(task: QuadraticTask(dimension: 3), configuration: LSTMConfiguration(hiddenSize: 3),
                                settings: MetaTrainingSettings(metaSteps: 2, horizon: 4, unroll: 2, problemsPerStep: 1,
                                                               validationProblems: 2))
        try t.run()
        try Checkpoint(t).write(to: path)
        XCTAssertEqual(try Checkpoint.load(path: path), Checkpoint(t))
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data[data.count - 20] ^= 0x40
        try data.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Checkpoint.load(path: path)) { XCTAssertTrue("\($0)".contains("damaged")) }
        // A model file is not a checkpoint.
        let model = dir.appendingPathComponent("m.lstm").path
        try makeModel().write(to: model)
        XCTAssertThrowsError(try Checkpoint.load(path: model)) { XCTAssertTrue("\($0)".contains("not a meta-training checkpoint")) }
    }
}

/// One `ModelFile` type reads every learned optimizer shipped in models/, with one LSTM or one
/// per parameter group, and writes each back byte for byte.
final class ShippedModelFileTests: XCTestCase {
    func testEveryShippedModelLoadsAndReencodesByteForByte() throws {
        let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("models")
        let names = try FileManager.default.contentsOfDirectory(atPath: models.path).filter { $0.hasSuffix(".lstm") }.sorted()
        XCTAssertTrue(names.contains("conv.lstm") && names.contains("quadratic.lstm"), "\(names)")
        for name in names {
            let path = models.appendingPathComponent(name).path
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            let file = try ModelFile.load(path: path)
            XCTAssertEqual(try file.encoded(), bytes, "\(name) re-encodes differently")
            XCTAssertEqual(file.weights.count, (file.groups?.count ?? 1) * file.configuration.layout.weightCount, name)
            if name == "conv.lstm" {
                XCTAssertEqual(file.groups?.names, ["conv", "fc"])
                XCTAssertTrue(bytes.starts(with: ModelFile.groupedMagic))
                XCTAssertTrue(file.optimizer is GroupedOptimizer<LSTMOptimizer>)
            } else {
                XCTAssertNil(file.groups, name)
                XCTAssertTrue(file.optimizer is LSTMOptimizer, name)
            }
        }
    }
}

/// Model files, checkpoints and CSVs written to a device or FIFO go into it instead of
/// replacing the node (as root, `--csv /dev/null` would otherwise delete /dev/null).
final class AtomicWriteTests: XCTestCase {
    func testWritingToAFIFOWritesInPlace() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("naml-fifo-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("pipe").path
        XCTAssertEqual(mkfifo(path, 0o644), 0)
        let reader = open(path, O_RDONLY | O_NONBLOCK)
        XCTAssertGreaterThanOrEqual(reader, 0)
        defer { close(reader) }
        try writeAtomically(Data("a,b\n1,2\n".utf8), to: path)
        var back = [UInt8](repeating: 0, count: 64)
        let n = read(reader, &back, back.count)
        XCTAssertEqual(String(decoding: back[0..<max(0, n)], as: UTF8.self), "a,b\n1,2\n")
        var info = stat()
        XCTAssertEqual(stat(path, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFIFO, "the FIFO was replaced by a regular file")
        // A regular file is still replaced atomically.
        let file = dir.appendingPathComponent("f.csv").path
        try writeAtomically(Data("x".utf8), to: file)
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), "x")
    }
}

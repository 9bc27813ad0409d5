import Foundation
import XCTest

/// The dataset tasks through the real binary, on a tiny MNIST-format dataset written here:
/// meta-train, evaluate (JSON schema with test accuracy), the grouped conv optimizer,
/// generalization, and one-line errors for bad data.
final class TaskCommandTests: CLITestCase {
    /// Writes `train-*` (`train` samples) and `t10k-*` (`test` samples) IDX files of 8×8 images
    /// whose class k (of 10) brightens row k mod 8; returns the directory.
    func writeTinyIDX(train: Int = 300, test: Int = 50) throws -> String {
        let dir = temp("data")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        func header(_ magic: UInt8, _ dims: [Int]) -> [UInt8] {
            [0, 0, 8, magic] + dims.flatMap { d in [24, 16, 8, 0].map { UInt8((d >> $0) & 0xff) } }
        }
        var seed: UInt64 = 12345
        func next() -> UInt8 { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return UInt8(seed >> 57) }
        for (name, n) in [("train", train), ("t10k", test)] {
            var images = header(3, [n, 8, 8]), labels = header(1, [n])
            for i in 0..<n {
                let y = i % 10
                labels.append(UInt8(y))
                for p in 0..<64 { images.append(p / 8 == y % 8 ? 200 : next()) }
            }
            try Data(images).write(to: URL(fileURLWithPath: "\(dir)/\(name)-images-idx3-ubyte"))
            try Data(labels).write(to: URL(fileURLWithPath: "\(dir)/\(name)-labels-idx1-ubyte"))
        }
        return dir
    }

    var tinyData: [String] { ["--batch-size", "8", "--validation-samples", "50"] }

    func testMetaTrainAndEvaluateMLPWithTestAccuracyInJSON() throws {
        let data = try writeTinyIDX()
        let model = temp("mlp.lstm")
        let train = try run(["meta-train", "--task", "mlp", "--data", data] + tinyData + [
            "--meta-steps", "4", "--horizon", "6", "--unroll", "3", "--problems-per-step", "1",
            "--validation-problems", "2", "--validate-every", "2", "--output", model, "--quiet"])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: model))

        let json = temp("eval.json")
        let r = try run(["evaluate", "--task", "mlp", "--data", data] + tinyData + [
            "--model", model, "--problems", "2", "--steps", "5", "--json", json,
            "--csv", temp("e.csv"), "--plot", temp("e.svg"), "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("test acc"), r.stdout)
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
        XCTAssertEqual(object["task"] as? String, "mlp")
        XCTAssertEqual(object["steps"] as? Int, 5)
        XCTAssertEqual(object["test_samples"] as? Int, 50)
        let optimizers = object["optimizers"] as! [String: [String: Any]]
        XCTAssertEqual(Set(optimizers.keys), ["lstm", "sgd", "nag", "rmsprop", "adam"])
        for (_, o) in optimizers {
            XCTAssertEqual((o["mean_loss"] as? [Any])?.count, 5)
            let acc = try XCTUnwrap(o["test_accuracy"] as? Double)
            XCTAssertTrue((0...1).contains(acc))
            XCTAssertNotNil(o["test_loss"] as? Double)
        }
    }

    /// `--second-order K` trains (its setting recorded in the model), and is refused with one line
    /// where it cannot work (stateful inputs), with nothing written.
    func testMetaTrainSecondOrder() throws {
        let data = try writeTinyIDX()
        let model = temp("so.lstm")
        let train = try run(["meta-train", "--task", "mlp", "--data", data] + tinyData + [
            "--meta-steps", "2", "--horizon", "6", "--unroll", "6", "--second-order", "3", "--problems-per-step", "1",
            "--validation-problems", "1", "--validate-every", "2", "--output", model])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stderr.contains("second order over the last 3 steps"), train.stderr)
        let header = try String(decoding: Data(contentsOf: URL(fileURLWithPath: model)).prefix(4000), as: UTF8.self)
        XCTAssertTrue(header.contains("\"secondOrderLastSteps\" : 3"), header)

        let stateful = try run(["meta-train", "--task", "mlp", "--data", data] + tinyData + [
            "--momentum-inputs", "0.9", "--second-order", "3", "--meta-steps", "1", "--output", temp("x.lstm")])
        XCTAssertEqual(stateful.status, 1)
        XCTAssertTrue(stateful.stderr.contains("stateless inputs"), stateful.stderr)
        XCTAssertEqual(stateful.stderr.split(separator: "\n").count, 1, stateful.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: temp("x.lstm")))
    }

    func testConvTaskTrainsTwoLSTMsAndEvaluates() throws {
        let data = try writeTinyIDX()
        let model = temp("conv.lstm")
        let train = try run(["meta-train", "--task", "conv", "--data", data] + tinyData + [
            "--meta-steps", "2", "--horizon", "4", "--unroll", "2", "--problems-per-step", "1",
            "--validation-problems", "1", "--output", model])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stderr.contains("one LSTM per parameter group (conv "), train.stderr)
        let r = try run(["evaluate", "--task", "conv", "--data", data] + tinyData + [
            "--model", model, "--problems", "1", "--steps", "3", "--csv", temp("c.csv"), "--plot", temp("c.svg"), "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("lstm"), r.stdout)
        // A grouped model is not an MLP optimizer.
        assertFails(try run(["evaluate", "--task", "mlp", "--data", data] + tinyData + ["--model", model, "--problems", "1", "--quiet"]),
                    mentioning: "trained on task 'conv', not 'mlp'")
    }

    /// The conv task (one LSTM per group) takes every meta-training option: a run stopped at a
    /// checkpoint and resumed logs the same losses as one straight run.
    func testConvTaskResumesFromCheckpointWithAllOptions() throws {
        let data = try writeTinyIDX()
        let options = ["meta-train", "--task", "conv", "--data", data] + tinyData + [
            "--horizon", "4", "--unroll", "2", "--problems-per-step", "1", "--validation-problems", "1",
            "--validate-every", "2", "--checkpoint-every", "2", "--objective", "log", "--late-weight", "1",
            "--random-scale", "1", "--select", "final"]
        let straight = try run(options + ["--meta-steps", "4", "--checkpoint", temp("a.ckpt"), "--output", temp("a.lstm"), "--quiet"])
        XCTAssertEqual(straight.status, 0, straight.stderr)
        let first = try run(options + ["--meta-steps", "2", "--checkpoint", temp("b.ckpt"), "--output", temp("b.lstm")])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stderr.contains("one LSTM per parameter group (conv ") && first.stderr.contains("objective log, late weight 1.0"),
                      first.stderr)
        let resumed = try run(options + ["--meta-steps", "4", "--checkpoint", temp("b.ckpt"), "--resume", "--output", temp("b.lstm")])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("resumed at meta-step 2"), resumed.stderr)
        func lossColumns(_ path: String) throws -> [String] {
            try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
                $0.split(separator: ",", omittingEmptySubsequences: false).enumerated()
                    .filter { $0.offset != 6 }.map { String($0.element) }.joined(separator: ",")
            }
        }
        XCTAssertEqual(try lossColumns(temp("b.csv")), try lossColumns(temp("a.csv")))
        XCTAssertEqual(try lossColumns(temp("b.csv")).count, 5)
        // The resumed model is a grouped model like any other.
        let r = try run(["evaluate", "--task", "conv", "--data", data] + tinyData + [
            "--model", temp("b.lstm"), "--problems", "1", "--steps", "2", "--csv", temp("c.csv"), "--plot", temp("c.svg"), "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        assertFails(try run(["meta-train", "--task", "mlp", "--data", data] + tinyData + ["--checkpoint", temp("b.ckpt"), "--resume", "--quiet"]),
                    mentioning: "b.ckpt does not match: saved for task 'conv'")
    }

    /// Momentum inputs and read-out through meta-train, then `calibrate`: a model that loads
    /// with its scale multiplied and the search recorded; bad input is one line.
    func testMomentumOptionsAndCalibrate() throws {
        let data = try writeTinyIDX()
        let model = temp("mom.lstm")
        let train = try run(["meta-train", "--task", "mlp", "--data", data] + tinyData + [
            "--meta-steps", "2", "--horizon", "4", "--unroll", "2", "--problems-per-step", "1", "--validation-problems", "1",
            "--momentum-inputs", "0.5,0.9", "--momentum-readout", "--output", model])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stderr.contains("+momentum(0.5,0.9), output ×0.1, momentum read-out ×10"), train.stderr)
        let out = temp("cal.lstm")
        let r = try run(["calibrate", "--task", "mlp", "--data", data] + tinyData + [
            "--model", model, "--problems", "1", "--steps", "3", "--points-per-decade", "1", "--output", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("output scale ×") && r.stdout.contains("saved \(out)"), r.stdout)
        let header = String(decoding: try Data(contentsOf: URL(fileURLWithPath: out)).prefix(4000), as: UTF8.self)
        XCTAssertTrue(header.contains("\"calibration\"") && header.contains("momentumReadoutScale"), header)
        let e = try run(["evaluate", "--task", "mlp", "--data", data] + tinyData + [
            "--model", out, "--problems", "1", "--steps", "3", "--csv", temp("e.csv"), "--plot", temp("e.svg"), "--quiet"])
        XCTAssertEqual(e.status, 0, e.stderr)

        assertUsageError(try run(["meta-train", "--momentum-inputs", "0.9,1.5"]), mentioning: "--momentum-inputs needs 1 to 8")
        assertUsageError(try run(["meta-train", "--momentum-readout"]), mentioning: "--momentum-readout needs --momentum-inputs")
        assertFails(try run(["calibrate", "--task", "mlp", "--data", data] + tinyData + ["--model", temp("none.lstm"), "--quiet"]),
                    mentioning: "none.lstm")
        assertFails(try run(["calibrate", "--task", "quadratic", "--model", model, "--problems", "1", "--quiet"]),
                    mentioning: "trained on task 'mlp', not 'quadratic'")
        XCTAssertFalse(FileManager.default.fileExists(atPath: temp("mom-calibrated.lstm")))
    }

    func testGeneralizationWritesTableCSVJSONAndPlot() throws {
        let data = try writeTinyIDX()
        let model = temp("m.lstm")
        XCTAssertEqual(try run(["meta-train", "--task", "mlp", "--data", data] + tinyData + [
            "--meta-steps", "1", "--horizon", "4", "--unroll", "4", "--problems-per-step", "1",
            "--validation-problems", "1", "--output", model, "--quiet"]).status, 0)
        let stem = temp("gen")
        let r = try run(["generalization", "--data", data] + tinyData + [
            "--model", model, "--problems", "1", "--tuning-problems", "1", "--points-per-decade", "1",
            "--only", "relu", "--output", stem, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("ReLU"), r.stdout)
        for ext in ["csv", "json", "svg"] { XCTAssertTrue(FileManager.default.fileExists(atPath: "\(stem).\(ext)"), ext) }
        assertUsageError(try run(["generalization", "--only", "sideways"]), mentioning: "unknown variant 'sideways'")
    }

    func testBadDataIsOneLineNamingTheFile() throws {
        assertFails(try run(["evaluate", "--task", "mlp", "--data", temp("missing"), "--quiet"]),
                    mentioning: "missing': no such directory")
        let data = try writeTinyIDX()
        let labels = "\(data)/train-labels-idx1-ubyte"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: labels))
        try bytes.prefix(bytes.count - 10).write(to: URL(fileURLWithPath: labels))
        assertFails(try run(["tune", "--task", "mlp", "--data", data, "--quiet"]),
                    mentioning: "train-labels-idx1-ubyte': header declares 300 = 300 bytes, the file has 290")
        assertUsageError(try run(["tune", "--task", "mlp", "--hidden", "20,x"]), mentioning: "--hidden")
    }
}

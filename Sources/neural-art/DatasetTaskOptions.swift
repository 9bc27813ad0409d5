import ArgumentParser
import Foundation
import MetaLearning

/// Options of the dataset tasks (`mlp`, `conv`), shared by meta-train, tune, evaluate and
/// generalization. Ignored by the quadratic task.
struct DatasetTaskOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Dataset directory for the mlp and conv tasks: the four MNIST-format IDX files (gzip'd or not), or CIFAR-10's binary batches (data_batch_N.bin, test_batch.bin).",
        valueName: "dir"))
    var data: String = IDXDirectory.fashionMNIST

    @Option(help: ArgumentHelp("mlp task: hidden layer widths, comma-separated (e.g. 20 or 20,20).", valueName: "widths"))
    var hidden: String = "20"

    @Option(help: "mlp task: hidden activation, sigmoid or relu.")
    var activation: MLP.Activation = .sigmoid

    @Option(help: "mlp and conv tasks: minibatch size.")
    var batchSize = 128

    @Option(help: "mlp and conv tasks: held-out training samples for validation (default: 10000 for IDX data, 5000 for CIFAR-10).")
    var validationSamples: Int?

    @Option(help: "mlp and conv tasks: test samples the final parameters' loss and accuracy are measured on (default: all).")
    var testSamples: Int?

    func validate() throws {
        _ = try hiddenSizes()
        if batchSize < 1 { throw ValidationError("--batch-size must be ≥ 1") }
        if let t = testSamples, t < 1 { throw ValidationError("--test-samples must be ≥ 1") }
        if let v = validationSamples, v < 1 { throw ValidationError("--validation-samples must be ≥ 1") }
    }

    /// `--hidden` parsed.
    func hiddenSizes() throws -> [Int] {
        let parts = hidden.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) >= 1 }) else {
            throw ValidationError("--hidden must be positive widths separated by commas, e.g. 20 or 20,20 (got '\(hidden)')")
        }
        return parts.map { $0! }
    }

    /// Loads the data (IDX or CIFAR-10, decided by the files present). Errors name the file.
    func loadData() throws -> DatasetSplit {
        let cifar = (data as NSString).appendingPathComponent("data_batch_1.bin")
        if FileManager.default.fileExists(atPath: cifar) {
            return try CIFAR10.load(data, validationCount: validationSamples ?? 5_000)
        }
        return try IDXDirectory.load(data, validationCount: validationSamples ?? IDXDirectory.defaultValidationCount)
    }
}

extension MLP.Activation: ExpressibleByArgument {}

import ArgumentParser
import Foundation
import MetaLearning
import NeuralArt
import Numerics

/// The tasks the meta-learning commands know, by name. Add new tasks here.
enum TaskCatalog {
    static let names = ["quadratic", "style", "mlp", "conv"]

    static func make(_ name: String, options: DatasetTaskOptions = DatasetTaskOptions(),
                     style: StyleTaskOptions = StyleTaskOptions()) throws -> any Task {
        switch name {
        case "quadratic": return QuadraticTask()
        case "style": return try style.makeTask()
        case "mlp":
            return MLPTask(data: try options.loadData(), hiddenSizes: try options.hiddenSizes(),
                           activation: options.activation, batchSize: options.batchSize)
        case "conv":
            return ConvTask(data: try options.loadData(), batchSize: options.batchSize)
        default:
            throw ValidationError("unknown task '\(name)' (known: \(names.joined(separator: ", ")))")
        }
    }
}

/// Runs `body`, turning the library's typed errors into one line on stderr and exit code 1.
func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let e as ValidationError {
        throw e
    } catch let e as ExitCode {
        throw e
    } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode.failure
    }
}

/// Writes `text` atomically, creating the parent directory; throws a one-line error.
func writeAtomically(_ text: String, to path: String) throws {
    try writeAtomically(Data(text.utf8), to: path)
}

func writeAtomically(_ data: Data, to path: String) throws {
    try ensureParentDirectory(path)
    try MetaLearning.writeAtomically(data, to: path)
}

/// Creates the parent directory of `path` (for files the library writes).
func ensureParentDirectory(_ path: String) throws {
    let dir = URL(fileURLWithPath: path).deletingLastPathComponent()
    do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
        throw ModelFileError.unwritable(path: path, reason: (error as NSError).localizedDescription)
    }
}

func formatLoss(_ x: Double) -> String {
    guard x.isFinite else { return x.isNaN ? "nan" : "inf" }
    return String(format: abs(x) >= 1e4 || (abs(x) < 1e-3 && x != 0) ? "%.3e" : "%.4f", x)
}

extension InputFeatures.Gradient: ExpressibleByArgument {}
extension MetaObjective: ExpressibleByArgument {}
extension ValidationSelection: ExpressibleByArgument {}

/// Meta-learning work uses every core: the LSTM optimizer splits coordinates over them and
/// batched problems are evaluated concurrently (see `BLAS.threads`).
func useOneBLASThread() { BLAS.threads = defaultChunks }

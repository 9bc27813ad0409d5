import ArgumentParser
import Distributed
import Foundation
import MetaLearning
import Numerics

/// Runs `body`, turning the library's typed errors into one line on stderr and exit code 1.
/// Under `mpirun` only rank 0 prints it (every rank meets the same error: they run the same
/// command on the same files); the other ranks exit with the same code.
func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let e as ValidationError {
        throw e
    } catch let e as ExitCode {
        throw e
    } catch {
        if Job.isRoot { FileHandle.standardError.write(Data("error: \(error)\n".utf8)) }
        throw ExitCode.failure
    }
}

/// The processes this command runs as (`Processes.world`: one, or the ranks of an `mpirun`
/// job). Rank 0 alone prints, shows progress and writes result files.
enum Job {
    static var processes: any ProcessGroup { Processes.world }
    /// Whether this process talks and writes (always, without mpirun).
    static var isRoot: Bool { !Processes.launchedByMPI || Processes.world.isRoot }
    /// A command's `--quiet`, forced on for ranks other than 0.
    static func quiet(_ requested: Bool) -> Bool { requested || !isRoot }
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

/// How many compute threads (`BLAS.threads`: the column chunks of our own parallel loops; the
/// BLAS itself is single-threaded) each command uses: the one place for these rules.
enum ComputeThreads {
    /// Images with fewer pixels than this (96×96) are stylized on one thread: below it, starting
    /// parallel regions costs more than it saves.
    static let parallelImagePixels = 96 * 96

    /// Sets `BLAS.threads` for stylizing a `width × height` image: `requested` if given (`--threads`),
    /// else 1 below `parallelImagePixels` pixels and `perProcess` from there on.
    static func setForImage(width: Int, height: Int, requested: Int? = nil) {
        BLAS.threads = requested ?? (width * height < parallelImagePixels ? 1 : perProcess(ProcessInfo.processInfo.activeProcessorCount))
    }

    /// Sets `BLAS.threads` to every core (`defaultChunks`) for meta-learning work, shared among
    /// the ranks on this machine (`perProcess`): the LSTM optimizer splits coordinates over them
    /// and batched problems are evaluated concurrently.
    static func setForMetaLearning() { BLAS.threads = perProcess(defaultChunks) }

    /// `threads` for a single process; under `mpirun`, the machine's cores divided among its
    /// ranks (at least 1: one thread per rank when the ranks fill the cores), unless
    /// `NEURALART_THREADS` sets the count per process.
    static func perProcess(_ threads: Int) -> Int {
        let local = Processes.localSize
        guard local > 1, ProcessInfo.processInfo.environment["NEURALART_THREADS"] == nil else { return threads }
        return max(1, min(threads, ProcessInfo.processInfo.activeProcessorCount / local))
    }
}

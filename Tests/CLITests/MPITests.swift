import Foundation
import MetaLearning
import XCTest

/// `neural-art` under `mpirun -np 2` (oversubscribed: the tests may run on one core): every
/// result must be bit-identical to one process's, rank 0 alone writes, and a rank killed with
/// SIGKILL ends the job within seconds, the run resuming from its last checkpoint. Skipped,
/// with a message, where `mpirun` is missing (scripts/setup.sh installs it).
final class MPITests: CLITestCase {
    /// `mpirun -np n` with the flags a test machine needs (CI runs as root).
    func mpirun(_ n: Int) throws -> [String] {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .map { "\($0)/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let path else {
            throw XCTSkip("mpirun not found: install Open MPI (openmpi-bin; scripts/setup.sh does) to run the MPI tests")
        }
        return [path, "-np", "\(n)", "--oversubscribe"] + (getuid() == 0 ? ["--allow-run-as-root"] : [])
    }

    /// The CSV log without its timing column (seconds_per_unroll), which no two runs share.
    func logWithoutTimes(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
            var fields = line.split(separator: ",", omittingEmptySubsequences: false)
            if fields.count > 6 { fields.remove(at: 6) }
            return fields.joined(separator: ",")
        }.joined(separator: "\n")
    }

    /// Meta-trains with `arguments` in one process and with `mpirun -np 2`, and checks the models'
    /// weights (the best validated φ) and the logs are the same bit for bit. One compute thread
    /// per process in both runs: results are deterministic for a given thread count, and some CPUs'
    /// OpenBLAS kernels round a column of a product split over threads differently (see `BLAS`).
    func checkMetaTraining(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let launcher = try mpirun(2)
        let oneThread = ["NEURALART_THREADS": "1"]
        let one = try run(["meta-train"] + arguments + ["--output", temp("one.lstm"), "--quiet"], timeout: 60,
                          environment: oneThread)
        XCTAssertEqual(one.status, 0, one.stderr, file: file, line: line)
        let two = try run(["meta-train"] + arguments + ["--output", temp("two.lstm")], timeout: 60, environment: oneThread,
                          launcher: launcher)
        XCTAssertEqual(two.status, 0, two.stderr, file: file, line: line)
        XCTAssertTrue(two.stderr.contains("2 processes"), "rank 0's summary line: \(two.stderr)", file: file, line: line)
        XCTAssertEqual(two.stdout.split(separator: "\n").filter { $0.hasPrefix("saved") }.count, 1,
                       "rank 0 alone reports: \(two.stdout)", file: file, line: line)
        let a = try ModelFile.load(path: temp("one.lstm")), b = try ModelFile.load(path: temp("two.lstm"))
        XCTAssertEqual(a.weights.map(\.bitPattern), b.weights.map(\.bitPattern), "best weights differ", file: file, line: line)
        XCTAssertEqual(a.metadata.bestMetaStep, b.metadata.bestMetaStep, file: file, line: line)
        XCTAssertEqual(try logWithoutTimes(temp("one.csv")), try logWithoutTimes(temp("two.csv")), file: file, line: line)
    }

    func testQuadraticMetaTrainingIsBitIdentical() throws {
        // 5 problems per step and 7 validation problems: uneven shares (3 + 2, 4 + 3).
        try checkMetaTraining(["--task", "quadratic", "--meta-steps", "60", "--problems-per-step", "5", "--unroll", "10",
                               "--horizon", "40", "--validate-every", "20", "--validation-problems", "7"])
    }

    func testStyleMetaTrainingIsBitIdentical() throws {
        try checkMetaTraining(["--task", "style", "--meta-steps", "4", "--horizon", "4", "--unroll", "2",
                               "--problems-per-step", "2", "--validate-every", "2", "--validation-problems", "3"])
    }

    /// `evaluate`'s output without its wall times: the wall-clock table keeps its first two
    /// columns (optimizer, steps to reach ADAM's final loss).
    func withoutTimes(_ stdout: String) -> String {
        var inTable = false
        return stdout.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            if line.hasPrefix("steps to reach ") { inTable = true; return String(line) }
            if line.hasPrefix("wrote ") || line.hasPrefix("mean loss at step") { inTable = false }
            return inTable ? line.split(separator: " ").prefix(2).joined(separator: " ") : String(line)
        }.joined(separator: "\n")
    }

    /// evaluate's JSON without its wall times (seconds and what is derived from them).
    func jsonWithoutTimes(_ path: String) throws -> Data {
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        var optimizers = object["optimizers"] as! [String: [String: Any]]
        for name in optimizers.keys {
            for key in ["seconds", "seconds_per_step", "seconds_to_adam_final", "adam_time_ratio"] {
                XCTAssertNotNil(optimizers[name]![key], "\(name) has \(key)")
                optimizers[name]![key] = nil
            }
        }
        object["optimizers"] = optimizers
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    /// `evaluate` that tunes the baselines first: the table, CSV and JSON are the same on 2 ranks
    /// (but for the wall times).
    func testTunedEvaluationIsBitIdentical() throws {
        let launcher = try mpirun(2)
        func evaluate(_ dir: String, _ launcher: [String]) throws -> Result {
            let r = try run(["evaluate", "--task", "quadratic", "--model", "models/quadratic.lstm", "--problems", "5",
                             "--steps", "20", "--output-dir", temp(dir), "--json", temp(dir + "/e.json"), "--quiet"],
                            timeout: 60, launcher: launcher)
            XCTAssertEqual(r.status, 0, r.stderr)
            return r
        }
        let one = try evaluate("one", []), two = try evaluate("two", launcher)
        XCTAssertEqual(withoutTimes(one.stdout.replacingOccurrences(of: temp("one"), with: "<dir>")),
                       withoutTimes(two.stdout.replacingOccurrences(of: temp("two"), with: "<dir>")),
                       "the tables are printed once, the same")
        XCTAssertTrue(one.stdout.contains("steps to reach adam's step-20 loss"), one.stdout)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: temp("one/quadratic-eval.csv"))),
                       try Data(contentsOf: URL(fileURLWithPath: temp("two/quadratic-eval.csv"))))
        XCTAssertEqual(try jsonWithoutTimes(temp("one/e.json")), try jsonWithoutTimes(temp("two/e.json")))
    }

    /// Per-family tuning and the per-family evaluation on a style distribution: the same on 2
    /// ranks. One compute thread per process in both runs: results are deterministic for a given
    /// thread count (`defaultChunks`), and at 16 px the loss's last digits depend on it.
    func testPerFamilyEvaluationIsBitIdentical() throws {
        let launcher = try mpirun(2)
        func evaluate(_ dir: String, _ launcher: [String]) throws -> Result {
            let r = try run(["evaluate", "--task", "style", "--style-families", "cells,wash", "--crop-sizes", "16",
                             "--per-family", "--problems", "2", "--steps", "2", "--by-family", "--output-dir", temp(dir),
                             "--json", temp(dir + "/e.json"), "--quiet"], timeout: 120, environment: ["NEURALART_THREADS": "1"],
                            launcher: launcher)
            XCTAssertEqual(r.status, 0, r.stderr)
            return r
        }
        let one = try evaluate("one", []), two = try evaluate("two", launcher)
        XCTAssertEqual(withoutTimes(one.stdout.replacingOccurrences(of: temp("one"), with: "<dir>")),
                       withoutTimes(two.stdout.replacingOccurrences(of: temp("two"), with: "<dir>")))
        XCTAssertTrue(one.stdout.contains("tuned per style family"), one.stdout)
        XCTAssertEqual(try jsonWithoutTimes(temp("one/e.json")), try jsonWithoutTimes(temp("two/e.json")))
    }

    /// `stylize` over a folder: the files are shared between the ranks, the pictures are those of one process.
    func testBatchStylizationMatchesOneProcess() throws {
        let launcher = try mpirun(2)
        let photos = temp("photos")
        try FileManager.default.createDirectory(atPath: photos, withIntermediateDirectories: true)
        for name in ["chelsea.png", "coffee.png", "rocket.jpg"] {
            try FileManager.default.copyItem(atPath: image(name), toPath: photos + "/" + name)
        }
        func stylize(_ dir: String, _ launcher: [String]) throws -> Result {
            let r = try run(["stylize", "--content", photos, "--output-dir", temp(dir), "--size", "48", "--scales", "1",
                             "-i", "3"], timeout: 60, launcher: launcher)
            XCTAssertEqual(r.status, 0, r.stderr)
            return r
        }
        _ = try stylize("one", [])
        let two = try stylize("two", launcher)
        XCTAssertTrue(two.stdout.contains("stylized 3 of 3 pictures into \(temp("two")) on 2 processes"), two.stdout)
        for name in ["chelsea.png", "coffee.png", "rocket.png"] {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: temp("one/" + name))),
                           try Data(contentsOf: URL(fileURLWithPath: temp("two/" + name))), name)
        }
    }

    /// A rank killed with SIGKILL ends the whole job within seconds with Open MPI's message; the
    /// run then resumes from its last checkpoint (in one process) and ends exactly where an
    /// uninterrupted run ends.
    func testKilledRankEndsTheJobAndTheRunResumes() throws {
        let launcher = try mpirun(2)
        let common = ["meta-train", "--task", "quadratic", "--meta-steps", "600", "--problems-per-step", "8",
                      "--validate-every", "200", "--validation-problems", "4", "--checkpoint", temp("run.ckpt"),
                      "--checkpoint-every", "50", "--output", temp("run.lstm"), "--quiet"]
        final class Shared: @unchecked Sendable {
            let lock = NSLock()
            var launched: Int32 = 0, killedAt: Date?
            func with<T>(_ body: (Shared) -> T) -> T { lock.lock(); defer { lock.unlock() }; return body(self) }
        }
        let shared = Shared()
        let done = DispatchSemaphore(value: 0)
        let checkpoint = temp("run.ckpt")
        DispatchQueue.global().async {
            // Once the first checkpoint is on disk, kill -9 one rank (a child of mpirun).
            defer { done.signal() }
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                let launched = shared.with { $0.launched }
                if launched != 0, FileManager.default.fileExists(atPath: checkpoint) {
                    let pgrep = Process()
                    pgrep.executableURL = URL(fileURLWithPath: "/usr/bin/pgrep")
                    pgrep.arguments = ["-P", "\(launched)", "-f", "neural-art"]
                    let pipe = Pipe()
                    pgrep.standardOutput = pipe
                    try? pgrep.run()
                    pgrep.waitUntilExit()
                    let pids = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                        .split(separator: "\n").compactMap { Int32($0) }
                    if let victim = pids.last {
                        kill(victim, SIGKILL)
                        shared.with { $0.killedAt = Date() }
                        return
                    }
                }
                usleep(20_000)
            }
        }
        let killed = try run(common, timeout: 60, launcher: launcher, started: { pid in shared.with { $0.launched = pid } })
        done.wait()
        let ended = Date()
        guard let killedAt = shared.with({ $0.killedAt }) else { return XCTFail("no rank was killed (the run ended first?): \(killed.stderr)") }
        XCTAssertNotEqual(killed.status, 0)
        XCTAssertLessThan(ended.timeIntervalSince(killedAt), 10, "the job should end within seconds of the kill")
        XCTAssertTrue(killed.stderr.contains("signal 9"), "Open MPI names the killed rank: \(killed.stderr)")
        // Resume in one process, and compare with a run that was never interrupted.
        let resumed = try run(common + ["--resume"], timeout: 60)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let straight = try run(["meta-train", "--task", "quadratic", "--meta-steps", "600", "--problems-per-step", "8",
                                "--validate-every", "200", "--validation-problems", "4", "--output", temp("straight.lstm"),
                                "--quiet"], timeout: 60)
        XCTAssertEqual(straight.status, 0, straight.stderr)
        XCTAssertEqual(try ModelFile.load(path: temp("run.lstm")).weights.map(\.bitPattern),
                       try ModelFile.load(path: temp("straight.lstm")).weights.map(\.bitPattern))
        XCTAssertEqual(try logWithoutTimes(temp("run.csv")), try logWithoutTimes(temp("straight.csv")))
    }
}

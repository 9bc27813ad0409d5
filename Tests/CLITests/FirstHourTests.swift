import Foundation
import XCTest

/// Issue 13, items 4 and 9–13: meta-train's resume and per-task defaults, messages, evaluate's
/// output folder, progress counters, plots. Small problems and few steps throughout.
final class FirstHourTests: CLITestCase {
    let tinyQuadratic = ["--horizon", "4", "--unroll", "2", "--problems-per-step", "1", "--validation-problems", "2",
                         "--validate-every", "2"]

    /// Item 4: --resume without --meta-steps keeps the checkpoint's planned count.
    func testResumeWithoutMetaStepsKeepsTheCheckpointsCount() throws {
        let ckpt = temp("q.ckpt"), model = temp("q.lstm")
        let first = try run(["meta-train", "--task", "quadratic"] + tinyQuadratic + ["--meta-steps", "2", "--checkpoint", ckpt,
                             "--checkpoint-every", "2", "--output", model, "--quiet"], timeout: 60)
        XCTAssertEqual(first.status, 0, first.stderr)
        let resumed = try run(["meta-train", "--task", "quadratic", "--checkpoint", ckpt, "--resume", "--output", model], timeout: 60)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("meta-train quadratic: 2 meta-steps"), resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("resumed at meta-step 2"), resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("at meta-step 2)"), resumed.stdout)
        // --meta-steps still extends it.
        let longer = try run(["meta-train", "--task", "quadratic", "--checkpoint", ckpt, "--resume", "--meta-steps", "4",
                              "--output", model], timeout: 60)
        XCTAssertTrue(longer.stderr.contains("meta-train quadratic: 4 meta-steps"), longer.stderr)
    }

    /// Item 10: with no flags, the style task plans the README's stage 1, not 8000 × 32.
    func testMetaTrainDefaultsArePerTask() throws {
        let style = try run(["meta-train", "--task", "style", "--output", temp("s.lstm"), "--log", temp("s.csv")],
                            timeout: 120, until: "meta-train style:")
        XCTAssertTrue(style.stderr.contains("meta-train style: 480 meta-steps, horizon 64, unroll 16, 2 problems/step, meta-lr 0.002, "
                                            + "clip 1.0, objective log, random scale ±1.0 decades, LSTM 2×20"), style.stderr)
        XCTAssertTrue(style.stderr.contains("rms"), style.stderr)
        // Flags still override, including switching a default flag off.
        let custom = try run(["meta-train", "--task", "style", "--meta-steps", "0", "--unroll", "8", "--no-rms-inputs",
                              "--objective", "sum", "--random-scale", "0", "--output", temp("c.lstm"), "--log", temp("c.csv")], timeout: 120)
        XCTAssertEqual(custom.status, 0, custom.stderr)
        XCTAssertTrue(custom.stderr.contains("meta-train style: 0 meta-steps, horizon 64, unroll 8, 2 problems/step"), custom.stderr)
        XCTAssertFalse(custom.stderr.contains("random scale"), custom.stderr)
        XCTAssertFalse(custom.stderr.contains("rms"), custom.stderr)
        let quadratic = try run(["meta-train", "--task", "quadratic", "--output", temp("q.lstm")], timeout: 60, until: "meta-train quadratic:")
        XCTAssertTrue(quadratic.stderr.contains("meta-train quadratic: 8000 meta-steps, horizon 100, unroll 20, 32 problems/step"), quadratic.stderr)
    }

    /// Item 9: messages that say what is wrong, on one line.
    func testMessagesSayWhatIsWrong() throws {
        assertUsageError(try run(["stylize", "--size", "-5"]), mentioning: "--size must be between 16 and 4096 pixels (got -5)")
        assertUsageError(try run(["stylize", "--learning-rate", "0.05"]),
                         mentioning: "--learning-rate is for the hand-designed optimizers (e.g. --optimizer adam)")
        assertUsageError(try run(["stylize", "-i", "2000000"]), mentioning: "--iterations must be between 1 and 1000000 (got 2000000)")
        assertUsageError(try run(["stylize", "--style-weights", "inf"]), mentioning: "--style-weights must be numbers between 0 and 1e6")
        assertUsageError(try run(["stylize", "--style-weight", "1e38"]), mentioning: "--style-weight must be a number between 0 and 1e6")
        assertUsageError(try run(["stylize", "--content-weight", "-1"]), mentioning: "--content-weight must be a number between 0 and 1e6")
        assertUsageError(try run(["stylize", "--bogus"]), mentioning: "--bogus")
        assertUsageError(try run(["stylize", "--epsilon", "-1"]), mentioning: "--epsilon must be non-negative")
        assertUsageError(try run(["stylize", "--print-every", "-2"]), mentioning: "--print-every and --save-every must be ≥ 0")
        assertUsageError(try run(["compare", "--size", "-5"]), mentioning: "--size must be between 16 and 2048 pixels (got -5)")
        assertUsageError(try run(["meta-train", "--resume"]), mentioning: "--resume needs --checkpoint")
        let fifo = temp("m.lstm")
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        let lstm = ["stylize", "--optimizer", "lstm", "--size", "16", "-i", "1", "-o", temp("x.png"), "--model"]
        assertFails(try run(lstm + [fifo], timeout: 20), mentioning: "cannot read \(fifo): is a FIFO (named pipe), not a regular file")
        assertFails(try run(lstm + ["/dev/zero"], timeout: 20), mentioning: "cannot read /dev/zero: is a device, not a regular file")
        assertFails(try run(lstm + [tempDir.path], timeout: 20), mentioning: "is a directory, not a file")
        assertFails(try run(lstm + ["models/conv.lstm"], timeout: 20), mentioning: "models/conv.lstm does not match: trained on task 'conv', not 'style'")
        var model = try Data(contentsOf: CLITestCase.packageRoot.appendingPathComponent("models/neural-art.lstm"))
        model.append(contentsOf: [0, 0, 0, 0])
        let long = temp("long.lstm")
        try model.write(to: URL(fileURLWithPath: long))
        let r = try run(lstm + [long], timeout: 20)
        assertFails(r, mentioning: "is damaged: 4 extra byte(s) after its end")
        XCTAssertFalse(r.stderr.contains("truncated"))
    }

    /// Items 11 and 13: evaluate writes into the working directory (or --output-dir), not next
    /// to the model; the plot's curves have round joins and its x ticks fall on round steps.
    func testEvaluateWritesIntoTheWorkingDirectoryWithANicePlot() throws {
        let models = temp("models"), work = temp("work")
        for dir in [models, work] { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let model = models + "/q.lstm"
        try FileManager.default.copyItem(atPath: CLITestCase.packageRoot.appendingPathComponent("models/quadratic.lstm").path, toPath: model)
        let baselines = temp("b.json")
        let tune = try run(["tune", "--task", "quadratic", "--problems", "2", "--steps", "5", "--output", baselines, "--quiet"], timeout: 120)
        XCTAssertEqual(tune.status, 0, tune.stderr)
        XCTAssertEqual(tune.stdout, "saved \(baselines)\n", "tune --quiet names the file it saved")
        let r = try run(["evaluate", "--task", "quadratic", "--model", model, "--baselines", baselines, "--problems", "2",
                         "--steps", "128", "--quiet"], in: URL(fileURLWithPath: work), timeout: 120)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: models), ["q.lstm"], "nothing written next to the model")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: work).sorted(), ["q-eval.csv", "q-eval.svg"])
        XCTAssertTrue(r.stdout.contains("wrote ./q-eval.csv, ./q-eval.svg"), r.stdout)
        let svg = try String(contentsOfFile: work + "/q-eval.svg", encoding: .utf8)
        let paths = svg.split(separator: "\n").filter { $0.hasPrefix("<path ") }
        XCTAssertEqual(paths.count, 5)
        XCTAssertTrue(paths.allSatisfy { $0.contains("stroke-linejoin=\"round\"") }, svg)
        let ticks = svg.split(separator: "\n").filter { $0.contains("text-anchor=\"middle\">") && $0.hasSuffix("</text>") }
            .compactMap { Int($0.split(separator: ">")[1].split(separator: "<")[0]) }
        XCTAssertEqual(ticks, [0, 25, 50, 75, 100, 125])
        let elsewhere = temp("out")
        let r2 = try run(["evaluate", "--task", "quadratic", "--model", model, "--baselines", baselines, "--problems", "1",
                          "--steps", "3", "--output-dir", elsewhere, "--quiet"], in: URL(fileURLWithPath: work), timeout: 120)
        XCTAssertEqual(r2.status, 0, r2.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: elsewhere).sorted(), ["q-eval.csv", "q-eval.svg"])
    }

    /// Item 12: compare's first progress line (set-up time, the slower learned optimizer) shows
    /// no ETA rather than a wrong one; the counter ends at its total. (With the shipped rates:
    /// tuning first would only add a bar of its own.)
    func testCompareShowsNoETABeforeItCanKnowOne() throws {
        let r = try run(["compare", "--content", image("coins.png"), "--size", "16", "--steps", "64", "--snapshots", "8",
                         "--baselines", "models/neural-art-baselines.json", "--output-dir", temp("cmp")], timeout: 120)
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("compare [") }
        XCTAssertTrue(lines.first?.hasSuffix("ETA --") ?? false, r.stderr)
        XCTAssertTrue(lines.first?.contains(" 8/320 ") ?? false, r.stderr)
        XCTAssertTrue(lines.last?.contains(" 320/320 ") ?? false, r.stderr)
    }

    /// Item 12: the progress counters end at the real number of runs; bench says what it measures.
    func testProgressCountersAgreeWithTheTotals() throws {
        func lastProgress(_ stderr: String, _ label: String) -> (Int, Int, Int)? {
            guard let line = stderr.split(separator: "\n").last(where: { $0.hasPrefix(label + " [") }) else { return nil }
            let words = line.split(separator: " ")
            let counter = words.first { $0.contains("/") }!.split(separator: "/").compactMap { Int($0) }
            let runs = Int(line.components(separatedBy: "  ")[1].split(separator: " ")[0]) ?? -1
            return (counter[0], counter[1], runs)
        }
        let tune = try run(["tune", "--task", "quadratic", "--problems", "2", "--steps", "5", "--output", temp("b.json")], timeout: 120)
        XCTAssertEqual(tune.status, 0, tune.stderr)
        let t = try XCTUnwrap(lastProgress(tune.stderr, "tune"), tune.stderr)
        XCTAssertEqual(t.0, t.1, tune.stderr)
        XCTAssertEqual(t.0, t.2, tune.stderr)
        let cal = try run(["calibrate", "--task", "quadratic", "--model", "models/quadratic.lstm", "--problems", "2", "--steps", "5",
                           "--output", temp("c.lstm")], timeout: 120)
        XCTAssertEqual(cal.status, 0, cal.stderr)
        let c = try XCTUnwrap(lastProgress(cal.stderr, "calibrate"), cal.stderr)
        XCTAssertEqual(c.0, c.1, cal.stderr)
        XCTAssertEqual(c.0, c.2, cal.stderr)
        let quiet = try run(["calibrate", "--task", "quadratic", "--model", "models/quadratic.lstm", "--problems", "1", "--steps", "3",
                             "--output", temp("d.lstm"), "--quiet"], timeout: 120)
        XCTAssertEqual(quiet.stdout, "saved \(temp("d.lstm"))\n")
        // Item 3 for bench: absurd --threads values are argument errors (4294967296 ran for minutes).
        assertUsageError(try run(["bench", "--threads", "4294967296"], timeout: 30), mentioning: "--threads must be between 1 and 256")
        let bench = try run(["bench", "--sizes", "16", "--repeats", "1", "--threads", "1", "--skip-meta"], timeout: 120)
        XCTAssertEqual(bench.status, 0, bench.stderr)
        XCTAssertTrue(bench.stderr.hasPrefix("bench: GEMM peak with 1 thread(s)…\n"), bench.stderr)
        XCTAssertTrue(bench.stderr.contains("bench: 16 px with 1 thread(s), 1 repeat(s)…"), bench.stderr)
    }
}

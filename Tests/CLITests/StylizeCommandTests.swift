import Foundation
import XCTest

final class StylizeCommandTests: CLITestCase {
    func testStylizeWritesImageAndLog() throws {
        let out = temp("out.png"), log = temp("loss.csv")
        let r = try run(["stylize", "--size", "32", "--iterations", "4", "--output", out, "--log", log, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "")
        let png = try Data(contentsOf: URL(fileURLWithPath: out))
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        // IHDR: width and height, big-endian, at bytes 16..<24. chelsea.png is 451×300 → 32×21.
        let w = png[16..<20].reduce(0) { $0 << 8 | Int($1) }, h = png[20..<24].reduce(0) { $0 << 8 | Int($1) }
        XCTAssertEqual([w, h], [32, 21])
        let rows = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows.count, 1 + 5)   // header + f(θ_0) … f(θ_4)
        XCTAssertTrue(rows[0].hasPrefix("step,total,content,style,tv"))
        XCTAssertTrue(rows[0].hasSuffix(",sliced,seconds"))
        let first = Double(rows[1].split(separator: ",")[1])!, last = Double(rows[5].split(separator: ",")[1])!
        XCTAssertLessThan(last, first)
        // Wall seconds at which each loss was known: non-negative, non-decreasing.
        let seconds = rows.dropFirst().map { Double($0.split(separator: ",").last!)! }
        XCTAssertGreaterThanOrEqual(seconds[0], 0)
        XCTAssertEqual(seconds, seconds.sorted())
        // No temporary files left beside the outputs.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tempDir.path).sorted(), ["loss.csv", "out.png"])
    }

    /// Coarse to fine with --carry-state (ADAM and the learned optimizer): runs, and the finer
    /// scale starts from the carried state (its log differs from a fresh start's after step 0).
    /// The default is to carry for the learned optimizer and not for ADAM.
    func testCarryStateAcrossScales() throws {
        for optimizer in ["adam", "lstm"] {
            var logs: [[String]] = []
            for carry in [false, true, nil] {
                let name = "c-\(optimizer)-\(carry.map { "\($0)" } ?? "default")"
                let out = temp(name + ".png"), log = temp(name + ".csv")
                let flag = carry.map { $0 ? ["--carry-state"] : ["--no-carry-state"] } ?? []
                let r = try run(["stylize", "--size", "64", "--scales", "2", "--coarse-iterations", "3", "-i", "3",
                                 "--optimizer", optimizer, "-o", out, "--log", log, "-q"] + flag, timeout: 60)
                XCTAssertEqual(r.status, 0, r.stderr)
                logs.append(try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map { String($0.split(separator: ",")[1]) })
            }
            XCTAssertEqual(logs[0][1], logs[1][1], "\(optimizer): the same start at the finer scale")
            XCTAssertNotEqual(logs[0][2], logs[1][2], "\(optimizer): a different first step from the carried state")
            XCTAssertEqual(logs[2], logs[optimizer == "lstm" ? 1 : 0], "\(optimizer): the default")
        }
    }

    func testSameSeedSameImageWithNoiseInitAndJPEGOutputAndIntermediates() throws {
        let a = temp("a.jpg"), b = temp("b.jpg")
        for path in [a, b] {
            let r = try run(["stylize", "--size", "24", "-i", "4", "--init", "noise", "--seed", "7",
                             "--style", image("stained-glass.png"), "--style", image("brick.png"),
                             "--style-weights", "2", "1", "--optimizer", "rmsprop", "--save-every", "2",
                             "--original-colors", "-o", path, "-q"])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: a)), try Data(contentsOf: URL(fileURLWithPath: b)))
        XCTAssertTrue(FileManager.default.fileExists(atPath: temp("a_0002.jpg")))
    }

    func testMissingContentIsOneLineAndNoOutput() throws {
        let out = temp("never.png")
        let r = try run(["stylize", "--content", temp("nope.png"), "-o", out, "--size", "32", "-i", "2"])
        assertFails(r, mentioning: "nope.png")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    func testCorruptStyleIsOneLine() throws {
        let bad = temp("bad.jpg")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: image("rocket.jpg")))
        bytes = bytes.prefix(600)
        try bytes.write(to: URL(fileURLWithPath: bad))
        let out = temp("never.png")
        let r = try run(["stylize", "--style", bad, "-o", out, "--size", "32", "-i", "2"])
        assertFails(r, mentioning: "bad.jpg")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    func testTextFileAsContent() throws {
        let txt = temp("notes.png")
        try Data("hello, not an image".utf8).write(to: URL(fileURLWithPath: txt))
        assertFails(try run(["stylize", "--content", txt, "-o", temp("x.png"), "-i", "1"]), mentioning: "notes.png")
    }

    func testBadArguments() throws {
        assertUsageError(try run(["stylize", "-o", temp("x.bmp")]), mentioning: ".bmp")
        assertUsageError(try run(["stylize", "--optimizer", "lbfgs"]), mentioning: "lbfgs")
        assertUsageError(try run(["stylize", "--size", "4"]), mentioning: "--size")
        assertUsageError(try run(["stylize", "--style-weights", "1", "2"]), mentioning: "--style-weights")
        assertFails(try run(["stylize", "-o", temp("missing-dir/x.png"), "-i", "1", "--size", "16"]), mentioning: "missing-dir")
        XCTAssertFalse(FileManager.default.fileExists(atPath: temp("missing-dir")))
    }

    func testLearnedOptimizerStylizesAndADamagedModelIsOneLine() throws {
        let out = temp("lstm.png")
        let r = try run(["stylize", "--optimizer", "lstm", "--size", "24", "-i", "3", "-o", out, "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out))
        let model = try Data(contentsOf: CLITestCase.packageRoot.appendingPathComponent("models/neural-art.lstm"))
        let damaged = temp("damaged.lstm")
        var bytes = model
        bytes[bytes.count / 2] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: damaged))
        let never = temp("never.png")
        assertFails(try run(["stylize", "--optimizer", "lstm", "--model", damaged, "--size", "24", "-i", "2", "-o", never]),
                    mentioning: "damaged.lstm")
        XCTAssertFalse(FileManager.default.fileExists(atPath: never))
        let quadratic = CLITestCase.packageRoot.appendingPathComponent("models/quadratic.lstm").path
        assertFails(try run(["stylize", "--optimizer", "lstm", "--model", quadratic, "--size", "24", "-i", "2", "-o", never]),
                    mentioning: "quadratic.lstm")
    }

    func testCompareWritesGridPlotCurvesAndSummary() throws {
        let dir = temp("cmp")
        let r = try run(["compare", "--content", image("coins.png"), "--size", "24", "--steps", "4", "--snapshots", "2",
                         "--output-dir", dir, "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for f in ["grid-coins.png", "loss.svg", "curves.csv", "summary.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/" + f), f)
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/summary.json"))) as! [String: Any]
        let optimizers = json["optimizers"] as! [String: Any]
        XCTAssertEqual(Set(optimizers.keys), ["lstm", "sgd", "nag", "rmsprop", "adam"])
        // Each optimizer's wall time and step count over its runs (one content image × 4 steps).
        for (name, value) in optimizers {
            let entry = value as! [String: Any]
            let seconds = try XCTUnwrap(entry["seconds"] as? Double, "\(name) has no seconds")
            XCTAssertGreaterThan(seconds, 0, name)
            XCTAssertEqual(entry["steps"] as? Int, 4, name)
        }
        XCTAssertTrue(r.stdout.contains("adam"))
    }

    func testHelpListsTheFlags() throws {
        let r = try run(["stylize", "--help"])
        XCTAssertEqual(r.status, 0)
        for flag in ["--content", "--style", "--style-weights", "--output", "--size", "--iterations", "--optimizer",
                     "--learning-rate", "--content-weight", "--style-weight", "--tv-weight", "--init", "--seed",
                     "--print-every", "--save-every", "--original-colors", "--log", "--quiet"] {
            XCTAssertTrue(r.stdout.contains(flag), "--help lacks \(flag)")
        }
    }

    func testBenchWritesJSON() throws {
        let json = temp("bench.json")
        let r = try run(["bench", "--sizes", "16", "--repeats", "1", "--threads", "1", "--skip-meta", "--json", json])
        XCTAssertEqual(r.status, 0, r.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
        XCTAssertNotNil(object["threads"] as? Int)
        XCTAssertGreaterThan(object["gemm_peak_gflops"] as! Double, 0)
        let s = (object["sizes"] as! [String: Any])["16"] as! [String: Double]
        for key in ["net_forward_ms", "loss_forward_backward_ms", "adam_step_ms", "lstm_step_ms", "lstm_state_setup_ms"] {
            XCTAssertGreaterThan(s[key]!, 0, key)
        }
    }
}

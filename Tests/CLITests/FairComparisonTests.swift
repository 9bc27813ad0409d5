import Foundation
import XCTest

/// Issue 15, items 2 and 5: baselines tuned per style family, `compare` tuning on the style at
/// hand, and the wall-clock report (steps and seconds to reach tuned ADAM's final loss).
final class FairComparisonTests: CLITestCase {
    func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    }

    /// evaluate's wall-clock table and JSON fields on the quadratic task: the step counts are the
    /// same in two runs, the times positive and finite (never compared).
    func testEvaluateReportsStepsAndSecondsToReachADAM() throws {
        let baselines = temp("b.json")
        let tune = try run(["tune", "--task", "quadratic", "--problems", "2", "--steps", "10", "--output", baselines, "--quiet"], timeout: 60)
        XCTAssertEqual(tune.status, 0, tune.stderr)
        func evaluate(_ name: String) throws -> (Result, [String: [String: Any]]) {
            let r = try run(["evaluate", "--task", "quadratic", "--model", "models/quadratic.lstm", "--baselines", baselines,
                             "--problems", "3", "--steps", "20", "--output-dir", temp(name), "--json", temp(name + ".json"),
                             "--quiet"], timeout: 60)
            XCTAssertEqual(r.status, 0, r.stderr)
            return (r, try json(temp(name + ".json"))["optimizers"] as! [String: [String: Any]])
        }
        let (r, a) = try evaluate("a")
        let (_, b) = try evaluate("b")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let header = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("steps to reach adam's step-20 loss on each problem (median over 3)") },
                                   r.stdout)
        XCTAssertEqual(lines[header + 1].split(separator: " "), ["optimizer", "steps", "ms/step", "seconds", "×", "adam"])
        XCTAssertEqual(lines[(header + 2)...(header + 6)].map { String($0.split(separator: " ")[0]) },
                       ["lstm", "sgd", "nag", "rmsprop", "adam"])
        XCTAssertTrue(lines[header - 1].hasPrefix("adam "), "the table follows the loss table")
        for name in ["lstm", "sgd", "nag", "rmsprop", "adam"] {
            let x = try XCTUnwrap(a[name]), y = try XCTUnwrap(b[name])
            let steps = try XCTUnwrap(x["steps_to_adam_final_by_problem"] as? [Any], name)
            XCTAssertEqual(steps.count, 3)
            XCTAssertEqual(steps.map { "\($0)" }, (y["steps_to_adam_final_by_problem"] as! [Any]).map { "\($0)" }, name)
            XCTAssertEqual("\(x["steps_to_adam_final"]!)", "\(y["steps_to_adam_final"]!)", name)
            let perStep = try XCTUnwrap(x["seconds_per_step"] as? Double, name)
            XCTAssertTrue(perStep > 0 && perStep.isFinite, "\(name): \(perStep)")
            XCTAssertEqual(x["steps"] as? Int, 60, name)
            if let toReach = x["seconds_to_adam_final"] as? Double {
                XCTAssertTrue(toReach > 0 && toReach.isFinite, name)
                XCTAssertNotNil(x["adam_time_ratio"] as? Double, name)
            }
        }
        // ADAM reaches its own last loss at or before the last step on every problem.
        XCTAssertTrue((a["adam"]!["steps_to_adam_final_by_problem"] as! [Any]).allSatisfy { ($0 as? Int).map { $0 <= 20 } ?? false })
    }

    /// tune --per-family saves each family's rates; evaluate runs each test problem at its
    /// family's rates and says so; a file without them says "one rate each"; misuse is one line.
    func testPerFamilyTuningAndEvaluation() throws {
        let d = ["--task", "style", "--style-families", "cells,dots,wash", "--held-out-families", "dots", "--crop-sizes", "16"]
        let baselines = temp("b.json")
        let tune = try run(["tune"] + d + ["--problems", "1", "--steps", "2", "--per-family", "--output", baselines], timeout: 60)
        XCTAssertEqual(tune.status, 0, tune.stderr)
        XCTAssertTrue(tune.stdout.contains("per-family rates (1 validation problems each):\nfamily    sgd       nag       rmsprop   adam\ncells "),
                      tune.stdout)
        let file = try json(baselines)["rates"] as! [String: Any]
        let familyRates = try XCTUnwrap(file["familyRates"] as? [String: [String: Double]])
        XCTAssertEqual(familyRates.keys.sorted(), ["cells", "dots", "wash"])
        XCTAssertEqual(file["familyProblems"] as? Int, 1)
        XCTAssertNotNil(file["rates"] as? [String: Double], "the overall rates are kept")

        let e = try run(["evaluate"] + d + ["--baselines", baselines, "--problems", "3", "--steps", "2", "--by-family",
                                           "--output-dir", temp("e"), "--json", temp("e.json"), "--quiet"], timeout: 60)
        XCTAssertEqual(e.status, 0, e.stderr)
        XCTAssertTrue(e.stdout.hasPrefix("mean loss over 3 test problems of style (2 steps; baselines tuned per style family on 1 "
                                         + "validation problems each, criterion sum; each test problem at its family's rates):"), e.stdout)
        XCTAssertTrue(e.stdout.contains("mean loss at step 2 by style family"), e.stdout)
        let adam = (try json(temp("e.json"))["optimizers"] as! [String: [String: Any]])["adam"]!
        let group = try XCTUnwrap(adam["group_learning_rates"] as? [String: Double])
        for f in ["cells", "dots", "wash"] { XCTAssertEqual(group[f]!, familyRates[f]!["adam"]!, accuracy: 1e-6, f) }

        // Tuned now, per family: the same header.
        let now = try run(["evaluate"] + d + ["--per-family", "--problems", "1", "--steps", "2", "--output-dir", temp("n"), "--quiet"],
                          timeout: 60)
        XCTAssertEqual(now.status, 0, now.stderr)
        XCTAssertTrue(now.stdout.contains("baselines tuned per style family on 1 validation problems each"), now.stdout)

        let plain = temp("plain.json")
        XCTAssertEqual(try run(["tune"] + d + ["--problems", "1", "--steps", "2", "--output", plain, "--quiet"], timeout: 60).status, 0)
        let one = try run(["evaluate"] + d + ["--baselines", plain, "--problems", "1", "--steps", "2", "--output-dir", temp("o"),
                                             "--quiet"], timeout: 60)
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertTrue(one.stdout.contains("baselines tuned on 1 validation problems across families (one rate each), criterion sum"),
                      one.stdout)
        assertFails(try run(["evaluate"] + d + ["--baselines", plain, "--per-family", "--problems", "1", "--steps", "2",
                                               "--output-dir", temp("o"), "--quiet"], timeout: 60),
                    mentioning: "no per-family rates (make them with tune --per-family)")
        let wider = ["--task", "style", "--style-families", "cells,dots,wash,stripes", "--held-out-families", "dots", "--crop-sizes", "16"]
        assertFails(try run(["evaluate"] + wider + ["--baselines", baselines, "--problems", "4", "--steps", "2",
                                                   "--output-dir", temp("o"), "--quiet"], timeout: 60),
                    mentioning: "no per-family sgd rate for family 'stripes' (tuned on cells, dots, wash)")
        assertUsageError(try run(["tune", "--task", "quadratic", "--per-family"]),
                         mentioning: "--per-family needs the style task with a style distribution")

        // --only adam: the file holds ADAM alone (overall and per family); evaluate runs only it.
        let adamOnly = temp("adam.json")
        let t = try run(["tune"] + d + ["--only", "adam", "--problems", "1", "--steps", "2", "--per-family", "--output", adamOnly,
                                       "--quiet"], timeout: 60)
        XCTAssertEqual(t.status, 0, t.stderr)
        let adamFile = try json(adamOnly)["rates"] as! [String: Any]
        XCTAssertEqual((adamFile["rates"] as? [String: Double])?.keys.sorted(), ["adam"])
        XCTAssertEqual((adamFile["familyRates"] as? [String: [String: Double]])?["wash"]?.keys.sorted(), ["adam"])
        let ea = try run(["evaluate"] + d + ["--baselines", adamOnly, "--problems", "3", "--steps", "2", "--output-dir", temp("a"),
                                            "--json", temp("a.json"), "--quiet"], timeout: 60)
        XCTAssertEqual(ea.status, 0, ea.stderr)
        XCTAssertEqual((try json(temp("a.json"))["optimizers"] as! [String: Any]).keys.sorted(), ["adam"])
        assertUsageError(try run(["tune", "--task", "quadratic", "--only", "adam,adm"]), mentioning: "--only: unknown baseline 'adm'")
        assertUsageError(try run(["evaluate", "--task", "quadratic", "--per-family"]),
                         mentioning: "--per-family needs the style task with a style distribution")
    }

    /// compare without --baselines tunes on validation crops of its style (at min(--size, 64)
    /// px), says so, saves the rates and reports the wall-clock table; --baselines FILE does not tune.
    func testCompareTunesOnTheStyleAtHand() throws {
        let dir = temp("cmp")
        let r = try run(["compare", "--content", image("coins.png"), "--style", image("stained-glass.png"), "--size", "16",
                         "--steps", "3", "--snapshots", "2", "--tune-problems", "1", "--model", "models/neural-art.lstm",
                         "--output-dir", dir], timeout: 120)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("tuning the baselines' learning rates on 1 validation crops of stained-glass at 16 px, 3 steps"),
                      r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("mean loss over 1 content image(s), 16 px, 3 steps (baselines tuned now on 1 validation "
                                         + "crops of stained-glass at 16 px, criterion sum):"), r.stdout)
        XCTAssertTrue(r.stdout.contains("steps to reach adam's step-3 loss on each problem (median over 1)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("summary.json, baselines.json"), r.stdout)
        let saved = try json(dir + "/baselines.json")["rates"] as! [String: Any]
        XCTAssertEqual(saved["problems"] as? Int, 1)
        XCTAssertEqual(saved["steps"] as? Int, 3)
        let settings = (saved["task"] as! [String: Any])["settings"] as! [String: String]
        XCTAssertEqual(settings["size"], "16")
        XCTAssertEqual(settings["style"], "stained-glass.png")
        // The saved rates are the ones used, and the summary has the wall-clock fields.
        let summary = try json(dir + "/summary.json")["optimizers"] as! [String: [String: Any]]
        let rates = saved["rates"] as! [String: Double]
        for b in ["sgd", "nag", "rmsprop", "adam"] {
            XCTAssertEqual(summary[b]!["learning_rate"] as! Double, rates[b]!, accuracy: 1e-6, b)
        }
        for (name, entry) in summary {
            XCTAssertNotNil(entry["steps_to_adam_final_by_problem"] as? [Any], name)
            let perStep = try XCTUnwrap(entry["seconds_per_step"] as? Double, name)
            XCTAssertTrue(perStep > 0 && perStep.isFinite, name)
        }

        let again = try run(["compare", "--content", image("coins.png"), "--size", "16", "--steps", "3", "--snapshots", "2",
                             "--baselines", dir + "/baselines.json", "--model", "none", "--output-dir", temp("again")], timeout: 60)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertFalse(again.stderr.contains("tuning"), again.stderr)
        XCTAssertTrue(again.stdout.contains("(baselines from \(dir)/baselines.json):"), again.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: temp("again/baselines.json")))
        assertUsageError(try run(["compare", "--tune-problems", "0"]), mentioning: "--tune-problems must be between 1 and 1000 (got 0)")
    }
}

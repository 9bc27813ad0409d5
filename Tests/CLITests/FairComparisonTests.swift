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
        assertUsageError(try run(["evaluate", "--task", "quadratic", "--per-family"]),
                         mentioning: "--per-family needs the style task with a style distribution")
    }
}

import Foundation
import XCTest
@testable import MetaLearning

/// Issue 15, item 5: steps and wall time to reach tuned ADAM's final loss; rows that run each
/// group of problems at its own rate (per-family tuning, item 2).
final class TimeToReferenceTests: XCTestCase {
    func testMedianCountsNeverAsLast() {
        XCTAssertEqual(EvaluationResult.median([3, 1, nil]), 3)
        XCTAssertNil(EvaluationResult.median([nil, 1, nil]))
        XCTAssertEqual(EvaluationResult.median([4, 2]), 3)
        XCTAssertEqual(EvaluationResult.median([5, 2]), 3.5)
        XCTAssertNil(EvaluationResult.median([2, nil]))
        XCTAssertNil(EvaluationResult.median([]))
    }

    /// Hand-made curves: each problem against ADAM's own last loss on it.
    func testStepsAndSecondsAgainstADAMsFinalLoss() throws {
        let adam: [[Double]] = [[10, 5, 3, 2], [10, 8, 6, 4], [10, 9, 8, 7]]
        let lstm: [[Double]] = [[10, 2.5, 2, 1], [10, 9, 7, 5], [10, 7, 6, 5]]
        func curve(_ name: String, _ p: [[Double]], seconds: Double) -> EvaluationResult.Curve {
            let mean = (0...3).map { t in p.map { $0[t] }.reduce(0, +) / 3 }
            return .measured(name: name, learningRate: nil, initialLoss: mean[0], meanLoss: Array(mean.dropFirst()),
                             problemLosses: p, seconds: seconds, stepsTaken: 9)
        }
        let r = EvaluationResult.measured(task: "t", split: .test, steps: 3, problems: 3,
                                          curves: [curve("lstm", lstm, seconds: 1.8), curve("adam", adam, seconds: 0.9)])
        let rows = try XCTUnwrap(r.timeToReference())
        XCTAssertEqual(rows[0].stepsByProblem, [2, nil, 1])
        XCTAssertEqual(rows[0].medianSteps, 2)
        XCTAssertEqual(rows[0].secondsPerStep!, 0.2, accuracy: 1e-12)
        XCTAssertEqual(rows[0].secondsToReach!, 0.4, accuracy: 1e-12)
        XCTAssertEqual(rows[0].referenceTimeRatio!, 0.4 / 0.3, accuracy: 1e-12)
        XCTAssertEqual(rows[1].stepsByProblem, [3, 3, 3])
        XCTAssertEqual(rows[1].referenceTimeRatio!, 1, accuracy: 1e-12)
        let table = try XCTUnwrap(r.timeToReferenceTable())
        XCTAssertTrue(table.hasPrefix("steps to reach adam's step-3 loss"), table)
        XCTAssertTrue(table.contains("lstm           2"), table)
        XCTAssertNil(r.timeToReference("sgd"), "no such row")
        // Coarse to fine from step 2: problem 2's loss at step 1 (a coarser problem's) does not count.
        var c2f = r
        c2f.finalScaleStart = 2
        XCTAssertEqual(try XCTUnwrap(c2f.timeToReference())[0].stepsByProblem, [2, nil, 2])
        XCTAssertTrue(try XCTUnwrap(c2f.timeToReferenceTable()).contains("on each problem (at the final scale: from step 2)"))
        let json = try JSONSerialization.jsonObject(with: r.json()) as! [String: Any]
        let entry = (json["optimizers"] as! [String: [String: Any]])["lstm"]!
        XCTAssertEqual(entry["steps_to_adam_final"] as? Double, 2)
        XCTAssertEqual((entry["steps_to_adam_final_by_problem"] as! [Any]).count, 3)
        XCTAssertTrue((entry["steps_to_adam_final_by_problem"] as! [Any])[1] is NSNull)
        for key in ["seconds_per_step", "seconds_to_adam_final", "adam_time_ratio", "seconds"] {
            XCTAssertNotNil(entry[key] as? Double, key)
        }
        XCTAssertEqual(entry["steps"] as? Int, 9)
    }

    /// On the quadratic task: the step counts are the same on a second run; the times are positive.
    func testQuadraticEvaluationReportsDeterministicSteps() throws {
        let task = QuadraticTask()
        func evaluate() -> EvaluationResult {
            EvaluationResult.run(task: task, optimizers: [("sgd", 0.01, SGD(learningRate: 0.01)),
                                                          ("nag", 0.01, NAG(learningRate: 0.01, momentum: 0.9)),
                                                          ("adam", 0.1, Adam(learningRate: 0.1))],
                                 problems: 5, steps: 30)
        }
        let a = try XCTUnwrap(evaluate().timeToReference()), b = try XCTUnwrap(evaluate().timeToReference())
        XCTAssertEqual(a.map(\.stepsByProblem), b.map(\.stepsByProblem))
        XCTAssertEqual(a.map(\.medianSteps), b.map(\.medianSteps))
        let adam = a[2]
        XCTAssertTrue(adam.stepsByProblem.allSatisfy { ($0 ?? 99) <= 30 }, "ADAM reaches its own last loss by step 30")
        for row in a {
            let s = try XCTUnwrap(row.secondsPerStep)
            XCTAssertTrue(s > 0 && s.isFinite, "\(row.name): \(s)")
        }
    }

    /// A grouped row runs each problem with its group's optimizer: its curves are those of each
    /// optimizer run alone, and the group rates are reported.
    func testGroupedRowRunsEachProblemAtItsGroupsRate() throws {
        let task = QuadraticTask()
        let fast = Adam(learningRate: 0.1), slow = Adam(learningRate: 0.01)
        let grouped = EvaluatedOptimizer(name: "adam", groups: [("even", 0.1, fast), ("odd", 0.01, slow)]) { $0 % 2 }
        let r = EvaluationResult.run(task: task, optimizers: [grouped], problems: 5, steps: 8)
        let a = EvaluationResult.run(task: task, optimizers: [("f", 0.1, fast)], problems: 5, steps: 8)
        let b = EvaluationResult.run(task: task, optimizers: [("s", 0.01, slow)], problems: 5, steps: 8)
        for i in 0..<5 {
            let alone = (i % 2 == 0 ? a : b).curves[0].problemLosses[i]
            XCTAssertEqual(r.curves[0].problemLosses[i].map(\.bitPattern), alone.map(\.bitPattern), "problem \(i)")
        }
        XCTAssertNil(r.curves[0].learningRate)
        XCTAssertEqual(r.curves[0].groupLearningRates, ["even": 0.1, "odd": 0.01])
        XCTAssertEqual(r.curves[0].rateLabel, "0.01–0.1")
        XCTAssertTrue(r.table().contains("0.01–0.1"), r.table())
        let json = try JSONSerialization.jsonObject(with: r.json()) as! [String: Any]
        let entry = (json["optimizers"] as! [String: [String: Any]])["adam"]!
        XCTAssertEqual((entry["group_learning_rates"] as? [String: Double])?.keys.sorted(), ["even", "odd"])
    }
}

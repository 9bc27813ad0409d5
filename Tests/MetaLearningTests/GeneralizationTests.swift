import Foundation
import XCTest
@testable import MetaLearning
import Numerics

/// The generalization experiment end to end on a small synthetic set, and the evaluation with
/// test accuracy it builds on.
final class GeneralizationTests: XCTestCase {
    func testVariantsAndSlugs() {
        XCTAssertEqual(Generalization.paperVariants.map(\.slug),
                       ["trained-setting", "200-steps", "40-hidden-units", "2-hidden-layers", "relu"])
        XCTAssertEqual(Generalization.paperVariants[3].hiddenSizes, [20, 20])
        XCTAssertEqual(Generalization.paperVariants[1].steps, 200)
    }

    func testRunProducesTableCSVAndJSON() throws {
        let data = learnableSplit()
        let variants = [
            Generalization.Variant(name: "base", hiddenSizes: [6], activation: .sigmoid, steps: 8),
            Generalization.Variant(name: "ReLU x2", hiddenSizes: [6, 5], activation: .relu, steps: 12),
        ]
        // A "learned" optimizer that is really plain SGD at a silly rate: it should lose.
        let rows = Generalization.run(data: data, learned: SGD(learningRate: 1e-6), variants: variants,
                                      problems: 3, tuningProblems: 2, pointsPerDecade: 1, batchSize: 16)
        XCTAssertEqual(rows.count, 2)
        XCTAssertEqual(rows[1].evaluation.result.steps, 12)
        XCTAssertEqual(rows[1].evaluation.result.curves.map(\.name), ["lstm", "sgd", "nag", "rmsprop", "adam"])
        XCTAssertFalse(rows[0].learnedWins)
        XCTAssertNotNil(rows[0].bestBaseline)

        let table = Generalization.table(rows)
        let lines = table.split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        XCTAssertTrue(lines[0].hasPrefix("variant"))
        XCTAssertTrue(lines[2].hasPrefix("ReLU x2"))
        XCTAssertTrue(lines[1].hasSuffix("no"))

        let csv = Generalization.csv(rows).split(separator: "\n")
        XCTAssertEqual(csv.count, 1 + 2 * 5)
        XCTAssertTrue(csv[6].hasPrefix("relu-x2,12,lstm,,"))

        let json = try JSONSerialization.jsonObject(with: Generalization.json(rows, tuningProblems: 2, criterion: .final)) as! [String: Any]
        let v = json["variants"] as! [[String: Any]]
        XCTAssertEqual(v[1]["slug"] as? String, "relu-x2")
        XCTAssertEqual(v[1]["hidden"] as? [Int], [6, 5])
        let opts = (v[0]["evaluation"] as! [String: Any])["optimizers"] as! [String: [String: Any]]
        XCTAssertEqual((opts["adam"]!["mean_loss"] as! [Any]).count, 8)
        XCTAssertNotNil(opts["lstm"]!["test_accuracy"] as? Double)
        XCTAssertTrue(opts["lstm"]!["learning_rate"] is NSNull)
    }

    /// The same problems for every optimizer: two identical optimizers get identical results,
    /// and the accuracy is that of each run's final parameters.
    func testClassificationEvaluationIsFairAndMeasuresFinalParameters() throws {
        let task = MLPTask(data: learnableSplit(), hiddenSizes: [6], batchSize: 16, horizon: 20)
        let e = ClassificationEvaluation.run(
            task: task, optimizers: [("a", 0.5, SGD(learningRate: 0.5)), ("b", 0.5, SGD(learningRate: 0.5)),
                                     ("still", 0, SGD(learningRate: 0))],
            problems: 3, steps: 20)
        XCTAssertEqual(e.result.curves[0].meanLoss, e.result.curves[1].meanLoss)
        XCTAssertEqual(e.testAccuracy["a"], e.testAccuracy["b"])
        // lr 0: θ_T = θ₀, so the accuracy is θ₀'s.
        let theta0 = (0..<3).map { task.makeClassificationProblem(split: .test, index: $0).initialParameters() }
        let acc0 = theta0.map { task.evaluate(parameters: $0, on: task.data.test, limit: nil).accuracy }.reduce(0, +) / 3
        XCTAssertEqual(e.testAccuracy["still"]!, acc0, accuracy: 1e-12)
        XCTAssertEqual(e.testSamples, task.data.test.count)
        let table = e.table()
        XCTAssertTrue(table.split(separator: "\n")[0].hasSuffix("test loss  test acc"))
        let json = try JSONSerialization.jsonObject(with: e.json()) as! [String: Any]
        XCTAssertEqual(json["test_samples"] as? Int, task.data.test.count)
        XCTAssertEqual(Set(json.keys), ["task", "steps", "problems", "split", "optimizers", "test_samples"])
    }
}

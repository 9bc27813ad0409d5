import Distributed
import Foundation

/// The paper's generalization experiments for the MNIST-style task: the optimizer meta-trained
/// on the 20-unit sigmoid MLP (100 steps) applied, unchanged, to longer runs and other nets,
/// against baselines tuned afresh for each variant.
public enum Generalization {
    /// One column of the paper's Figure 4 / Table: an MLP variant and a number of steps.
    public struct Variant: Sendable, Equatable {
        public var name: String
        public var hiddenSizes: [Int]
        public var activation: MLP.Activation
        public var steps: Int

        public init(name: String, hiddenSizes: [Int], activation: MLP.Activation, steps: Int) {
            self.name = name; self.hiddenSizes = hiddenSizes; self.activation = activation; self.steps = steps
        }

        /// A short identifier for file names and JSON, e.g. `hidden-40`.
        public var slug: String {
            name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }.reduce(into: "") { s, c in
                if !(c == "-" && (s.isEmpty || s.last == "-")) { s.append(c) }
            }.trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        }
    }

    /// The training setting and the paper's four generalization settings.
    public static let paperVariants: [Variant] = [
        Variant(name: "trained setting", hiddenSizes: [20], activation: .sigmoid, steps: 100),
        Variant(name: "200 steps", hiddenSizes: [20], activation: .sigmoid, steps: 200),
        Variant(name: "40 hidden units", hiddenSizes: [40], activation: .sigmoid, steps: 100),
        Variant(name: "2 hidden layers", hiddenSizes: [20, 20], activation: .sigmoid, steps: 100),
        Variant(name: "ReLU", hiddenSizes: [20], activation: .relu, steps: 100),
    ]

    /// One variant's outcome: the evaluation (learned optimizer first) and the tuning behind it.
    public struct Row: Sendable {
        public var variant: Variant
        public var evaluation: ClassificationEvaluation
        public var rates: BaselineRates

        /// Mean loss after the last step, by optimizer name.
        public var finalLoss: [String: Double] {
            Dictionary(uniqueKeysWithValues: evaluation.result.curves.map { ($0.name, $0.meanLoss.last ?? .nan) })
        }

        /// The baseline with the lowest final mean loss.
        public var bestBaseline: (name: String, loss: Double)? {
            finalLoss.filter { $0.key != "lstm" && $0.value.isFinite }.min { $0.value < $1.value }.map { ($0.key, $0.value) }
        }

        /// Whether the learned optimizer's final mean loss is below every baseline's.
        public var learnedWins: Bool {
            guard let l = finalLoss["lstm"], l.isFinite else { return false }
            return finalLoss.allSatisfy { $0.key == "lstm" || !($0.value <= l) }
        }
    }

    /// Runs every variant: tunes each baseline's learning rate on `tuningProblems` validation
    /// problems of the variant (criterion on `variant.steps` steps), then evaluates the learned
    /// optimizer and the tuned baselines on the same `problems` fresh test problems, each step's
    /// problems split over `processes` (the same result on any number of ranks).
    public static func run(
        data: DatasetSplit, learned: any Optimizer, variants: [Variant] = paperVariants,
        problems: Int, tuningProblems: Int, criterion: TuningCriterion = .final, pointsPerDecade: Int = 3,
        batchSize: Int = 128, testLimit: Int? = nil, processes: any ProcessGroup = SingleProcess(), progress: ((String) -> Void)? = nil
    ) -> [Row] {
        variants.map { v in
            let task = MLPTask(data: data, hiddenSizes: v.hiddenSizes, activation: v.activation, batchSize: batchSize,
                               horizon: v.steps)
            progress?("\(v.name): tuning baselines")
            let rates = BaselineTuner.tune(task: task, steps: v.steps, problems: tuningProblems, criterion: criterion,
                                           pointsPerDecade: pointsPerDecade, processes: processes)
            var optimizers: [(name: String, learningRate: Float?, optimizer: any Optimizer)] = [("lstm", nil, learned)]
            for b in Baseline.allCases {
                if let lr = rates.rates[b.rawValue] { optimizers.append((b.rawValue, lr, b.make(learningRate: lr))) }
            }
            progress?("\(v.name): evaluating")
            var e = ClassificationEvaluation.run(task: task, optimizers: optimizers, problems: problems, steps: v.steps,
                                                 testLimit: testLimit, processes: processes)
            e.result.task = "mlp (\(v.name))"
            return Row(variant: v, evaluation: e, rates: rates)
        }
    }

    /// The paper-style table: final mean loss of each optimizer per variant (best in brackets),
    /// the learned optimizer's and the best baseline's test accuracy, and the verdict.
    public static func table(_ rows: [Row]) -> String {
        let names = ["lstm"] + Baseline.allCases.map(\.rawValue)
        var lines = [["variant", "steps"] + names.map { "\($0) loss" } + ["lstm acc", "best baseline acc", "lstm best?"]]
        for r in rows {
            let fl = r.finalLoss
            let best = fl.filter { $0.value.isFinite }.min { $0.value < $1.value }?.key
            var line = [r.variant.name, "\(r.variant.steps)"]
            for n in names {
                guard let v = fl[n] else { line.append("-"); continue }
                let s = v.isFinite ? String(format: "%.4f", v) : "nan"
                line.append(n == best ? "[\(s)]" : s)
            }
            let acc = { (n: String) in r.evaluation.testAccuracy[n].map { String(format: "%.2f%%", 100 * $0) } ?? "-" }
            line.append(acc("lstm"))
            line.append(r.bestBaseline.map { "\(acc($0.name)) (\($0.name))" } ?? "-")
            line.append(r.learnedWins ? "yes" : "no")
            lines.append(line)
        }
        let widths = lines[0].indices.map { i in lines.map { $0[i].count }.max()! }
        return lines.map { l in
            l.indices.map { i in i == 0 ? l[i].padding(toLength: widths[i], withPad: " ", startingAt: 0) : l[i].leftPadded(widths[i]) }
                .joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    /// One line per variant and optimizer:
    /// `variant,steps,optimizer,learning_rate,final_loss,summed_loss,test_loss,test_accuracy`.
    public static func csv(_ rows: [Row]) -> String {
        var s = "variant,steps,optimizer,learning_rate,final_loss,summed_loss,test_loss,test_accuracy\n"
        func f(_ x: Double?) -> String { x.map { $0.isFinite ? String(format: "%.9g", $0) : "nan" } ?? "" }
        for r in rows {
            for c in r.evaluation.result.curves {
                s += "\(r.variant.slug),\(r.variant.steps),\(c.name),\(c.learningRate.map { String(format: "%.6g", Double($0)) } ?? ""),"
                    + "\(f(c.meanLoss.last)),\(f(c.summedLoss)),\(f(r.evaluation.testLoss[c.name])),\(f(r.evaluation.testAccuracy[c.name]))\n"
            }
        }
        return s
    }

    /// `{"problems", "tuning": {...}, "variants": [{"name", "slug", "hidden", "activation", "steps",
    /// "learned_wins", "evaluation": <ClassificationEvaluation.json()>}]}`.
    public static func json(_ rows: [Row], tuningProblems: Int, criterion: TuningCriterion) throws -> Data {
        var variants: [Any] = []
        for r in rows {
            let evaluation = try JSONSerialization.jsonObject(with: try r.evaluation.json())
            variants.append([
                "name": r.variant.name, "slug": r.variant.slug, "hidden": r.variant.hiddenSizes,
                "activation": r.variant.activation.rawValue, "steps": r.variant.steps,
                "learned_wins": r.learnedWins, "evaluation": evaluation,
            ] as [String: Any])
        }
        let object: [String: Any] = [
            "experiment": "generalization", "problems": rows.first?.evaluation.result.problems ?? 0,
            "tuning": ["problems": tuningProblems, "criterion": criterion.rawValue, "split": "validation"],
            "variants": variants,
        ]
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }
}

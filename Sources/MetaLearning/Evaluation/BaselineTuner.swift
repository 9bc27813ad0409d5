import Distributed
import Foundation
import Numerics

/// The hand-designed baselines, by name.
public enum Baseline: String, CaseIterable, Codable, Sendable {
    case sgd, nag, rmsprop, adam

    /// The optimizer at a learning rate, other settings at their usual defaults
    /// (NAG momentum 0.9; RMSprop decay 0.99; ADAM β 0.9/0.999; ε 1e-8 unless given).
    public func make(learningRate lr: Float, epsilon: Float = 1e-8) -> any Optimizer {
        switch self {
        case .sgd: return SGD(learningRate: lr)
        case .nag: return NAG(learningRate: lr, momentum: 0.9)
        case .rmsprop: return RMSprop(learningRate: lr, epsilon: epsilon)
        case .adam: return Adam(learningRate: lr, epsilon: epsilon)
        }
    }
}

/// What a tuning run minimizes over the validation problems.
public enum TuningCriterion: String, Codable, CaseIterable, Sendable {
    /// Σ_{t=1..H} of the mean loss (the meta-training objective).
    case sum
    /// The mean loss at the last step.
    case final

    public func value(_ curve: [Double]) -> Double {
        switch self {
        case .sum: return Evaluator.summedLoss(curve)
        case .final: return curve.last.map { $0.isFinite ? $0 : .infinity } ?? .infinity
        }
    }
}

/// Learning rates chosen for the baselines on validation problems, with the search behind them.
public struct BaselineRates: Codable, Equatable, Sendable {
    public struct GridPoint: Codable, Equatable, Sendable {
        public var learningRate: Float
        public var value: Double
    }
    public var task: TaskDescription
    public var split: Split
    public var criterion: TuningCriterion
    public var steps: Int
    public var problems: Int
    /// The chosen learning rate of each baseline (by `Baseline.rawValue`).
    public var rates: [String: Float]
    /// Every learning rate tried, in increasing order, with its criterion value.
    public var grids: [String: [GridPoint]]
    /// Per-family tuning (style distributions, `tune --per-family`): each family's rate of each
    /// baseline (`familyRates[family][baseline]`), tuned on that family's validation problems
    /// only; nil in files tuned across families (and in files written before it existed).
    public var familyRates: [String: [String: Float]]?
    /// The searches behind `familyRates` (`familyGrids[family][baseline]`).
    public var familyGrids: [String: [String: [GridPoint]]]?
    /// Validation problems per family behind `familyRates`.
    public var familyProblems: Int?

    public init(task: TaskDescription, split: Split, criterion: TuningCriterion, steps: Int, problems: Int,
                rates: [String: Float], grids: [String: [GridPoint]], familyRates: [String: [String: Float]]? = nil,
                familyGrids: [String: [String: [GridPoint]]]? = nil, familyProblems: Int? = nil) {
        self.task = task; self.split = split; self.criterion = criterion; self.steps = steps; self.problems = problems
        self.rates = rates; self.grids = grids
        self.familyRates = familyRates; self.familyGrids = familyGrids; self.familyProblems = familyProblems
    }

    /// These rates with `perFamily` (each family's own tuning run, e.g. `BaselineTuner.tune` on
    /// that family's validation problems) recorded as `familyRates`, `familyGrids` and `familyProblems`.
    /// - Precondition: every family's tuning has the same problem count.
    public func addingFamilies(_ perFamily: [(family: String, rates: BaselineRates)]) -> BaselineRates {
        precondition(Set(perFamily.map(\.rates.problems)).count <= 1, "BaselineRates: families tuned on different problem counts")
        var r = self
        r.familyRates = Dictionary(uniqueKeysWithValues: perFamily.map { ($0.family, $0.rates.rates) })
        r.familyGrids = Dictionary(uniqueKeysWithValues: perFamily.map { ($0.family, $0.rates.grids) })
        r.familyProblems = perFamily.first?.rates.problems
        return r
    }

    public static let formatName = "neural-art-baseline-rates"

    /// JSON (with a `format` field), pretty-printed with sorted keys.
    public func encoded() throws -> Data {
        struct File: Codable { var format: String; var rates: BaselineRates }
        return try BinaryContainer.jsonEncoder().encode(File(format: Self.formatName, rates: self))
    }

    public static func load(path: String) throws -> BaselineRates {
        struct File: Codable { var format: String; var rates: BaselineRates }
        let data: Data
        data = try readRegularFile(path, limit: 1 << 20)
        let file: File
        do { file = try BinaryContainer.jsonDecoder().decode(File.self, from: data) } catch {
            throw ModelFileError.damaged(path: path, detail: "not a baseline-rates file (\(BinaryContainer.describe(error)))")
        }
        guard file.format == formatName else { throw ModelFileError.wrongKind(path: path, expected: "a \(formatName) file") }
        for (name, lr) in file.rates.rates where Baseline(rawValue: name) == nil || !(lr > 0 && lr.isFinite) {
            throw ModelFileError.damaged(path: path, detail: "invalid entry '\(name)': \(lr)")
        }
        for (family, rates) in file.rates.familyRates ?? [:] {
            for (name, lr) in rates where Baseline(rawValue: name) == nil || !(lr > 0 && lr.isFinite) {
                throw ModelFileError.damaged(path: path, detail: "invalid entry '\(name)' of family '\(family)': \(lr)")
            }
        }
        return file.rates
    }
}

/// Grid search of each baseline's learning rate on a task's *validation* problems.
///
/// `LogGridSearch` over `initialRange` (or the baseline's entry in `initialRanges`;
/// `pointsPerDecade` per decade), widened within 1e-8 … 1e4 while the best rate sits at an
/// edge, then refined (`refinement` points on each side of the best: 3, a quarter of the grid
/// step, by default). Diverging runs count as +∞. Test problems are never touched (there is no
/// parameter to ask for them). With several `processes` the problems are split over the ranks
/// (`Evaluator`); the result is the same. `progress` is called on every rank.
public enum BaselineTuner {
    /// Tunes on validation problems 0..<`count`.
    public static func tune(
        task: any MetaTask, baselines: [Baseline] = Baseline.allCases, steps: Int, problems count: Int,
        criterion: TuningCriterion = .sum, pointsPerDecade: Int = 3,
        initialRange: ClosedRange<Double> = 1e-4...1e1, initialRanges: [Baseline: ClosedRange<Double>] = [:],
        refinement: Int = 3, processes: any ProcessGroup = SingleProcess(),
        progress: ((Baseline, Float, Double) -> Void)? = nil
    ) -> BaselineRates {
        precondition(count >= 1, "BaselineTuner: bad arguments")
        return tune(task: task, baselines: baselines, steps: steps, validationIndices: Array(0..<count), criterion: criterion,
                    pointsPerDecade: pointsPerDecade, initialRange: initialRange, initialRanges: initialRanges,
                    refinement: refinement, processes: processes, progress: progress)
    }

    /// Tunes on the validation problems `validationIndices` (e.g. one style family's), in that
    /// order; the result's `problems` is their count.
    public static func tune(
        task: any MetaTask, baselines: [Baseline] = Baseline.allCases, steps: Int, validationIndices indices: [Int],
        criterion: TuningCriterion = .sum, pointsPerDecade: Int = 3,
        initialRange: ClosedRange<Double> = 1e-4...1e1, initialRanges: [Baseline: ClosedRange<Double>] = [:],
        refinement: Int = 3, processes: any ProcessGroup = SingleProcess(),
        progress: ((Baseline, Float, Double) -> Void)? = nil
    ) -> BaselineRates {
        let count = indices.count
        precondition(count >= 1 && steps >= 1 && pointsPerDecade >= 1, "BaselineTuner: bad arguments")
        let share = processes.share(of: count)
        var made: [Int: any Problem] = [:]
        for k in share { made[k] = task.makeProblem(split: .validation, index: indices[k]) }
        var rates: [String: Float] = [:], grids: [String: [BaselineRates.GridPoint]] = [:]
        for b in baselines {
            let search = LogGridSearch.minimize(initialRange: initialRanges[b] ?? initialRange, pointsPerDecade: pointsPerDecade,
                                                limits: 1e-8...1e4, refinement: refinement) { e in
                let lr = Float(pow(10, e))
                // Afresh at each scale of coarse-to-fine problems, as the evaluation runs baselines.
                let v = criterion.value(Evaluator.meanLossCurve(b.make(learningRate: lr), problemCount: count, steps: steps,
                                                                   processes: processes, carryState: false) { made[$0]! })
                progress?(b, lr, v)
                return v
            }
            rates[b.rawValue] = Float(search.best)
            grids[b.rawValue] = search.tried.map { BaselineRates.GridPoint(learningRate: Float($0.x), value: $0.value) }
        }
        return BaselineRates(task: TaskDescription(task), split: .validation, criterion: criterion, steps: steps,
                             problems: count, rates: rates, grids: grids)
    }
}

import Numerics

/// The three disjoint problem streams of a task.
public enum Split: String, Codable, CaseIterable, Sendable {
    case training, validation, test

    /// The stream number passed to `SeededGenerator.fork`.
    public var stream: UInt64 {
        switch self {
        case .training: return 1
        case .validation: return 2
        case .test: return 3
        }
    }
}

/// A task of meta-learning: a distribution over problems, sampled from seeded, disjoint
/// streams per split. (Named `MetaTask`, not `Task`, so that it does not shadow Swift's
/// concurrency `Task`.)
///
/// Problem `index` of `split` is a pure function of the task's seed, the split and the index:
/// `SeededGenerator(seed: seed).fork(split.stream).fork(index)`. So training never sees a
/// validation or test problem, baselines are tuned on validation problems only, and a
/// checkpoint needs no random-generator state to resume (it stores the next index).
public protocol MetaTask: AnyObject {
    /// A short identifier, e.g. `"quadratic"`, stored in model files.
    var name: String { get }
    /// The settings that define the problem distribution (stored in model files), e.g. `["dimension": "10"]`.
    var settings: [String: String] { get }
    /// Optimization steps per problem (the horizon H used by meta-training and evaluation defaults).
    var defaultHorizon: Int { get }
    /// Makes problem `index` of `split` (deterministic).
    func makeProblem(split: Split, index: Int) -> any Problem
}

extension MetaTask {
    /// The generator for problem `index` of `split` under `seed` (the recipe every task should use).
    public static func generator(seed: UInt64, split: Split, index: Int) -> SeededGenerator {
        SeededGenerator(seed: seed).fork(split.stream).fork(UInt64(index))
    }
}

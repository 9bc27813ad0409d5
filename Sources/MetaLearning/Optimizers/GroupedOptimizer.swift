import Numerics

/// A partition of one problem's θ into contiguous, named groups, e.g. conv then fully connected.
///
/// θ of a problem is `counts[0]` coordinates of group 0, then `counts[1]` of group 1, … —
/// `period` in all. A batch of k problems (as `ProblemBatch` and `Evaluator` concatenate them)
/// repeats the pattern k times, so coordinate i belongs to group `group(ofOffset: i % period)`.
public struct ParameterGroups: Codable, Equatable, Sendable {
    public var names: [String]
    public var counts: [Int]

    public init(names: [String], counts: [Int]) {
        precondition(names.count == counts.count && !counts.isEmpty && counts.allSatisfy { $0 >= 1 },
                     "ParameterGroups: \(names) with counts \(counts)")
        self.names = names
        self.counts = counts
    }

    public var count: Int { counts.count }
    /// The groups with their sizes for messages, e.g. "conv 14048, fc 9578".
    public var summary: String { zip(names, counts).map { "\($0.0) \($0.1)" }.joined(separator: ", ") }
    /// Coordinates per problem.
    public var period: Int { counts.reduce(0, +) }
    /// Start of group g within one problem.
    public func offset(_ g: Int) -> Int { counts[..<g].reduce(0, +) }

    /// Copies group g's coordinates of every problem in `batch` (`problems · period` values)
    /// into `out` (`problems · counts[g]` values, problem-major).
    func gather(_ g: Int, from batch: UnsafePointer<Float>, problems: Int, into out: UnsafeMutablePointer<Float>) {
        let n = counts[g], off = offset(g), p = period
        for k in 0..<problems { (out + k * n).update(from: batch + k * p + off, count: n) }
    }

    /// The inverse of `gather`.
    func scatter(_ g: Int, from part: UnsafePointer<Float>, problems: Int, into batch: UnsafeMutablePointer<Float>) {
        let n = counts[g], off = offset(g), p = period
        for k in 0..<problems { (batch + k * p + off).update(from: part + k * n, count: n) }
    }
}

/// A task whose problems' θ is partitioned into named groups (the same partition for every problem).
public protocol GroupedParameterTask: MetaTask {
    var parameterGroups: ParameterGroups { get }
}

/// One optimizer per parameter group (e.g. one LSTM for conv, another for fully connected
/// parameters, as the paper did for CIFAR-10), acting as a single `Optimizer`.
///
/// Each member sees only its group's coordinates (gathered into a contiguous buffer) and keeps
/// its own state for them; the deltas are scattered back. The coordinate count given to
/// `makeState` must be a multiple of `groups.period` (whole problems).
public struct GroupedOptimizer<Member: Optimizer>: Optimizer {
    public let groups: ParameterGroups
    public let members: [Member]
    public var name: String { members.first.map { $0.name } ?? "grouped" }

    public init(groups: ParameterGroups, members: [Member]) {
        precondition(members.count == groups.count, "GroupedOptimizer: \(members.count) optimizers for \(groups.count) groups")
        self.groups = groups
        self.members = members
    }

    public func makeState(count: Int) -> GroupedOptimizerState<Member.State> {
        precondition(count % groups.period == 0,
                     "GroupedOptimizer: \(count) coordinates is not a whole number of \(groups.period)-coordinate problems")
        let k = count / groups.period
        return GroupedOptimizerState(
            count: count, problems: k,
            members: (0..<groups.count).map { members[$0].makeState(count: k * groups.counts[$0]) },
            buffers: groups.counts.map { (Tensor(shape: [k * $0]), Tensor(shape: [k * $0])) })
    }

    /// Each segment must be one problem (`groups.period` coordinates); each member's segments
    /// are then the problems' parts of its group.
    public func makeState(segments: [Int]) -> GroupedOptimizerState<Member.State> {
        precondition(segments.allSatisfy { $0 == groups.period },
                     "GroupedOptimizer: segments \(segments) are not \(groups.period)-coordinate problems")
        let k = segments.count
        return GroupedOptimizerState(
            count: k * groups.period, problems: k,
            members: (0..<groups.count).map { members[$0].makeState(segments: Array(repeating: groups.counts[$0], count: k)) },
            buffers: groups.counts.map { (Tensor(shape: [k * $0]), Tensor(shape: [k * $0])) })
    }

    public func update(gradient: UnsafePointer<Float>, delta: UnsafeMutablePointer<Float>,
                       state: GroupedOptimizerState<Member.State>) {
        for g in 0..<groups.count {
            let (grad, d) = state.buffers[g]
            groups.gather(g, from: gradient, problems: state.problems, into: grad.data)
            members[g].update(gradient: grad.data, delta: d.data, state: state.members[g])
            groups.scatter(g, from: d.data, problems: state.problems, into: delta)
        }
        state.step += 1
    }
}

/// The members' states and each group's gathered gradient and delta buffers.
public final class GroupedOptimizerState<MemberState: OptimizerState>: OptimizerState {
    public let count: Int
    public internal(set) var step = 0
    /// Whole problems covered.
    public let problems: Int
    public let members: [MemberState]
    let buffers: [(gradient: Tensor, delta: Tensor)]

    init(count: Int, problems: Int, members: [MemberState], buffers: [(Tensor, Tensor)]) {
        self.count = count
        self.problems = problems
        self.members = members
        self.buffers = buffers.map { (gradient: $0.0, delta: $0.1) }
    }
}

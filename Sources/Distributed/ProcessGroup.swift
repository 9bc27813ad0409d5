/// The processes that share one job: each knows its `rank` in `0..<size`, and together they can
/// exchange equal-sized results (`allgather`). The one place the rest of NeuralArt sees
/// distribution through: `SingleProcess` is the group of one (every call a copy), and
/// `Processes.world` is either that or the MPI job the process was launched in (`mpirun`).
///
/// Every collective call must be made by every rank of the group, in the same order, with the
/// same `counts` (a programmer error otherwise: an MPI job would hang or abort).
public protocol ProcessGroup: AnyObject {
    /// This process's index, 0 ..< `size`.
    var rank: Int { get }
    /// The number of processes in the job (≥ 1).
    var size: Int { get }
    /// Gathers every rank's bytes, in rank order, into `output` on every rank.
    ///
    /// - Parameters:
    ///   - local: this rank's bytes (`byteCounts[rank]` of them).
    ///   - byteCounts: every rank's byte count (`size` values, the same on every rank).
    ///   - output: Σ `byteCounts` bytes; rank r's bytes start at Σ_{q<r} `byteCounts[q]`.
    func allgatherBytes(_ local: UnsafeRawBufferPointer, byteCounts: [Int], into output: UnsafeMutableRawBufferPointer)
    /// Waits until every rank has called it.
    func barrier()
    /// Ends the whole job (every rank) with `code` after printing `message` on standard error.
    func abort(_ message: String, code: Int32) -> Never
}

extension ProcessGroup {
    /// Whether this is rank 0, the one that writes files and talks to the user.
    public var isRoot: Bool { rank == 0 }

    /// Rank `r`'s share of `count` independent items: a contiguous range, the ranks' shares in
    /// rank order covering `0..<count`, sizes differing by at most one (ranks beyond `count`
    /// get none).
    public func share(of count: Int, rank r: Int) -> Range<Int> {
        precondition(count >= 0 && r >= 0 && r < size, "ProcessGroup.share: \(count) items, rank \(r) of \(size)")
        return (r * count / size)..<((r + 1) * count / size)
    }

    /// This rank's share of `count` items (`share(of:rank:)`).
    public func share(of count: Int) -> Range<Int> { share(of: count, rank: rank) }

    /// Every rank's values, concatenated in rank order (`counts[r]` values from rank r, `local`
    /// being this rank's `counts[rank]`). With one process: `local`.
    public func allgather<T: BitwiseCopyable>(_ local: [T], counts: [Int]) -> [T] {
        precondition(counts.count == size && local.count == counts[rank],
                     "ProcessGroup.allgather: \(local.count) local values, counts \(counts) on rank \(rank) of \(size)")
        if size == 1 { return local }
        let total = counts.reduce(0, +)
        let stride = MemoryLayout<T>.stride
        return [T](unsafeUninitializedCapacity: total) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            local.withUnsafeBytes { allgatherBytes($0, byteCounts: counts.map { $0 * stride }, into: raw) }
            initialized = total
        }
    }

    /// Gathers per-item results: this rank holds `width` values for each item of its
    /// `share(of: count)` (item-major), and gets back `count · width` values, item by item in
    /// item order — the same on every rank, whatever the number of ranks.
    public func allgatherItems<T: BitwiseCopyable>(_ local: [T], items count: Int, width: Int) -> [T] {
        allgather(local, counts: (0..<size).map { share(of: count, rank: $0).count * width })
    }
}

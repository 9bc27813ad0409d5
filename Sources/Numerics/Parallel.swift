import Foundation
import Dispatch

/// Runs `body(chunk)` for `chunk` in `0..<chunks`, concurrently when `chunks > 1`.
///
/// Deterministic as long as each chunk writes only its own outputs (no shared reductions).
/// Regions run on a persistent spinning `WorkerPool` (about 1 µs to start); a region started
/// while the pool is busy (nested, or from another thread) uses `concurrentPerform` instead.
/// Use it for elementwise work over ≳ 10⁴ elements.
/// Inside a region, work is not split again (the region's chunks already use the cores).
@inlinable
public func parallelFor(chunks: Int, _ body: (Int) -> Void) {
    if chunks <= 1 { body(0); return }
    if runOnWorkerPool(chunks: chunks, body) { return }
    withoutActuallyEscaping(body) { escaping in
        nonisolated(unsafe) let f = escaping
        DispatchQueue.concurrentPerform(iterations: chunks) { i in
            let outer = ParallelRegion.enter()
            f(i)
            ParallelRegion.leave(outer)
        }
    }
}

/// Runs the region on `WorkerPool.shared`; `false` if the pool is busy or unavailable.
@usableFromInline
func runOnWorkerPool(chunks: Int, _ body: (Int) -> Void) -> Bool {
    if #available(macOS 15, iOS 18, tvOS 18, watchOS 11, *) {
        return WorkerPool.shared.run(chunks: chunks, body)
    }
    return false
}

/// Marks the threads running `parallelFor` chunks (a thread-local flag), so that kernels called
/// from inside a chunk do not split their work again.
public enum ParallelRegion {
    @usableFromInline static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()
    @usableFromInline static let marker = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)

    /// Whether the calling thread is running a `parallelFor` chunk.
    @inlinable public static var isInside: Bool { pthread_getspecific(key) != nil }

    @inlinable static func enter() -> UnsafeMutableRawPointer? {
        let outer = pthread_getspecific(key)
        pthread_setspecific(key, marker)
        return outer
    }

    @inlinable static func leave(_ outer: UnsafeMutableRawPointer?) { pthread_setspecific(key, outer) }

    /// Runs `body` on the calling thread as one chunk of a region: the kernels it calls do not
    /// split their work over threads (`BLAS.gemm` keeps its columns in one product), so what it
    /// computes does not depend on the thread count.
    @inlinable public static func asOneChunk<T>(_ body: () throws -> T) rethrows -> T {
        let outer = enter()
        defer { leave(outer) }
        return try body()
    }
}

/// Splits `0..<count` into `parts` contiguous ranges of nearly equal size (multiples of 16
/// where possible, so SIMD loops stay aligned) and returns range `index`.
@inlinable
public func chunkRange(_ index: Int, of parts: Int, count: Int) -> Range<Int> {
    let per = ((count + parts - 1) / parts + 15) & ~15
    let lo = min(count, index * per)
    return lo..<min(count, lo + per)
}

/// Number of compute threads: `NEURALART_THREADS` if set to a positive integer (e.g. 1 to run
/// two jobs side by side on two cores), else the machine's active cores; at most 8. Results are
/// deterministic for a given count.
public let defaultChunks: Int = {
    if let text = ProcessInfo.processInfo.environment["NEURALART_THREADS"], let n = Int(text), n >= 1 {
        return min(8, n)
    }
    return min(8, max(1, ProcessInfo.processInfo.activeProcessorCount))
}()

/// How many chunks a per-channel kernel over `channels` planes (`elements` values in all) should
/// use: `BLAS.threads` (the process's compute-thread setting), but 1 for work too small to be
/// worth the ~1 µs dispatch and for fewer channels than threads would leave idle.
@inlinable
public func kernelChunks(channels: Int, elements: Int) -> Int {
    let threads = BLAS.threads
    guard threads > 1, elements >= 32_768, channels >= 2, !ParallelRegion.isInside else { return 1 }
    return min(threads, channels)
}

/// How many chunks an elementwise loop over `count` values should use: `BLAS.threads`, but 1
/// below `minimum` values (where the ~1 µs region start would not pay) or inside a region.
@inlinable
public func elementwiseChunks(count: Int, minimum: Int = 8_192) -> Int {
    let threads = BLAS.threads
    guard threads > 1, count >= minimum, !ParallelRegion.isInside else { return 1 }
    return threads
}

/// Runs `body(range)` over the `elementwiseChunks(count:)` contiguous ranges of `0..<count`
/// (see `chunkRange`), concurrently when there are several: an elementwise loop split over
/// threads, bit-identical to the serial loop when each index writes only its own outputs.
@inlinable
public func parallelForEachRange(count: Int, _ body: (Range<Int>) -> Void) {
    let chunks = elementwiseChunks(count: count)
    parallelFor(chunks: chunks) { p in body(chunkRange(p, of: chunks, count: count)) }
}

/// Splits `0..<count` into `parts` contiguous ranges whose sizes differ by at most one and
/// returns range `index` (for splitting channels or rows, where alignment does not matter).
@inlinable
public func evenRange(_ index: Int, of parts: Int, count: Int) -> Range<Int> {
    (index * count / parts)..<((index + 1) * count / parts)
}

/// Deals `tasks` independent tasks of about equal cost out to `chunks = min(threads, tasks)`
/// chunks in "snake" order (0,1,…,c−1, c−1,…,1,0, 0,1,…), so a chunk that gets an early (often
/// slightly costlier) task also gets a late one. Run it as `parallelFor(chunks: schedule.chunks)`
/// and, in chunk `p`, the tasks `schedule.tasks(of: p)` in order.
public struct TaskSchedule: Sendable {
    public let chunks: Int
    public let count: Int

    public init(threads: Int, tasks: Int) {
        precondition(threads >= 1 && tasks >= 0, "TaskSchedule: threads \(threads), tasks \(tasks)")
        chunks = max(1, min(threads, tasks))
        count = tasks
    }

    /// Calls `body(task)` for the tasks of chunk `p`, ascending (no allocation).
    @inlinable
    public func forEachTask(of p: Int, _ body: (Int) -> Void) {
        for t in 0..<count {
            let round = t / chunks, slot = t % chunks
            if (round % 2 == 0 ? slot : chunks - 1 - slot) == p { body(t) }
        }
    }
}

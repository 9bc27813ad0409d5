import Foundation
import Dispatch

/// Runs `body(chunk)` for `chunk` in `0..<chunks`, concurrently when `chunks > 1`.
///
/// Deterministic as long as each chunk writes only its own outputs (no shared reductions).
/// Overhead is about 1 µs; use it for elementwise work over ≳ 10⁴ elements.
@inlinable
public func parallelFor(chunks: Int, _ body: (Int) -> Void) {
    if chunks <= 1 { body(0); return }
    withoutActuallyEscaping(body) { escaping in
        nonisolated(unsafe) let f = escaping
        DispatchQueue.concurrentPerform(iterations: chunks) { f($0) }
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

/// Number of worker chunks used by elementwise kernels (the machine's active cores, at most 8).
public let defaultChunks: Int = min(8, max(1, ProcessInfo.processInfo.activeProcessorCount))

/// How many chunks a per-channel kernel over `channels` planes (`elements` values in all) should
/// use: `BLAS.threads` (the process's compute-thread setting), but 1 for work too small to be
/// worth the ~1 µs dispatch and for fewer channels than threads would leave idle.
@inlinable
public func kernelChunks(channels: Int, elements: Int) -> Int {
    let threads = BLAS.threads
    guard threads > 1, elements >= 32_768, channels >= 2 else { return 1 }
    return min(threads, channels)
}

/// Splits `0..<count` into `parts` contiguous ranges whose sizes differ by at most one and
/// returns range `index` (for splitting channels or rows, where alignment does not matter).
@inlinable
public func evenRange(_ index: Int, of parts: Int, count: Int) -> Range<Int> {
    (index * count / parts)..<((index + 1) * count / parts)
}

import Foundation
import Synchronization

/// A persistent pool of worker threads that run `parallelFor` regions with about 1 µs of
/// start-up latency instead of the 20–40 µs that `DispatchQueue.concurrentPerform` needs to wake
/// its workers on these VMs (measured: a 2 × 50 µs region took ~92 µs through Dispatch).
///
/// Protocol: the caller publishes a region (its body, then one atomic *ticket* =
/// generation·2³² + chunks·2¹⁶ + next chunk), claims chunks itself, and waits until all are done.
/// Workers claim chunks by compare-and-swap on the ticket, so a late worker can never claim a
/// chunk of a region other than the one whose generation it saw. Between regions a worker spins
/// for `workerSpinNanoseconds`, then sleeps on a condition variable; the caller likewise spins, then
/// sleeps, while it waits for the last chunk. Which thread runs which chunk varies, but each chunk
/// writes only its own outputs, so results do not depend on it.
///
/// One region at a time: a call made while the pool is busy (a nested region, or another thread's
/// region) returns `false` and the caller falls back to `concurrentPerform`.
@available(macOS 15, iOS 18, tvOS 18, watchOS 11, *)
final class WorkerPool: @unchecked Sendable {
    /// Workers beyond the calling thread: the active cores minus one (at most 7).
    static let shared = WorkerPool(workers: defaultChunks - 1)

    /// How long a thread busy-waits for the next region (worker: 20 µs) or the last chunk
    /// (caller: 50 µs) before it sleeps. Long enough to bridge the serial gaps between the regions of one loss
    /// evaluation, short enough not to steal much time from other processes; the spin also
    /// yields the core every few checks, so a thread that has work (ours or another process's)
    /// is not kept waiting when the cores are oversubscribed.
    static let workerSpinNanoseconds: UInt64 = 20_000, callerSpinNanoseconds: UInt64 = 50_000

    let workers: Int
    /// generation << 32 | chunks << 16 | next unclaimed chunk.
    private let ticket = Atomic<Int>(0)
    /// Chunks of the current region that have finished.
    private let done = Atomic<Int>(0)
    /// Whether a region is running (callers take it with a compare-and-swap).
    private let busy = Atomic<Bool>(false)
    /// The current region's body; written by the caller before the ticket is published.
    nonisolated(unsafe) private var body: ((Int) -> Void)?

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wakeWorkers = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let wakeCaller = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Sleeping workers / whether the caller sleeps; guarded by `mutex`.
    nonisolated(unsafe) private var sleepers = 0
    nonisolated(unsafe) private var callerSleeps = false

    init(workers: Int) {
        self.workers = max(0, workers)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wakeWorkers, nil)
        pthread_cond_init(wakeCaller, nil)
        for _ in 0..<self.workers {
            let thread = Thread { [unowned self] in self.workerLoop() }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Runs `body(chunk)` for every chunk in `0..<chunks` on the caller and the workers and returns
    /// `true`, or returns `false` without running anything if the pool is busy or cannot take it.
    func run(chunks: Int, _ body: (Int) -> Void) -> Bool {
        guard workers > 0, chunks < 1 << 16,
              busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
        else { return false }
        withoutActuallyEscaping(body) { escaping in
            self.body = escaping
            done.store(0, ordering: .relaxed)
            let generation = (ticket.load(ordering: .relaxed) >> 32) + 1
            ticket.store(generation << 32 | chunks << 16, ordering: .releasing)
            pthread_mutex_lock(mutex)
            if sleepers > 0 { pthread_cond_broadcast(wakeWorkers) }
            pthread_mutex_unlock(mutex)

            let outer = ParallelRegion.enter()
            work(generation: generation)
            ParallelRegion.leave(outer)

            if !spin(Self.callerSpinNanoseconds, until: { done.load(ordering: .acquiring) == chunks }) {
                pthread_mutex_lock(mutex)
                callerSleeps = true
                while done.load(ordering: .acquiring) < chunks { pthread_cond_wait(wakeCaller, mutex) }
                callerSleeps = false
                pthread_mutex_unlock(mutex)
            }
            self.body = nil
        }
        busy.store(false, ordering: .releasing)
        return true
    }

    /// Claims and runs chunks of region `generation` until none is left.
    private func work(generation: Int) {
        while true {
            var t = ticket.load(ordering: .acquiring)
            var claimed = -1
            while t >> 32 == generation {
                let chunks = (t >> 16) & 0xFFFF, next = t & 0xFFFF
                if next >= chunks { break }
                let (exchanged, original) = ticket.compareExchange(
                    expected: t, desired: t + 1, ordering: .acquiringAndReleasing)
                if exchanged { claimed = next; break }
                t = original
            }
            guard claimed >= 0 else { return }
            let chunks = (t >> 16) & 0xFFFF
            body!(claimed)
            if done.add(1, ordering: .acquiringAndReleasing).newValue == chunks {
                pthread_mutex_lock(mutex)
                if callerSleeps { pthread_cond_signal(wakeCaller) }
                pthread_mutex_unlock(mutex)
            }
        }
    }

    private func workerLoop() {
        _ = ParallelRegion.enter()   // a worker only ever runs chunks
        var seen = 0
        while true {
            if !spin(Self.workerSpinNanoseconds, until: { ticket.load(ordering: .relaxed) >> 32 != seen }) {
                pthread_mutex_lock(mutex)
                sleepers += 1
                while ticket.load(ordering: .relaxed) >> 32 == seen { pthread_cond_wait(wakeWorkers, mutex) }
                sleepers -= 1
                pthread_mutex_unlock(mutex)
            }
            seen = ticket.load(ordering: .acquiring) >> 32
            work(generation: seen)
        }
    }

    /// Busy-waits up to `limit` nanoseconds for `condition` (yielding the core every 64 checks);
    /// returns whether it became true.
    @inline(__always)
    private func spin(_ limit: UInt64, until condition: () -> Bool) -> Bool {
        if condition() { return true }
        let start = DispatchTime.now().uptimeNanoseconds
        while true {
            for _ in 0..<64 where condition() { return true }
            if DispatchTime.now().uptimeNanoseconds - start > limit { return condition() }
            sched_yield()
        }
    }
}

import CMPI
import Foundation

/// `MPI_COMM_WORLD` as a `ProcessGroup` (Open MPI; errors are fatal, MPI's default: a failed
/// call or a dead rank ends the whole job rather than hanging it). Calls come from one thread.
final class MPIProcessGroup: ProcessGroup {
    let rank: Int
    let size: Int
    private let comm: MPI_Comm?

    /// Initializes MPI (once per process) and registers `MPI_Finalize` to run at exit.
    init() {
        var provided: Int32 = 0
        MPI_Init_thread(nil, nil, Int32(MPI_THREAD_FUNNELED), &provided)
        comm = neuralart_mpi_comm_world()
        var r: Int32 = 0, s: Int32 = 0
        MPI_Comm_rank(comm, &r)
        MPI_Comm_size(comm, &s)
        rank = Int(r)
        size = Int(s)
        atexit { MPI_Finalize() }
    }

    func allgatherBytes(_ local: UnsafeRawBufferPointer, byteCounts: [Int], into output: UnsafeMutableRawBufferPointer) {
        precondition(byteCounts.count == size && local.count == byteCounts[rank]
                        && output.count == byteCounts.reduce(0, +) && output.count <= Int(Int32.max),
                     "MPIProcessGroup.allgatherBytes: \(local.count) bytes, counts \(byteCounts), output \(output.count)")
        var counts = byteCounts.map { Int32($0) }
        var displacements = [Int32](repeating: 0, count: size)
        for r in 1..<max(size, 1) { displacements[r] = displacements[r - 1] + counts[r - 1] }
        // MPI wants a non-null buffer even for zero bytes.
        var dummy: UInt8 = 0
        withUnsafeMutablePointer(to: &dummy) { d in
            let send = local.baseAddress ?? UnsafeRawPointer(d)
            let receive = output.baseAddress ?? UnsafeMutableRawPointer(d)
            _ = MPI_Allgatherv(send, Int32(local.count), neuralart_mpi_byte(), receive, &counts, &displacements,
                               neuralart_mpi_byte(), comm)
        }
    }

    func barrier() { MPI_Barrier(comm) }

    func abort(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        MPI_Abort(comm, code)
        exit(code)
    }
}

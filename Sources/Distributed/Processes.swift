import Foundation

/// The process group this process belongs to.
public enum Processes {
    /// The environment variables by which a launcher (Open MPI's `mpirun`, or a PMI/PMIx launcher
    /// such as Slurm's `srun`) says a process is one rank of a job.
    static let launcherVariables = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"]

    /// Whether this process was started by an MPI launcher (so `world` is an MPI job).
    public static var launchedByMPI: Bool {
        let environment = ProcessInfo.processInfo.environment
        return launcherVariables.contains { environment[$0] != nil }
    }

    /// The job's process group: MPI's world when launched by `mpirun` (MPI is initialized on
    /// first use), else `SingleProcess` — MPI is never initialized for a plain launch, so a
    /// normal run starts and prints exactly as without MPI.
    public static let world: any ProcessGroup = launchedByMPI ? MPIProcessGroup() : SingleProcess()

    /// Ranks of this job on this machine (Open MPI's `OMPI_COMM_WORLD_LOCAL_SIZE`; 1 when not
    /// launched by MPI or the launcher does not say).
    public static var localSize: Int {
        guard launchedByMPI else { return 1 }
        let environment = ProcessInfo.processInfo.environment
        for name in ["OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE"] {
            if let text = environment[name], let n = Int(text), n >= 1 { return n }
        }
        return world.size
    }
}

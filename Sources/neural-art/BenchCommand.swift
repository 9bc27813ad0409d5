import ArgumentParser
import Foundation
import MetaLearning
import NeuralArt
import Numerics

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time the feature network, the loss and optimizer steps on this machine.",
        discussion: """
            For each size, times the RandVGG-S forward pass, the loss forward+backward, a full \
            ADAM step and a full learned-optimizer (2×20 LSTM) step with 1 BLAS thread and with \
            one per core, and reports the faster (and the learned step's cost in ADAM steps, \
            both measured in the same run). Steps are timed in steady state: each optimizer's \
            state is made once and continued from run to run; "LSTM state" is the one-time cost of \
            making the learned optimizer's state (hidden and cell states of every coordinate) and \
            zeroing it, paid once per run or scale. GFLOP/s are shown next to the GEMM peak measured \
            here with the same thread count; "floor" is the time the loss's FLOPs would take at \
            that peak. Then the learned optimizer alone (inference step and 20-step meta-training \
            unroll at 10, 12,288 and 49,152 coordinates) and one 20-step style unroll at 64 px.
            """)

    @Option(name: .long, parsing: .upToNextOption, help: "Image sizes (square, pixels).")
    var sizes: [Int] = [64, 128, 256]

    @Option(name: .long, help: "Timed repetitions per measurement (the median is reported).")
    var repeats: Int = 21

    @Option(name: .long, parsing: .unconditional,
            help: "Use only this compute-thread count, at most \(StylizeCommand.maximumThreads) (default: try 1 and the core count, keep the faster).")
    var threads: Int?

    @Flag(name: [.short, .long], help: "No progress lines on standard error.")
    var quiet = false

    @Flag(name: .long, help: "Skip the learned-optimizer benchmarks (coordinates and unrolls).")
    var skipMeta = false

    @Flag(name: .long, help: "Skip the per-size benchmarks (network, loss, optimizer steps).")
    var skipSizes = false

    @Option(name: .long, help: "Also write the results as JSON to this file.")
    var json: String?

    func validate() throws {
        guard sizes.allSatisfy({ $0 >= 16 && $0 <= 2048 }) else { throw ValidationError("--sizes must be between 16 and 2048") }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        if let threads, !(1...StylizeCommand.maximumThreads).contains(threads) {
            throw ValidationError("--threads must be between 1 and \(StylizeCommand.maximumThreads) (got \(threads))")
        }
    }

    func run() throws {
        // Not shared among ranks: under mpirun, rank 0 alone measures.
        guard Job.isRoot else { return }
        try runReportingErrors { try bench() }
    }

    func bench() throws {
        // Results appear as they are measured, also through a pipe (`| tee`).
        setvbuf(stdout, nil, _IOLBF, 0)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let candidates = threads.map { [$0] } ?? Array(Set([1, cores])).sorted()
        // A measurement takes seconds to a minute: say what is being measured, on stderr.
        let note = { (text: String) in if !quiet { FileHandle.standardError.write(Data("bench: \(text)…\n".utf8)) } }
        var peaks: [Int: Double] = [:]
        for t in candidates {
            note("GEMM peak with \(t) thread(s)")
            BLAS.threads = t
            peaks[t] = StylizeBenchmark.gemmPeakGFlops()
        }
        print("GEMM peak: " + candidates.map { String(format: "%.1f GFLOP/s with %d thread(s)", peaks[$0]!, $0) }
            .joined(separator: ", "))
        if !skipSizes {
            print(" size thr  net forward        loss fwd+bwd       floor     ADAM step  LSTM step  LSTM/ADAM  LSTM state")
        }
        var sizesJSON: [String: Any] = [:]
        var best128: Int?
        for size in skipSizes ? [] : sizes {
            var best: StylizeBenchmark.SizeResult?
            for t in candidates {
                note("\(size) px with \(t) thread(s), \(repeats) repeat(s)")
                BLAS.threads = t
                let r = StylizeBenchmark.run(size: size, repeats: repeats)
                if best == nil || r.adamStepMs < best!.adamStepMs { best = r }
            }
            let r = best!
            if size == 128 || best128 == nil { best128 = r.threads }
            let peak = peaks[r.threads]!
            let gf = { (flops: Double, ms: Double) in String(format: "%6.1f", flops / (ms * 1e-3) * 1e-9) }
            let floorMs = r.lossFlops / (peak * 1e9) * 1e3
            print(String(format: "%5d %3d  %7.2f ms (%@)  %7.2f ms (%@)  %6.2f ms  %7.2f ms  %7.2f ms  %9.2f  %7.2f ms",
                         size, r.threads, r.netForwardMs, gf(r.netForwardFlops, r.netForwardMs),
                         r.lossForwardBackwardMs, gf(r.lossFlops, r.lossForwardBackwardMs), floorMs,
                         r.adamStepMs, r.lstmStepMs, r.lstmOverAdam, r.lstmStateSetupMs))
            sizesJSON[String(size)] = [
                "net_forward_ms": r.netForwardMs, "loss_forward_backward_ms": r.lossForwardBackwardMs,
                "adam_step_ms": r.adamStepMs, "lstm_step_ms": r.lstmStepMs, "lstm_over_adam": r.lstmOverAdam,
                "lstm_state_setup_ms": r.lstmStateSetupMs,
                "loss_gemm_floor_ms": floorMs, "loss_gflop": r.lossFlops * 1e-9, "threads": r.threads,
            ] as [String: Any]
        }
        var object: [String: Any] = [
            "threads": best128 ?? candidates.last!, "gemm_peak_gflops": peaks[best128 ?? candidates.last!]!,
            "gemm_peak_gflops_by_threads": Dictionary(uniqueKeysWithValues: peaks.map { ("\($0.key)", $0.value) }),
            "sizes": sizesJSON,
        ]
        if !skipMeta {
            BLAS.threads = 1
            note("a 20-step style unroll at 64 px")
            let unroll = try StylizeBenchmark.unrollSeconds(size: 64, steps: 20, repeats: max(3, repeats / 4))
            print(String(format: "style meta-training: one 20-step unroll at 64 px (forward + BPTT + ADAM on φ): %.3f s", unroll))
            if var s64 = sizesJSON["64"] as? [String: Any] {
                s64["unroll20_s"] = unroll
                sizesJSON["64"] = s64
            } else {
                sizesJSON["64"] = ["unroll20_s": unroll]
            }
            object["sizes"] = sizesJSON
            note("the learned optimizer alone at 10, 12288 and 49152 coordinates")
            let meta = MetaBench.run(repetitions: max(3, repeats / 4))
            print("learned optimizer alone (2×20 LSTM, separable quadratic):")
            print(MetaBench.table(meta), terminator: "")
            object["lstm_optimizer"] = Dictionary(uniqueKeysWithValues: meta.map {
                ("\($0.coordinates)", ["inference_step_ms": $0.secondsPerInferenceStep * 1e3,
                                       "unroll_s": $0.secondsPerUnroll, "unroll_steps": $0.unrollSteps,
                                       "unroll_mb": Double($0.unrollBytes) / 1e6] as [String: Any])
            })
        }
        if let json {
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            try writeAtomically(data, to: json)
        }
    }
}

import ArgumentParser
import Foundation
import NeuralArt
import Numerics

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time the feature network, the loss and optimizer steps on this machine.",
        discussion: """
            Prints median times at each size with the GFLOP/s they reach, next to the GEMM peak \
            measured on this machine, so the distance to the machine's limit is visible. \
            The "floor" column is the time the FLOPs would take at that peak.
            """)

    @Option(name: .long, parsing: .upToNextOption, help: "Image sizes (square, pixels).")
    var sizes: [Int] = [64, 128, 256]

    @Option(name: .long, help: "Timed repetitions per measurement (the median is reported).")
    var repeats: Int = 21

    @Option(name: .long, help: "BLAS threads (default: the fastest for the convolution products, measured).")
    var threads: Int?

    @Option(name: .long, help: "Also write the results as JSON to this file.")
    var json: String?

    func validate() throws {
        guard sizes.allSatisfy({ $0 >= RandVGGS.minimumSide && $0 <= 2048 }) else {
            throw ValidationError("--sizes must be between \(RandVGGS.minimumSide) and 2048")
        }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        if let threads { BLAS.threads = threads }
        let peak = StylizeBenchmark.gemmPeakGFlops()
        print("BLAS threads: \(BLAS.threads)   GEMM peak: \(String(format: "%.1f", peak)) GFLOP/s")
        print("size  net forward        loss fwd+bwd       ADAM step   floor(loss)")
        var sizesJSON: [String: Any] = [:]
        for size in sizes {
            let r = StylizeBenchmark.run(size: size, repeats: repeats)
            let gf = { (flops: Double, ms: Double) in String(format: "%6.1f", flops / (ms * 1e-3) * 1e-9) }
            let floorMs = r.lossFlops / (peak * 1e9) * 1e3
            print(String(format: "%4d  %7.2f ms (%@)  %7.2f ms (%@)  %7.2f ms   %6.2f ms",
                         size, r.netForwardMs, gf(r.netForwardFlops, r.netForwardMs),
                         r.lossForwardBackwardMs, gf(r.lossFlops, r.lossForwardBackwardMs), r.adamStepMs, floorMs))
            sizesJSON[String(size)] = [
                "net_forward_ms": r.netForwardMs, "loss_forward_backward_ms": r.lossForwardBackwardMs,
                "adam_step_ms": r.adamStepMs, "loss_gemm_floor_ms": floorMs,
                "loss_gflops": r.lossFlops * 1e-9,
            ]
        }
        if let json {
            let object: [String: Any] = ["threads": BLAS.threads, "gemm_peak_gflops": peak, "sizes": sizesJSON]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: URL(fileURLWithPath: json), options: .atomic)
        }
    }
}

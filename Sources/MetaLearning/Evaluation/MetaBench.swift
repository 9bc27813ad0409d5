import Foundation
import Numerics

/// Timings of the learned optimizer at a given number of coordinates.
public struct MetaBenchResult: Sendable {
    public var coordinates: Int
    /// Seconds per inference step (`LSTMOptimizer.update`, the problem's cost excluded).
    public var secondsPerInferenceStep: Double
    /// Seconds per meta-training unroll of `unrollSteps` steps (forward with records + backward).
    public var secondsPerUnroll: Double
    public var unrollSteps: Int
    /// Bytes of the unroll's records and workspaces.
    public var unrollBytes: Int
}

/// Benchmarks of the LSTM optimizer: inference steps and meta-training unrolls on a cheap
/// separable quadratic (f = Σ aᵢ(θᵢ − bᵢ)², O(N)), so the numbers are the optimizer's own cost.
/// Reports the median of `repetitions` timed runs after one warm-up, with the current
/// `BLAS.threads` (the LSTM splits the coordinates over that many threads).
public enum MetaBench {
    public static func run(
        coordinates: [Int] = [10, 12_288, 49_152], unroll: Int = 20,
        configuration: LSTMConfiguration = LSTMConfiguration(), repetitions: Int = 5,
        progress: ((String) -> Void)? = nil
    ) -> [MetaBenchResult] {
        return coordinates.map { n in
            let r = measure(n: n, unroll: unroll, configuration: configuration, repetitions: max(1, repetitions))
            progress?(String(format: "%d coordinates: %.3f ms/step, %.1f ms/unroll", n,
                             r.secondsPerInferenceStep * 1e3, r.secondsPerUnroll * 1e3))
            return r
        }
    }

    static func measure(n: Int, unroll T: Int, configuration c: LSTMConfiguration, repetitions: Int) -> MetaBenchResult {
        let lstm = LSTMOptimizer(configuration: c, seed: 1)
        let problem = SeparableQuadratic(count: n, seed: 1)
        // Inference: enough steps per timing to last ~20 ms.
        let state = lstm.makeState(count: n)
        let grad = Tensor(shape: [n]), delta = Tensor(shape: [n])
        for i in 0..<n { grad.data[i] = Float(i % 17) * 0.01 - 0.08 }
        lstm.update(gradient: grad.data, delta: delta.data, state: state)
        let inner = max(1, min(2000, 200_000 / max(n, 1)))
        let inference = median((0..<repetitions).map { _ in
            let t0 = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<inner { lstm.update(gradient: grad.data, delta: delta.data, state: state) }
            return Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9 / Double(inner)
        })
        // Meta-training unroll.
        let batch = ProblemBatch([problem])
        let u = LSTMUnroll(configuration: c, count: n, maxSteps: T)
        var dw = [Float](repeating: 0, count: c.layout.weightCount)
        let unrolls = max(1, min(50, 20_000 / max(n, 1)))
        func oneUnroll() {
            lstm.weights.withUnsafeBufferPointer { w in
                dw.withUnsafeMutableBufferPointer { d in
                    _ = u.forward(batch: batch, weights: w.baseAddress!, steps: T)
                    u.backward(weights: w.baseAddress!, dWeights: d.baseAddress!)
                    u.carry()
                }
            }
        }
        u.reset(batch: batch)
        oneUnroll()
        let training = median((0..<repetitions).map { _ in
            u.reset(batch: batch)
            let t0 = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<unrolls { oneUnroll() }
            return Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9 / Double(unrolls)
        })
        let L = c.layout, H = L.hidden
        let perStep = (0..<L.layers).reduce(0) { $0 + L.columns(layer: $1) + 5 * H } + 2
        let bytes = 4 * n * ((T + 1) * perStep + 2 * L.layers * H + 4 * H + 4)
        return MetaBenchResult(coordinates: n, secondsPerInferenceStep: inference, secondsPerUnroll: training,
                               unrollSteps: T, unrollBytes: bytes)
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// A plain-text table of results.
    public static func table(_ results: [MetaBenchResult]) -> String {
        var s = "coordinates  ms/inference step  ms/unroll (steps)  ms/unroll step  unroll memory\n"
        for r in results {
            s += String(format: "%11d  %17.3f  %12.1f (%3d)  %14.2f  %10.1f MB\n", r.coordinates,
                        r.secondsPerInferenceStep * 1e3, r.secondsPerUnroll * 1e3, r.unrollSteps,
                        r.secondsPerUnroll * 1e3 / Double(r.unrollSteps), Double(r.unrollBytes) / 1e6)
        }
        return s
    }
}

/// f(θ) = Σ aᵢ(θᵢ − bᵢ)², aᵢ ∈ [0.5, 2), bᵢ ~ N(0, 1): an O(N) problem for benchmarks.
final class SeparableQuadratic: Problem {
    let a: Tensor, b: Tensor
    var parameterCount: Int { a.count }

    init(count n: Int, seed: UInt64) {
        var g = SeededGenerator(seed: seed)
        a = Tensor(shape: [n]); b = Tensor(shape: [n])
        g.fillUniform(a, 0.5, 2)
        g.fillNormal(b)
    }

    func initialParameters() -> [Float] { [Float](repeating: 0, count: a.count) }

    func lossAndGradient(at theta: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>) -> Float {
        let a = self.a.data, b = self.b.data
        var f: Float = 0
        for i in 0..<self.a.count {
            let r = theta[i] - b[i]
            f += a[i] * r * r
            gradient[i] = 2 * a[i] * r
        }
        return f
    }
}

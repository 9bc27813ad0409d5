import Numerics

/// One truncated-BPTT unroll of the LSTM optimizer on a problem batch: the forward pass that
/// records what backward needs, and the hand-written first-order backward pass.
///
/// **Meta-loss** of an unroll of T steps from θ₀ (carried over, detached):
/// L = (1/P) Σ_p Σ_{t=1..T} s_p f_p(θ_t), with θ_{t+1} = clamp(θ_t + Δ_t), Δ_t = m(s·∇f(θ_t), state; φ).
///
/// **First-order**: the gradient fed to the LSTM is a constant, but the θ path is
/// differentiated. With a_t = ∂L/∂(θ_{t−1} + Δ_{t−1}) (the adjoint of the unclamped update),
///     a_T = mask_T ⊙ ĝ_T,   a_t = mask_t ⊙ (ĝ_t + a_{t+1}),   ĝ_t = s·∇f(θ_t)/P,
/// and ∂L/∂Δ_{t−1} = a_t; each step's LSTM backward then runs from that adjoint. So the
/// optimizee is never differentiated twice: one problem call per step, in the forward pass.
///
/// **Records** (allocated once, reused every unroll; feature-major, N = coordinates), per layer:
/// T+1 slots of xh ((in + H + 1) × N) and c (H × N), T slots of activated gates (4H × N);
/// T+1 scaled gradients and masks (N). ≈ (in + 13H + 2)·4 bytes per coordinate per step
/// (1.05 KB for 2 × 20): 20 steps × 12,288 coordinates ≈ 260 MB.
final class LSTMUnroll {
    /// Deliberate mistakes, for tests proving that the gradient check catches them.
    enum Fault { case none, dropThetaPath, dropCellRecurrence }

    let configuration: LSTMConfiguration
    let layout: LSTMLayout
    let count: Int
    let maxSteps: Int
    var fault: Fault = .none

    private var xh: [[Tensor]]
    private var c: [[Tensor]]
    private let gates: [[Tensor]]
    private var grads: [Tensor]
    private let masks: [Tensor]
    let theta: Tensor
    private let delta: Tensor
    private let rmsM: Tensor?, rmsV: Tensor?
    private var rmsStep = 0
    private let dh: [Tensor], dc: [Tensor], dz: Tensor, adjoint: Tensor
    private var losses: [Double]
    /// The number of steps recorded by the last `forward`.
    private(set) var recordedSteps = 0
    /// Whether the last forward's batch had bounds (masks recorded).
    private var masked = false
    /// Steps taken on the current problem batch since `reset`.
    private(set) var stepsTaken = 0

    init(configuration: LSTMConfiguration, count N: Int, maxSteps T: Int) {
        precondition(N >= 1 && T >= 1, "LSTMUnroll: need ≥ 1 coordinate and step")
        self.configuration = configuration
        layout = configuration.layout
        count = N
        maxSteps = T
        let L = layout, H = L.hidden
        xh = (0..<L.layers).map { l in (0...T).map { _ in Tensor(shape: [L.columns(layer: l), N]) } }
        c = (0..<L.layers).map { _ in (0...T).map { _ in Tensor(shape: [H, N]) } }
        gates = (0..<L.layers).map { _ in (0..<T).map { _ in Tensor(shape: [4 * H, N]) } }
        grads = (0...T).map { _ in Tensor(shape: [N]) }
        masks = (0...T).map { _ in Tensor(shape: [N]) }
        theta = Tensor(shape: [N])
        delta = Tensor(shape: [N])
        rmsM = configuration.inputs.rmsInputs ? Tensor(shape: [N]) : nil
        rmsV = configuration.inputs.rmsInputs ? Tensor(shape: [N]) : nil
        dh = (0..<L.layers).map { _ in Tensor(shape: [H, N]) }
        dc = (0..<L.layers).map { _ in Tensor(shape: [H, N]) }
        dz = Tensor(shape: [4 * H, N])
        adjoint = Tensor(shape: [N])
        losses = []
        for l in 0..<L.layers {
            for slot in xh[l] { (slot.data + (L.columns(layer: l) - 1) * N).update(repeating: 1, count: N) }
        }
    }

    /// Starts a problem batch: θ = θ₀, zero LSTM state and moments, and the one problem call at θ₀.
    /// Returns the problems' mean unscaled initial loss.
    @discardableResult
    func reset(batch: ProblemBatch) -> Double {
        precondition(batch.count == count, "LSTMUnroll: batch of \(batch.count) coordinates, made for \(count)")
        let L = layout, N = count
        for l in 0..<L.layers {
            (xh[l][0].data + L.inputSize(layer: l) * N).update(repeating: 0, count: L.hidden * N)
            c[l][0].fill(0)
        }
        rmsM?.fill(0); rmsV?.fill(0); rmsStep = 0
        stepsTaken = 0
        batch.initialParameters(into: theta.data)
        if losses.count != batch.problems.count { losses = [Double](repeating: 0, count: batch.problems.count) }
        losses.withUnsafeMutableBufferPointer {
            batch.evaluate(at: theta.data, scaledGradient: grads[0].data, losses: $0.baseAddress!)
        }
        return losses.reduce(0, +) / Double(losses.count)
    }

    /// Runs `steps` ≤ `maxSteps` optimizer steps from the carried state, recording them.
    /// Returns the meta-loss (1/P) Σ_p Σ_t s_p f_p(θ_t) and the mean unscaled loss per step.
    func forward(batch: ProblemBatch, weights: UnsafePointer<Float>, steps T: Int,
                 stepLosses: ((Int, Double) -> Void)? = nil) -> Double {
        precondition(T >= 1 && T <= maxSteps, "LSTMUnroll: \(T) steps, room for \(maxSteps)")
        let L = layout, H = L.hidden, N = count, P = Double(batch.problems.count)
        let features = configuration.inputs
        masked = batch.hasBounds
        var metaLoss = 0.0
        for t in 0..<T {
            rmsStep += 1
            let x0 = xh[0][t].data, g = grads[t].data, m = rmsM?.data, v = rmsV?.data, step = rmsStep
            let parts = LSTMCell.chunks(for: N)
            parallelFor(chunks: parts) { chunk in
                preprocessGradient(features, gradient: g, scale: 1, x: x0, stride: N, m: m, v: v, step: step,
                                   range: chunkRange(chunk, of: parts, count: N))
            }
            for l in 0..<L.layers {
                LSTMCell.forward(
                    hidden: H, columns: L.columns(layer: l), count: N,
                    weights: weights + L.weightOffset(layer: l), xh: xh[l][t].data, gates: gates[l][t].data,
                    cPrev: c[l][t].data, cNext: c[l][t + 1].data,
                    hOut: xh[l][t + 1].data + L.inputSize(layer: l) * N,
                    hCopy: l + 1 < L.layers ? xh[l + 1][t].data : nil)
            }
            let top = L.layers - 1
            LSTMCell.readout(hidden: H, count: N, scale: configuration.outputScale,
                             weights: weights + L.readoutOffset,
                             h: xh[top][t + 1].data + L.inputSize(layer: top) * N, delta: delta.data)
            batch.applyUpdate(theta: theta.data, delta: delta.data, mask: masked ? masks[t + 1].data : nil)
            losses.withUnsafeMutableBufferPointer {
                batch.evaluate(at: theta.data, scaledGradient: grads[t + 1].data, losses: $0.baseAddress!)
            }
            var scaled = 0.0, plain = 0.0
            for k in 0..<losses.count { scaled += Double(batch.scales[k]) * losses[k]; plain += losses[k] }
            metaLoss += scaled / P
            stepLosses?(stepsTaken + t + 1, plain / P)
        }
        recordedSteps = T
        stepsTaken += T
        return metaLoss
    }

    /// Accumulates the first-order meta-gradient ∂L/∂φ of the last `forward` into `dWeights`.
    func backward(weights: UnsafePointer<Float>, dWeights: UnsafeMutablePointer<Float>, problems P: Int) {
        let L = layout, H = L.hidden, N = count, T = recordedSteps, top = L.layers - 1
        let s = configuration.outputScale
        for l in 0..<L.layers { dh[l].fill(0); dc[l].fill(0) }
        adjoint.fill(0)
        let a = adjoint.data, invP = 1 / Float(P)
        let readout = weights + L.readoutOffset
        var coefficients = [Float](repeating: 0, count: H)
        for j in 0..<H { coefficients[j] = s * readout[j] }
        coefficients.withUnsafeBufferPointer { coef in
            for t in stride(from: T - 1, through: 0, by: -1) {
                // θ adjoint: a_{t+1} = mask ⊙ (ĝ_{t+1} + a_{t+2}).
                let g = grads[t + 1].data
                if fault == .dropThetaPath {
                    for n in 0..<N { a[n] = g[n] * invP }
                } else {
                    for n in 0..<N { a[n] = g[n] * invP + a[n] }
                }
                if masked {
                    let m = masks[t + 1].data
                    for n in 0..<N { a[n] *= m[n] }
                }
                LSTMCell.readoutBackward(
                    hidden: H, count: N, scale: s, adjoint: a,
                    hOnes: xh[top][t + 1].data + L.inputSize(layer: top) * N,
                    dWeights: dWeights + L.readoutOffset)
                for l in stride(from: top, through: 0, by: -1) {
                    LSTMCell.backward(
                        hidden: H, inputs: L.inputSize(layer: l), columns: L.columns(layer: l), count: N,
                        weights: weights + L.weightOffset(layer: l), xh: xh[l][t].data, gates: gates[l][t].data,
                        cPrev: c[l][t].data, cCur: c[l][t + 1].data,
                        dh: dh[l].data,
                        outputAdjoint: l == top ? UnsafePointer(a) : nil,
                        outputCoefficients: l == top ? coef.baseAddress! : nil,
                        dc: dc[l].data, dz: dz.data, dWeights: dWeights + L.weightOffset(layer: l),
                        dInput: l > 0 ? dh[l - 1].data : nil, dRecurrent: dh[l].data)
                    if fault == .dropCellRecurrence { dc[l].fill(0) }
                }
            }
        }
    }

    /// Carries θ, the LSTM state and the last gradient over to the next unroll (detached).
    func carry() {
        let T = recordedSteps
        guard T > 0 else { return }
        for l in 0..<layout.layers {
            xh[l].swapAt(0, T)
            c[l].swapAt(0, T)
        }
        grads.swapAt(0, T)
        recordedSteps = 0
    }

    /// The scaled gradient at the current θ (what the next step feeds the LSTM).
    var currentGradient: Tensor { grads[recordedSteps] }
}

import Numerics

/// One truncated-BPTT unroll of the LSTM optimizer on a problem batch: the forward pass that
/// records what backward needs, and the hand-written backward pass (first-order, or with the
/// second-order terms).
///
/// **Meta-loss** of an unroll of T steps from θ₀ (carried over, detached):
/// L = (1/P) Σ_p Σ_{t=1..T} s_p f_p(θ_t), with θ_{t+1} = clamp(θ_t + Δ_t), Δ_t = m(s·∇f(θ_t), state; φ)
/// (`MetaObjective.sum`), or the same with log(s_p f_p(θ_t)) (`.log`, whose θ-gradient is the
/// scaled gradient weighted by 1/(s_p f_p(θ_t))); each step's term may also carry a constant
/// weight (`StepWeighting`). Below, ĝ includes both factors, w_{p,t}.
///
/// **First-order**: the gradient fed to the LSTM is a constant, but the θ path is
/// differentiated. With a_t = ∂L/∂(θ_{t−1} + Δ_{t−1}) (the adjoint of the unclamped update),
///     a_T = mask_T ⊙ ĝ_T,   a_t = mask_t ⊙ (ĝ_t + a_{t+1}),   ĝ_t = w_t·s·∇f(θ_t)/P,
/// and ∂L/∂Δ_{t−1} = a_t; each step's LSTM backward then runs from that adjoint. So the
/// optimizee is never differentiated twice: one problem call per step, in the forward pass.
///
/// **Second-order** (`secondOrderSteps` = K > 0): the gradients fed to the LSTM in the last K
/// steps of the unroll are differentiated too. Step t's LSTM backward also yields
/// ∂L/∂(s·∇f(θ_t)) =: b_t (through the first layer's inputs and the preprocessing,
/// `preprocessGradientBackward`), and for t ≥ T − K
///     a_t = mask_t ⊙ (ĝ_t + a_{t+1} + s·H_t·b_t),   H_t = ∇²f(θ_t) on step t's minibatch,
/// with H_t·b_t by finite differences of the replayed gradient (`ProblemBatch.hessianVectorProduct`:
/// two more problem calls per step, in the backward pass). With K ≥ T this is the exact
/// meta-gradient of the unroll (the carried start state stays detached): it sees what a step
/// does to the gradients that follow, which the first-order one cannot. Over long unrolls the
/// exact meta-gradient explodes (inner dynamics that are slightly chaotic: on the MLP task its
/// norm reached 10⁶–10⁷ over 100 steps, against ~10³ first-order), so K bounds the length of the
/// curvature chains; steps before T − K are treated first-order. Needs stateless input features
/// (the paper's) and problems that can replay a step.
///
/// **Records** (allocated once, reused every unroll; feature-major, N = coordinates), per layer:
/// T+1 slots of xh ((in + H + 1) × N) and c (H × N), T slots of activated gates (4H × N);
/// T+1 scaled gradients and masks (N). ≈ (in + 13H + 2)·4 bytes per coordinate per step
/// (1.05 KB for 2 × 20): 20 steps × 12,288 coordinates ≈ 260 MB. Second order adds T+1 slots of θ.
final class LSTMUnroll: MetaUnrolling {
    /// Deliberate mistakes, for tests proving that the gradient check catches them.
    enum Fault { case none, dropThetaPath, dropCellRecurrence }

    let configuration: LSTMConfiguration
    let layout: LSTMLayout
    let count: Int
    let maxSteps: Int
    /// The last this many steps of an unroll get the second-order terms (0: first order; see the
    /// type's documentation).
    let secondOrderSteps: Int
    var secondOrder: Bool { secondOrderSteps > 0 }
    var fault: Fault = .none

    private var xh: [[Tensor]]
    private var c: [[Tensor]]
    private let gates: [[Tensor]]
    private var grads: [Tensor]
    private let masks: [Tensor]
    let theta: Tensor
    private let delta: Tensor
    /// The input features' running averages (`inputs.stateCount` × N), if any.
    private let featureState: Tensor?
    private var featureStep = 0
    /// Per step, the momentum read-out's m̂ (K × N; empty without the read-out).
    private let momentumRecords: [Tensor]
    private let dh: [Tensor], dc: [Tensor], dz: Tensor, adjoint: Tensor
    /// Per-chunk weight-gradient accumulators (chunks × weightCount).
    private let accumulators: Tensor
    /// Per-step pointer tables for the forward workers.
    private let pointers: UnsafeMutableBufferPointer<UnsafeMutablePointer<Float>>
    private let gatePointers: UnsafeMutableBufferPointer<UnsafeMutablePointer<Float>>
    private var losses: [Double]
    /// Per-step, per-problem factor of ĝ: w_{p,t}/P, row t (0…T) of P values (row 0 unused).
    private var stepWeights: [Float] = []
    /// The last forward batch's problem offsets (P + 1 values).
    private var offsets: [Int] = []
    /// The number of steps recorded by the last `forward`.
    private(set) var recordedSteps = 0
    /// Whether the last forward's batch had bounds (masks recorded).
    private var masked = false
    /// Steps taken on the current problem batch since `reset`.
    private(set) var stepsTaken = 0
    /// Second order: θ_t per step (T+1 slots), ∂L/∂x of the first layer's inputs (in × N), b_t
    /// and H_t·b_t (N each); the problem call that evaluated the last forward's θ₀, and its batch.
    private var thetas: [Tensor] = []
    private let inputAdjoint: Tensor?, gradientAdjoint: Tensor?, curvature: Tensor?
    private var firstCall = 0
    private var lastBatch: ProblemBatch?

    init(configuration: LSTMConfiguration, count N: Int, maxSteps T: Int, secondOrderSteps: Int = 0) {
        precondition(N >= 1 && T >= 1, "LSTMUnroll: need ≥ 1 coordinate and step")
        precondition(secondOrderSteps >= 0, "LSTMUnroll: negative second-order steps")
        let secondOrder = secondOrderSteps > 0
        precondition(!secondOrder || configuration.allowsSecondOrder, "LSTMUnroll: second order needs stateless input features")
        self.configuration = configuration
        self.secondOrderSteps = secondOrderSteps
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
        if secondOrder {
            thetas = (0...T).map { _ in Tensor(shape: [N]) }
            inputAdjoint = Tensor(shape: [configuration.inputs.count, N])
            gradientAdjoint = Tensor(shape: [N]); curvature = Tensor(shape: [N])
        } else {
            inputAdjoint = nil; gradientAdjoint = nil; curvature = nil
        }
        let k = configuration.inputs.stateCount
        featureState = k > 0 ? Tensor(shape: [k, N]) : nil
        let readouts = configuration.momentumReadoutCount
        momentumRecords = readouts > 0 ? (0..<T).map { _ in Tensor(shape: [readouts, N]) } : []
        dh = (0..<L.layers).map { _ in Tensor(shape: [H, N]) }
        dc = (0..<L.layers).map { _ in Tensor(shape: [H, N]) }
        dz = Tensor(shape: [4 * H, N])
        adjoint = Tensor(shape: [N])
        accumulators = Tensor(shape: [max(1, defaultChunks), L.weightCount])
        pointers = .allocate(capacity: 4 * L.layers)
        gatePointers = .allocate(capacity: L.layers)
        pointers.initialize(repeating: theta.data)
        gatePointers.initialize(repeating: theta.data)
        losses = []
        for l in 0..<L.layers {
            for slot in xh[l] { (slot.data + (L.columns(layer: l) - 1) * N).update(repeating: 1, count: N) }
        }
    }

    deinit { pointers.deallocate(); gatePointers.deallocate() }

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
        featureState?.fill(0); featureStep = 0
        stepsTaken = 0
        if secondOrder {
            precondition(batch.startReplay(), "LSTMUnroll: second order needs problems that can replay a step")
        }
        batch.initialParameters(into: theta.data)
        if secondOrder { thetas[0].data.update(from: theta.data, count: N) }
        if losses.count != batch.problems.count { losses = [Double](repeating: 0, count: batch.problems.count) }
        losses.withUnsafeMutableBufferPointer {
            batch.evaluate(at: theta.data, scaledGradient: grads[0].data, losses: $0.baseAddress!)
        }
        return losses.reduce(0, +) / Double(losses.count)
    }

    /// Runs `steps` ≤ `maxSteps` optimizer steps from the carried state, recording them.
    /// Returns the meta-loss (1/P) Σ_p Σ_t w_t·term_p(θ_t) (see `MetaObjective`, `StepWeighting`);
    /// `stepLosses` receives the mean unscaled loss after each step.
    func forward(batch: ProblemBatch, weights: UnsafePointer<Float>, steps T: Int, objective: MetaObjective = .sum,
                 weighting: StepWeighting = .uniform, stepLosses: ((Int, Double) -> Void)? = nil) -> Double {
        precondition(T >= 1 && T <= maxSteps, "LSTMUnroll: \(T) steps, room for \(maxSteps)")
        let L = layout, H = L.hidden, N = count
        let features = configuration.inputs
        masked = batch.hasBounds
        let problemCount = batch.problems.count
        offsets = batch.offsets
        if stepWeights.count != (T + 1) * problemCount { stepWeights = [Float](repeating: 0, count: (T + 1) * problemCount) }
        var metaLoss = 0.0
        let top = L.layers - 1, scale = configuration.outputScale
        let parts = LSTMCell.chunks(for: N)
        firstCall = stepsTaken; lastBatch = batch
        for t in 0..<T {
            featureStep += 1
            let g = grads[t].data, fs = featureState?.data, step = featureStep
            for l in 0..<L.layers {
                pointers[4 * l] = xh[l][t].data; pointers[4 * l + 1] = xh[l][t + 1].data
                pointers[4 * l + 2] = c[l][t].data; pointers[4 * l + 3] = c[l][t + 1].data
                gatePointers[l] = gates[l][t].data
            }
            let p = pointers, gp = gatePointers, d = delta.data
            let record = L.momentumReadouts > 0 ? momentumRecords[t].data : nil, configuration = self.configuration
            // One dispatch per step: each chunk of coordinates runs the whole LSTM step.
            parallelFor(chunks: parts) { chunk in
                let r = chunkRange(chunk, of: parts, count: N)
                guard !r.isEmpty else { return }
                preprocessGradient(features, gradient: g, scale: 1, x: p[0], stride: N, state: fs, step: step, range: r)
                for l in 0..<L.layers {
                    LSTMCell.forward(
                        hidden: H, columns: L.columns(layer: l), count: N, range: r,
                        weights: weights + L.weightOffset(layer: l), xh: p[4 * l], gates: gp[l],
                        cPrev: p[4 * l + 2], cNext: p[4 * l + 3],
                        hOut: p[4 * l + 1] + L.inputSize(layer: l) * N,
                        hCopy: l + 1 < L.layers ? p[4 * (l + 1)] : nil)
                }
                LSTMCell.readout(hidden: H, count: N, range: r, scale: scale, weights: weights + L.readoutOffset,
                                 h: p[4 * top + 1] + L.inputSize(layer: top) * N, delta: d)
                if let record {
                    addMomentumReadout(configuration, weights: weights + L.momentumReadoutOffset, state: fs!,
                                       stride: N, step: step, range: r, delta: d, record: record)
                }
            }
            batch.applyUpdate(theta: theta.data, delta: delta.data, mask: masked ? masks[t + 1].data : nil)
            if secondOrder { thetas[t + 1].data.update(from: theta.data, count: N) }
            losses.withUnsafeMutableBufferPointer {
                batch.evaluate(at: theta.data, scaledGradient: grads[t + 1].data, losses: $0.baseAddress!)
            }
            let term = stepWeights.withUnsafeMutableBufferPointer {
                stepMetaLoss(losses: losses, scales: batch.scales, objective: objective,
                             weight: weighting.weight(step: stepsTaken + t + 1), factors: $0.baseAddress! + (t + 1) * problemCount)
            }
            metaLoss += term.metaLoss
            stepLosses?(stepsTaken + t + 1, term.meanLoss)
        }
        recordedSteps = T
        stepsTaken += T
        return metaLoss
    }

    /// Accumulates the meta-gradient ∂L/∂φ of the last `forward` (first-order, or with the
    /// second-order terms) into `dWeights` (for the problems that forward saw).
    ///
    /// First order: coordinates are independent, so each chunk of columns runs the whole reverse
    /// sweep on its own thread into its own accumulator; the accumulators are then added in chunk
    /// order (deterministic for a given number of chunks). Second order couples the coordinates
    /// of a problem through H_t·b_t, so the chunks run one step at a time, each step followed by
    /// the Hessian-vector products.
    func backward(weights: UnsafePointer<Float>, dWeights: UnsafeMutablePointer<Float>) {
        let L = layout, H = L.hidden, N = count, T = recordedSteps, top = L.layers - 1
        let s = configuration.outputScale, W = L.weightCount
        for l in 0..<L.layers { dh[l].fill(0); dc[l].fill(0) }
        adjoint.fill(0)
        accumulators.fill(0)
        let a = adjoint.data, fault = self.fault, masked = self.masked
        let P = offsets.count - 1
        precondition(P >= 1, "LSTMUnroll.backward: no forward pass recorded")
        let weightTable = UnsafeMutableBufferPointer<Float>.allocate(capacity: stepWeights.count)
        _ = weightTable.initialize(from: stepWeights)
        let offsetTable = UnsafeMutableBufferPointer<Int>.allocate(capacity: offsets.count)
        _ = offsetTable.initialize(from: offsets)
        defer { weightTable.deallocate(); offsetTable.deallocate() }
        let readout = weights + L.readoutOffset
        var coefficients = [Float](repeating: 0, count: H)
        for j in 0..<H { coefficients[j] = s * readout[j] }
        // Pointers for the workers (no Swift arrays touched off the main thread).
        let steps = T + 1, per = 4 * L.layers
        let table = UnsafeMutableBufferPointer<UnsafeMutablePointer<Float>>.allocate(capacity: steps * (per + 3))
        defer { table.deallocate() }
        for t in 0...T {
            for l in 0..<L.layers {
                table[t * per + 4 * l] = xh[l][t].data
                table[t * per + 4 * l + 1] = c[l][t].data
                table[t * per + 4 * l + 2] = t < T ? gates[l][t].data : xh[l][t].data
            }
            table[steps * per + 2 * t] = grads[t].data
            table[steps * per + 2 * t + 1] = masks[t].data
            table[steps * (per + 2) + t] = t < T && L.momentumReadouts > 0 ? momentumRecords[t].data : grads[t].data
        }
        let configuration = self.configuration
        let dhp = dh.map(\.data), dcp = dc.map(\.data), dzp = dz.data, acc = accumulators.data
        let parts = LSTMCell.chunks(for: N)
        let features = configuration.inputs, secondOrder = self.secondOrder
        let secondOrderFrom = firstSecondOrderStep(steps: T, lastSteps: secondOrderSteps)
        let dx = inputAdjoint?.data, dG = gradientAdjoint?.data
        coefficients.withUnsafeBufferPointer { coef in
            dhp.withUnsafeBufferPointer { dhp in
                dcp.withUnsafeBufferPointer { dcp in
                    /// The reverse sweep of step t over the coordinates `r`, into the accumulator `dW`.
                    func reverseStep(_ t: Int, _ r: Range<Int>, _ dW: UnsafeMutablePointer<Float>) {
                        // θ adjoint: a_{t+1} = mask ⊙ (ĝ_{t+1} + a_{t+2}), problem by problem.
                        let g = table[steps * per + 2 * (t + 1)]
                        for k in 0..<P {
                            let lo = max(r.lowerBound, offsetTable[k]), hi = min(r.upperBound, offsetTable[k + 1])
                            guard lo < hi else { continue }
                            let w = weightTable[(t + 1) * P + k]
                            if fault == .dropThetaPath {
                                for n in lo..<hi { a[n] = g[n] * w }
                            } else {
                                for n in lo..<hi { a[n] = g[n] * w + a[n] }
                            }
                        }
                        if masked {
                            let m = table[steps * per + 2 * (t + 1) + 1]
                            for n in r { a[n] *= m[n] }
                        }
                        LSTMCell.readoutBackward(
                            hidden: H, count: N, range: r, scale: s, adjoint: a,
                            hOnes: table[(t + 1) * per + 4 * top] + L.inputSize(layer: top) * N,
                            dWeights: dW + L.readoutOffset)
                        if L.momentumReadouts > 0 {
                            momentumReadoutBackward(configuration, adjoint: a, recorded: table[steps * (per + 2) + t],
                                                    stride: N, range: r, dWeights: dW + L.momentumReadoutOffset)
                        }
                        // b_t is needed for t ≥ 1 only (θ₀ of an unroll is detached), in the last K steps.
                        let inputs = t >= secondOrderFrom ? dx : nil
                        if let inputs {
                            for k in 0..<features.count { (inputs + k * N + r.lowerBound).update(repeating: 0, count: r.count) }
                        }
                        for l in stride(from: top, through: 0, by: -1) {
                            LSTMCell.backward(
                                hidden: H, inputs: L.inputSize(layer: l), columns: L.columns(layer: l), count: N,
                                range: r, weights: weights + L.weightOffset(layer: l),
                                xh: table[t * per + 4 * l], gates: table[t * per + 4 * l + 2],
                                cPrev: table[t * per + 4 * l + 1], cCur: table[(t + 1) * per + 4 * l + 1],
                                dh: dhp[l],
                                outputAdjoint: l == top ? UnsafePointer(a) : nil,
                                outputCoefficients: l == top ? coef.baseAddress! : nil,
                                dc: dcp[l], dz: dzp, dWeights: dW + L.weightOffset(layer: l),
                                dInput: l > 0 ? dhp[l - 1] : inputs, dRecurrent: dhp[l])
                            if fault == .dropCellRecurrence {
                                for j in 0..<H { (dcp[l] + j * N + r.lowerBound).update(repeating: 0, count: r.count) }
                            }
                        }
                        if let inputs {
                            preprocessGradientBackward(features, gradient: table[steps * per + 2 * t], scale: 1,
                                                       dx: inputs, stride: N, dGradient: dG!, range: r)
                        }
                    }
                    if !secondOrder {
                        parallelFor(chunks: parts) { chunk in
                            let r = chunkRange(chunk, of: parts, count: N)
                            guard !r.isEmpty else { return }
                            for t in stride(from: T - 1, through: 0, by: -1) { reverseStep(t, r, acc + chunk * W) }
                        }
                        return
                    }
                    let batch = lastBatch!, curvature = self.curvature!.data
                    for t in stride(from: T - 1, through: 0, by: -1) {
                        parallelFor(chunks: parts) { chunk in
                            let r = chunkRange(chunk, of: parts, count: N)
                            guard !r.isEmpty else { return }
                            reverseStep(t, r, acc + chunk * W)
                        }
                        guard t >= secondOrderFrom else { continue }
                        // a ← a + s·H_t·b_t: the adjoint of θ_t through the gradient the LSTM saw.
                        batch.hessianVectorProduct(call: firstCall + t, at: thetas[t].data, vector: dG!, into: curvature)
                        for n in 0..<N { a[n] += curvature[n] }
                    }
                }
            }
        }
        for chunk in 0..<parts {
            let src = acc + chunk * W
            for i in 0..<W { dWeights[i] += src[i] }
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
        if secondOrder { thetas.swapAt(0, T) }
        recordedSteps = 0
    }

    /// The scaled gradient at the current θ (what the next step feeds the LSTM).
    var currentGradient: Tensor { grads[recordedSteps] }
}

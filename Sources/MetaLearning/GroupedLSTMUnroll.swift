import Numerics

/// One truncated-BPTT unroll of a *grouped* LSTM optimizer — one LSTM per parameter group, all
/// stepping θ together — with its backward pass (first-order, or with the second-order terms
/// over the last K steps as in `LSTMUnroll`).
///
/// The math is `LSTMUnroll`'s, per group. The first-order adjoint of θ is coordinatewise
/// (a_t = ĝ_t + a_{t+1}), so the meta-gradient of group g's weights φ_g depends only on group
/// g's coordinates: each group is a *lane* with its own records over its gathered coordinates
/// (problem-major, `ParameterGroups.gather`), and only the optimizee evaluation couples them.
/// φ is the concatenation [φ_0, φ_1, …] (`weightOffset(group:)`). The meta-loss has the same
/// objective and step weights as `LSTMUnroll`'s; problem k's coordinates in lane g are
/// k·counts[g] ..< (k+1)·counts[g], and its scaled gradient of step t is multiplied by the same
/// factor w_t·∂term/∂(s·f)/P (`stepMetaLoss`). With one group this computes exactly what
/// `LSTMUnroll` computes (checked in the tests). Problems with bounds are not supported (the
/// classification tasks have none).
///
/// Second order (`secondOrderSteps` > 0): s·H_t·b_t couples the groups (b_t gathered from every
/// lane, H_t over all of θ), so the reverse sweep runs step by step over all lanes, and after
/// each step the lanes' b_t are scattered into θ's layout, multiplied by H_t and gathered back
/// into each lane's adjoint.
///
/// Memory: as `LSTMUnroll`, ≈ (in + 13H + 2)·4 bytes per coordinate per step.
final class GroupedLSTMUnroll: MetaUnrolling {
    /// The records of one group's LSTM over its `count` coordinates (feature-major).
    final class Lane {
        let configuration: LSTMConfiguration
        let layout: LSTMLayout
        let count: Int
        var xh: [[Tensor]], c: [[Tensor]]
        let gates: [[Tensor]]
        var grads: [Tensor]
        let delta: Tensor
        /// The input features' running averages (`inputs.stateCount` × N), if any.
        let featureState: Tensor?
        /// Per step, the momentum read-out's m̂ (K × N; empty without the read-out).
        let momentumRecords: [Tensor]
        let dh: [Tensor], dc: [Tensor], dz: Tensor, adjoint: Tensor
        /// Second order: ∂L/∂x of the first layer's inputs (in × N) and b_t (N); nil in first order.
        let inputAdjoint: Tensor?, gradientAdjoint: Tensor?

        init(configuration: LSTMConfiguration, count N: Int, maxSteps T: Int, secondOrder: Bool) {
            self.configuration = configuration
            layout = configuration.layout
            count = N
            let L = layout, H = L.hidden
            xh = (0..<L.layers).map { l in (0...T).map { _ in Tensor(shape: [L.columns(layer: l), N]) } }
            c = (0..<L.layers).map { _ in (0...T).map { _ in Tensor(shape: [H, N]) } }
            gates = (0..<L.layers).map { _ in (0..<T).map { _ in Tensor(shape: [4 * H, N]) } }
            grads = (0...T).map { _ in Tensor(shape: [N]) }
            delta = Tensor(shape: [N])
            let k = configuration.inputs.stateCount
            featureState = k > 0 ? Tensor(shape: [k, N]) : nil
            let readouts = configuration.momentumReadoutCount
            momentumRecords = readouts > 0 ? (0..<T).map { _ in Tensor(shape: [readouts, N]) } : []
            dh = (0..<L.layers).map { _ in Tensor(shape: [H, N]) }
            dc = (0..<L.layers).map { _ in Tensor(shape: [H, N]) }
            dz = Tensor(shape: [4 * H, N])
            adjoint = Tensor(shape: [N])
            inputAdjoint = secondOrder ? Tensor(shape: [configuration.inputs.count, N]) : nil
            gradientAdjoint = secondOrder ? Tensor(shape: [N]) : nil
            for l in 0..<L.layers {
                for slot in xh[l] { (slot.data + (L.columns(layer: l) - 1) * N).update(repeating: 1, count: N) }
            }
        }
    }

    let groups: ParameterGroups
    let problems: Int
    let maxSteps: Int
    let lanes: [Lane]
    let theta: Tensor
    private let delta: Tensor, gradient: Tensor
    private var losses: [Double]
    /// Per-step, per-problem factor of ĝ: w_{p,t}/P, row t (0…T) of P values (row 0 unused).
    private var stepWeights: [Float]
    private var featureStep = 0
    private(set) var recordedSteps = 0
    private(set) var stepsTaken = 0
    /// The last this many steps of an unroll get the second-order terms (0: first order).
    let secondOrderSteps: Int
    /// Second order: θ_t per step (T+1 slots), b_t and H_t·b_t in θ's layout; the problem call
    /// that evaluated the last forward's θ₀, and its batch.
    private var thetas: [Tensor] = []
    private let fullAdjoint: Tensor?, curvature: Tensor?
    private var firstCall = 0
    private var lastBatch: ProblemBatch?

    init(configurations: [LSTMConfiguration], groups: ParameterGroups, problems k: Int, maxSteps T: Int,
         secondOrderSteps: Int = 0) {
        precondition(configurations.count == groups.count && k >= 1 && T >= 1,
                     "GroupedLSTMUnroll: \(configurations.count) LSTMs for \(groups.count) groups, \(k) problems, \(T) steps")
        precondition(secondOrderSteps == 0 || configurations.allSatisfy(\.allowsSecondOrder),
                     "GroupedLSTMUnroll: second order needs stateless input features")
        precondition(secondOrderSteps >= 0, "GroupedLSTMUnroll: negative second-order steps")
        self.groups = groups
        problems = k
        maxSteps = T
        self.secondOrderSteps = secondOrderSteps
        lanes = (0..<groups.count).map {
            Lane(configuration: configurations[$0], count: k * groups.counts[$0], maxSteps: T, secondOrder: secondOrderSteps > 0)
        }
        if secondOrderSteps > 0 {
            thetas = (0...T).map { _ in Tensor(shape: [k * groups.period]) }
            fullAdjoint = Tensor(shape: [k * groups.period]); curvature = Tensor(shape: [k * groups.period])
        } else {
            fullAdjoint = nil; curvature = nil
        }
        theta = Tensor(shape: [k * groups.period])
        delta = Tensor(shape: [k * groups.period])
        gradient = Tensor(shape: [k * groups.period])
        losses = [Double](repeating: 0, count: k)
        stepWeights = [Float](repeating: 0, count: (T + 1) * k)
    }

    /// Coordinates of a batch: problems × `groups.period`.
    var count: Int { theta.count }

    /// Offset of group g's LSTM weights in the concatenated φ.
    func weightOffset(group g: Int) -> Int { lanes[..<g].reduce(0) { $0 + $1.layout.weightCount } }
    /// The length of the concatenated φ.
    var weightCount: Int { weightOffset(group: lanes.count) }

    /// Starts a problem batch: θ = θ₀, zero states, one problem call at θ₀. Returns the mean loss.
    @discardableResult
    func reset(batch: ProblemBatch) -> Double {
        precondition(batch.problems.count == problems && batch.count == theta.count && !batch.hasBounds,
                     "GroupedLSTMUnroll: batch of \(batch.problems.count) problems / \(batch.count) coordinates (bounds: \(batch.hasBounds))")
        for lane in lanes {
            let L = lane.layout, N = lane.count
            for l in 0..<L.layers {
                (lane.xh[l][0].data + L.inputSize(layer: l) * N).update(repeating: 0, count: L.hidden * N)
                lane.c[l][0].fill(0)
            }
            lane.featureState?.fill(0)
        }
        featureStep = 0
        stepsTaken = 0
        if secondOrderSteps > 0 {
            precondition(batch.startReplay(), "GroupedLSTMUnroll: second order needs problems that can replay a step")
        }
        batch.initialParameters(into: theta.data)
        if secondOrderSteps > 0 { thetas[0].data.update(from: theta.data, count: theta.count) }
        evaluate(batch, slot: 0)
        return losses.reduce(0, +) / Double(problems)
    }

    /// Evaluates the batch at θ and gathers the scaled gradient into every lane's `grads[slot]`.
    private func evaluate(_ batch: ProblemBatch, slot: Int) {
        losses.withUnsafeMutableBufferPointer {
            batch.evaluate(at: theta.data, scaledGradient: gradient.data, losses: $0.baseAddress!)
        }
        for (g, lane) in lanes.enumerated() {
            groups.gather(g, from: gradient.data, problems: problems, into: lane.grads[slot].data)
        }
    }

    /// Runs `steps` ≤ `maxSteps` steps from the carried state, recording them; returns the
    /// meta-loss (1/P) Σ_p Σ_t w_t·term_p(θ_t) (`MetaObjective`, `StepWeighting`); `stepLosses`
    /// receives the mean unscaled loss after each step.
    func forward(batch: ProblemBatch, weights: UnsafePointer<Float>, steps T: Int, objective: MetaObjective = .sum,
                 weighting: StepWeighting = .uniform, stepLosses: ((Int, Double) -> Void)? = nil) -> Double {
        precondition(T >= 1 && T <= maxSteps, "GroupedLSTMUnroll: \(T) steps, room for \(maxSteps)")
        precondition(batch.problems.count == problems, "GroupedLSTMUnroll: batch of \(batch.problems.count) problems, made for \(problems)")
        var metaLoss = 0.0
        firstCall = stepsTaken; lastBatch = batch
        for t in 0..<T {
            featureStep += 1
            for (g, lane) in lanes.enumerated() {
                let L = lane.layout, H = L.hidden, N = lane.count, w = weights + weightOffset(group: g)
                let x0 = lane.xh[0][t].data, grad = lane.grads[t].data, state = lane.featureState?.data
                let step = featureStep, features = lane.configuration.inputs
                let parts = LSTMCell.chunks(for: N)
                parallelFor(chunks: parts) { chunk in
                    preprocessGradient(features, gradient: grad, scale: 1, x: x0, stride: N, state: state, step: step,
                                       range: chunkRange(chunk, of: parts, count: N))
                }
                for l in 0..<L.layers {
                    LSTMCell.forward(
                        hidden: H, columns: L.columns(layer: l), count: N, range: 0..<N,
                        weights: w + L.weightOffset(layer: l), xh: lane.xh[l][t].data, gates: lane.gates[l][t].data,
                        cPrev: lane.c[l][t].data, cNext: lane.c[l][t + 1].data,
                        hOut: lane.xh[l][t + 1].data + L.inputSize(layer: l) * N,
                        hCopy: l + 1 < L.layers ? lane.xh[l + 1][t].data : nil)
                }
                let top = L.layers - 1
                LSTMCell.readout(hidden: H, count: N, range: 0..<N, scale: lane.configuration.outputScale,
                                 weights: w + L.readoutOffset,
                                 h: lane.xh[top][t + 1].data + L.inputSize(layer: top) * N, delta: lane.delta.data)
                if L.momentumReadouts > 0 {
                    addMomentumReadout(lane.configuration, weights: w + L.momentumReadoutOffset, state: lane.featureState!.data,
                                       stride: N, step: step, range: 0..<N, delta: lane.delta.data,
                                       record: lane.momentumRecords[t].data)
                }
                groups.scatter(g, from: lane.delta.data, problems: problems, into: delta.data)
            }
            batch.applyUpdate(theta: theta.data, delta: delta.data, mask: nil)
            if secondOrderSteps > 0 { thetas[t + 1].data.update(from: theta.data, count: theta.count) }
            evaluate(batch, slot: t + 1)
            let term = stepWeights.withUnsafeMutableBufferPointer {
                stepMetaLoss(losses: losses, scales: batch.scales, objective: objective,
                             weight: weighting.weight(step: stepsTaken + t + 1), factors: $0.baseAddress! + (t + 1) * problems)
            }
            metaLoss += term.metaLoss
            stepLosses?(stepsTaken + t + 1, term.meanLoss)
        }
        recordedSteps = T
        stepsTaken += T
        return metaLoss
    }

    /// Accumulates the meta-gradient ∂L/∂φ of the last `forward` (first-order, or with the
    /// second-order terms) into `dWeights` (concatenated like φ). Step by step over all lanes;
    /// each lane's arithmetic is the same in either order.
    func backward(weights: UnsafePointer<Float>, dWeights: UnsafeMutablePointer<Float>) {
        let T = recordedSteps, P = problems
        let secondOrderFrom = firstSecondOrderStep(steps: T, lastSteps: secondOrderSteps)
        var coefficients: [[Float]] = []
        for (g, lane) in lanes.enumerated() {
            let L = lane.layout, w = weights + weightOffset(group: g)
            for l in 0..<L.layers { lane.dh[l].fill(0); lane.dc[l].fill(0) }
            lane.adjoint.fill(0)
            coefficients.append((0..<L.hidden).map { lane.configuration.outputScale * w[L.readoutOffset + $0] })
        }
        for t in stride(from: T - 1, through: 0, by: -1) {
            let curvatureStep = t >= secondOrderFrom
            for (g, lane) in lanes.enumerated() {
                let n = groups.counts[g]
                let L = lane.layout, H = L.hidden, N = lane.count, top = L.layers - 1
                let s = lane.configuration.outputScale
                let w = weights + weightOffset(group: g), dw = dWeights + weightOffset(group: g)
                let a = lane.adjoint.data
                // a_{t+1} = ĝ_{t+1} + a_{t+2}, problem by problem (problem-major lane).
                let grad = lane.grads[t + 1].data
                for k in 0..<P {
                    let w = stepWeights[(t + 1) * P + k]
                    for i in (k * n)..<((k + 1) * n) { a[i] = grad[i] * w + a[i] }
                }
                LSTMCell.readoutBackward(
                    hidden: H, count: N, range: 0..<N, scale: s, adjoint: a,
                    hOnes: lane.xh[top][t + 1].data + L.inputSize(layer: top) * N, dWeights: dw + L.readoutOffset)
                if L.momentumReadouts > 0 {
                    momentumReadoutBackward(lane.configuration, adjoint: a, recorded: lane.momentumRecords[t].data,
                                            stride: N, range: 0..<N, dWeights: dw + L.momentumReadoutOffset)
                }
                let inputs = curvatureStep ? lane.inputAdjoint?.data : nil
                inputs?.update(repeating: 0, count: lane.configuration.inputs.count * N)
                coefficients[g].withUnsafeBufferPointer { coef in
                    for l in stride(from: top, through: 0, by: -1) {
                        LSTMCell.backward(
                            hidden: H, inputs: L.inputSize(layer: l), columns: L.columns(layer: l), count: N,
                            range: 0..<N, weights: w + L.weightOffset(layer: l), xh: lane.xh[l][t].data, gates: lane.gates[l][t].data,
                            cPrev: lane.c[l][t].data, cCur: lane.c[l][t + 1].data,
                            dh: lane.dh[l].data,
                            outputAdjoint: l == top ? UnsafePointer(a) : nil,
                            outputCoefficients: l == top ? coef.baseAddress! : nil,
                            dc: lane.dc[l].data, dz: lane.dz.data, dWeights: dw + L.weightOffset(layer: l),
                            dInput: l > 0 ? lane.dh[l - 1].data : inputs, dRecurrent: lane.dh[l].data)
                    }
                }
                if let inputs, let b = lane.gradientAdjoint {
                    preprocessGradientBackward(lane.configuration.inputs, gradient: lane.grads[t].data, scale: 1,
                                               dx: inputs, stride: N, dGradient: b.data, range: 0..<N)
                    groups.scatter(g, from: b.data, problems: P, into: fullAdjoint!.data)
                }
            }
            guard curvatureStep, let full = fullAdjoint, let hb = curvature else { continue }
            // a ← a + s·H_t·b_t over all of θ, gathered back into each lane.
            lastBatch!.hessianVectorProduct(call: firstCall + t, at: thetas[t].data, vector: full.data, into: hb.data)
            for (g, lane) in lanes.enumerated() {
                let b = lane.gradientAdjoint!.data, a = lane.adjoint.data
                groups.gather(g, from: hb.data, problems: P, into: b)
                for i in 0..<lane.count { a[i] += b[i] }
            }
        }
    }

    /// Carries θ, the LSTM states and the last gradient over to the next unroll (detached).
    func carry() {
        let T = recordedSteps
        guard T > 0 else { return }
        for lane in lanes {
            for l in 0..<lane.layout.layers {
                lane.xh[l].swapAt(0, T)
                lane.c[l].swapAt(0, T)
            }
            lane.grads.swapAt(0, T)
        }
        if secondOrderSteps > 0 { thetas.swapAt(0, T) }
        recordedSteps = 0
    }
}

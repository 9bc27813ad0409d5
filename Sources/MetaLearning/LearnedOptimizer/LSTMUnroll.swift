import Numerics

/// One truncated-BPTT unroll of the learned optimizer on a problem batch — one LSTM over every
/// coordinate, or one LSTM per parameter group, all stepping θ together — with its hand-written
/// backward pass (first-order, or with the second-order terms over the last K steps).
///
/// **Groups** (as torch.optim's param groups: a flat list is one group). Without `groups` one
/// LSTM sees every coordinate of the batch. With `groups`, θ of each problem is partitioned
/// (`ParameterGroups`) and group g has its own φ_g; φ is the concatenation [φ_0, φ_1, …]
/// (`weightOffset(group:)`). Each group is a *lane* with its own records over its coordinates
/// (problem-major, `ParameterGroups.gather`); only the optimizee evaluation couples them. With
/// one group the unroll computes exactly what it computes without groups (tested).
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
/// and ∂L/∂Δ_{t−1} = a_t; each step's LSTM backward (`LSTMCell.reverseStep`) then runs from that
/// adjoint. The adjoint is coordinatewise, so each lane's meta-gradient depends on its own
/// coordinates only, and the optimizee is never differentiated twice: one problem call per step.
///
/// **Second-order** (`secondOrderSteps` = K > 0): the gradients fed to the LSTM in the last K
/// steps of the unroll are differentiated too. Step t's LSTM backward also yields
/// ∂L/∂(s·∇f(θ_t)) =: b_t (through the first layer's inputs and the preprocessing,
/// `preprocessGradientBackward`), and for t ≥ T − K
///     a_t = mask_t ⊙ (ĝ_t + a_{t+1} + s·H_t·b_t),   H_t = ∇²f(θ_t) on step t's minibatch,
/// with H_t·b_t by finite differences of the replayed gradient (`ProblemBatch.hessianVectorProduct`:
/// two more problem calls per step, in the backward pass). H_t couples the groups: the reverse
/// sweep then runs step by step over all lanes, the lanes' b_t are scattered into θ's layout for
/// the product and gathered back. With K ≥ T this is the exact meta-gradient of the unroll (the
/// carried start state stays detached); over long unrolls it explodes (on the MLP task its norm
/// reached 10⁶–10⁷ over 100 steps, against ~10³ first-order), so K bounds the length of the
/// curvature chains. Needs stateless input features (the paper's) and problems that can replay
/// a step.
///
/// **Blocks and threads.** Each lane's coordinates are cut into blocks that never straddle a
/// problem (`LSTMCell.Blocks`: a problem of n coordinates in ⌈n / 4096⌉ blocks, a split that
/// depends on the problem alone); threads take blocks. In the forward pass each block runs a
/// whole step; in the backward pass each block runs the whole reverse sweep into its own
/// weight-gradient accumulator, and a problem's meta-gradient is the sum of its blocks in order.
/// Lanes run one after another.
///
/// **Per-problem meta-gradients.** Because every product covers one block, So each problem's meta-gradient, and their sum in problem order,
/// does not depend on the thread count nor on which other problems share the unroll: several
/// processes that each unroll a share of a meta-step's problems and add the gathered
/// per-problem gradients in problem order get exactly the single process's sum.
///
/// **Records** (allocated once, reused every unroll; feature-major, N = a lane's coordinates),
/// per layer: T+1 slots of xh ((in + H + 1) × N) and c (H × N), T slots of activated gates
/// (4H × N); T+1 scaled gradients and masks. ≈ (in + 13H + 2)·4 bytes per coordinate per step
/// (1.05 KB for 2 × 20): 20 steps × 12,288 coordinates ≈ 260 MB. Second order adds T+1 slots of θ.
/// Bounds (masks) need one lane.
final class LSTMUnroll {
    /// Deliberate mistakes, for tests proving that the gradient check catches them.
    enum Fault { case none, dropThetaPath, dropCellRecurrence }

    /// The records of one lane's LSTM over its `count` coordinates (feature-major).
    final class Lane {
        let count: Int
        var xh: [[Tensor]], c: [[Tensor]]
        let gates: [[Tensor]]
        var grads: [Tensor]
        let delta: Tensor
        /// The input features' running averages (`inputs.stateCount` × N), if any.
        let featureState: Tensor?
        /// With shared units: K × N, the per-problem means of the top layer's first K hidden units
        /// before the current step (`shareUnits`).
        let shared: Tensor?
        /// Per step, the momentum read-out's m̂ (K × N; empty without the read-out).
        let momentumRecords: [Tensor]
        let dh: [Tensor], dc: [Tensor], dz: Tensor, adjoint: Tensor
        /// Per-block weight-gradient accumulators (blocks × the lane's weight count; see the
        /// type's documentation, "Per-problem meta-gradients"), allocated by the first backward.
        var accumulators = Tensor(shape: [1])
        /// Second order: ∂L/∂x of the first layer's inputs (in × N) and b_t (N); nil in first order.
        let inputAdjoint: Tensor?, gradientAdjoint: Tensor?
        /// Start of each problem's coordinates in the lane (P + 1 values).
        var problemOffsets: [Int] = [] { didSet { blocks = LSTMCell.Blocks(offsets: problemOffsets) } }
        /// The lane's column blocks (see the type's documentation, "Blocks and threads").
        private(set) var blocks = LSTMCell.Blocks(offsets: [0])

        init(configuration: LSTMConfiguration, count N: Int, maxSteps T: Int, secondOrder: Bool) {
            count = N
            let L = configuration.layout, H = L.hidden
            xh = (0..<L.layers).map { l in (0...T).map { _ in Tensor(shape: [L.columns(layer: l), N]) } }
            c = (0..<L.layers).map { _ in (0...T).map { _ in Tensor(shape: [H, N]) } }
            gates = (0..<L.layers).map { _ in (0..<T).map { _ in Tensor(shape: [4 * H, N]) } }
            grads = (0...T).map { _ in Tensor(shape: [N]) }
            delta = Tensor(shape: [N])
            let k = configuration.inputs.stateCount
            featureState = k > 0 ? Tensor(shape: [k, N]) : nil
            shared = configuration.inputs.sharedUnits > 0 ? Tensor(shape: [configuration.inputs.sharedUnits, N]) : nil
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

        /// `shared` ← the per-problem means of the top layer's first K hidden units that step t
        /// reads (its recorded input h, the state after step t − 1).
        func shareUnits(step t: Int, _ c: LSTMConfiguration) {
            guard let shared else { return }
            let L = c.layout, N = count, top = L.layers - 1, h = xh[top][t].data + L.inputSize(layer: top) * N
            for k in 0..<c.inputs.sharedUnits {
                let row = h + k * N
                broadcastSegmentMeans(offsets: problemOffsets, into: shared.data + k * N) { Double(row[$0]) }
            }
        }

        /// Writes step t's buffers (records t → t+1) into `b`.
        func buffers(step t: Int, into b: LSTMStepBuffers) {
            for l in xh.indices {
                b.set(layer: l, xhIn: xh[l][t].data, xhOut: xh[l][t + 1].data, cIn: c[l][t].data,
                      cOut: c[l][t + 1].data, gates: gates[l][t].data)
            }
        }
    }

    let configuration: LSTMConfiguration
    /// One LSTM per group of these; nil: one LSTM over every coordinate.
    let groups: ParameterGroups?
    /// Coordinates of the problem batches this unroll was made for (all problems' θ together).
    let count: Int
    let maxSteps: Int
    /// The last this many steps of an unroll get the second-order terms (0: first order).
    let secondOrderSteps: Int
    var secondOrder: Bool { secondOrderSteps > 0 }
    var fault: Fault = .none
    let lanes: [Lane]
    let theta: Tensor
    private let delta: Tensor, gradient: Tensor
    /// With a high-pass configuration: the filter for the current batch's images, which holds
    /// the filtered gradient the LSTM reads (a constant of the first-order meta-gradient, like
    /// the gradient itself: the θ path's adjoint still uses ∇f).
    private var highPass: GradientHighPass?
    /// With the luma/chroma basis: each recorded step's output adjoint C·a_{t+1} (backward's
    /// scratch, T × N; grown on first use).
    private var outputAdjoints = Tensor(shape: [1])
    private let masks: [Tensor]
    private var losses: [Double] = []
    /// Each problem's share of the last forward's meta-loss before the division by P:
    /// Σ_t w_t·term_p(θ_t) (`MetaObjective.term`), one value per problem of its batch.
    private(set) var problemMetaLosses: [Double] = []
    /// Per-step, per-problem factor of ĝ: w_{p,t}/P, row t (0…T) of P values (row 0 unused).
    private var stepWeights: [Float] = []
    private(set) var featureStep = 0
    /// The number of steps recorded by the last `forward`.
    private(set) var recordedSteps = 0
    /// Steps taken on the current problem batch since `reset`.
    private(set) var stepsTaken = 0
    /// Whether the last forward's batch had bounds (masks recorded).
    private var masked = false
    /// Second order: θ_t per step (T+1 slots), b_t and H_t·b_t in θ's layout; the problem call
    /// that evaluated the last forward's θ₀, and its batch.
    private var thetas: [Tensor] = []
    private let fullAdjoint: Tensor?, curvature: Tensor?
    private var firstCall = 0
    private var lastBatch: ProblemBatch?
    /// One step's buffers (forward, on the calling thread).
    private let stepBuffers: LSTMStepBuffers

    /// - Parameters:
    ///   - count: coordinates of a batch; with `groups`, a whole number of problems.
    ///   - groups: one LSTM (of `configuration`) per group; nil: one LSTM.
    init(configuration: LSTMConfiguration, groups: ParameterGroups? = nil, count N: Int, maxSteps T: Int,
         secondOrderSteps: Int = 0) {
        precondition(N >= 1 && T >= 1, "LSTMUnroll: need ≥ 1 coordinate and step")
        precondition(groups.map { N % $0.period == 0 } ?? true,
                     "LSTMUnroll: \(N) coordinates is not a whole number of \(groups?.period ?? 0)-coordinate problems")
        precondition(secondOrderSteps >= 0, "LSTMUnroll: negative second-order steps")
        precondition(secondOrderSteps == 0 || configuration.allowsSecondOrder,
                     "LSTMUnroll: second order needs stateless input features")
        self.configuration = configuration
        self.groups = groups
        count = N
        maxSteps = T
        self.secondOrderSteps = secondOrderSteps
        let secondOrder = secondOrderSteps > 0
        if let groups {
            let k = N / groups.period
            lanes = groups.counts.map {
                Lane(configuration: configuration, count: k * $0, maxSteps: T, secondOrder: secondOrder)
            }
        } else {
            lanes = [Lane(configuration: configuration, count: N, maxSteps: T, secondOrder: secondOrder)]
        }
        precondition(configuration.inputs.highPass == nil || groups == nil, "LSTMUnroll: a high-pass needs one LSTM")
        theta = Tensor(shape: [N])
        delta = Tensor(shape: [N])
        gradient = Tensor(shape: [N])
        masks = groups == nil ? (0...T).map { _ in Tensor(shape: [N]) } : []
        if secondOrder {
            thetas = (0...T).map { _ in Tensor(shape: [N]) }
            fullAdjoint = Tensor(shape: [N]); curvature = Tensor(shape: [N])
        } else {
            fullAdjoint = nil; curvature = nil
        }
        stepBuffers = LSTMStepBuffers(table: .allocate(capacity: LSTMStepBuffers.slots * configuration.layers))
    }

    deinit { stepBuffers.table.deallocate() }

    /// Offset of group g's LSTM weights in the concatenated φ.
    func weightOffset(group g: Int) -> Int { g * configuration.layout.weightCount }
    /// The length of the concatenated φ.

    /// Copies lane g's part of a θ-layout vector into `lane` (a plain copy for one LSTM).
    private func toLane(_ g: Int, from full: UnsafePointer<Float>, problems: Int, into lane: UnsafeMutablePointer<Float>) {
        if let groups { groups.gather(g, from: full, problems: problems, into: lane) } else { lane.update(from: full, count: count) }
    }

    /// The inverse of `toLane`.
    private func fromLane(_ g: Int, from lane: UnsafePointer<Float>, problems: Int, into full: UnsafeMutablePointer<Float>) {
        if let groups { groups.scatter(g, from: lane, problems: problems, into: full) } else { full.update(from: lane, count: count) }
    }

    /// Starts a problem batch: θ = θ₀, zero LSTM states and moments, and the one problem call at θ₀.
    /// Returns the problems' mean unscaled initial loss.
    @discardableResult
    func reset(batch: ProblemBatch) -> Double {
        precondition(batch.count == count && (groups == nil || !batch.hasBounds),
                     "LSTMUnroll: batch of \(batch.count) coordinates (bounds: \(batch.hasBounds)), made for \(count)")
        let L = configuration.layout
        for lane in lanes {
            for l in 0..<L.layers {
                (lane.xh[l][0].data + L.inputSize(layer: l) * lane.count).update(repeating: 0, count: L.hidden * lane.count)
                lane.c[l][0].fill(0)
            }
            lane.featureState?.fill(0)
        }
        featureStep = 0
        stepsTaken = 0
        if secondOrder {
            precondition(batch.startReplay(), "LSTMUnroll: second order needs problems that can replay a step")
        }
        return start(batch)
    }

    /// θ = θ₀ of `batch` and the one problem call there; returns the mean unscaled loss.
    private func start(_ batch: ProblemBatch) -> Double {
        batch.initialParameters(into: theta.data)
        if secondOrder { thetas[0].data.update(from: theta.data, count: count) }
        if losses.count != batch.problems.count { losses = [Double](repeating: 0, count: batch.problems.count) }
        evaluate(batch, slot: 0)
        return losses.reduce(0, +) / Double(losses.count)
    }

    /// Continues a coarse-to-fine run on `batch` (`ProblemBatch.refined`: the finer problems, θ₀
    /// their carried parameters): every coordinate n takes the LSTM state (hidden and cell
    /// states, the input features' running averages) of coordinate `source[n]` of `previous`
    /// after its last carried unroll, as `LSTMOptimizerState.resample` does at inference, and
    /// the step counts carry on. Then the one problem call at θ₀. θ₀ is detached, like the state
    /// `carry` keeps. One LSTM, first order.
    /// Returns the problems' mean unscaled loss at θ₀.
    @discardableResult
    func reset(batch: ProblemBatch, carrying previous: LSTMUnroll, source: UnsafePointer<Int32>) -> Double {
        precondition(groups == nil && previous.groups == nil && !secondOrder,
                     "LSTMUnroll: coarse to fine needs one LSTM and first-order meta-gradients")
        precondition(batch.count == count && previous.configuration == configuration && previous.recordedSteps == 0,
                     "LSTMUnroll: carry from a carried unroll of the same configuration into a batch of \(count)")
        let L = configuration.layout, lane = lanes[0], old = previous.lanes[0], N = count, M = previous.count
        func gather(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, rows: Int) {
            for r in 0..<rows {
                let d = dst + r * N, from = src + r * M
                for n in 0..<N { d[n] = from[Int(source[n])] }
            }
        }
        for l in 0..<L.layers {
            let h = L.inputSize(layer: l)
            gather(lane.xh[l][0].data + h * N, old.xh[l][0].data + h * M, rows: L.hidden)
            gather(lane.c[l][0].data, old.c[l][0].data, rows: L.hidden)
        }
        if let mine = lane.featureState, let theirs = old.featureState {
            gather(mine.data, theirs.data, rows: configuration.inputs.stateCount)
        }
        featureStep = previous.featureStep
        stepsTaken = previous.stepsTaken
        recordedSteps = 0
        return start(batch)
    }

    /// Evaluates the batch at θ and hands every lane its part of the scaled gradient (`grads[slot]`).
    private func evaluate(_ batch: ProblemBatch, slot: Int) {
        losses.withUnsafeMutableBufferPointer {
            batch.evaluate(at: theta.data, scaledGradient: gradient.data, losses: $0.baseAddress!)
        }
        for (g, lane) in lanes.enumerated() {
            toLane(g, from: gradient.data, problems: batch.problems.count, into: lane.grads[slot].data)
        }
    }

    /// Runs `steps` ≤ `maxSteps` optimizer steps from the carried state with φ = `weights`,
    /// recording them. Returns the meta-loss (1/P) Σ_p Σ_t w_t·term_p(θ_t) (`MetaObjective.term`,
    /// w_t of `weighting` at the horizon's step `stepsTaken + t`; the problems' shares
    /// `problemMetaLosses` added in problem order); `stepLosses` receives the
    /// horizon's step number and the mean unscaled loss after each step.
    ///
    /// - Parameter problems: P, the meta-step's number of problems, of which `batch` may be a
    ///   share (one rank's); default: the batch's.
    func forward(batch: ProblemBatch, weights: UnsafePointer<Float>, steps T: Int, objective: MetaObjective = .sum,
                 weighting: StepWeighting = .uniform, problems totalProblems: Int? = nil,
                 stepLosses: ((Int, Double) -> Void)? = nil) -> Double {
        precondition(T >= 1 && T <= maxSteps, "LSTMUnroll: \(T) steps, room for \(maxSteps)")
        precondition(batch.count == count, "LSTMUnroll: batch of \(batch.count) coordinates, made for \(count)")
        let P = batch.problems.count
        masked = batch.hasBounds
        for (g, lane) in lanes.enumerated() {
            let offsets = groups.map { gs in (0...P).map { $0 * gs.counts[g] } } ?? batch.offsets
            if lane.problemOffsets != offsets { lane.problemOffsets = offsets }
        }
        if stepWeights.count != (T + 1) * P { stepWeights = [Float](repeating: 0, count: (T + 1) * P) }
        let divisor = totalProblems ?? P
        problemMetaLosses = [Double](repeating: 0, count: P)
        firstCall = stepsTaken; lastBatch = batch
        let configuration = self.configuration, buffers = stepBuffers
        if let filter = configuration.inputs.highPass {
            let shapes = batch.problems.map(\.imageShape)
            if !(highPass?.matches(offsets: batch.offsets, shapes: shapes) ?? false) {
                highPass = GradientHighPass(filter: filter, lumaChroma: configuration.inputs.lumaChroma,
                                            globalRMS: configuration.inputs.globalRMS,
                                            smoothFraction: configuration.inputs.smoothFraction,
                                            segments: batch.problems.map(\.parameterCount), shapes: shapes)
            }
        }
        for t in 0..<T {
            featureStep += 1
            for (g, lane) in lanes.enumerated() {
                let N = lane.count, w = weights + weightOffset(group: g), step = featureStep
                let grad = highPass?.filtered(lane.grads[t].data, step: step) ?? UnsafePointer(lane.grads[t].data)
                var extra = highPass?.extraInputs ?? ExtraInputs()
                lane.shareUnits(step: t, configuration)
                extra.shared = lane.shared.map { UnsafePointer($0.data) }
                let state = lane.featureState?.data, d = lane.delta.data
                let record = lane.momentumRecords.isEmpty ? nil : lane.momentumRecords[t].data
                lane.buffers(step: t, into: buffers)
                // One dispatch per step: each block of coordinates runs the whole LSTM step.
                lane.blocks.forEach { _, r in
                    LSTMCell.step(configuration, weights: w, count: N, range: r,
                                  gradient: grad, gradientScale: 1, featureState: state, featureStep: step,
                                  extra: extra, buffers: buffers, delta: d, momentumRecord: record)
                }
                fromLane(g, from: d, problems: P, into: delta.data)
            }
            highPass?.toImageBasis(delta.data)
            batch.applyUpdate(theta: theta.data, delta: delta.data, mask: masked ? masks[t + 1].data : nil)
            if secondOrder { thetas[t + 1].data.update(from: theta.data, count: count) }
            evaluate(batch, slot: t + 1)
            let mean = stepWeights.withUnsafeMutableBufferPointer { f in
                problemMetaLosses.withUnsafeMutableBufferPointer { m in
                    stepMetaLoss(losses: losses, scales: batch.scales, objective: objective,
                                 weight: weighting.weight(step: stepsTaken + t + 1), problems: divisor,
                                 factors: f.baseAddress! + (t + 1) * P, terms: m.baseAddress!)
                }
            }
            stepLosses?(stepsTaken + t + 1, mean)
        }
        recordedSteps = T
        stepsTaken += T
        return problemMetaLosses.reduce(0, +) / Double(divisor)
    }

    /// The first step t of a T-step unroll whose gradient input gets second-order terms when the
    /// last `K` steps do: max(1, T − K) (θ₀ of an unroll is detached, so step 0 never does), or T
    /// (none) for K = 0.
    static func firstSecondOrderStep(steps T: Int, lastSteps K: Int) -> Int {
        K > 0 ? max(1, T - K) : T
    }

    /// Adds the meta-gradient ∂L/∂φ of the last `forward` (laid out like φ) to `dWeights`: the
    /// per-problem meta-gradients (`backward(weights:problemGradients:)`) added in problem order.
    func backward(weights: UnsafePointer<Float>, dWeights: UnsafeMutablePointer<Float>) {
        let P = lanes[0].problemOffsets.count - 1, n = lanes.count * configuration.layout.weightCount
        let rows = UnsafeMutablePointer<Float>.allocate(capacity: max(P, 1) * n)
        defer { rows.deallocate() }
        backward(weights: weights, problemGradients: rows)
        Self.addRows(rows, count: P, width: n, into: dWeights)
    }

    /// dst += Σ_k rows[k] (k = 0 … count − 1, each `width` values), in row order.
    static func addRows(_ rows: UnsafePointer<Float>, count: Int, width: Int, into dst: UnsafeMutablePointer<Float>) {
        for k in 0..<count {
            let r = rows + k * width
            for i in 0..<width { dst[i] += r[i] }
        }
    }

    /// Writes each problem's meta-gradient ∂L_p/∂φ of the last `forward` (first-order, or with
    /// the second-order terms; L_p the problem's share of the meta-loss, divided by P) into
    /// `problemGradients`: one row laid out like φ per problem of the batch, problem-major.
    ///
    /// First order: lanes and chunks are independent, so each chunk runs the whole reverse sweep
    /// into its own accumulator. Second order couples the coordinates of a problem through
    /// H_t·b_t, so the chunks of every lane run one step at a time, each step followed by the
    /// Hessian-vector products.
    func backward(weights: UnsafePointer<Float>, problemGradients: UnsafeMutablePointer<Float>) {
        let T = recordedSteps, W = configuration.layout.weightCount, layers = configuration.layers
        let P = lanes[0].problemOffsets.count - 1
        precondition(P >= 1 && T >= 1, "LSTMUnroll.backward: no forward pass recorded")
        let secondOrderFrom = Self.firstSecondOrderStep(steps: T, lastSteps: secondOrderSteps)
        let configuration = self.configuration, fault = self.fault, masked = self.masked
        let slots = LSTMStepBuffers.slots * layers
        // Tables for the workers (no Swift arrays touched off the calling thread), per lane:
        // step t's buffers, the factors of ĝ, the problem offsets, the coefficients s·w_j of the
        // read-out, and the per-layer dh and dc.
        let lanes = self.lanes, G = lanes.count
        let buffers = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: G * T * slots)
        let factors = UnsafeMutableBufferPointer<Float>.allocate(capacity: stepWeights.count)
        _ = factors.initialize(from: stepWeights)
        let offsets = UnsafeMutablePointer<Int>.allocate(capacity: G * (P + 1))
        let H = configuration.hiddenSize
        let coefficients = UnsafeMutablePointer<Float>.allocate(capacity: G * H)
        let adjoints = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: G * 2 * layers)
        defer {
            buffers.deallocate(); factors.deallocate(); offsets.deallocate(); coefficients.deallocate()
            adjoints.deallocate()
        }
        for (g, lane) in lanes.enumerated() {
            for t in 0..<T { lane.buffers(step: t, into: LSTMStepBuffers(table: buffers + (g * T + t) * slots)) }
            for k in 0...P { offsets[g * (P + 1) + k] = lane.problemOffsets[k] }
            let readout = weights + weightOffset(group: g) + configuration.layout.readoutOffset
            for j in 0..<H { coefficients[g * H + j] = configuration.outputScale * readout[j] }
            for l in 0..<layers {
                adjoints[(g * 2) * layers + l] = lane.dh[l].data
                adjoints[(g * 2 + 1) * layers + l] = lane.dc[l].data
                lane.dh[l].fill(0); lane.dc[l].fill(0)
            }
            lane.adjoint.fill(0)
        }
        // One weight-gradient accumulator per block (see the type's documentation).
        for lane in lanes {
            if lane.accumulators.count != lane.blocks.count * W { lane.accumulators = Tensor(shape: [lane.blocks.count, W]) }
            lane.accumulators.fill(0)
        }
        /// Runs `body(block range, its accumulator)` over lane g's blocks.
        func forEachBlock(_ g: Int, _ body: (Range<Int>, UnsafeMutablePointer<Float>) -> Void) {
            let acc = lanes[g].accumulators.data
            lanes[g].blocks.forEach { b, r in body(r, acc + b * W) }
        }
        let maskTable = UnsafeMutablePointer<UnsafeMutablePointer<Float>?>.allocate(capacity: T + 1)
        defer { maskTable.deallocate() }
        for t in 0...T { maskTable[t] = masked ? masks[t].data : nil }

        /// θ adjoint of lane g over its coordinates `r`: a_{t+1} = mask ⊙ (ĝ_{t+1} + a_{t+2}),
        /// problem by problem.
        func thetaAdjointStep(_ g: Int, _ t: Int, _ r: Range<Int>) {
            let lane = lanes[g], a = lane.adjoint.data, grad = lane.grads[t + 1].data
            let o = offsets + g * (P + 1)
            for k in 0..<P {
                let lo = max(r.lowerBound, o[k]), hi = min(r.upperBound, o[k + 1])
                guard lo < hi else { continue }
                let w = factors[(t + 1) * P + k]
                if fault == .dropThetaPath {
                    for n in lo..<hi { a[n] = grad[n] * w }
                } else {
                    for n in lo..<hi { a[n] = grad[n] * w + a[n] }
                }
            }
            if let m = maskTable[t + 1] { for n in r { a[n] *= m[n] } }
        }
        // With the luma/chroma basis the LSTM's output Δ' moves θ by Cᵀ·Δ', so step t's output
        // adjoint is C·a_{t+1}, which mixes a pixel's planes across blocks. The θ adjoint does not
        // depend on the LSTM's backward (first order), so its recursion runs first over the whole
        // lane, and every block reads the rotated adjoints.
        let rotatedAdjoints: UnsafeMutablePointer<Float>? = highPass.flatMap { h in
            guard h.lumaChroma else { return nil }
            precondition(G == 1 && !secondOrder, "LSTMUnroll: the luma/chroma basis needs one LSTM and first order")
            let N = lanes[0].count
            if outputAdjoints.count < T * N { outputAdjoints = Tensor(shape: [T * N]) }
            lanes[0].adjoint.fill(0)
            for t in stride(from: T - 1, through: 0, by: -1) {
                thetaAdjointStep(0, t, 0..<N)
                let slot = outputAdjoints.data + t * N
                slot.update(from: lanes[0].adjoint.data, count: N)
                h.adjointOfImageBasis(slot)
            }
            return outputAdjoints.data
        }

        /// The reverse sweep of lane g's step t over its coordinates `r`, into the accumulator `dW`.
        func reverseStep(_ g: Int, _ t: Int, _ r: Range<Int>, _ dW: UnsafeMutablePointer<Float>) {
            let lane = lanes[g]
            let a: UnsafeMutablePointer<Float>
            if let rotatedAdjoints {
                a = rotatedAdjoints + t * lane.count
            } else {
                thetaAdjointStep(g, t, r)
                a = lane.adjoint.data
            }
            let curvatureStep = t >= secondOrderFrom
            LSTMCell.reverseStep(
                configuration, weights: weights + weightOffset(group: g), count: lane.count, range: r,
                buffers: LSTMStepBuffers(table: buffers + (g * T + t) * slots), adjoint: a,
                outputCoefficients: coefficients + g * H,
                momentumRecord: lane.momentumRecords.isEmpty ? nil : lane.momentumRecords[t].data,
                dh: adjoints + (g * 2) * layers, dc: adjoints + (g * 2 + 1) * layers, dz: lane.dz.data, dWeights: dW,
                gradient: lane.grads[t].data, inputAdjoint: curvatureStep ? lane.inputAdjoint?.data : nil,
                gradientAdjoint: curvatureStep ? lane.gradientAdjoint?.data : nil,
                dropCellRecurrence: fault == .dropCellRecurrence)
        }
        if !secondOrder {
            for g in 0..<G {
                forEachBlock(g) { r, acc in
                    for t in stride(from: T - 1, through: 0, by: -1) { reverseStep(g, t, r, acc) }
                }
            }
        } else {
            let batch = lastBatch!, full = fullAdjoint!.data, hb = curvature!.data
            for t in stride(from: T - 1, through: 0, by: -1) {
                for g in 0..<G {
                    let lane = lanes[g]
                    forEachBlock(g) { r, acc in reverseStep(g, t, r, acc) }
                    if t >= secondOrderFrom { fromLane(g, from: lane.gradientAdjoint!.data, problems: P, into: full) }
                }
                guard t >= secondOrderFrom else { continue }
                // a ← a + s·H_t·b_t: the adjoint of θ_t through the gradient the LSTM saw, over all of θ.
                batch.hessianVectorProduct(call: firstCall + t, at: thetas[t].data, vector: full, into: hb)
                for (g, lane) in lanes.enumerated() {
                    let b = lane.gradientAdjoint!.data, a = lane.adjoint.data
                    toLane(g, from: hb, problems: P, into: b)
                    for i in 0..<lane.count { a[i] += b[i] }
                }
            }
        }
        // Each problem's row: its blocks added in order, lane by lane at the lane's weight offset.
        let width = G * W
        problemGradients.update(repeating: 0, count: P * width)
        for (g, lane) in lanes.enumerated() {
            for (b, k) in lane.blocks.segment.enumerated() {
                let src = lane.accumulators.data + b * W, dW = problemGradients + k * width + weightOffset(group: g)
                for i in 0..<W { dW[i] += src[i] }
            }
        }
    }

    /// Carries θ, the LSTM states and the last gradient over to the next unroll (detached).
    func carry() {
        let T = recordedSteps
        guard T > 0 else { return }
        for lane in lanes {
            for l in 0..<configuration.layers {
                lane.xh[l].swapAt(0, T)
                lane.c[l].swapAt(0, T)
            }
            lane.grads.swapAt(0, T)
        }
        if secondOrder { thetas.swapAt(0, T) }
        recordedSteps = 0
    }
}

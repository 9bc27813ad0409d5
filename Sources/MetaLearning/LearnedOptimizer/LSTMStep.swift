import Numerics

/// The buffers of one LSTM optimizer step, per layer l: the layer's input matrix xh before the
/// step (its inputs, h and ones; (in_l + H + 1) × N), the xh whose h rows receive h' (the same
/// matrix for in-place inference, the next record slot in training), the cell state c before
/// and after (H × N each; may be the same buffer) and the activated gates (4H × N).
///
/// Stored as a flat table of pointers, `slots` per layer, so worker threads read no Swift arrays.
struct LSTMStepBuffers {
    static let slots = 5
    let table: UnsafeMutablePointer<UnsafeMutablePointer<Float>>

    @inline(__always) func xhIn(_ l: Int) -> UnsafeMutablePointer<Float> { table[Self.slots * l] }
    @inline(__always) func xhOut(_ l: Int) -> UnsafeMutablePointer<Float> { table[Self.slots * l + 1] }
    @inline(__always) func cIn(_ l: Int) -> UnsafeMutablePointer<Float> { table[Self.slots * l + 2] }
    @inline(__always) func cOut(_ l: Int) -> UnsafeMutablePointer<Float> { table[Self.slots * l + 3] }
    @inline(__always) func gates(_ l: Int) -> UnsafeMutablePointer<Float> { table[Self.slots * l + 4] }

    /// Fills layer l's slots.
    @inline(__always)
    func set(layer l: Int, xhIn: UnsafeMutablePointer<Float>, xhOut: UnsafeMutablePointer<Float>,
             cIn: UnsafeMutablePointer<Float>, cOut: UnsafeMutablePointer<Float>, gates: UnsafeMutablePointer<Float>) {
        let p = table + Self.slots * l
        p[0] = xhIn; p[1] = xhOut; p[2] = cIn; p[3] = cOut; p[4] = gates
    }
}

extension LSTMCell {
    /// One step of the learned optimizer for the coordinates `r` (of N): the gradient's input
    /// features into the first layer's input rows, every layer forward, the read-out (and the
    /// momentum read-out) into `delta`. The one forward step of inference (`LSTMOptimizer`)
    /// and of meta-training (`LSTMUnroll`, which also records the momentum read-out's m̂ in
    /// `momentumRecord`).
    ///
    /// - Parameters:
    ///   - gradient: the gradient of `gradientScale · f` (N values).
    ///   - featureState: the input features' running averages (`inputs.stateCount` × N), if any;
    ///     `featureStep` is the step number t ≥ 1 they are bias-corrected for.
    ///   - extra: what the configuration's extra inputs read (`ExtraInputs`).
    static func step(
        _ c: LSTMConfiguration, weights w: UnsafePointer<Float>, count N: Int, range r: Range<Int>,
        gradient: UnsafePointer<Float>, gradientScale: Float,
        featureState: UnsafeMutablePointer<Float>?, featureStep: Int, extra: ExtraInputs = ExtraInputs(),
        buffers b: LSTMStepBuffers, delta: UnsafeMutablePointer<Float>, momentumRecord: UnsafeMutablePointer<Float>?
    ) {
        guard !r.isEmpty else { return }
        let L = c.layout, H = L.hidden, top = L.layers - 1
        preprocessGradient(c.inputs, gradient: gradient, scale: gradientScale, x: b.xhIn(0), stride: N,
                           state: featureState, step: featureStep, range: r, extra: extra)
        for l in 0..<L.layers {
            forward(hidden: H, columns: L.columns(layer: l), count: N, range: r,
                    weights: w + L.weightOffset(layer: l), xh: b.xhIn(l), gates: b.gates(l),
                    cPrev: b.cIn(l), cNext: b.cOut(l), hOut: b.xhOut(l) + L.inputSize(layer: l) * N,
                    hCopy: l + 1 < L.layers ? b.xhIn(l + 1) : nil)
        }
        readout(hidden: H, count: N, range: r, scale: c.outputScale, weights: w + L.readoutOffset,
                h: b.xhOut(top) + L.inputSize(layer: top) * N, delta: delta)
        if L.momentumReadouts > 0 {
            addMomentumReadout(c, weights: w + L.momentumReadoutOffset, state: featureState!, stride: N,
                               step: featureStep, range: r, delta: delta, record: momentumRecord)
        }
    }

    /// The reverse of `step` for the coordinates `r`: from a = ∂L/∂Δ (`adjoint`) through the
    /// read-outs and every layer, accumulating ∂L/∂φ into `dWeights` (laid out like φ).
    ///
    /// - Parameters:
    ///   - buffers: the recorded step (the same slots `step` used).
    ///   - outputCoefficients: s·w_j of the read-out (H values).
    ///   - dh, dc: per layer (H × N each), the adjoints of h and c carried from the step after
    ///     (zero after the last); on return, those of the step before.
    ///   - dz: workspace 4H × N.
    ///   - inputAdjoint, gradientAdjoint: for a second-order step, a workspace for ∂L/∂x of the
    ///     input features (in × N) and the destination of b = ∂L/∂(s·∇f) (N values) for the
    ///     step's `gradient`; nil otherwise.
    ///   - dropCellRecurrence: a deliberate mistake, for tests of the gradient check.
    static func reverseStep(
        _ c: LSTMConfiguration, weights w: UnsafePointer<Float>, count N: Int, range r: Range<Int>,
        buffers b: LSTMStepBuffers, adjoint a: UnsafePointer<Float>, outputCoefficients: UnsafePointer<Float>,
        momentumRecord: UnsafePointer<Float>?,
        dh: UnsafePointer<UnsafeMutablePointer<Float>>, dc: UnsafePointer<UnsafeMutablePointer<Float>>,
        dz: UnsafeMutablePointer<Float>, dWeights dW: UnsafeMutablePointer<Float>,
        gradient: UnsafePointer<Float>, inputAdjoint dx: UnsafeMutablePointer<Float>?,
        gradientAdjoint: UnsafeMutablePointer<Float>?, dropCellRecurrence: Bool = false
    ) {
        guard !r.isEmpty else { return }
        let L = c.layout, H = L.hidden, top = L.layers - 1
        readoutBackward(hidden: H, count: N, range: r, scale: c.outputScale, adjoint: a,
                        hOnes: b.xhOut(top) + L.inputSize(layer: top) * N, dWeights: dW + L.readoutOffset)
        if let momentumRecord {
            momentumReadoutBackward(c, adjoint: a, recorded: momentumRecord, stride: N, range: r,
                                    dWeights: dW + L.momentumReadoutOffset)
        }
        if let dx {
            for k in 0..<c.inputs.count { (dx + k * N + r.lowerBound).update(repeating: 0, count: r.count) }
        }
        for l in stride(from: top, through: 0, by: -1) {
            backward(hidden: H, inputs: L.inputSize(layer: l), columns: L.columns(layer: l), count: N, range: r,
                     weights: w + L.weightOffset(layer: l), xh: b.xhIn(l), gates: b.gates(l),
                     cPrev: b.cIn(l), cCur: b.cOut(l), dh: dh[l],
                     outputAdjoint: l == top ? a : nil, outputCoefficients: l == top ? outputCoefficients : nil,
                     dc: dc[l], dz: dz, dWeights: dW + L.weightOffset(layer: l),
                     dInput: l > 0 ? dh[l - 1] : dx, dRecurrent: dh[l])
            if dropCellRecurrence {
                for j in 0..<H { (dc[l] + j * N + r.lowerBound).update(repeating: 0, count: r.count) }
            }
        }
        if let dx, let gradientAdjoint {
            preprocessGradientBackward(c.inputs, gradient: gradient, scale: 1, dx: dx, stride: N,
                                       dGradient: gradientAdjoint, range: r)
        }
    }
}

import Foundation

/// The momentum read-out: a learned linear path from the momentum inputs' running averages
/// straight into the update (later work: Wichrowska et al. 2017 combine an RNN's output with
/// momentum at several timescales).
///
///     Δ_n += Σ_k c·w_k·m̂_{k,n},   m̂_k = m_k / (1 − β_kᵗ)
///
/// with c = `momentumReadoutScale` (so that w_k of order 1 gives learning-rate-sized steps at
/// meta-learning rates of 10⁻³) and m_k the running averages of the gradient that
/// `preprocessGradient` keeps (state rows after the RMS pair). Initially w = 0: the optimizer
/// starts as the paper's LSTM and meta-training decides how much plain momentum to add. m̂ is a
/// function of gradients only, so for the first-order meta-gradient ∂L/∂w_k = c·Σ_{t,n} a_{t+1,n}·m̂_{k,t,n}.
///
/// Call after `preprocessGradient` for the same `step` (the averages must be this step's).
/// `record`, if given, receives m̂ (K × `stride`, feature-major) for the backward pass.
@inline(__always)
func addMomentumReadout(
    _ c: LSTMConfiguration, weights w: UnsafePointer<Float>, state: UnsafeMutablePointer<Float>,
    stride: Int, step: Int, range: Range<Int>, delta: UnsafeMutablePointer<Float>,
    record: UnsafeMutablePointer<Float>?
) {
    let firstRow = c.inputs.rmsInputs ? 2 : 0, scale = c.momentumReadoutScale
    for (k, beta) in c.inputs.momentumDecays.enumerated() {
        let invCorrection = 1 / Float(1 - Foundation.pow(Double(beta), Double(max(step, 1))))
        let m = state + (firstRow + k) * stride, alpha = scale * w[k]
        if let record {
            let out = record + k * stride
            for n in range {
                let mHat = m[n] * invCorrection
                out[n] = mHat
                delta[n] += alpha * mHat
            }
        } else {
            for n in range { delta[n] += alpha * m[n] * invCorrection }
        }
    }
}

/// The momentum read-out's weight gradient for one step: dWeights[k] += c·Σ_{n ∈ range} adjoint_n·m̂_{k,n},
/// with `recorded` the m̂ that `addMomentumReadout` recorded (K × `stride`).
@inline(__always)
func momentumReadoutBackward(
    _ c: LSTMConfiguration, adjoint: UnsafePointer<Float>, recorded: UnsafePointer<Float>, stride: Int,
    range: Range<Int>, dWeights: UnsafeMutablePointer<Float>
) {
    for k in 0..<c.momentumReadoutCount {
        let m = recorded + k * stride
        var sum: Float = 0
        for n in range { sum += adjoint[n] * m[n] }
        dWeights[k] += c.momentumReadoutScale * sum
    }
}

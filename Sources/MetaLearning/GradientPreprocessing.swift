import Foundation
import Numerics

/// What the LSTM sees of each gradient coordinate: its input features.
///
/// - `.logSign` (the paper's appendix A, p = 10): ∇ ↦ (log|∇|/p, sign ∇) if |∇| ≥ e⁻ᵖ,
///   else (−1, eᵖ·∇). log(0) never happens (0 takes the second branch).
/// - `.raw`: ∇ itself (the paper's quadratic setup, with output scale 1).
/// - `rmsInputs` adds two scale-invariant inputs: ∇/RMS and m/RMS, with m and RMS² running
///   averages (decay `rmsDecay`, bias-corrected) of ∇ and ∇², each clipped to ±`rmsClip`
///   (later work: Lv et al. 2017; NEURAL-ART.md "Loss scale"). They carry per-coordinate state;
///   being functions of gradients only, they are constants for the first-order meta-gradient.
public struct InputFeatures: Codable, Equatable, Sendable {
    public enum Gradient: String, Codable, Sendable, CaseIterable {
        case logSign = "log-sign"
        case raw
    }

    public var gradient: Gradient
    /// The preprocessing exponent p (used by `.logSign`).
    public var p: Float
    public var rmsInputs: Bool
    public var rmsDecay: Float
    public var rmsClip: Float

    public init(gradient: Gradient = .logSign, p: Float = 10, rmsInputs: Bool = false,
                rmsDecay: Float = 0.95, rmsClip: Float = 5) {
        self.gradient = gradient; self.p = p; self.rmsInputs = rmsInputs
        self.rmsDecay = rmsDecay; self.rmsClip = rmsClip
    }

    /// The paper's preprocessing: (log|∇|/10, sign ∇) with the small-gradient branch.
    public static let paper = InputFeatures()

    /// The number of LSTM inputs per coordinate.
    public var count: Int { (gradient == .logSign ? 2 : 1) + (rmsInputs ? 2 : 0) }

    /// A one-line description for tables and logs, e.g. `log-sign(p=10)+rms`.
    public var summary: String {
        let base = gradient == .logSign ? "log-sign(p=\(p.formatted6))" : "raw"
        return rmsInputs ? base + "+rms(β=\(rmsDecay.formatted6),clip=\(rmsClip.formatted6))" : base
    }
}

extension Float {
    /// Up to 6 significant digits without trailing zeros (for file headers and labels).
    var formatted6: String {
        let s = String(format: "%.6g", Double(self))
        return s
    }
}

/// Writes the LSTM input features of coordinates `range` (feature-major: feature `k` of
/// coordinate `n` at `x[k * stride + n]`), reading `scale · gradient[n]`.
///
/// With `rmsInputs`, updates the running moments `m`, `v` (one value per coordinate) for
/// step `step` ≥ 1 (bias correction 1 − βˢᵗᵉᵖ). Non-finite gradients propagate into the inputs.
@inline(__always)
func preprocessGradient(
    _ f: InputFeatures, gradient: UnsafePointer<Float>, scale: Float,
    x: UnsafeMutablePointer<Float>, stride: Int,
    m: UnsafeMutablePointer<Float>?, v: UnsafeMutablePointer<Float>?, step: Int,
    range: Range<Int>
) {
    var next = 0
    switch f.gradient {
    case .logSign:
        let x0 = x, x1 = x + stride
        let threshold = Float(Foundation.exp(Double(-f.p)))
        let ep = Float(Foundation.exp(Double(f.p))), invP = 1 / f.p
        for n in range {
            let g = scale * gradient[n]
            let a = abs(g)
            if a >= threshold {
                x0[n] = Foundation.log(a) * invP
                x1[n] = g > 0 ? 1 : -1
            } else {
                x0[n] = -1
                x1[n] = ep * g
            }
        }
        next = 2
    case .raw:
        for n in range { x[n] = scale * gradient[n] }
        next = 1
    }
    guard f.rmsInputs, let m, let v else { return }
    let beta = f.rmsDecay, clip = f.rmsClip
    let correction = Float(1 - Foundation.pow(Double(beta), Double(max(step, 1))))
    let invCorrection = 1 / correction
    let xg = x + next * stride, xm = x + (next + 1) * stride
    for n in range {
        let g = scale * gradient[n]
        let mn = beta * m[n] + (1 - beta) * g
        let vn = beta * v[n] + (1 - beta) * g * g
        m[n] = mn; v[n] = vn
        let inv = 1 / ((vn * invCorrection).squareRoot() + 1e-30)
        let a = g * inv, b = mn * invCorrection * inv
        xg[n] = a > clip ? clip : (a < -clip ? -clip : a)
        xm[n] = b > clip ? clip : (b < -clip ? -clip : b)
    }
}

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
/// - `momentumDecays` adds, per decay β, the log-sign features (as for ∇, same p) of the
///   bias-corrected running average m̂_β = m_β/(1 − βᵗ), m_β ← β·m_β + (1 − β)·∇: momentum at
///   several timescales (later work: Wichrowska et al. 2017), so the LSTM can act on averaged
///   gradients as momentum methods do. Also constants for the first-order meta-gradient.
///
/// - `highPass` (image-shaped problems only, `Problem.imageShape`): every feature above is computed
///   from g + a·B_r(g) instead of g, with B_r the mean over the (2r+1)² window of the same plane
///   (`BoxMean`); a < 0 damps smooth (low-frequency) parts of the gradient, which are the
///   style loss's stiff directions (docs/TAIL.md). A constant of the gradient too.
/// - `localMean` (needs `highPass` and `rmsInputs`) adds one input: the high-pass's local mean of
///   the unfiltered gradient over the RMS, B_r(g)/RMS clipped to ±`rmsClip` — how much of a
///   coordinate's gradient its neighbourhood shares, so the LSTM can weigh smooth and rough parts
///   itself instead of only through the fixed gain. Scale-invariant; a constant of the gradient.
/// - `globalRMS` (needs `highPass`) adds one input after those: the filtered gradient over its
///   problem's root mean square at this step, g'ₙ/RMS_p(g') clipped to ±`rmsClip` — how large a
///   coordinate's gradient is against the rest of its picture, which a coordinatewise optimizer
///   cannot otherwise know scale-invariantly (docs/TAIL.md §6). A constant of the gradient.
/// - `smoothFraction` (needs `highPass`) adds one input after those: how smooth the problem's
///   gradient is at this step, `rmsClip`·(2ρ − 1) with ρ = RMS_p(B_r(g))/RMS_p(g) (unfiltered g,
///   in the optimizer's basis) — near +clip when the gradient is a picture-wide colour shift (a
///   photo start), lower when it is texture (a palette start); the same for every coordinate of
///   a problem, so the LSTM can size its steps per problem (docs/TAIL.md §8). On the scale of the
///   clipped RMS inputs, so that weights starting at 0 can grow to use it within a fine-tuning
///   run. A constant of the gradient.
/// - `sharedUnits` K adds K inputs after those: the means over each problem's coordinates of the
///   top layer's first K hidden units after the previous step (0 at the first) — a delayed,
///   one-way form of the paper's global averaging cells (section 3.2), so coordinates see what
///   the rest of their problem's LSTM does. Treated as constants of the first-order meta-gradient
///   (a stop-gradient: the units do not learn to be read).
/// - `lumaChroma` (needs `highPass`; images of 3 planes): the optimizer works in a luminance /
///   chroma basis of each pixel's colour (`LumaChroma`, orthonormal): it reads C·g (then
///   filtered) and its output Δ' is applied as Cᵀ·Δ', so a pixel's brightness and its colour are
///   separate coordinates with their own state (docs/TAIL.md §6). No extra input.
///
/// Feature order: the gradient's, the RMS pair, two per momentum decay, the local mean, the global
/// RMS, the smooth fraction, then the K shared units. Per-coordinate
/// state order (`stateCount` rows): RMS m, RMS v, then one running average per decay.
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
    /// Decays β ∈ (0, 1) of the momentum inputs (empty: none, the paper's setup).
    public var momentumDecays: [Float]
    /// The spatial filter the features see the gradient through (nil: none, the paper's setup).
    public var highPass: HighPass?
    /// Whether the high-pass's local mean B_r(g)/RMS is an input of its own (false: the paper's setup).
    public var localMean: Bool
    /// Whether the optimizer works in the luminance / chroma basis (false: RGB, the paper's setup).
    public var lumaChroma: Bool
    /// Whether g'/RMS of the problem's g' is an input (false: the paper's setup).
    public var globalRMS: Bool
    /// Whether the problem's smooth fraction clip·(2ρ − 1) is an input (false: the paper's setup).
    public var smoothFraction: Bool
    /// How many of the top layer's hidden units are shared as per-problem means (0: none, the paper's setup).
    public var sharedUnits: Int

    /// g ↦ g + gain·B_radius(g) on each plane of an image-shaped θ (`BoxMean`). With a `ramp` of
    /// k steps the gain grows linearly from 0 at step 1 to `gain` at step k + 1
    /// (gain·min(1, (t − 1)/k) at step t), so the first steps from a smooth start read the
    /// gradient (nearly) as it is (nil: the full gain from step 1).
    public struct HighPass: Codable, Equatable, Sendable {
        public var radius: Int
        public var gain: Float
        public var ramp: Int?
        public init(radius: Int, gain: Float, ramp: Int? = nil) { self.radius = radius; self.gain = gain; self.ramp = ramp }
        var isValid: Bool {
            radius >= 1 && radius <= 1024 && gain.isFinite && gain > -1 && gain < 16 && (ramp.map { $0 >= 1 && $0 <= 1000 } ?? true)
        }
        /// The gain at (1-based) step t.
        public func gain(step t: Int) -> Float {
            guard let k = ramp, t <= k else { return gain }
            return gain * Float(t - 1) / Float(k)
        }
    }

    public init(gradient: Gradient = .logSign, p: Float = 10, rmsInputs: Bool = false,
                rmsDecay: Float = 0.95, rmsClip: Float = 5, momentumDecays: [Float] = [], highPass: HighPass? = nil,
                localMean: Bool = false, lumaChroma: Bool = false, globalRMS: Bool = false,
                smoothFraction: Bool = false, sharedUnits: Int = 0) {
        self.gradient = gradient; self.p = p; self.rmsInputs = rmsInputs
        self.rmsDecay = rmsDecay; self.rmsClip = rmsClip; self.momentumDecays = momentumDecays
        self.highPass = highPass; self.localMean = localMean; self.lumaChroma = lumaChroma
        self.globalRMS = globalRMS; self.smoothFraction = smoothFraction; self.sharedUnits = sharedUnits
    }

    enum CodingKeys: String, CodingKey { case gradient, p, rmsInputs, rmsDecay, rmsClip, momentumDecays, highPass, localMean, lumaChroma, globalRMS, smoothFraction, sharedUnits }

    /// Files written before momentum inputs (or the high-pass, the local mean, the luma/chroma
    /// basis, the global RMS, the smooth fraction, the shared units) existed have no such key.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        gradient = try c.decode(Gradient.self, forKey: .gradient)
        p = try c.decode(Float.self, forKey: .p)
        rmsInputs = try c.decode(Bool.self, forKey: .rmsInputs)
        rmsDecay = try c.decode(Float.self, forKey: .rmsDecay)
        rmsClip = try c.decode(Float.self, forKey: .rmsClip)
        momentumDecays = try c.decodeIfPresent([Float].self, forKey: .momentumDecays) ?? []
        highPass = try c.decodeIfPresent(HighPass.self, forKey: .highPass)
        localMean = try c.decodeIfPresent(Bool.self, forKey: .localMean) ?? false
        lumaChroma = try c.decodeIfPresent(Bool.self, forKey: .lumaChroma) ?? false
        globalRMS = try c.decodeIfPresent(Bool.self, forKey: .globalRMS) ?? false
        smoothFraction = try c.decodeIfPresent(Bool.self, forKey: .smoothFraction) ?? false
        sharedUnits = try c.decodeIfPresent(Int.self, forKey: .sharedUnits) ?? 0
    }

    /// Writes `momentumDecays`, `highPass`, `localMean`, `lumaChroma`, `globalRMS`,
    /// `smoothFraction` and `sharedUnits` only when set,
    /// so the paper's header is unchanged.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(gradient, forKey: .gradient); try c.encode(p, forKey: .p)
        try c.encode(rmsInputs, forKey: .rmsInputs); try c.encode(rmsDecay, forKey: .rmsDecay)
        try c.encode(rmsClip, forKey: .rmsClip)
        if !momentumDecays.isEmpty { try c.encode(momentumDecays, forKey: .momentumDecays) }
        if let highPass { try c.encode(highPass, forKey: .highPass) }
        if localMean { try c.encode(localMean, forKey: .localMean) }
        if lumaChroma { try c.encode(lumaChroma, forKey: .lumaChroma) }
        if globalRMS { try c.encode(globalRMS, forKey: .globalRMS) }
        if smoothFraction { try c.encode(smoothFraction, forKey: .smoothFraction) }
        if sharedUnits > 0 { try c.encode(sharedUnits, forKey: .sharedUnits) }
    }

    /// Whether every setting is usable (p > 0, decays in (0, 1), at most 8 of them; a high-pass
    /// radius of 1–1024 and a gain in (−1, 16); the local mean only with the high-pass and RMS
    /// inputs; the luma/chroma basis, the global RMS and the smooth fraction only with the high-pass).
    public var isValid: Bool {
        p.isFinite && p > 0 && rmsDecay > 0 && rmsDecay < 1 && rmsClip > 0 && momentumDecays.count <= 8
            && momentumDecays.allSatisfy { $0 > 0 && $0 < 1 } && (highPass?.isValid ?? true)
            && (!localMean || (highPass != nil && rmsInputs)) && (!lumaChroma || highPass != nil)
            && (!globalRMS || highPass != nil) && (!smoothFraction || highPass != nil) && sharedUnits >= 0 && sharedUnits <= 64
    }

    /// The paper's preprocessing: (log|∇|/10, sign ∇) with the small-gradient branch.
    public static let paper = InputFeatures()

    /// The number of LSTM inputs per coordinate.
    public var count: Int {
        (gradient == .logSign ? 2 : 1) + (rmsInputs ? 2 : 0) + 2 * momentumDecays.count + (localMean ? 1 : 0) + (globalRMS ? 1 : 0)
            + (smoothFraction ? 1 : 0) + sharedUnits
    }

    /// The index of the first input after the gradient, RMS and momentum features: the local
    /// mean's, then the global RMS's, the smooth fraction's, then the shared units' (as many as there are).
    var extraInputsStart: Int { count - (localMean ? 1 : 0) - (globalRMS ? 1 : 0) - (smoothFraction ? 1 : 0) - sharedUnits }
    /// The global RMS's input index (with `globalRMS`).
    var globalRMSInput: Int { extraInputsStart + (localMean ? 1 : 0) }
    /// The smooth fraction's input index (with `smoothFraction`).
    var smoothFractionInput: Int { globalRMSInput + (globalRMS ? 1 : 0) }
    /// The first shared unit's input index (with `sharedUnits` > 0): the last K inputs.
    var sharedUnitsInput: Int { count - sharedUnits }

    /// The number of per-coordinate state values (running averages) the features keep.
    public var stateCount: Int { (rmsInputs ? 2 : 0) + momentumDecays.count }

    /// A one-line description for tables and logs, e.g. `log-sign(p=10)+rms(β=0.95,clip=5)+momentum(0.5,0.9)`.
    public var summary: String {
        var s = gradient == .logSign ? "log-sign(p=\(p.formatted6))" : "raw"
        if rmsInputs { s += "+rms(β=\(rmsDecay.formatted6),clip=\(rmsClip.formatted6))" }
        if !momentumDecays.isEmpty { s += "+momentum(" + momentumDecays.map(\.formatted6).joined(separator: ",") + ")" }
        if let h = highPass { s += "+high-pass(r=\(h.radius),gain=\(h.gain.formatted6)\(h.ramp.map { ",ramp=\($0)" } ?? ""))" }
        if localMean { s += "+local-mean" }
        if lumaChroma { s += "+luma-chroma" }
        if globalRMS { s += "+global-rms" }
        if smoothFraction { s += "+smooth-fraction" }
        if sharedUnits > 0 { s += "+shared(\(sharedUnits))" }
        return s
    }
}

extension Float {
    /// Up to 6 significant digits without trailing zeros (for file headers and labels).
    var formatted6: String {
        let s = String(format: "%.6g", Double(self))
        return s
    }
}

/// What the extra inputs read besides each coordinate's gradient (`InputFeatures.localMean`,
/// `globalRMS`, `smoothFraction`, `sharedUnits`): per coordinate, N values each (the shared
/// units K × N); nil where the configuration has no such input. The high-pass makes the first
/// three (`GradientHighPass.extraInputs`), the optimizer state the shared units.
struct ExtraInputs {
    /// The local mean of the unfiltered gradient, B_r(g).
    var localMean: UnsafePointer<Float>? = nil
    /// Each coordinate's problem's RMS of the filtered gradient.
    var globalRMS: UnsafePointer<Float>? = nil
    /// Each coordinate's problem's smooth fraction 2ρ − 1.
    var smoothFraction: UnsafePointer<Float>? = nil
    /// K × N: the shared units' per-problem means.
    var shared: UnsafePointer<Float>? = nil
}

/// Writes the LSTM input features of coordinates `range` (feature-major: feature `k` of
/// coordinate `n` at `x[k * stride + n]`), reading `scale · gradient[n]` and, for the extra
/// inputs the configuration has, `extra` (the local mean scaled like the gradient).
///
/// Updates the running averages in `state` (`f.stateCount` rows of `stateStride` values, by
/// default `stride`; see `InputFeatures`) for step `step` ≥ 1 (bias correction 1 − βˢᵗᵉᵖ); `state` may be nil only
/// when `stateCount` is 0. Non-finite gradients propagate into the inputs.
@inline(__always)
func preprocessGradient(
    _ f: InputFeatures, gradient: UnsafePointer<Float>, scale: Float,
    x: UnsafeMutablePointer<Float>, stride: Int,
    state: UnsafeMutablePointer<Float>?, stateStride: Int? = nil, step: Int,
    range: Range<Int>, extra: ExtraInputs = ExtraInputs()
) {
    precondition(f.stateCount == 0 || state != nil, "preprocessGradient: the features need state")
    precondition(!f.localMean || extra.localMean != nil, "preprocessGradient: the local-mean input needs the local mean")
    precondition(!f.globalRMS || extra.globalRMS != nil, "preprocessGradient: the global-RMS input needs the problems' RMS")
    precondition(!f.smoothFraction || extra.smoothFraction != nil, "preprocessGradient: the smooth-fraction input needs the problems' fractions")
    precondition(f.sharedUnits == 0 || extra.shared != nil, "preprocessGradient: the shared units need their means")
    if f.sharedUnits > 0, let shared = extra.shared {  // K rows of stateStride (N) values
        let rows = stateStride ?? stride
        for k in 0..<f.sharedUnits {
            let xk = x + (f.sharedUnitsInput + k) * stride, sk = shared + k * rows
            for n in range { xk[n] = sk[n] }
        }
    }
    if f.globalRMS, let globalRMS = extra.globalRMS {  // g/RMS of the problem's gradient (the scale cancels)
        let xr = x + f.globalRMSInput * stride, clip = f.rmsClip
        for n in range {
            let a = gradient[n] / (globalRMS[n] + 1e-30)
            xr[n] = a > clip ? clip : (a < -clip ? -clip : a)
        }
    }
    if f.smoothFraction, let smooth = extra.smoothFraction {
        let xs = x + f.smoothFractionInput * stride, clip = f.rmsClip
        for n in range { xs[n] = clip * smooth[n] }
    }
    let stateStride = stateStride ?? stride
    let threshold = Float(Foundation.exp(Double(-f.p)))
    let ep = Float(Foundation.exp(Double(f.p))), invP = 1 / f.p
    /// (log|a|/p, sign a) or (−1, eᵖ·a): the paper's preprocessing of one value.
    @inline(__always) func logSign(_ a: Float, _ x0: UnsafeMutablePointer<Float>, _ x1: UnsafeMutablePointer<Float>, _ n: Int) {
        let m = abs(a)
        if m >= threshold {
            x0[n] = Foundation.log(m) * invP
            x1[n] = a > 0 ? 1 : -1
        } else {
            x0[n] = -1
            x1[n] = ep * a
        }
    }
    var next = 0
    switch f.gradient {
    case .logSign:
        let x0 = x, x1 = x + stride
        for n in range { logSign(scale * gradient[n], x0, x1, n) }
        next = 2
    case .raw:
        for n in range { x[n] = scale * gradient[n] }
        next = 1
    }
    var row = 0
    if f.rmsInputs, let state {
        let m = state, v = state + stateStride
        let beta = f.rmsDecay, clip = f.rmsClip
        let invCorrection = 1 / Float(1 - Foundation.pow(Double(beta), Double(max(step, 1))))
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
        if f.localMean, let localMean = extra.localMean {  // after the momenta: B(g)/RMS, with this step's RMS
            let xl = x + f.extraInputsStart * stride
            for n in range {
                let inv = 1 / ((v[n] * invCorrection).squareRoot() + 1e-30)
                let a = scale * localMean[n] * inv
                xl[n] = a > clip ? clip : (a < -clip ? -clip : a)
            }
        }
        next += 2; row = 2
    }
    guard let state else { return }
    for beta in f.momentumDecays {
        let m = state + row * stateStride, x0 = x + next * stride, x1 = x + (next + 1) * stride
        let invCorrection = 1 / Float(1 - Foundation.pow(Double(beta), Double(max(step, 1))))
        for n in range {
            let mn = beta * m[n] + (1 - beta) * scale * gradient[n]
            m[n] = mn
            logSign(mn * invCorrection, x0, x1, n)
        }
        next += 2; row += 1
    }
}

/// The adjoint of `preprocessGradient` with respect to the gradient, for stateless features
/// (`stateCount` 0: the paper's log-sign or raw input): writes
/// dgradient[n] = Σ_k dx[k·stride + n] · ∂x_k/∂(scale·gradient[n]) · scale for n in `range`.
///
/// Log-sign: ∂(log|a|/p)/∂a = 1/(p·a) and ∂ sign/∂a = 0 where |a| ≥ e⁻ᵖ; ∂(eᵖ·a)/∂a = eᵖ below
/// (the threshold itself is a measure-zero kink). Raw: 1.
@inline(__always)
func preprocessGradientBackward(
    _ f: InputFeatures, gradient: UnsafePointer<Float>, scale: Float,
    dx: UnsafePointer<Float>, stride: Int, dGradient: UnsafeMutablePointer<Float>, range: Range<Int>
) {
    precondition(f.stateCount == 0, "preprocessGradientBackward: features with running averages are not differentiated")
    switch f.gradient {
    case .logSign:
        let threshold = Float(Foundation.exp(Double(-f.p)))
        let ep = Float(Foundation.exp(Double(f.p))), invP = 1 / f.p
        let dx1 = dx + stride
        for n in range {
            let a = scale * gradient[n]
            dGradient[n] = abs(a) >= threshold ? dx[n] * invP / a * scale : dx1[n] * ep * scale
        }
    case .raw:
        for n in range { dGradient[n] = dx[n] * scale }
    }
}

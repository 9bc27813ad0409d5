/// Fast, branch-free `exp`, `sigmoid` and `tanh` for `Float`, written so that LLVM
/// auto-vectorizes loops that call them (no libm calls, no traps, no data-dependent branches).
///
/// `exp` reduces x = k·ln2 + r with |r| ≤ ln2/2 (k rounded with the 1.5·2²³ magic number,
/// ln2 split in two parts), evaluates Cephes' degree-5 minimax polynomial for eʳ and builds 2ᵏ
/// from its exponent bits. The argument is clamped to [−87, 88], so results stay normal and
/// finite (e⁻⁸⁷ ≈ 1.6·10⁻³⁸, e⁸⁸ ≈ 1.65·10³⁸); NaN propagates.
///
/// `tanh` is a rational function, x·P(x²)/Q(x²) with P of degree 6 and Q of degree 3 (the
/// minimax coefficients Eigen uses for single precision, fitted on |x| ≤ 7.905), evaluated by
/// FMA Horner steps and one division, its argument clamped to ±`tanhBound` = ±8.100993: there
/// the rounded result is exactly ±1, and below it never exceeds 1 in magnitude (checked for
/// every Float in `FastMathTests`). `sigmoid(x)` = ½ + ½·tanh(x/2). About 14 vector operations
/// each, against about 30 for the exp-based forms used before (December 2026; the LSTM
/// optimizer's inference step spent ~⅔ of its time in them).
///
/// Accuracy (checked in `FastMathTests`): `exp` relative error ≤ 2·10⁻⁷ on [−87, 88];
/// `tanh` absolute error ≤ 3·10⁻⁷ and `sigmoid` ≤ 2·10⁻⁷ everywhere; σ(±∞) and tanh(±∞) are
/// exact, NaN propagates. About 6× faster than glibc's `expf` in a vectorized loop.
public enum FastMath {
    /// eˣ, relative error ≤ 2·10⁻⁷ for x in [−87, 88]; clamped outside that range.
    @inlinable @inline(__always)
    public static func exp(_ x: Float) -> Float {
        // max/min written so that NaN propagates (comparisons with NaN are false).
        let lo: Float = -87, hi: Float = 88
        let a = x < lo ? lo : x
        let xc = a > hi ? hi : a
        let magic: Float = 12_582_912  // 1.5·2²³: adding it rounds to the nearest integer
        let s = xc * 1.442_695_04 + magic
        let k = s - magic
        // r = x − k·ln2 with ln2 = 0.693359375 − 2.12194440e−4 (Cody–Waite split).
        let r = xc - k * 0.693_359_375 + k * 2.121_944_40e-4
        let er = expPolynomial(r)
        // The low mantissa bits of s hold k (two's complement); build 2ᵏ from them.
        let twoK = Float(bitPattern: (s.bitPattern &- 0x4B40_0000 &+ 127) &<< 23)
        return er * twoK
    }

    /// The logistic function 1 / (1 + e⁻ˣ) as ½ + ½·tanh(x/2); absolute error ≤ 2·10⁻⁷.
    /// (The halvings are folded into the coefficients: see `sigmoidRational`.)
    @inlinable @inline(__always)
    public static func sigmoid(_ x: Float) -> Float {
        let bound = 2 * tanhBound
        let a = x < -bound ? -bound : x
        return 0.5 + sigmoidRational(a > bound ? bound : a)
    }

    /// The hyperbolic tangent (rational approximation, see the type); absolute error ≤ 3·10⁻⁷.
    @inlinable @inline(__always)
    public static func tanh(_ x: Float) -> Float {
        // min/max written so that NaN propagates (comparisons with NaN are false).
        let a = x < -tanhBound ? -tanhBound : x
        return tanhRational(a > tanhBound ? tanhBound : a)
    }

    // MARK: 8 lanes at a time
    //
    // The same operations in the same order as the scalar versions (bit-identical results),
    // for kernels whose many pointers defeat LLVM's auto-vectorizer (its runtime alias checks).
    // Clamping uses `replacing(with:where:)` (a blend), never `clamped`/`pointwiseMin`, which
    // are scalarized.

    /// eˣ for 8 lanes (see the scalar `exp`).
    @inlinable @inline(__always)
    public static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let a = x.replacing(with: -87, where: x .< -87)
        let xc = a.replacing(with: 88, where: a .> 88)
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let s = xc * 1.442_695_04 + magic
        let k = s - magic
        let r = xc - k * 0.693_359_375 + k * 2.121_944_40e-4
        let er = expPolynomial(r)
        let bits = (unsafeBitCast(s, to: SIMD8<UInt32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        return er * unsafeBitCast(bits, to: SIMD8<Float>.self)
    }

    /// The logistic function for 8 lanes.
    @inlinable @inline(__always)
    public static func sigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let bound = 2 * tanhBound
        let a = x.replacing(with: -bound, where: x .< -bound)
        return 0.5 + sigmoidRational(a.replacing(with: bound, where: a .> bound))
    }

    /// tanh for 8 lanes.
    @inlinable @inline(__always)
    public static func tanh(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let a = x.replacing(with: -tanhBound, where: x .< -tanhBound)
        return tanhRational(a.replacing(with: tanhBound, where: a .> tanhBound))
    }

    /// Loads `lanes` ≤ 8 floats from `p` (zeros in the remaining lanes).
    @inlinable @inline(__always)
    public static func load8(_ p: UnsafePointer<Float>, lanes: Int = 8) -> SIMD8<Float> {
        if lanes == 8 { return UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }
        var v = SIMD8<Float>()
        for k in 0..<lanes { v[k] = p[k] }
        return v
    }

    /// Stores the first `lanes` ≤ 8 lanes of `v` at `p`.
    @inlinable @inline(__always)
    public static func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, lanes: Int = 8) {
        if lanes == 8 { UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self); return }
        for k in 0..<lanes { p[k] = v[k] }
    }

    /// `output[i] = exp(input[i])` for `count` elements (may alias).
    @inlinable
    public static func exp(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { output[i] = exp(input[i]) }
    }

    /// `output[i] = sigmoid(input[i])` for `count` elements (may alias).
    @inlinable
    public static func sigmoid(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { output[i] = sigmoid(input[i]) }
    }

    /// `output[i] = tanh(input[i])` for `count` elements (may alias).
    @inlinable
    public static func tanh(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { output[i] = tanh(input[i]) }
    }

    /// `tanh` clamps its argument to ±this: the smallest Float where `tanhRational` rounds to 1.
    @inlinable public static var tanhBound: Float { 8.100_993 }

    /// x·P(x²)/Q(x²) ≈ tanh(x) (Eigen's single-precision minimax coefficients, fitted on
    /// |x| ≤ 7.905), for one lane or eight: the same operations in the same order.
    @inlinable @inline(__always)
    static func tanhRational<V: FastMathLanes>(_ x: V) -> V {
        oddRational(x, scale: 1)
    }

    /// ½·tanh(x/2) − without computing x/2 or halving the result: the rational function with
    /// P's coefficient of x²ᵏ scaled by 4⁻ᵏ⁻¹ and Q's by 4⁻ᵏ. Every scaling is by a power of two,
    /// so each rounding is the same as in `tanhRational(x/2)/2`: `0.5 + sigmoidRational(x)`
    /// equals `0.5 + 0.5·tanh(x/2)` (an FMA) bit for bit, one multiplication cheaper.
    @inlinable @inline(__always)
    static func sigmoidRational<V: FastMathLanes>(_ x: V) -> V {
        oddRational(x, scale: 0.25)
    }

    /// x·P(x²)/Q(x²) with the coefficients of `tanhRational` scaled as `sigmoidRational`
    /// describes when `s` = ¼, unscaled when `s` = 1 (`s` a power of two: the scalings are exact).
    @inlinable @inline(__always)
    static func oddRational<V: FastMathLanes>(_ x: V, scale s: Float) -> V {
        let x2 = x * x
        let s2 = s * s, s3 = s2 * s, s4 = s2 * s2
        var p = V.splat(-2.760_768_477_423_55e-16 * s4 * s3)
        p = p.fma(x2, .splat(2.000_187_904_824_77e-13 * s3 * s3))
        p = p.fma(x2, .splat(-8.604_671_522_137_35e-11 * s3 * s2))
        p = p.fma(x2, .splat(5.122_297_090_371_14e-08 * s4))
        p = p.fma(x2, .splat(1.485_722_357_179_79e-05 * s3))
        p = p.fma(x2, .splat(6.372_619_288_754_36e-04 * s2))
        p = p.fma(x2, .splat(4.893_524_558_917_86e-03 * s))
        var q = V.splat(1.198_258_394_667_02e-06 * s3)
        q = q.fma(x2, .splat(1.185_347_056_866_54e-04 * s2))
        q = q.fma(x2, .splat(2.268_434_632_439_00e-03 * s))
        q = q.fma(x2, .splat(4.893_525_185_543_85e-03))
        return (p * x) / q
    }

    /// e^r ≈ 1 + r + r²·P(r) on the reduced range |r| ≤ ln2/2 (degree-5 P), for one lane or
    /// eight: the same operations in the same order, so both give bit-identical results.
    @inlinable @inline(__always)
    static func expPolynomial<V: FastMathLanes>(_ r: V) -> V {
        var p = V.splat(1.987_569_150_0e-4)
        p = p * r + .splat(1.398_199_950_7e-3)
        p = p * r + .splat(8.333_451_907_3e-3)
        p = p * r + .splat(4.166_579_589_4e-2)
        p = p * r + .splat(1.666_666_545_9e-1)
        p = p * r + .splat(5.000_000_120_1e-1)
        return p * (r * r) + r + .splat(1)
    }
}

/// Float or SIMD8<Float>: what `FastMath.expPolynomial` computes with.
public protocol FastMathLanes {
    static func splat(_ value: Float) -> Self
    static func * (lhs: Self, rhs: Self) -> Self
    static func + (lhs: Self, rhs: Self) -> Self
    static func / (lhs: Self, rhs: Self) -> Self
    /// self·a + b, rounded once (a fused multiply-add).
    func fma(_ a: Self, _ b: Self) -> Self
}

extension Float: FastMathLanes {
    @inlinable @inline(__always) public static func splat(_ value: Float) -> Float { value }
    @inlinable @inline(__always) public func fma(_ a: Float, _ b: Float) -> Float { b.addingProduct(self, a) }
}

extension SIMD8: FastMathLanes where Scalar == Float {
    @inlinable @inline(__always) public static func splat(_ value: Float) -> SIMD8<Float> { SIMD8(repeating: value) }
    @inlinable @inline(__always) public func fma(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { b.addingProduct(self, a) }
}

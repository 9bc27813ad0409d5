import Foundation

/// The project's one source of randomness: xoshiro256** seeded through SplitMix64.
///
/// Deterministic for a given seed on every platform (no global state, no system entropy).
/// Pass it `inout` to whoever needs randomness; derive independent streams with `fork(_:)`.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64
    /// The second value of the last Box–Muller pair, if not yet used.
    private var spareNormal: Double?

    /// A generator whose whole sequence is determined by `seed`.
    public init(seed: UInt64) {
        var sm = seed
        func splitMix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(&sm); s1 = splitMix(&sm); s2 = splitMix(&sm); s3 = splitMix(&sm)
        spareNormal = nil
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// A new generator for an independent stream, determined by this one's seed and `stream`.
    /// Does not advance `self`.
    public func fork(_ stream: UInt64) -> SeededGenerator {
        SeededGenerator(seed: (s0 ^ (s3 &* 0x2545_F491_4F6C_DD1D)) &+ stream &* 0x9E37_79B9_7F4A_7C15)
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform in [lower, upper).
    public mutating func nextUniform(in lower: Double, _ upper: Double) -> Double {
        lower + (upper - lower) * nextUniform()
    }

    /// Standard normal (Box–Muller, pairs cached).
    public mutating func nextNormal() -> Double {
        if let z = spareNormal { spareNormal = nil; return z }
        var u1 = nextUniform()
        while u1 <= 0 { u1 = nextUniform() }
        let u2 = nextUniform()
        let r = (-2 * Foundation.log(u1)).squareRoot()
        spareNormal = r * Foundation.sin(2 * Double.pi * u2)
        return r * Foundation.cos(2 * Double.pi * u2)
    }

    /// A uniformly random integer in `0..<upperBound` (unbiased).
    public mutating func nextInt(_ upperBound: Int) -> Int {
        precondition(upperBound > 0, "nextInt: upper bound must be positive")
        return Int(next(upperBound: UInt64(upperBound)))
    }

    /// Fills `tensor` with i.i.d. normal values of the given mean and standard deviation.
    public mutating func fillNormal(_ tensor: Tensor, mean: Float = 0, std: Float = 1) {
        for i in 0..<tensor.count { tensor.data[i] = mean + std * Float(nextNormal()) }
    }

    /// Fills `tensor` with i.i.d. values uniform in [lower, upper).
    public mutating func fillUniform(_ tensor: Tensor, _ lower: Float = 0, _ upper: Float = 1) {
        for i in 0..<tensor.count { tensor.data[i] = lower + (upper - lower) * Float(nextUniform()) }
    }
}

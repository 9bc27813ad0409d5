import ImageIO
import Numerics

/// Seeded 2-D gradient ("Perlin") noise and its fractal sums, for procedural styles.
///
/// A pure function of the seed and the point: lattice gradients come from a hash of the
/// lattice coordinates and the seed (no tables, no state), so two noises with the same seed
/// agree everywhere. Values of `value` lie in about [−0.7, 0.7]; `fbm` sums octaves of halving
/// amplitude and is normalized to about the same range. Cost: ~30 flops per octave and point.
struct GradientNoise: Sendable {
    let seed: UInt32

    init(seed: UInt64) { self.seed = UInt32(truncatingIfNeeded: seed ^ (seed >> 32)) }

    /// 32 well-mixed bits from integer coordinates and the seed.
    @inline(__always) static func hash(_ x: Int32, _ y: Int32, _ seed: UInt32) -> UInt32 {
        var h = UInt32(bitPattern: x) &* 0x27D4_EB2D ^ UInt32(bitPattern: y) &* 0x1656_67B1 ^ seed &* 0x9E37_79B9
        h = (h ^ (h >> 15)) &* 0x2C1B_3C6D
        h = (h ^ (h >> 12)) &* 0x297A_2D39
        return h ^ (h >> 15)
    }

    /// A uniform value in [0, 1) from integer coordinates and a seed.
    @inline(__always) static func uniform(_ x: Int, _ y: Int, _ seed: UInt32) -> Float {
        Float(hash(Int32(truncatingIfNeeded: x), Int32(truncatingIfNeeded: y), seed) >> 8) * 0x1p-24
    }

    /// Noise at (x, y), in lattice units (one lattice cell per unit).
    @inline(__always) func value(_ x: Float, _ y: Float) -> Float {
        let fx = x.rounded(.down), fy = y.rounded(.down)
        let ix = Int32(truncatingIfNeeded: Int(fx)), iy = Int32(truncatingIfNeeded: Int(fy))
        let dx = x - fx, dy = y - fy
        @inline(__always) func corner(_ cx: Int32, _ cy: Int32, _ px: Float, _ py: Float) -> Float {
            // The unit vector at a hashed angle (any direction: no axis-aligned artefacts).
            let h = Self.hash(cx, cy, seed)
            let a = Float(h >> 8) * (2 * Float.pi * 0x1p-24)
            return cosApprox(a) * px + cosApprox(a - Float.pi / 2) * py
        }
        let n00 = corner(ix, iy, dx, dy), n10 = corner(ix &+ 1, iy, dx - 1, dy)
        let n01 = corner(ix, iy &+ 1, dx, dy - 1), n11 = corner(ix &+ 1, iy &+ 1, dx - 1, dy - 1)
        let ux = fade(dx), uy = fade(dy)
        let a = n00 + (n10 - n00) * ux, b = n01 + (n11 - n01) * ux
        return a + (b - a) * uy
    }

    /// Fractal sum of `octaves` octaves (frequency ×2, amplitude ×`gain` each), normalized by
    /// the sum of amplitudes. Each octave uses a rotated, shifted lattice so no grid shows.
    @inline(__always) func fbm(_ x: Float, _ y: Float, octaves: Int, gain: Float = 0.5) -> Float {
        var sum: Float = 0, amplitude: Float = 1, norm: Float = 0
        var px = x, py = y
        for o in 0..<octaves {
            sum += amplitude * GradientNoise(rawSeed: seed &+ UInt32(o) &* 0x632B_E5AB).value(px, py)
            norm += amplitude
            amplitude *= gain
            // Rotate by ~37° and scale by 2.
            let nx = 1.6 * px - 1.2 * py + 17.3, ny = 1.2 * px + 1.6 * py - 9.1
            px = nx; py = ny
        }
        return sum / norm
    }

    private init(rawSeed: UInt32) { seed = rawSeed }

    @inline(__always) private func fade(_ t: Float) -> Float { t * t * t * (t * (t * 6 - 15) + 10) }
}

/// cos(a) for a in [−π/2, 2π] to ~1e-3 (a short polynomial after range reduction): enough for
/// noise gradients and much cheaper than libm's.
@inline(__always) func cosApprox(_ a: Float) -> Float {
    // Reduce to [−π, π].
    var x = a
    if x > Float.pi { x -= 2 * Float.pi }
    if x < -Float.pi { x += 2 * Float.pi }
    // cos via the Bhaskara-like parabola with one refinement step.
    let b: Float = 4 / Float.pi, c: Float = -4 / (Float.pi * Float.pi)
    let s = x + Float.pi / 2 > Float.pi ? x + Float.pi / 2 - 2 * Float.pi : x + Float.pi / 2
    let y = b * s + c * s * abs(s)
    return 0.225 * (y * abs(y) - y) + y
}

/// Smooth step from 0 at `edge0` to 1 at `edge1` (either order).
@inline(__always) func smoothstep(_ edge0: Float, _ edge1: Float, _ x: Float) -> Float {
    let t = min(max((x - edge0) / (edge1 - edge0), 0), 1)
    return t * t * (3 - 2 * t)
}

/// A square RGB picture being painted: planar [0, 1] intensities like `Image`, with the
/// per-pixel operations the generators need. Values may leave [0, 1] while painting;
/// `image()` clamps.
struct Canvas {
    let size: Int
    var pixels: [Float]

    init(size: Int, fill: SIMD3<Float>) {
        self.size = size
        let n = size * size
        pixels = [Float](repeating: fill.x, count: n) + [Float](repeating: fill.y, count: n)
            + [Float](repeating: fill.z, count: n)
    }

    @inline(__always) subscript(x: Int, y: Int) -> SIMD3<Float> {
        get {
            let i = y * size + x, n = size * size
            return SIMD3(pixels[i], pixels[n + i], pixels[2 * n + i])
        }
        set {
            let i = y * size + x, n = size * size
            pixels[i] = newValue.x; pixels[n + i] = newValue.y; pixels[2 * n + i] = newValue.z
        }
    }

    /// Paints every pixel with `color(x, y)`, where x and y are the pixel centre in [0, 1].
    mutating func fill(_ color: (Float, Float) -> SIMD3<Float>) {
        let inv = 1 / Float(size)
        for y in 0..<size {
            let v = (Float(y) + 0.5) * inv
            for x in 0..<size { self[x, y] = color((Float(x) + 0.5) * inv, v) }
        }
    }

    /// Multiplies every pixel by `1 + amount · noise` of a fine grain (paper or canvas texture).
    mutating func grain(amount: Float, frequency: Float, seed: UInt64) {
        let noise = GradientNoise(seed: seed)
        let inv = 1 / Float(size)
        for y in 0..<size {
            for x in 0..<size {
                let u = (Float(x) + 0.5) * inv, v = (Float(y) + 0.5) * inv
                self[x, y] *= 1 + amount * noise.fbm(u * frequency, v * frequency, octaves: 2)
            }
        }
    }

    /// The picture, clamped to [0, 1].
    func image() -> Image {
        Image(width: size, height: size, pixels: pixels.map { $0 > 0 ? min($0, 1) : 0 })
    }
}

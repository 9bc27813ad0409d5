import ImageIO
import Numerics

/// The colours of a generated style: 3 to 8 sRGB colours in [0, 1], sorted from dark to light
/// (by Rec. 601 luma), with at least `minimumContrast` between the darkest and the lightest.
///
/// Two kinds: **harmonious** palettes built on the colour wheel (analogous, complementary,
/// triadic, split-complementary, monochrome and earth schemes), and **photo** palettes, the
/// k-means centres of pixels of a region of a real photo (the bundled photos), so generated
/// styles also carry the muted, correlated colours of real scenes.
public struct StylePalette: Sendable, Equatable {
    /// Dark to light, each component in [0, 1].
    public let colors: [SIMD3<Float>]

    /// The smallest luma range (lightest − darkest) a palette is given: enough for every
    /// generated style to have visible structure in luminance, not only in hue.
    public static let minimumContrast: Float = 0.45

    /// Sorts `colors` by luma and stretches their luma range to `minimumContrast` if smaller.
    /// - Precondition: at least 2 colours.
    public init(colors: [SIMD3<Float>]) {
        precondition(colors.count >= 2, "StylePalette: at least 2 colours, got \(colors.count)")
        var c = colors.map { clamp01($0) }.sorted { Self.luma($0) < Self.luma($1) }
        let lo = Self.luma(c[0]), hi = Self.luma(c[c.count - 1])
        if hi - lo < Self.minimumContrast {
            // Stretch around the mid luma, then shift back inside [0, 1] if the stretch left it.
            let mid = (lo + hi) / 2, f = Self.minimumContrast / max(hi - lo, 1e-3)
            c = c.map { col in
                let l = Self.luma(col)
                let target = min(1, max(0, mid + (l - mid) * f))
                return clamp01(col + SIMD3(repeating: target - l))
            }
            c.sort { Self.luma($0) < Self.luma($1) }
            // Clamping may have eaten part of the stretch: darken the darkest, lighten the lightest.
            var k = 0
            while Self.luma(c[c.count - 1]) - Self.luma(c[0]) < Self.minimumContrast && k < 40 {
                c[0] *= 0.9
                c[c.count - 1] += (SIMD3(repeating: 1) - c[c.count - 1]) * 0.1
                k += 1
            }
        }
        self.colors = c
    }

    /// Rec. 601 luma of an sRGB colour.
    @inline(__always) public static func luma(_ c: SIMD3<Float>) -> Float { 0.299 * c.x + 0.587 * c.y + 0.114 * c.z }

    /// Colour `i` (wrapping around), for styles that cycle through the palette.
    @inline(__always) public func color(_ i: Int) -> SIMD3<Float> {
        colors[((i % colors.count) + colors.count) % colors.count]
    }

    /// The colour at `t` ∈ [0, 1] along the dark-to-light ramp (piecewise linear; clamped).
    @inline(__always) public func ramp(_ t: Float) -> SIMD3<Float> {
        let x = min(max(t, 0), 1) * Float(colors.count - 1)
        let i = min(Int(x), colors.count - 2)
        let f = x - Float(i)
        return colors[i] + (colors[i + 1] - colors[i]) * f
    }

    /// A random harmonious palette of 4 to 6 colours (see the type's documentation).
    public static func harmonious(using g: inout SeededGenerator) -> StylePalette {
        let base = Float(g.nextUniform())
        let count = 4 + g.nextInt(3)
        // Hue offsets (turns) of each scheme; colours cycle through them.
        let schemes: [[Float]] = [
            [-0.08, -0.04, 0, 0.04, 0.08],   // analogous
            [0, 0.5, 0.03, 0.53],            // complementary
            [0, 1.0 / 3, 2.0 / 3],           // triadic
            [0, 5.0 / 12, 7.0 / 12],         // split-complementary
            [0],                             // monochrome
            [0, 0.06, 0.1],                  // earth (desaturated, warm; see below)
        ]
        let scheme = g.nextInt(schemes.count)
        let offsets = schemes[scheme]
        let earth = scheme == 5
        let hue0: Float = earth ? 0.03 + 0.1 * Float(g.nextUniform()) : base
        let saturation = earth ? Float(g.nextUniform(in: 0.2, 0.5)) : Float(g.nextUniform(in: 0.35, 0.9))
        var colors: [SIMD3<Float>] = []
        for k in 0..<count {
            let h = hue0 + offsets[k % offsets.count] + Float(g.nextUniform(in: -0.02, 0.02))
            // Values spread from dark to light so the palette has a luminance ramp.
            let v = 0.18 + 0.8 * (Float(k) + Float(g.nextUniform(in: 0, 0.8))) / Float(count)
            let s = min(1, max(0.05, saturation * Float(g.nextUniform(in: 0.6, 1.2))))
            colors.append(hsv(h, s, v))
        }
        return StylePalette(colors: colors)
    }

    /// k-means palette (k = 3…7) of 256 random pixels from a random square region (40–100 % of
    /// the shorter side) of one of `photos`, with k-means++ seeding and 8 Lloyd iterations.
    /// - Precondition: `photos` is non-empty.
    public static func fromPhotos(_ photos: [Image], using g: inout SeededGenerator) -> StylePalette {
        precondition(!photos.isEmpty, "StylePalette.fromPhotos: no photos")
        let photo = photos[g.nextInt(photos.count)]
        let short = min(photo.width, photo.height)
        let side = max(1, Int((Double(short) * g.nextUniform(in: 0.4, 1)).rounded()))
        let x0 = g.nextInt(photo.width - side + 1), y0 = g.nextInt(photo.height - side + 1)
        let n = photo.planeSize
        let samples: [SIMD3<Float>] = (0..<256).map { _ in
            let i = (y0 + g.nextInt(side)) * photo.width + x0 + g.nextInt(side)
            return SIMD3(photo.pixels[i], photo.pixels[n + i], photo.pixels[2 * n + i])
        }
        let k = 3 + g.nextInt(5)
        var centres = [samples[g.nextInt(samples.count)]]
        while centres.count < k {   // k-means++: the next centre far from the chosen ones
            let d = samples.map { s in centres.map { lengthSquared(s - $0) }.min()! }
            let total = d.reduce(0, +)
            guard total > 0 else { break }
            var r = Float(g.nextUniform()) * total, pick = samples.count - 1
            for (i, di) in d.enumerated() { r -= di; if r <= 0 { pick = i; break } }
            centres.append(samples[pick])
        }
        for _ in 0..<8 {
            var sums = [SIMD3<Float>](repeating: .zero, count: centres.count)
            var counts = [Int](repeating: 0, count: centres.count)
            for s in samples {
                var best = 0, bestD = Float.infinity
                for (j, c) in centres.enumerated() {
                    let dd = lengthSquared(s - c)
                    if dd < bestD { bestD = dd; best = j }
                }
                sums[best] += s; counts[best] += 1
            }
            for j in centres.indices where counts[j] > 0 { centres[j] = sums[j] / Float(counts[j]) }
        }
        // Photos' pixel clusters are greyish: lift saturation a little, as painters' palettes do.
        let boost = Float(g.nextUniform(in: 1, 1.5))
        let colors = centres.map { c -> SIMD3<Float> in
            let l = luma(c)
            return c.isNaN ? SIMD3(repeating: l) : SIMD3(repeating: l) + (c - SIMD3(repeating: l)) * boost
        }
        return StylePalette(colors: colors.count >= 2 ? colors : colors + [SIMD3(repeating: 1) - colors[0]])
    }

    /// HSV (hue in turns, any real; saturation and value in [0, 1]) to sRGB.
    public static func hsv(_ h: Float, _ s: Float, _ v: Float) -> SIMD3<Float> {
        let hh = (h - h.rounded(.down)) * 6
        let i = Int(hh) % 6, f = hh - Float(Int(hh))
        let p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f))
        switch i {
        case 0: return SIMD3(v, t, p)
        case 1: return SIMD3(q, v, p)
        case 2: return SIMD3(p, v, t)
        case 3: return SIMD3(p, q, v)
        case 4: return SIMD3(t, p, v)
        default: return SIMD3(v, p, q)
        }
    }
}

extension SIMD3 where Scalar == Float {
    /// Whether any component is NaN.
    var isNaN: Bool { x.isNaN || y.isNaN || z.isNaN }
}

/// Each component clamped to [0, 1] (NaN becomes 0).
@inline(__always) func clamp01(_ c: SIMD3<Float>) -> SIMD3<Float> {
    SIMD3(c.x > 0 ? min(c.x, 1) : 0, c.y > 0 ? min(c.y, 1) : 0, c.z > 0 ? min(c.z, 1) : 0)
}

/// Squared Euclidean length.
@inline(__always) func lengthSquared(_ v: SIMD3<Float>) -> Float { (v * v).sum() }

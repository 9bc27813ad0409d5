import Foundation
import Numerics

/// The geometric families: op-art ripples, woven plaid, cubist facets, Truchet tiles.
extension ProceduralStyle {
    /// Op-art (one of the two):
    ///
    /// - Ripples (60 %): 1–3 sets of concentric rings (6–20 per side, centres anywhere within
    ///   30 % of the picture around it), sometimes twisted into 1–4-armed spirals.
    /// - Waves (40 %): 10–24 parallel bands per side at a random angle, undulating with an
    ///   amplitude that swells and fades across the picture, pinched by a lens.
    ///
    /// Shown in two tones (the palette's ends; several ring sets as their XOR, a crisp moiré) or
    /// as bands cycling through 3–5 palette colours (several ring sets adding or subtracting
    /// their phases: ellipses and hyperbolas around their centres), hand-drawn with a slight wobble.
    static func ripples(_ size: Int, _ palette: StylePalette, _ g: inout SeededGenerator) -> Canvas {
        struct Ring { var centre: SIMD2<Float>; var frequency, phase, arms, sign: Float }
        let last = palette.colors.count - 1
        let twoTone = g.nextUniform() < 0.6
        var bandColors = [palette.colors[0], palette.colors[last]]
        if !twoTone {
            var picks = [g.nextInt(palette.colors.count)]
            for _ in 1..<(3 + g.nextInt(3)) { picks.append((picks.last! + 1 + g.nextInt(last)) % palette.colors.count) }
            bandColors = picks.map { palette.colors[$0] }
        }
        let warp = GradientNoise(seed: subSeed(&g)), wobble = uniform(&g, 0, 0.012)
        let s = Float(size)
        // The phase (in bands) and the two-tone value (a cosine, or a product of them) at a
        // point; bandsPerSide bounds how fast the phase changes, for antialiasing band edges.
        let pattern: (Float, Float) -> (phase: Float, tone: Float), bandsPerSide: Float
        if g.nextUniform() < 0.6 {
            let spiral = g.nextUniform() < 0.35
            let rings = (0..<(1 + g.nextInt(3))).map { _ in
                Ring(centre: SIMD2(uniform(&g, -0.3, 1.3), uniform(&g, -0.3, 1.3)), frequency: uniform(&g, 6, 20),
                     phase: uniform(&g, 0, 1), arms: spiral ? Float(1 + g.nextInt(4)) * (g.nextUniform() < 0.5 ? -1 : 1) : 0,
                     sign: g.nextUniform() < 0.5 ? -1 : 1)
            }
            bandsPerSide = twoTone ? rings.map(\.frequency).max()! : rings.map(\.frequency).reduce(0, +)
            pattern = { u, v in
                var sum: Float = 0, product: Float = 1
                for ring in rings {
                    let d = SIMD2(u, v) - ring.centre
                    var phase = (d * d).sum().squareRoot() * ring.frequency + ring.phase
                    if ring.arms != 0 { phase += ring.arms * atan2(d.y, d.x) / (2 * Float.pi) }
                    sum += ring.sign * phase; product *= cos(2 * Float.pi * phase)
                }
                return (sum, product)
            }
        } else {
            let angle = uniform(&g, 0, Float.pi), bands = uniform(&g, 10, 24)
            let waveFrequency = uniform(&g, 1.5, 5), amplitude = uniform(&g, 0.02, 0.07)
            let swell = GradientNoise(seed: subSeed(&g))
            let lens = SIMD2(uniform(&g, 0.2, 0.8), uniform(&g, 0.2, 0.8)), lensRadius = uniform(&g, 0.15, 0.35)
            let pinch = uniform(&g, -0.5, 0.5)
            let dx = cos(angle), dy = sin(angle)
            bandsPerSide = bands * 1.5
            pattern = { u, v in
                let along = u * dx + v * dy, across = -u * dy + v * dx
                let d = SIMD2(u, v) - lens
                let lensing = 1 + pinch * exp(-(d * d).sum() / (lensRadius * lensRadius))
                let a = amplitude * (0.6 + 1.4 * swell.fbm(u * 1.5, v * 1.5, octaves: 2))
                let phase = (across + a * sin(2 * Float.pi * waveFrequency * along)) * lensing * bands
                return (phase, cos(2 * Float.pi * phase))
            }
        }
        // A band's edge spans about a pixel: the phase changes by up to bandsPerSide per side unit.
        let edge = min(0.45, bandsPerSide / s)
        var canvas = Canvas(size: size, fill: .zero)
        canvas.fill { u, v in
            let x = u + wobble * warp.value(u * 9, v * 9), y = v + wobble * warp.value(u * 9 + 5.3, v * 9)
            let p = pattern(x, y)
            if twoTone {
                let toneEdge = 2 * Float.pi * edge   // the cosine's slope at its zeros
                return bandColors[0] + (bandColors[1] - bandColors[0]) * smoothstep(-toneEdge, toneEdge, p.tone)
            }
            let band = p.phase.rounded(.down), f = p.phase - band
            let n = bandColors.count, k = ((Int(band) % n) + n) % n
            let previous = bandColors[(k + n - 1) % n], c = bandColors[k]
            return previous + (c - previous) * smoothstep(-edge, edge, f) + (bandColors[(k + 1) % n] - c) * smoothstep(-edge, edge, f - 1)
        }
        return canvas
    }

    /// Tartan: a sett of 3–6 stripes (broad ones of 4–24 threads alternating between dark and light
    /// colours, thin 2-thread overchecks in any colour) mirrored about its ends, crossing itself
    /// (or, a third of the time, a different sett) in a 2/2 twill of threads 0.5–1.1 % of the side:
    /// warp and weft colours alternate along diagonals, each thread rounded and a little fuzzy.
    static func plaid(_ size: Int, _ palette: StylePalette, _ g: inout SeededGenerator) -> Canvas {
        let thread = uniform(&g, 0.005, 0.011)
        func sett() -> [SIMD3<Float>] {
            var stripes: [(Int, Int)] = []
            let half = palette.colors.count / 2
            for k in 0..<(3 + g.nextInt(4)) {
                // Broad stripes alternate between the palette's darker and lighter halves (so the
                // checks contrast); sometimes a thin overcheck in any colour.
                if g.nextUniform() < 0.3 {
                    stripes.append((g.nextInt(palette.colors.count), 2))
                } else {
                    let color = k % 2 == 0 ? g.nextInt(half) : half + g.nextInt(palette.colors.count - half)
                    stripes.append((color, 4 + g.nextInt(21)))
                }
            }
            let mirrored = stripes + stripes.dropFirst().dropLast().reversed()
            return mirrored.flatMap { stripe in [SIMD3<Float>](repeating: palette.colors[stripe.0], count: stripe.1) }
        }
        let warp = sett()
        let weft = g.nextUniform() < 0.35 ? sett() : warp
        let fuzz = GradientNoise(seed: subSeed(&g))
        let s = Float(size)
        // The twill's and threads' edges are softened to about a pixel: at small threads they blend.
        let soft = min(1, 1.5 / (thread * s))
        var canvas = Canvas(size: size, fill: .zero)
        canvas.fill { u, v in
            let tx = u / thread, ty = v / thread
            let i = Int(tx.rounded(.down)), j = Int(ty.rounded(.down))
            let warpColor = warp[((i % warp.count) + warp.count) % warp.count]
            let weftColor = weft[((j % weft.count) + weft.count) % weft.count]
            // 2/2 twill: warp on top along diagonal bands two threads wide.
            let over = smoothstep(-soft, soft, sin(Float.pi / 2 * (tx + ty)))
            let fx = tx - Float(i) - 0.5, fy = ty - Float(j) - 0.5
            let roundWarp = 1 - 0.35 * (1 - soft) * 4 * fx * fx, roundWeft = 1 - 0.35 * (1 - soft) * 4 * fy * fy
            let c = weftColor * roundWeft + (warpColor * roundWarp - weftColor * roundWeft) * over
            return c * (1 + 0.06 * fuzz.value(u * 150, v * 150))
        }
        return canvas
    }

    /// Cubist facets: 5–12 random lines cut the picture into polygons, each flat-coloured (from
    /// the palette, by a hash of its position relative to every line), shaded by a linear
    /// gradient in its own direction and darkened towards the cuts on one side of each (as
    /// cubist planes are modelled); sketchy dark outlines along some cuts; 0–3 translucent planes
    /// over it all; canvas grain.
    static func facets(_ size: Int, _ palette: StylePalette, _ g: inout SeededGenerator) -> Canvas {
        struct Cut { var normal: SIMD2<Float>; var offset, ink, shadow: Float }
        let cuts = (0..<(5 + g.nextInt(8))).map { _ -> Cut in
            let p = SIMD2(uniform(&g, 0.1, 0.9), uniform(&g, 0.1, 0.9)), a = uniform(&g, 0, Float.pi)
            let n = SIMD2(cos(a), sin(a))
            return Cut(normal: n, offset: (n * p).sum(), ink: g.nextUniform() < 0.6 ? uniform(&g, 0.3, 0.9) : 0,
                       shadow: g.nextUniform() < 0.5 ? -1 : 1)
        }
        let depth = uniform(&g, 0.2, 0.45), shadowWidth = uniform(&g, 0.02, 0.06)
        let facetSeed = UInt32(truncatingIfNeeded: subSeed(&g))
        let shading = uniform(&g, 0.6, 1.4), outline = uniform(&g, 0.003, 0.007)
        let ink = palette.colors[0] * 0.5
        let sketch = GradientNoise(seed: subSeed(&g))
        struct Plane { var centre, axis: SIMD2<Float>; var halfLength, halfWidth: Float; var color: SIMD3<Float> }
        let planes = (0..<g.nextInt(4)).map { _ -> Plane in
            let a = uniform(&g, 0, Float.pi)
            return Plane(centre: SIMD2(uniform(&g, 0.2, 0.8), uniform(&g, 0.2, 0.8)), axis: SIMD2(cos(a), sin(a)),
                         halfLength: uniform(&g, 0.15, 0.35), halfWidth: uniform(&g, 0.06, 0.18),
                         color: palette.colors[g.nextInt(palette.colors.count)])
        }
        let aa = 0.8 / Float(size)
        var canvas = Canvas(size: size, fill: .zero)
        canvas.fill { u, v in
            let p = SIMD2(u, v)
            var mask = 0, nearest = Float.infinity, nearestCut = 0, passage: Float = 1
            for (k, cut) in cuts.enumerated() {
                let d = (cut.normal * p).sum() - cut.offset
                if d > 0 { mask |= 1 << k }
                if abs(d) < nearest { nearest = abs(d); nearestCut = k }
                // Each cut darkens the facets on one of its sides towards it.
                passage *= 1 - depth * exp(-abs(d) / shadowWidth) * smoothstep(-aa, aa, d * cut.shadow)
            }
            func facet(_ mask: Int) -> SIMD3<Float> {
                let h1 = GradientNoise.uniform(mask, 1, facetSeed), h2 = GradientNoise.uniform(mask, 2, facetSeed)
                let gradient = SIMD2(cos(2 * Float.pi * h2), sin(2 * Float.pi * h2))
                return palette.color(Int(h1 * 997)) * (1 + shading * 0.5 * ((gradient * (p - 0.5)).sum()))
            }
            // Antialiased cut: this facet blended with its neighbour across the nearest cut.
            let own = facet(mask), across = facet(mask ^ (1 << nearestCut))
            var c = (across + (own - across) * smoothstep(-aa, aa, nearest)) * passage
            for plane in planes {
                let d = p - plane.centre
                let along = abs((d * plane.axis).sum()), across = abs(d.x * plane.axis.y - d.y * plane.axis.x)
                let inside = smoothstep(aa, -aa, max(along - plane.halfLength, across - plane.halfWidth))
                c += (plane.color - c) * inside * 0.35
            }
            // Outlines come and go along each line (charcoal pressed harder or lighter).
            let pressure = cuts[nearestCut].ink * smoothstep(-0.1, 0.25, sketch.value(u * 6, v * 6))
            return c + (ink - c) * pressure * smoothstep(outline + aa, outline - aa, nearest)
        }
        canvas.grain(amount: 0.06, frequency: 80, seed: subSeed(&g))
        return canvas
    }

    /// Truchet tiles, 3–9 across, each in a random orientation (one of the three, each a third
    /// of the time):
    /// - meanders: quarter discs at two opposite corners, the picture two-coloured so that
    ///   colours change across every arc;
    /// - pipes: bands along the same arcs, shaded as tubes with dark rims, on a plain ground;
    /// - triangles: each tile cut along a diagonal into a dark and a light half.
    static func truchet(_ size: Int, _ palette: StylePalette, _ g: inout SeededGenerator) -> Canvas {
        let perSide = Float(3 + g.nextInt(7)), mode = g.nextInt(3)
        let tileSeed = UInt32(truncatingIfNeeded: subSeed(&g))
        let last = palette.colors.count - 1
        let dark = palette.colors[g.nextInt(max(1, last / 2))], light = palette.colors[last - g.nextInt(max(1, last / 2))]
        let pipe = palette.colors[g.nextInt(max(1, palette.colors.count / 2))]   // darker than the ground
        let pipeHalfWidth = uniform(&g, 0.08, 0.2), variation = uniform(&g, 0, 0.1)
        let aa = 0.8 / Float(size) * perSide   // in tile units
        var canvas = Canvas(size: size, fill: .zero)
        canvas.fill { u, v in
            let x = u * perSide, y = v * perSide
            let i = Int(x.rounded(.down)), j = Int(y.rounded(.down))
            let orientation = GradientNoise.uniform(i, j, tileSeed) < 0.5
            var fx = x - Float(i), fy = y - Float(j)
            if orientation { fx = 1 - fx }
            let tone = 1 + variation * (GradientNoise.uniform(i, j, tileSeed &+ 1) - 0.5) * 2
            if mode == 2 {
                if GradientNoise.uniform(i, j, tileSeed &+ 2) < 0.5 { fy = 1 - fy }
                return (light + (dark - light) * smoothstep(-aa, aa, 1 - fx - fy)) * tone
            }
            let d0 = (fx * fx + fy * fy).squareRoot(), d1 = ((1 - fx) * (1 - fx) + (1 - fy) * (1 - fy)).squareRoot()
            let arc = min(abs(d0 - 0.5), abs(d1 - 0.5))   // distance to the nearer arc
            if mode == 0 {
                let inside = min(d0, d1) < 0.5
                let odd = (inside != orientation) != ((i + j) & 1 == 1)
                let t = smoothstep(-aa, aa, arc) * 0.5
                return (odd ? dark + (light - dark) * (0.5 - t) : dark + (light - dark) * (0.5 + t)) * tone
            }
            let a = arc / pipeHalfWidth
            guard a < 1 + aa / pipeHalfWidth else { return light * tone }
            let shade = (max(0, 1 - a * a)).squareRoot()
            let tube = pipe * (0.45 + 0.75 * shade) * tone
            let rim = smoothstep(0.7, 1, a)
            let c = tube + (dark * 0.6 - tube) * rim
            return light + (c - light) * smoothstep(pipeHalfWidth + aa, pipeHalfWidth - aa, arc)
        }
        return canvas
    }
}

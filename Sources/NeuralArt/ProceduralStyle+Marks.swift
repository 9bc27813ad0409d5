import Foundation
import Numerics

/// The families of repeated marks: stripes and hatching, dots.
extension ProceduralStyle {
    /// Stripes or hatching (one of the two, half the time each).
    ///
    /// - Stripes: bands 3–14 % of the side wide at a random angle, their borders wobbled by
    ///   fbm, colours cycling through a random sequence of palette colours, with a fine paint
    ///   texture along the bands and, sometimes, thin dark separators.
    /// - Hatching: ink lines (period 2.5–6 % of the side) on paper at 1–3 angles; a smooth tone
    ///   field decides where each layer is drawn (darker: more layers) and how thick its lines are.
    static func stripes(_ size: Int, _ palette: StylePalette, _ g: inout SeededGenerator) -> Canvas {
        let angle = uniform(&g, 0, Float.pi)
        let warpNoise = GradientNoise(seed: subSeed(&g))
        let aa = 0.8 / Float(size)
        if g.nextUniform() < 0.5 {
            let period = uniform(&g, 0.03, 0.14), wobble = uniform(&g, 0, 0.08)
            let warpFrequency = uniform(&g, 1, 4)
            let sequence = (0..<16).map { _ in g.nextInt(palette.colors.count) }
            let separators = g.nextUniform() < 0.4, separatorWidth = uniform(&g, 0.04, 0.12)
            let texture = GradientNoise(seed: subSeed(&g))
            let dx = cos(angle), dy = sin(angle)
            var canvas = Canvas(size: size, fill: .zero)
            canvas.fill { u, v in
                let along = u * dx + v * dy, across = -u * dy + v * dx
                let t = (along + wobble * warpNoise.fbm(u * warpFrequency, v * warpFrequency, octaves: 3)) / period
                let band = Int(t.rounded(.down)), f = t - t.rounded(.down)
                var c = palette.colors[sequence[((band % 16) + 16) % 16]]
                c *= 1 + 0.08 * texture.value(along * 8, across * 120)
                if separators {
                    let edge = min(f, 1 - f) * period
                    c *= 0.35 + 0.65 * smoothstep(separatorWidth * period * 0.5 - aa, separatorWidth * period * 0.5 + aa, edge)
                }
                return c
            }
            return canvas
        }
        let paperColor = g.nextUniform() < 0.5 ? paper(&g) : palette.colors[palette.colors.count - 1]
        let ink = palette.colors[0] * uniform(&g, 0.3, 0.9)
        let layers = 1 + g.nextInt(3)
        let period = uniform(&g, 0.025, 0.06)
        let tone = GradientNoise(seed: subSeed(&g)), toneFrequency = uniform(&g, 1.2, 3.5)
        let wobble = period * uniform(&g, 0, 0.6)
        let angles = (0..<layers).map { k in angle + Float(k) * Float.pi / Float(layers + 1) + uniform(&g, -0.2, 0.2) }
        let directions = angles.map { SIMD2(cos($0), sin($0)) }
        var canvas = Canvas(size: size, fill: paperColor)
        canvas.fill { u, v in
            // Darkness in [0, 1]: 0 paper, 1 fully hatched.
            let darkness = min(1, max(0, 0.5 + 1.6 * tone.fbm(u * toneFrequency, v * toneFrequency, octaves: 3)))
            var coverage: Float = 0
            for (k, d) in directions.enumerated() {
                let start = Float(k) / Float(layers + 1)
                guard darkness > start else { continue }
                let t = (u * d.x + v * d.y + wobble * warpNoise.value(u * 12, v * 12 + Float(k) * 3)) / period
                let distance = abs(t - t.rounded()) * period
                let halfWidth = period * (0.08 + 0.3 * min(1, (darkness - start) * 2))
                coverage = max(coverage, smoothstep(halfWidth + aa, halfWidth - aa, distance))
            }
            return paperColor + (ink - paperColor) * coverage
        }
        return canvas
    }

    /// Dots: pointillism (dots 2.4–5.6 % of the side across, packed on a jittered grid, coloured
    /// by a smooth field over the palette with random neighbours' colours mixed in, over a
    /// canvas colour) or halftone (a regular, possibly rotated grid of dots whose radius follows
    /// a tone field), or polka dots (equal dots in cycling colours on a plain ground).
    static func dots(_ size: Int, _ palette: StylePalette, _ g: inout SeededGenerator) -> Canvas {
        let mode = g.nextInt(3)   // 0 pointillism, 1 halftone, 2 polka
        let aa = 0.8 / Float(size)
        let cellSeed = UInt32(truncatingIfNeeded: subSeed(&g))
        let field = GradientNoise(seed: subSeed(&g)), fieldFrequency = uniform(&g, 1, 3.5)
        if mode == 0 {
            let radius = uniform(&g, 0.012, 0.028), cell = radius * uniform(&g, 1.3, 1.7)
            let ground = g.nextUniform() < 0.5 ? paper(&g) : palette.ramp(uniform(&g, 0, 1))
            let randomColors = uniform(&g, 0.15, 0.45), spread = uniform(&g, 1, 1.8)
            var canvas = Canvas(size: size, fill: ground)
            canvas.fill { u, v in
                let ci = Int((u / cell).rounded(.down)), cj = Int((v / cell).rounded(.down))
                var bestZ: Float = -1, color = ground, alpha: Float = 0
                for j in (cj - 1)...(cj + 1) {
                    for i in (ci - 1)...(ci + 1) {
                        let h1 = GradientNoise.uniform(i, j, cellSeed), h2 = GradientNoise.uniform(i, j, cellSeed &+ 1)
                        let cx = (Float(i) + h1) * cell, cy = (Float(j) + h2) * cell
                        let r = radius * (0.75 + 0.5 * GradientNoise.uniform(i, j, cellSeed &+ 2))
                        let d = ((u - cx) * (u - cx) + (v - cy) * (v - cy)).squareRoot()
                        let cover = smoothstep(r + aa, r - aa, d)
                        let z = GradientNoise.uniform(i, j, cellSeed &+ 3)
                        guard cover > 0 && z > bestZ else { continue }
                        bestZ = z; alpha = cover
                        let pick = GradientNoise.uniform(i, j, cellSeed &+ 4)
                        color = pick < randomColors
                            ? palette.color(Int(pick * 997))
                            : palette.ramp(0.5 + spread * field.fbm(cx * fieldFrequency, cy * fieldFrequency, octaves: 3)
                                           + 0.25 * (pick - 0.5))
                    }
                }
                return ground + (color - ground) * alpha
            }
            return canvas
        }
        let period = uniform(&g, 0.035, 0.1), angle = uniform(&g, 0, Float.pi / 4)
        let dx = cos(angle), dy = sin(angle)
        // Ground and ink at opposite ends of the palette; polka colours any but the ground's.
        let last = palette.colors.count - 1
        let lightGround = g.nextUniform() < 0.7
        let ground = palette.colors[lightGround ? last : 0], ink = palette.colors[lightGround ? 0 : last]
        let polkaRadius = period * uniform(&g, 0.2, 0.42), staggered = g.nextUniform() < 0.5
        let sequence = (0..<7).map { _ in lightGround ? g.nextInt(last) : 1 + g.nextInt(last) }
        var canvas = Canvas(size: size, fill: ground)
        canvas.fill { u, v in
            // Grid coordinates of the rotated lattice.
            let a = (u * dx + v * dy) / period, b = (-u * dy + v * dx) / period
            let row = Int(b.rounded()), shift: Float = staggered && row & 1 != 0 ? 0.5 : 0
            let col = Int((a - shift).rounded())
            let ca = Float(col) + shift, cb = Float(row)
            let d = ((a - ca) * (a - ca) + (b - cb) * (b - cb)).squareRoot() * period
            let r: Float, color: SIMD3<Float>
            if mode == 1 {
                let x = (ca * dx - cb * dy) * period, y = (ca * dy + cb * dx) * period   // the dot's centre
                let t = min(1, max(0, 0.5 + 1.5 * field.fbm(x * fieldFrequency, y * fieldFrequency, octaves: 3)))
                r = period * 0.62 * t.squareRoot()
                color = ink
            } else {
                r = polkaRadius
                color = palette.colors[sequence[(((col &+ 3 &* row) % 7) + 7) % 7]]
            }
            return ground + (color - ground) * smoothstep(r + aa, r - aa, d)
        }
        return canvas
    }
}

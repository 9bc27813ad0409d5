import Foundation
import Numerics

/// The families drawn with lines: pen contours and streamlines, paint drips, whirling dashes.
extension ProceduralStyle {
    /// Pen drawings on paper (one of the two, half the time each):
    ///
    /// - Topographic contours: isolines of an fbm height field, 12–30 across its range, of
    ///   constant width (the distance to an isoline is the height's distance over its gradient),
    ///   every 4th or 5th an index contour twice as thick; sometimes over faint hypsometric tints.
    /// - Streamlines: lines 15–45 % of the side long (and 10–20 % of the seeds' spacing wide),
    ///   traced both ways along a smooth flow field from a jittered grid of seeds 2–4.5 % of the
    ///   side apart, in 1–3 pen colours.
    static func contours(_ size: Int, _ palette: StylePalette, _ g: inout SeededGenerator) -> Canvas {
        let paperColor = g.nextUniform() < 0.6 ? paper(&g) : palette.colors[palette.colors.count - 1]
        let ink = palette.colors[0] * uniform(&g, 0.4, 1)
        let s = Float(size), aa = 0.8 / s
        if g.nextUniform() < 0.5 {
            let height = GradientNoise(seed: subSeed(&g)), frequency = uniform(&g, 1.2, 3)
            let spacing = uniform(&g, 0.025, 0.06), halfWidth = uniform(&g, 0.0035, 0.006)
            let index = 4 + g.nextInt(2)
            let tint = g.nextUniform() < 0.4 ? uniform(&g, 0.15, 0.35) : 0
            var canvas = Canvas(size: size, fill: paperColor)
            let e = 0.5 / s
            canvas.fill { u, v in
                func h(_ x: Float, _ y: Float) -> Float { height.fbm(x * frequency, y * frequency, octaves: 4) }
                let value = h(u, v)
                let gx = (h(u + e, v) - value) / e, gy = (h(u, v + e) - value) / e
                let gradient = max((gx * gx + gy * gy).squareRoot(), 1e-4)
                let t = value / spacing, nearest = t.rounded()
                let distance = abs(t - nearest) * spacing / gradient
                let w = Int(nearest) % index == 0 ? halfWidth * 2 : halfWidth
                let line = smoothstep(w + aa, w - aa, distance)
                let ground = paperColor + (palette.ramp(0.5 + 1.2 * value) * paperColor - paperColor) * tint
                return ground + (ink - ground) * line
            }
            canvas.grain(amount: 0.03, frequency: 90, seed: subSeed(&g))
            return canvas
        }
        let flow = GradientNoise(seed: subSeed(&g)), flowFrequency = uniform(&g, 0.8, 2.5)
        let baseAngle = uniform(&g, 0, Float.pi), turn = uniform(&g, 2, 5)
        let spacing = uniform(&g, 0.02, 0.045), halfWidth = spacing * uniform(&g, 0.1, 0.2)
        let length = uniform(&g, 0.15, 0.45)
        let pens = min(1 + g.nextInt(3), palette.colors.count - 1)
        let penColors = [ink] + (1..<pens).map { _ in palette.colors[g.nextInt(palette.colors.count - 1)] }
        var layers = [Coverage](repeating: Coverage(size: size), count: pens)
        let step = 0.7 / s, perSide = Int(1 / spacing)
        for j in 0..<perSide {
            for i in 0..<perSide {
                let x0 = (Float(i) + uniform(&g, 0, 1)) * spacing, y0 = (Float(j) + uniform(&g, 0, 1)) * spacing
                let l = length * uniform(&g, 0.5, 1.2), pen = g.nextInt(pens)
                for direction: Float in [-1, 1] {
                    var x = x0, y = y0
                    for _ in 0..<Int(l / 2 / step) {
                        layers[pen].disc(x, y, halfWidth)
                        let a = baseAngle + turn * flow.fbm(x * flowFrequency, y * flowFrequency, octaves: 2)
                        x += direction * step * cos(a); y += direction * step * sin(a)
                        guard x > -0.02 && x < 1.02 && y > -0.02 && y < 1.02 else { break }
                    }
                }
            }
        }
        var canvas = Canvas(size: size, fill: paperColor)
        for (layer, color) in zip(layers, penColors) { canvas.composite(layer, color) }
        canvas.grain(amount: 0.03, frequency: 90, seed: subSeed(&g))
        return canvas
    }

    /// Action painting: on a light, dark or coloured ground, 3–6 layers of paint, each 3–7 long
    /// drips (1–3 sides long, wandering with smoothly varying curvature, bouncing off the
    /// borders, their width swelling between 0.1 and 1.2 % of the side) and a spray of droplets.
    static func drips(_ size: Int, _ palette: StylePalette, _ g: inout SeededGenerator) -> Canvas {
        let last = palette.colors.count - 1
        let groundKind = g.nextUniform()
        let ground = groundKind < 0.5 ? paper(&g) : groundKind < 0.8 ? palette.colors[0] : palette.ramp(uniform(&g, 0.3, 0.7))
        let layers = 3 + g.nextInt(4)
        let wiggle = GradientNoise(seed: subSeed(&g))
        let s = Float(size), step = 0.5 / s
        var canvas = Canvas(size: size, fill: ground)
        for layer in 0..<layers {
            // Colours that stand out on the ground: light ones on a dark ground, and the reverse.
            var color = palette.colors[g.nextInt(palette.colors.count)]
            if abs(StylePalette.luma(color) - StylePalette.luma(ground)) < 0.15 {
                color = StylePalette.luma(ground) < 0.5 ? palette.colors[last] : palette.colors[0]
            }
            var cover = Coverage(size: size)
            let width = uniform(&g, 0.002, 0.007)
            for path in 0..<(3 + g.nextInt(5)) {
                var x = uniform(&g, 0, 1), y = uniform(&g, 0, 1), heading = uniform(&g, 0, 2 * Float.pi)
                let length = uniform(&g, 1, 3), curl = uniform(&g, 10, 40)
                let lane = Float(layer * 8 + path) * 7.3
                var t: Float = 0
                while t < length {
                    let swell = 0.5 + wiggle.value(t * 9, lane + 3.1)
                    cover.disc(x, y, width * (0.15 + 1.6 * swell * swell))
                    heading += curl * step * wiggle.fbm(t * 3, lane, octaves: 2)
                    x += step * cos(heading); y += step * sin(heading)
                    if x < 0 || x > 1 { heading = Float.pi - heading; x = min(max(x, 0), 1) }
                    if y < 0 || y > 1 { heading = -heading; y = min(max(y, 0), 1) }
                    t += step
                }
            }
            for _ in 0..<(20 + g.nextInt(80)) {
                let r = width * uniform(&g, 0.3, 1.5)
                cover.disc(uniform(&g, 0, 1), uniform(&g, 0, 1), r)
            }
            canvas.composite(cover, color * uniform(&g, 0.9, 1.1))
        }
        canvas.grain(amount: 0.04, frequency: 70, seed: subSeed(&g))
        return canvas
    }

    /// Whirls: 2–4 vortices in a gently undulating drift; short thick dashes (2.5–4.5 % of the side
    /// long, a third as wide, rounded, with darker rims) laid along the flow until the canvas is
    /// covered about 1.8 times, coloured from rings around the vortices (their centres lightest,
    /// like haloed stars) with random neighbours' colours mixed in.
    static func whirls(_ size: Int, _ palette: StylePalette, _ g: inout SeededGenerator) -> Canvas {
        struct Vortex { var centre: SIMD2<Float>; var radius, spin: Float }
        let vortices = (0..<(2 + g.nextInt(3))).map { _ in
            Vortex(centre: SIMD2(uniform(&g, 0.1, 0.9), uniform(&g, 0.1, 0.9)), radius: uniform(&g, 0.12, 0.3),
                   spin: g.nextUniform() < 0.5 ? -1 : 1)
        }
        let drift = uniform(&g, 0, 2 * Float.pi), undulation = uniform(&g, 2, 6)
        let ringPeriod = uniform(&g, 0.05, 0.12)
        let field = GradientNoise(seed: subSeed(&g))
        let length = uniform(&g, 0.025, 0.045), width = length * uniform(&g, 0.28, 0.4)
        let randomColors = uniform(&g, 0.1, 0.3), rim = uniform(&g, 0.1, 0.35)
        func flowAngle(_ p: SIMD2<Float>) -> Float {
            var f = 0.6 * SIMD2(cos(drift + 0.6 * sin(undulation * p.y)), sin(drift + 0.6 * sin(undulation * p.x)))
            for vortex in vortices {
                let d = p - vortex.centre, r = max((d * d).sum().squareRoot(), 1e-4)
                let fall = 2.2 * exp(-(r / vortex.radius) * (r / vortex.radius))
                f += vortex.spin * fall * SIMD2(-d.y, d.x) / r
            }
            return atan2(f.y, f.x)
        }
        func tone(_ p: SIMD2<Float>) -> Float {
            let r = vortices.map { v -> Float in let d = p - v.centre; return (d * d).sum().squareRoot() }.min()!
            let rings = 0.5 + 0.35 * cos(2 * Float.pi * r / ringPeriod) + 0.6 * field.fbm(p.x * 2.5, p.y * 2.5, octaves: 2)
            return rings + 0.6 * exp(-r * r / (ringPeriod * ringPeriod * 0.5))   // the centre glows
        }
        var canvas = Canvas(size: size, fill: .zero)
        canvas.fill { u, v in palette.ramp(tone(SIMD2(u, v))) * 0.9 }
        let s = Float(size), aa = 0.8 / s
        let count = min(12000, Int(1.8 / (length * width)))
        for _ in 0..<count {
            let c = SIMD2(uniform(&g, -0.02, 1.02), uniform(&g, -0.02, 1.02))
            let a = flowAngle(c) + uniform(&g, -0.15, 0.15)
            let half = length * uniform(&g, 0.35, 0.55), r = width / 2 * uniform(&g, 0.85, 1.15)
            var color = g.nextUniform() < Double(randomColors)
                ? palette.color(g.nextInt(palette.colors.count)) : palette.ramp(tone(c) + uniform(&g, -0.08, 0.08))
            color *= uniform(&g, 0.92, 1.08)
            let axis = SIMD2(cos(a), sin(a)) * half
            let reach = half + r + aa
            let x0 = max(0, Int((c.x - reach) * s)), x1 = min(size - 1, Int((c.x + reach) * s))
            let y0 = max(0, Int((c.y - reach) * s)), y1 = min(size - 1, Int((c.y + reach) * s))
            guard x0 <= x1 && y0 <= y1 else { continue }
            let axis2 = (axis * axis).sum()
            for y in y0...y1 {
                for x in x0...x1 {
                    // Distance to the segment c ± axis (a capsule of radius r).
                    let p = SIMD2((Float(x) + 0.5) / s, (Float(y) + 0.5) / s) - c
                    let t = min(1, max(-1, (p * axis).sum() / axis2))
                    let q = p - axis * t, d = (q * q).sum().squareRoot()
                    let alpha = smoothstep(r + aa, r - aa, d)
                    guard alpha > 0 else { continue }
                    let shaded = color * (1 - rim * smoothstep(r * 0.5, r, d))
                    canvas[x, y] += (shaded - canvas[x, y]) * alpha
                }
            }
        }
        return canvas
    }
}

/// How much of each pixel a set of marks covers, in [0, 1]: marks combine by their maximum, so
/// overlapping stamps along a line do not darken where they overlap.
struct Coverage {
    let size: Int
    var values: [Float]

    init(size: Int) { self.size = size; values = [Float](repeating: 0, count: size * size) }

    /// Covers an antialiased disc at (x, y) of radius `radius`, in side units. Discs thinner than
    /// a pixel keep a pixel's footprint and cover proportionally less (thin lines fade, not alias).
    mutating func disc(_ x: Float, _ y: Float, _ radius: Float) {
        let s = Float(size), aa = 0.8 / s
        let r = max(radius, 0.5 / s), strength = min(1, radius / r)
        let x0 = max(0, Int((x - r - aa) * s)), x1 = min(size - 1, Int((x + r + aa) * s))
        let y0 = max(0, Int((y - r - aa) * s)), y1 = min(size - 1, Int((y + r + aa) * s))
        guard x0 <= x1 && y0 <= y1 else { return }
        for py in y0...y1 {
            let dy = (Float(py) + 0.5) / s - y
            for px in x0...x1 {
                let dx = (Float(px) + 0.5) / s - x
                let c = strength * smoothstep(r + aa, r - aa, (dx * dx + dy * dy).squareRoot())
                let i = py * size + px
                if c > values[i] { values[i] = c }
            }
        }
    }
}

extension Canvas {
    /// Paints `color` over the picture where `coverage` covers it.
    mutating func composite(_ coverage: Coverage, _ color: SIMD3<Float>) {
        precondition(coverage.size == size, "Canvas.composite: coverage \(coverage.size) for a \(size)-px canvas")
        for y in 0..<size {
            for x in 0..<size {
                let c = coverage.values[y * size + x]
                if c > 0 { self[x, y] += (color - self[x, y]) * c }
            }
        }
    }
}

import Foundation
import Numerics

/// The families of surfaces: cracked glaze, camouflage, palette-knife impasto.
extension ProceduralStyle {
    /// Craquelure: a glaze (a gentle field over the palette's lighter part) broken into plates
    /// 4.5–10 % of the side across by jagged, warped Voronoi cracks of varying width, with
    /// fragments of finer cracks 2.5–4 times smaller between them; each plate's tone varies a
    /// little and its rim, curled up, catches light on one side.
    static func crackle(_ size: Int, _ palette: StylePalette, _ g: inout SeededGenerator) -> Canvas {
        let perSide = uniform(&g, 10, 22), fine = perSide * uniform(&g, 2.5, 4)
        let seeds = (UInt32(truncatingIfNeeded: subSeed(&g)), UInt32(truncatingIfNeeded: subSeed(&g)))
        let warp = GradientNoise(seed: subSeed(&g)), warpAmount = uniform(&g, 0.25, 0.5)
        let glaze = GradientNoise(seed: subSeed(&g)), glazeFrequency = uniform(&g, 1, 3)
        let glazeTone = uniform(&g, 0.55, 0.85), glazeRange = uniform(&g, 0.3, 0.9)
        let fragments = GradientNoise(seed: subSeed(&g)), fineAmount = uniform(&g, 0.3, 0.8)
        let halfWidth = uniform(&g, 0.0015, 0.0035), plateTone = uniform(&g, 0.02, 0.07), curl = uniform(&g, 0.04, 0.12)
        let crackColor = palette.colors[0] * uniform(&g, 0.2, 0.5)
        let aa = 0.8 / Float(size)
        var canvas = Canvas(size: size, fill: .zero)
        canvas.fill { u, v in
            // Warp in plate units (two scales: wandering and jagged), so cracks wander a fraction of a plate.
            let wf = perSide * 0.5, jag = perSide * 3
            let wx = u + warpAmount / perSide * (warp.fbm(u * wf, v * wf, octaves: 2) + 0.3 * warp.value(u * jag, v * jag + 3.3))
            let wy = v + warpAmount / perSide * (warp.fbm(u * wf + 7.7, v * wf, octaves: 2) + 0.3 * warp.value(u * jag + 5.1, v * jag))
            let big = voronoiEdge(wx * perSide, wy * perSide, seed: seeds.0)
            let bigEdge = big.edge / perSide
            var c = palette.ramp(glazeTone + glazeRange * glaze.fbm(u * glazeFrequency, v * glazeFrequency, octaves: 3))
            c *= 1 + plateTone * (GradientNoise.uniform(big.cell.0, big.cell.1, seeds.0 &+ 7) - 0.5) * 2
            // The plate's curled rim: lighter towards its upper-left cracks, darker towards the others.
            let rim = 1 - smoothstep(0, 0.15 / perSide, bigEdge)
            let facing = GradientNoise.uniform(big.cell.0, big.cell.1, seeds.0 &+ 9) < 0.5 ? Float(1) : -1
            c *= 1 + curl * rim * facing
            // Crack widths vary along the network; fine cracks appear only as fragments.
            let width = halfWidth * (0.6 + 0.8 * (0.5 + fragments.value(u * 12, v * 12)))
            let fineAlpha = fineAmount * smoothstep(0.05, 0.2, fragments.value(u * fine * 0.7, v * fine * 0.7))
            if fineAlpha > 0 {
                let smallEdge = voronoiEdge(wx * fine, wy * fine, seed: seeds.1).edge / fine
                c += (crackColor - c) * fineAlpha * smoothstep(width * 0.6 + aa, width * 0.6 - aa, smallEdge)
            }
            return c + (crackColor - c) * smoothstep(width + aa, width - aa, bigEdge)
        }
        return canvas
    }

    /// The distance from (x, y) (in cell units) to the nearest edge of the Voronoi diagram of a
    /// jittered grid (one site per unit cell), and the cell of the nearest site (Quilez's
    /// two-pass method: the nearest site among 3 × 3 cells, then the nearest bisector among 5 × 5).
    static func voronoiEdge(_ x: Float, _ y: Float, seed: UInt32) -> (edge: Float, cell: (Int, Int)) {
        let ix = Int(x.rounded(.down)), iy = Int(y.rounded(.down))
        let p = SIMD2(x, y)
        @inline(__always) func site(_ i: Int, _ j: Int) -> SIMD2<Float> {
            SIMD2(Float(i) + 0.1 + 0.8 * GradientNoise.uniform(i, j, seed), Float(j) + 0.1 + 0.8 * GradientNoise.uniform(i, j, seed &+ 1))
        }
        var nearest = SIMD2<Float>(0, 0), best = Float.infinity, cell = (ix, iy)
        for j in (iy - 1)...(iy + 1) {
            for i in (ix - 1)...(ix + 1) {
                let r = site(i, j) - p, d = (r * r).sum()
                if d < best { best = d; nearest = r; cell = (i, j) }
            }
        }
        var edge = Float.infinity
        for j in (cell.1 - 2)...(cell.1 + 2) {
            for i in (cell.0 - 2)...(cell.0 + 2) where i != cell.0 || j != cell.1 {
                let r = site(i, j) - p, ab = r - nearest
                let len = (ab * ab).sum().squareRoot()
                edge = min(edge, ((nearest + r) * 0.5 * ab).sum() / len)
            }
        }
        return (edge, cell)
    }

    /// Camouflage: 3–4 palette colours stacked as hard-edged layers, each where a domain-warped
    /// fbm field exceeds a threshold, over the first; a third of the time pixelated into squares
    /// 1.2–2.5 % of the side (digital camouflage); a fine woven texture.
    static func camo(_ size: Int, _ palette: StylePalette, _ g: inout SeededGenerator) -> Canvas {
        var order = Array(palette.colors.indices)
        for k in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(k, g.nextInt(k + 1)) }
        let count = min(3 + g.nextInt(2), order.count)
        let colors = order.prefix(count).map { palette.colors[$0] }
        struct Layer { var noise: GradientNoise; var frequency, threshold: Float }
        let layers = (1..<count).map { _ in
            Layer(noise: GradientNoise(seed: subSeed(&g)), frequency: uniform(&g, 2.5, 5), threshold: uniform(&g, -0.02, 0.15))
        }
        let warp = GradientNoise(seed: subSeed(&g)), warpAmount = uniform(&g, 0.03, 0.1)
        let pixelated = g.nextUniform() < 0.33, pixel = uniform(&g, 0.012, 0.025)
        let texture = GradientNoise(seed: subSeed(&g))
        let edge: Float = pixelated ? 1e-4 : 2.0 / Float(size)
        var canvas = Canvas(size: size, fill: .zero)
        canvas.fill { u, v in
            var x = u, y = v
            if pixelated { x = ((u / pixel).rounded(.down) + 0.5) * pixel; y = ((v / pixel).rounded(.down) + 0.5) * pixel }
            let wx = x + warpAmount * warp.fbm(x * 3, y * 3, octaves: 2), wy = y + warpAmount * warp.fbm(x * 3 + 4.1, y * 3, octaves: 2)
            var c = colors[0]
            for (k, layer) in layers.enumerated() {
                let f = layer.noise.fbm(wx * layer.frequency, wy * layer.frequency, octaves: 3)
                c += (colors[k + 1] - c) * smoothstep(layer.threshold - edge, layer.threshold + edge, f)
            }
            let weave = texture.value(u * 140, v * 20) + texture.value(u * 20 + 3.3, v * 140)
            return c * (1 + 0.05 * weave)
        }
        return canvas
    }

    /// Palette-knife impasto: over a ground, slabs of paint (rotated rectangles 10–25 % of the side
    /// long, 35–70 % as wide, with ragged ends) laid until the canvas is covered about 2.2 times,
    /// mostly near one direction; each flat in one colour (a smooth field over the palette, some
    /// random), scraped thin in streaks along the knife's drag, with a lit ridge on one long edge
    /// and a shadow on the other.
    static func impasto(_ size: Int, _ palette: StylePalette, _ g: inout SeededGenerator) -> Canvas {
        let length = uniform(&g, 0.1, 0.25), aspect = uniform(&g, 0.35, 0.7)
        let baseAngle = g.nextUniform() < 0.5 ? Float(g.nextInt(2)) * Float.pi / 2 : uniform(&g, 0, Float.pi)
        let spread = uniform(&g, 0.1, 0.6)
        let field = GradientNoise(seed: subSeed(&g)), fieldFrequency = uniform(&g, 1, 3)
        let randomColors = uniform(&g, 0.1, 0.3), scrape = uniform(&g, 0.1, 0.35)
        let streaks = GradientNoise(seed: subSeed(&g))
        let count = min(3000, Int(2.2 / (length * length * aspect)))
        var canvas = Canvas(size: size, fill: palette.ramp(uniform(&g, 0.2, 0.8)))
        let s = Float(size), aa = 0.8 / s
        for k in 0..<count {
            let c = SIMD2(uniform(&g, -0.05, 1.05), uniform(&g, -0.05, 1.05))
            let a = baseAngle + spread * uniform(&g, -1, 1)
            let halfLength = length / 2 * uniform(&g, 0.7, 1.3), halfWidth = halfLength * aspect * uniform(&g, 0.8, 1.2)
            var color = g.nextUniform() < Double(randomColors)
                ? palette.color(g.nextInt(palette.colors.count))
                : palette.ramp(0.5 + 1.4 * field.fbm(c.x * fieldFrequency, c.y * fieldFrequency, octaves: 3))
            color *= uniform(&g, 0.92, 1.08)
            let lane = Float(k) * 1.618
            let dx = cos(a), dy = sin(a)
            let reach = (halfLength * 1.1 + halfWidth) * s
            let x0 = max(0, Int(c.x * s - reach)), x1 = min(size - 1, Int(c.x * s + reach))
            let y0 = max(0, Int(c.y * s - reach)), y1 = min(size - 1, Int(c.y * s + reach))
            guard x0 <= x1 && y0 <= y1 else { continue }
            for y in y0...y1 {
                for x in x0...x1 {
                    let px = (Float(x) + 0.5) / s - c.x, py = (Float(y) + 0.5) / s - c.y
                    let along = px * dx + py * dy, across = -px * dy + py * dx
                    guard abs(along) < halfLength * 1.1 + aa && abs(across) < halfWidth + aa else { continue }
                    // Ragged ends: the slab's length varies across it.
                    let end = halfLength * (1 + 0.08 * streaks.value(across * 40, lane))
                    let inside = smoothstep(aa, -aa, abs(along) - end) * smoothstep(aa, -aa, abs(across) - halfWidth)
                    guard inside > 0 else { continue }
                    // Streaks along the drag: thin paint where the knife scraped.
                    let streak = streaks.value(across * 70, along * 5 + lane)
                    let alpha = inside * (1 - scrape * smoothstep(0.15, 0.45, streak))
                    let side = across / halfWidth   // −1 lit ridge … +1 shadowed edge
                    let light = 1 + 0.35 * smoothstep(-0.8, -1, side) - 0.3 * smoothstep(0.8, 1, side) + 0.08 * streak
                    canvas[x, y] += (color * light - canvas[x, y]) * alpha
                }
            }
        }
        canvas.grain(amount: 0.04, frequency: 90, seed: subSeed(&g))
        return canvas
    }
}

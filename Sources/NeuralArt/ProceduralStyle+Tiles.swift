import Numerics

/// The families made of pieces: stained-glass cells and mosaic tiles.
extension ProceduralStyle {
    /// Stained glass: 9–64 Voronoi cells (3–8 across, jittered-grid sites) of mottled glass, brighter at
    /// their centres, between dark lead lines 1.2–3 % of the side wide.
    static func cells(_ size: Int, _ palette: StylePalette, _ g: inout SeededGenerator) -> Canvas {
        let perSide = 3 + g.nextInt(6)   // 3…8 cells across
        let jitter = uniform(&g, 0.5, 1)
        var sites: [SIMD2<Float>] = [], colors: [SIMD3<Float>] = []
        for j in 0..<perSide {
            for i in 0..<perSide {
                let x = (Float(i) + 0.5 + jitter * uniform(&g, -0.5, 0.5)) / Float(perSide)
                let y = (Float(j) + 0.5 + jitter * uniform(&g, -0.5, 0.5)) / Float(perSide)
                sites.append(SIMD2(x, y))
                // Glass colours avoid the palette's darkest entry (that reads as lead).
                // Glass glows: its brightest component lifted to 0.55–1, hue and saturation kept.
                let c = palette.colors[1 + g.nextInt(palette.colors.count - 1)]
                colors.append(clamp01(c / max(c.max(), 0.05) * uniform(&g, 0.55, 1)))
            }
        }
        let lead = SIMD3<Float>(repeating: uniform(&g, 0.03, 0.12)) + palette.colors[0] * 0.1
        let halfWidth = uniform(&g, 0.006, 0.015), aa = 0.8 / Float(size)
        let mottle = GradientNoise(seed: subSeed(&g)), mottleAmount = uniform(&g, 0.05, 0.18)
        let glow = uniform(&g, 0.05, 0.3)
        let cellRadius = 0.7 / Float(perSide)
        var canvas = Canvas(size: size, fill: lead)
        canvas.fill { u, v in
            let p = SIMD2(u, v)
            var best = 0, bestD = Float.infinity
            for (k, s) in sites.enumerated() {
                let d = ((p - s) * (p - s)).sum()
                if d < bestD { bestD = d; best = k }
            }
            // Distance to the nearest bisector (the cell's edge).
            let a = sites[best]
            var edge = Float.infinity
            for (k, b) in sites.enumerated() where k != best {
                let ab = b - a, len = (ab * ab).sum().squareRoot()
                let d = ((a + b) * 0.5 - p) * ab
                edge = min(edge, d.sum() / len)
            }
            let shade = 1 + mottleAmount * mottle.fbm(u * 9, v * 9, octaves: 3)
                + glow * (1 - min(bestD.squareRoot() / cellRadius, 1)) - glow / 2
            let glass = colors[best] * shade
            let t = smoothstep(halfWidth - aa, halfWidth + aa, edge)
            return lead + (glass - lead) * t
        }
        return canvas
    }

    /// Mosaic: tiles 2.5–7 % of the side in a square grid, a brick bond or irregular rows
    /// (jittered joints), coloured from a smooth "picture" field with per-tile variation,
    /// bevelled edges and grout (light or dark) 10–25 % of a tile wide.
    static func mosaic(_ size: Int, _ palette: StylePalette, _ g: inout SeededGenerator) -> Canvas {
        let tile = uniform(&g, 0.025, 0.07)
        let layout = g.nextInt(3)   // 0 grid, 1 brick bond, 2 irregular rows
        let grout = tile * uniform(&g, 0.1, 0.25)
        // Grout contrasts with the tiles: light under a dark palette, dark under a light one.
        let lightGrout = StylePalette.luma(palette.ramp(0.5)) < 0.5
        let groutColor = lightGrout
            ? SIMD3<Float>(repeating: uniform(&g, 0.7, 0.9)) * SIMD3(1, 0.98, 0.94)
            : SIMD3<Float>(repeating: uniform(&g, 0.08, 0.22))
        let field = GradientNoise(seed: subSeed(&g)), fieldFrequency = uniform(&g, 1.5, 4)
        let tileSeed = UInt32(truncatingIfNeeded: subSeed(&g))
        let variation = uniform(&g, 0.05, 0.2), oddTiles = uniform(&g, 0, 0.25)
        let jointJitter: Float = layout == 2 ? 0.35 : 0
        let texture = GradientNoise(seed: subSeed(&g))
        let aa = 0.8 / Float(size)
        var canvas = Canvas(size: size, fill: groutColor)
        canvas.fill { u, v in
            let row = Int((v / tile).rounded(.down))
            let shift: Float = layout == 1 ? (row & 1 == 0 ? 0 : 0.5) : (layout == 2 ? GradientNoise.uniform(row, 7, tileSeed) : 0)
            let x = u / tile + shift
            // The joint k sits at k + jitter(row, k); find the tile between two joints.
            func joint(_ k: Int) -> Float { Float(k) + jointJitter * (GradientNoise.uniform(row, k, tileSeed) - 0.5) }
            var k = Int(x.rounded(.down))
            if x < joint(k) { k -= 1 } else if x >= joint(k + 1) { k += 1 }
            let left = joint(k), right = joint(k + 1)
            let fy = v / tile - Float(row)
            // Distance to the tile's border, in side units.
            let dx = min(x - left, right - x) * tile, dy = min(fy, 1 - fy) * tile
            let inset = min(dx, dy) - grout / 2
            let cx = (left + right) / 2 - shift, cy = Float(row) + 0.5
            let h = GradientNoise.uniform(k &* 31 &+ row, row &* 17 &- k, tileSeed)
            var color = palette.ramp(0.5 + 1.3 * field.fbm(cx * tile * fieldFrequency, cy * tile * fieldFrequency, octaves: 3))
            if h < oddTiles { color = palette.color(Int(h * 1000)) }
            color *= 1 + variation * (GradientNoise.uniform(row, k &+ 1000, tileSeed) - 0.5) * 2
            color *= 1 + 0.06 * texture.value(u * 60, v * 60)
            // Bevel: darker within 15 % of a tile from the grout.
            color *= 0.8 + 0.2 * smoothstep(0, 0.15 * tile, inset)
            let t = smoothstep(-aa, aa, inset)
            return groutColor + (color - groutColor) * t
        }
        return canvas
    }
}

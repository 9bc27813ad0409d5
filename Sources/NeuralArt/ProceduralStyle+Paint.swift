import Foundation
import Numerics

/// The painterly families: marbling, brush strokes and watercolour washes.
extension ProceduralStyle {
    /// Marbling: fbm warped twice by itself (q = fbm(p), r = fbm(p + w·q), v = fbm(p + w·r)),
    /// shown either as contour bands of flat palette colours with thin veins at their borders
    /// (like the bundled swirls) or as a smooth ramp with dark veins.
    static func marble(_ size: Int, _ palette: StylePalette, _ g: inout SeededGenerator) -> Canvas {
        let noise = (0..<3).map { _ in GradientNoise(seed: subSeed(&g)) }
        let frequency = uniform(&g, 0.8, 2.2), warp = uniform(&g, 1, 3)
        let bands = uniform(&g, 4, 12)
        let banded = g.nextUniform() < 0.6
        // Bands alternate between the palette's darker and lighter halves, so neighbours contrast.
        let half = palette.colors.count / 2
        let order = (0..<12).map { k in k % 2 == 0 ? g.nextInt(half) : half + g.nextInt(palette.colors.count - half) }
        let veinColor = g.nextUniform() < 0.7 ? palette.colors[0] * 0.6 : palette.colors[palette.colors.count - 1]
        let veinWidth = uniform(&g, 0.03, 0.09)
        var canvas = Canvas(size: size, fill: .zero)
        canvas.fill { u, v in
            let x = u * frequency, y = v * frequency
            let qx = noise[0].fbm(x, y, octaves: 3), qy = noise[0].fbm(x + 5.2, y + 1.3, octaves: 3)
            let rx = noise[1].fbm(x + warp * qx + 1.7, y + warp * qy + 9.2, octaves: 3)
            let ry = noise[1].fbm(x + warp * qx + 8.3, y + warp * qy + 2.8, octaves: 3)
            let value = noise[2].fbm(x + warp * rx, y + warp * ry, octaves: 3, gain: 0.4)
            let t = (value + 0.7) * bands
            let band = Int(t.rounded(.down)), f = t - t.rounded(.down)
            let edge = min(f, 1 - f)   // distance to a band border, in band units
            let vein = 1 - smoothstep(veinWidth * 0.5, veinWidth, edge)
            if banded {
                let c = palette.colors[order[((band % 12) + 12) % 12]]
                return c + (veinColor - c) * vein * 0.85
            }
            let c = palette.ramp(0.5 + 0.5 * sin(t * 0.9))
            return c + (veinColor - c) * vein * 0.6
        }
        return canvas
    }

    /// Brush strokes: tapered, slightly curved strokes 6–16 % of the side long and 1.5–4 % wide,
    /// laid in random order along a smooth flow field until the canvas is covered about 2.5
    /// times; colours follow a smooth field over the palette with per-stroke jitter; bristles
    /// streak each stroke along its length.
    static func strokes(_ size: Int, _ palette: StylePalette, _ g: inout SeededGenerator) -> Canvas {
        let length = uniform(&g, 0.06, 0.16), width = length * uniform(&g, 0.2, 0.4)
        let flow = GradientNoise(seed: subSeed(&g)), flowFrequency = uniform(&g, 0.8, 2.5)
        let baseAngle = uniform(&g, 0, Float.pi)
        let colorField = GradientNoise(seed: subSeed(&g)), colorFrequency = uniform(&g, 1, 3)
        let randomColors = uniform(&g, 0.1, 0.4)
        let count = min(8000, Int(2.5 / (length * width)))
        var canvas = Canvas(size: size, fill: palette.ramp(uniform(&g, 0.3, 0.8)))
        let s = Float(size)
        for k in 0..<count {
            let cx = Float(g.nextUniform()), cy = Float(g.nextUniform())
            let angle = baseAngle + 2.5 * flow.fbm(cx * flowFrequency, cy * flowFrequency, octaves: 2)
                + uniform(&g, -0.15, 0.15)
            let l = length * uniform(&g, 0.7, 1.3), w = width * uniform(&g, 0.8, 1.2)
            let bend = uniform(&g, -1.5, 1.5) / l
            var color = g.nextUniform() < Double(randomColors)
                ? palette.color(g.nextInt(palette.colors.count))
                : palette.ramp(0.5 + 1.4 * colorField.fbm(cx * colorFrequency, cy * colorFrequency, octaves: 3))
            color *= uniform(&g, 0.9, 1.1)
            let opacity = uniform(&g, 0.75, 1)
            let bristleSeed = UInt32(truncatingIfNeeded: k &* 7919) ^ UInt32(truncatingIfNeeded: g.next())
            let dx = cos(angle), dy = sin(angle)
            let reach = (l / 2 + w) * s
            let x0 = max(0, Int(cx * s - reach)), x1 = min(size - 1, Int(cx * s + reach))
            let y0 = max(0, Int(cy * s - reach)), y1 = min(size - 1, Int(cy * s + reach))
            guard x0 <= x1 && y0 <= y1 else { continue }
            let aa = 0.8 / s
            for y in y0...y1 {
                for x in x0...x1 {
                    let px = (Float(x) + 0.5) / s - cx, py = (Float(y) + 0.5) / s - cy
                    let along = px * dx + py * dy
                    let across = -px * dy + py * dx - bend * along * along
                    let a = 2 * along / l
                    guard abs(a) < 1.05 else { continue }
                    let taper = w / 2 * (1 - a * a * a * a).squareRoot()
                    let inside = smoothstep(taper + aa, taper - aa, abs(across))
                    guard inside > 0 else { continue }
                    // Bristles: streaks across the stroke, constant along it.
                    let streak = GradientNoise.uniform(Int((across / w + 0.5) * 9), 0, bristleSeed)
                    let alpha = inside * opacity * (0.75 + 0.25 * streak) * smoothstep(1.05, 0.85, abs(a))
                    let shaded = color * (0.9 + 0.15 * streak)
                    canvas[x, y] += (shaded - canvas[x, y]) * alpha
                }
            }
        }
        return canvas
    }

    /// Watercolour washes on paper: 3–6 layers, each a thresholded fbm blob field in one palette
    /// colour, multiplied onto the paper (pigments are subtractive), with pigment pooled at the
    /// blobs' edges and a fine granulation; the paper's grain over it all.
    static func wash(_ size: Int, _ palette: StylePalette, _ g: inout SeededGenerator) -> Canvas {
        let paperColor = paper(&g)
        let layers = 3 + g.nextInt(4)
        struct Layer { var noise: GradientNoise; var frequency, threshold, softness, density: Float; var color: SIMD3<Float> }
        let spec = (0..<layers).map { k in
            Layer(noise: GradientNoise(seed: subSeed(&g)), frequency: uniform(&g, 1.2, 4.5),
                  threshold: k == 0 ? uniform(&g, -0.35, -0.1) : uniform(&g, -0.1, 0.2),
                  softness: uniform(&g, 0.02, 0.1), density: uniform(&g, 0.35, 0.8),
                  // The first, widest wash in a light colour; later ones in any but the darkest.
                  color: k == 0 ? palette.colors[palette.colors.count - 1 - g.nextInt(2)]
                      : palette.colors[1 + g.nextInt(palette.colors.count - 1)])
        }
        let granulation = GradientNoise(seed: subSeed(&g))
        var canvas = Canvas(size: size, fill: paperColor)
        canvas.fill { u, v in
            var c = paperColor
            for layer in spec {
                let f = layer.noise.fbm(u * layer.frequency, v * layer.frequency, octaves: 4, gain: 0.45)
                let mask = smoothstep(layer.threshold, layer.threshold + layer.softness, f)
                guard mask > 0 else { continue }
                let rim = (f - layer.threshold - layer.softness) / 0.04
                let pooled = mask * (1 + 0.5 * exp(-rim * rim))
                let grain = 0.85 + 0.3 * (0.5 + granulation.value(u * 70, v * 70))
                let d = min(1, layer.density * pooled * grain)
                c *= SIMD3(repeating: 1) + (layer.color - SIMD3(repeating: 1)) * d
            }
            return c
        }
        canvas.grain(amount: 0.05, frequency: 90, seed: subSeed(&g))
        return canvas
    }
}

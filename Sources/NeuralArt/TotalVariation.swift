/// Smoothness loss: the mean squared difference of horizontally and vertically neighbouring
/// pixels of a `[channels, height, width]` image,
/// tv = (Σ (x[c,y,x+1] − x[c,y,x])² + Σ (x[c,y+1,x] − x[c,y,x])²) / (N_h + N_v),
/// with N_h = C·H·(W−1) and N_v = C·(H−1)·W differences.
public enum TotalVariation {
    /// Returns tv and, if `gradient` is given, adds `weight·∂tv/∂x` into it.
    public static func evaluate(
        _ x: UnsafePointer<Float>, channels: Int, height h: Int, width w: Int,
        gradient: UnsafeMutablePointer<Float>?, weight: Float
    ) -> Float {
        let count = channels * (h * (w - 1) + (h - 1) * w)
        guard count > 0 else { return 0 }
        let scale = 1 / Float(count)
        let g2 = 2 * weight * scale
        var sum: Double = 0
        for c in 0..<channels {
            let p = x + c * h * w
            let gp = gradient.map { $0 + c * h * w }
            for y in 0..<h {
                let row = p + y * w
                var rowSum: Float = 0
                for i in 0..<(w - 1) {
                    let d = row[i + 1] - row[i]
                    rowSum += d * d
                }
                if y + 1 < h {
                    let next = row + w
                    for i in 0..<w {
                        let d = next[i] - row[i]
                        rowSum += d * d
                    }
                }
                sum += Double(rowSum)
                if let gp {
                    let grow = gp + y * w
                    for i in 0..<(w - 1) {
                        let d = g2 * (row[i + 1] - row[i])
                        grow[i] -= d; grow[i + 1] += d
                    }
                    if y + 1 < h {
                        let next = row + w, gnext = grow + w
                        for i in 0..<w {
                            let d = g2 * (next[i] - row[i])
                            grow[i] -= d; gnext[i] += d
                        }
                    }
                }
            }
        }
        return Float(sum) * scale
    }
}

/// An orthonormal luminance/chroma basis of RGB: the rows of C are
///
///     l  = ( 1,  1,  1) / √3   (brightness)
///     c₁ = ( 1, −1,  0) / √2   (red against green)
///     c₂ = ( 1,  1, −2) / √6   (yellow against blue)
///
/// so Cᵀ = C⁻¹. Applied per pixel of a planar [3, H, W] image (three planes of `pixels` values,
/// plane-major): `forward` writes C·x, `transpose` writes Cᵀ·x. A coordinatewise optimizer run
/// in this basis moves a pixel's brightness and its colour as separate coordinates
/// (docs/TAIL.md §6).
public enum LumaChroma {
    static let a = Float(1 / 3.0.squareRoot()), b = Float(1 / 2.0.squareRoot()), c = Float(1 / 6.0.squareRoot())

    /// y = C·x for one [3, pixels] image. `y` may be `x` (in place).
    public static func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, pixels n: Int) {
        let x0 = x, x1 = x + n, x2 = x + 2 * n, y0 = y, y1 = y + n, y2 = y + 2 * n
        for i in 0..<n {
            let r = x0[i], g = x1[i], bl = x2[i]
            y0[i] = a * (r + g + bl)
            y1[i] = b * (r - g)
            y2[i] = c * (r + g - 2 * bl)
        }
    }

    /// y = Cᵀ·x for one [3, pixels] image (back to RGB). `y` may be `x` (in place).
    public static func transpose(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, pixels n: Int) {
        let x0 = x, x1 = x + n, x2 = x + 2 * n, y0 = y, y1 = y + n, y2 = y + 2 * n
        for i in 0..<n {
            let l = a * x0[i], p = b * x1[i], q = c * x2[i]
            y0[i] = l + p + q
            y1[i] = l - p + q
            y2[i] = l - 2 * q
        }
    }
}

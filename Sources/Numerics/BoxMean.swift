/// The mean over a (2r+1)×(2r+1) window, clipped at the borders: y[i, j] is the mean of x over
/// rows max(0, i − r)…min(H − 1, i + r) and columns max(0, j − r)…min(W − 1, j + r) of one
/// row-major H × W plane. Separable running sums (rows, then columns): O(H·W) whatever r.
public enum BoxMean {
    /// Writes the box mean of `x` (H × W, row-major) into `y`, using `scratch` (H × W floats).
    /// `y` may not alias `x` or `scratch`.
    public static func apply(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                             scratch t: UnsafeMutablePointer<Float>, height: Int, width: Int, radius r: Int) {
        precondition(height >= 1 && width >= 1 && r >= 0, "BoxMean: \(height)×\(width), radius \(r)")
        pass(x, into: t, lines: height, length: width, step: 1, lineStride: width, radius: r)              // along rows
        pass(UnsafePointer(t), into: y, lines: width, length: height, step: width, lineStride: 1, radius: r)  // along columns
    }

    /// One 1-D running-sum pass over `lines` lines of `length` values (element k of line l at
    /// l·lineStride + k·step).
    @inline(__always)
    static func pass(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, lines: Int, length n: Int,
                     step: Int, lineStride: Int, radius r: Int) {
        for line in 0..<lines {
            let s = src + line * lineStride, d = dst + line * lineStride
            var sum: Float = 0
            for j in 0...min(r, n - 1) { sum += s[j * step] }
            for j in 0..<n {
                d[j * step] = sum / Float(min(n - 1, j + r) - max(0, j - r) + 1)
                if j + r + 1 < n { sum += s[(j + r + 1) * step] }
                if j - r >= 0 { sum -= s[(j - r) * step] }
            }
        }
    }
}

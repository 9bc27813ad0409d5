import ImageIO

extension Image {
    /// This image's luminance with `colors`' chrominance (YIQ), the "original colours" mode of
    /// style transfer: the stylized texture keeps the content photo's colours. Same size required.
    public func withLuminance(keepingColorsOf colors: Image) -> Image {
        precondition(width == colors.width && height == colors.height,
                     "withLuminance: \(width)×\(height) vs \(colors.width)×\(colors.height)")
        let n = planeSize
        var out = [Float](repeating: 0, count: 3 * n)
        pixels.withUnsafeBufferPointer { s in
            colors.pixels.withUnsafeBufferPointer { c in
                for i in 0..<n {
                    let y = 0.299 * s[i] + 0.587 * s[n + i] + 0.114 * s[2 * n + i]
                    let r = c[i], g = c[n + i], b = c[2 * n + i]
                    let ci = 0.596 * r - 0.274 * g - 0.322 * b
                    let cq = 0.211 * r - 0.523 * g + 0.312 * b
                    out[i] = min(1, max(0, y + 0.956 * ci + 0.621 * cq))
                    out[n + i] = min(1, max(0, y - 0.272 * ci - 0.647 * cq))
                    out[2 * n + i] = min(1, max(0, y - 1.106 * ci + 1.703 * cq))
                }
            }
        }
        return Image(width: width, height: height, pixels: out)
    }
}

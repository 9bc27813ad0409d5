// Conversions between `Image` (planar Float) and the interleaved 8-bit RGB rows that
// libpng and libjpeg read and write.

extension Image {
    /// Builds an image from interleaved 8-bit RGB (`RGBRGB…`, row-major, `3 * width * height`
    /// bytes); each byte `k` becomes `Float(k) / 255`, so values `k/255` round-trip exactly.
    init(interleavedRGB8 bytes: UnsafeBufferPointer<UInt8>, width: Int, height: Int) {
        let n = width * height
        precondition(bytes.count >= 3 * n, "need \(3 * n) bytes for \(width)x\(height) RGB, got \(bytes.count)")
        let pixels = [Float](unsafeUninitializedCapacity: 3 * n) { out, count in
            let src = bytes.baseAddress!
            let r = out.baseAddress!, g = r + n, b = g + n
            for i in 0..<n {
                r[i] = Float(src[3 * i]) / 255
                g[i] = Float(src[3 * i + 1]) / 255
                b[i] = Float(src[3 * i + 2]) / 255
            }
            count = 3 * n
        }
        self.init(width: width, height: height, pixels: pixels)
    }

    /// The image as interleaved 8-bit RGB (`3 * width * height` bytes, row-major).
    ///
    /// Each value is clamped to [0, 1] (NaN becomes 0), scaled by 255 and rounded to the
    /// nearest integer (halves up).
    func interleavedRGB8() -> [UInt8] {
        checkLayout()
        let n = planeSize
        return [UInt8](unsafeUninitializedCapacity: 3 * n) { out, count in
            pixels.withUnsafeBufferPointer { planes in
                let r = planes.baseAddress!, g = r + n, b = g + n
                let dst = out.baseAddress!
                for i in 0..<n {
                    dst[3 * i] = Image.byte(r[i])
                    dst[3 * i + 1] = Image.byte(g[i])
                    dst[3 * i + 2] = Image.byte(b[i])
                }
            }
            count = 3 * n
        }
    }

    /// Clamps to [0, 1] (NaN → 0) and rounds `v * 255` to the nearest byte.
    @inline(__always)
    static func byte(_ v: Float) -> UInt8 {
        let clamped: Float = v > 0 ? (v < 1 ? v : 1) : 0
        return UInt8(clamped * 255 + 0.5)
    }
}

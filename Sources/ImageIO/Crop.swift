// Rectangular crops: exact pixel copies, no resampling.

extension Image {
    /// The `width`×`height` rectangle whose top-left pixel is (`x`, `y`).
    ///
    /// O(width·height) row copies.
    /// - Precondition: the rectangle is non-empty and lies inside the image.
    public func cropped(x: Int, y: Int, width cropWidth: Int, height cropHeight: Int) -> Image {
        precondition(cropWidth >= 1 && cropHeight >= 1,
                     "cropped: size must be positive, got \(cropWidth)x\(cropHeight)")
        precondition(x >= 0 && y >= 0 && x + cropWidth <= width && y + cropHeight <= height,
                     "cropped: \(cropWidth)x\(cropHeight) at (\(x), \(y)) is outside a \(width)x\(height) image")
        checkLayout()
        if x == 0 && y == 0 && cropWidth == width && cropHeight == height { return self }
        var out = Image(width: cropWidth, height: cropHeight)
        let w = width, h = height
        out.pixels.withUnsafeMutableBufferPointer { dst in
            pixels.withUnsafeBufferPointer { src in
                for c in 0..<Image.channels {
                    for row in 0..<cropHeight {
                        let from = src.baseAddress! + (c * h + y + row) * w + x
                        let to = dst.baseAddress! + (c * cropHeight + row) * cropWidth
                        to.update(from: from, count: cropWidth)
                    }
                }
            }
        }
        return out
    }

    /// The centred `width`×`height` rectangle (when the margin is odd, the extra pixel is
    /// left on the right / bottom).
    /// - Precondition: `1...self.width` contains `width`, `1...self.height` contains `height`.
    public func centerCropped(width cropWidth: Int, height cropHeight: Int) -> Image {
        precondition(cropWidth <= width && cropHeight <= height,
                     "centerCropped: \(cropWidth)x\(cropHeight) does not fit in a \(width)x\(height) image")
        return cropped(x: (width - cropWidth) / 2, y: (height - cropHeight) / 2,
                       width: cropWidth, height: cropHeight)
    }

    /// A `width`×`height` rectangle at a uniformly random position, drawn from `generator`
    /// (the same seed gives the same crop).
    /// - Precondition: the crop fits in the image.
    public func randomCrop(width cropWidth: Int, height cropHeight: Int,
                           using generator: inout some RandomNumberGenerator) -> Image {
        precondition(cropWidth >= 1 && cropHeight >= 1 && cropWidth <= width && cropHeight <= height,
                     "randomCrop: \(cropWidth)x\(cropHeight) does not fit in a \(width)x\(height) image")
        let x = Int.random(in: 0...(width - cropWidth), using: &generator)
        let y = Int.random(in: 0...(height - cropHeight), using: &generator)
        return cropped(x: x, y: y, width: cropWidth, height: cropHeight)
    }
}

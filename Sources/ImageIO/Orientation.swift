// Flips, quarter turns and EXIF orientation: pure pixel permutations.

extension Image {
    /// The image mirrored left–right: column `x` becomes column `width - 1 - x`.
    ///
    /// O(width·height) copies; no interpolation.
    public func flippedHorizontally() -> Image {
        remapped(width: width, height: height) { x, y in (width - 1 - x, y) }
    }

    /// The image mirrored top–bottom: row `y` becomes row `height - 1 - y`.
    public func flippedVertically() -> Image {
        checkLayout()
        var out = Image(width: width, height: height)
        let w = width, h = height
        out.pixels.withUnsafeMutableBufferPointer { dst in
            pixels.withUnsafeBufferPointer { src in
                for c in 0..<Image.channels {
                    for y in 0..<h {
                        let from = src.baseAddress! + (c * h + y) * w
                        let to = dst.baseAddress! + (c * h + (h - 1 - y)) * w
                        to.update(from: from, count: w)
                    }
                }
            }
        }
        return out
    }

    /// The image turned a quarter turn clockwise (result is `height` wide, `width` high).
    public func rotatedClockwise() -> Image {
        remapped(width: height, height: width) { x, y in (y, height - 1 - x) }
    }

    /// The image turned a quarter turn counterclockwise (result is `height` wide, `width` high).
    public func rotatedCounterclockwise() -> Image {
        remapped(width: height, height: width) { x, y in (width - 1 - y, x) }
    }

    /// The image turned half a turn.
    public func rotated180() -> Image {
        remapped(width: width, height: height) { x, y in (width - 1 - x, height - 1 - y) }
    }

    /// The image with an EXIF orientation (tag 0x0112, values 1…8) undone, so that it
    /// displays upright. Unknown values leave the image as it is.
    func applyingEXIFOrientation(_ orientation: Int) -> Image {
        switch orientation {
        case 2: return flippedHorizontally()
        case 3: return rotated180()
        case 4: return flippedVertically()
        case 5: return remapped(width: height, height: width) { x, y in (y, x) }  // transpose
        case 6: return rotatedClockwise()
        case 7: return remapped(width: height, height: width) { x, y in (width - 1 - y, height - 1 - x) }
        case 8: return rotatedCounterclockwise()
        default: return self
        }
    }

    /// A new `width`×`height` image whose pixel (x, y) is this image's pixel `source(x, y)`.
    private func remapped(width outWidth: Int, height outHeight: Int,
                          _ source: (Int, Int) -> (x: Int, y: Int)) -> Image {
        checkLayout()
        var out = Image(width: outWidth, height: outHeight)
        let inPlane = planeSize, outPlane = outWidth * outHeight, w = width
        out.pixels.withUnsafeMutableBufferPointer { dst in
            pixels.withUnsafeBufferPointer { src in
                for y in 0..<outHeight {
                    for x in 0..<outWidth {
                        let (sx, sy) = source(x, y)
                        let from = sy * w + sx, to = y * outWidth + x
                        for c in 0..<Image.channels {
                            dst[c * outPlane + to] = src[c * inPlane + from]
                        }
                    }
                }
            }
        }
        return out
    }
}

/// An RGB picture held as planar 32-bit floats, the form every NeuralArt stage works on.
///
/// **Layout: planar RGB, channel-major ("CHW").** `pixels` holds `3 * height * width`
/// values: the red plane, then the green plane, then the blue plane. Channel `c`'s plane
/// starts at `c * height * width`; inside a plane, pixels are row-major from the top-left
/// corner, so pixel (row `y`, column `x`) of channel `c` is
/// `pixels[c * height * width + y * width + x]`.
///
/// **Units:** sRGB-encoded intensities in [0, 1], exactly as stored in 8-bit files divided by
/// 255 (no gamma conversion): 0 is black, 1 is full intensity. Greyscale files are
/// replicated to three channels on read, and alpha is composited over white.
///
/// The value is a plain struct with copy-on-write storage; `width` and `height` are fixed,
/// and whoever mutates `pixels` must keep its count at `3 * height * width` (the geometry
/// and encoding functions check this with a precondition).
public struct Image: Sendable, Equatable {
    /// Number of colour planes: always 3 (red, green, blue).
    public static let channels = 3

    /// Width in pixels (columns), at least 1.
    public let width: Int
    /// Height in pixels (rows), at least 1.
    public let height: Int
    /// `3 * height * width` intensities in [0, 1], planar RGB (see the type's documentation).
    public var pixels: [Float]

    /// Wraps existing planar RGB data.
    ///
    /// - Precondition: `width >= 1`, `height >= 1` and `pixels.count == 3 * height * width`.
    public init(width: Int, height: Int, pixels: [Float]) {
        precondition(width >= 1 && height >= 1, "Image size must be positive, got \(width)x\(height)")
        precondition(
            pixels.count == Image.channels * height * width,
            "Image \(width)x\(height) needs \(Image.channels * height * width) values (3 planes), got \(pixels.count)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// An image whose every value, in every channel, is `fill`.
    ///
    /// - Precondition: `width >= 1` and `height >= 1`.
    public init(width: Int, height: Int, fill: Float = 0) {
        precondition(width >= 1 && height >= 1, "Image size must be positive, got \(width)x\(height)")
        self.init(width: width, height: height,
                  pixels: [Float](repeating: fill, count: Image.channels * height * width))
    }

    /// Number of pixels in one plane, `width * height`.
    @inlinable public var planeSize: Int { width * height }

    /// The value of channel `channel` (0 red, 1 green, 2 blue) at row `y`, column `x`.
    ///
    /// Bounds-checked convenience for tests and small tools; hot loops should use
    /// `pixels.withUnsafeBufferPointer` instead.
    public subscript(channel: Int, y: Int, x: Int) -> Float {
        get {
            precondition(Image.isValidIndex(channel, y, x, width, height),
                         "pixel (c \(channel), y \(y), x \(x)) outside a \(width)x\(height) image")
            return pixels[(channel * height + y) * width + x]
        }
        set {
            precondition(Image.isValidIndex(channel, y, x, width, height),
                         "pixel (c \(channel), y \(y), x \(x)) outside a \(width)x\(height) image")
            pixels[(channel * height + y) * width + x] = newValue
        }
    }

    private static func isValidIndex(_ c: Int, _ y: Int, _ x: Int, _ w: Int, _ h: Int) -> Bool {
        (0..<channels).contains(c) && (0..<h).contains(y) && (0..<w).contains(x)
    }

    /// Traps when `pixels` no longer matches the size (someone replaced the array).
    /// Called once at the start of every kernel that reads `pixels` through raw pointers.
    func checkLayout(_ function: StaticString = #function) {
        precondition(
            pixels.count == Image.channels * height * width,
            "\(function): Image \(width)x\(height) holds \(pixels.count) values, expected \(Image.channels * height * width)")
    }
}

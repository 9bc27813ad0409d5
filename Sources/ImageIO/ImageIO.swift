// Image I/O: PNG and JPEG decoding/encoding, resizing and cropping.
// (Temporary: the full implementation replaces this file.)

/// Planar RGB image, CHW, values in [0, 1].
public struct Image: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [Float]
    public init(width: Int, height: Int, pixels: [Float]) {
        precondition(pixels.count == 3 * width * height)
        self.width = width; self.height = height; self.pixels = pixels
    }
    public init(width: Int, height: Int, fill: Float) {
        self.init(width: width, height: height, pixels: [Float](repeating: fill, count: 3 * width * height))
    }
}

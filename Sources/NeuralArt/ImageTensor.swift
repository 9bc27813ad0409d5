import ImageIO
import Numerics

extension Tensor {
    /// The image's planar RGB values as a `[3, height, width]` tensor (copies).
    public convenience init(image: Image) {
        self.init(shape: [3, image.height, image.width])
        image.pixels.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }
}

extension Image {
    /// An image from a `[3, height, width]` tensor (copies; values are not clamped here).
    public init(tensor: Tensor) {
        precondition(tensor.shape.count == 3 && tensor.shape[0] == 3, "Image(tensor:): need [3, h, w], got \(tensor.shape)")
        self.init(width: tensor.shape[2], height: tensor.shape[1], pixels: tensor.toArray())
    }
}

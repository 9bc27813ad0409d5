/// The layout of a problem's parameters when they are images: `planes` planar H × W maps,
/// row-major (a picture's RGB: 3 × height × width). What spatial input features of a learned
/// optimizer (`InputFeatures.highPass`) need to know about θ; flat problems have none.
public struct ImageShape: Equatable, Sendable {
    public var planes: Int, height: Int, width: Int
    public init(planes: Int, height: Int, width: Int) {
        precondition(planes >= 1 && height >= 1 && width >= 1, "ImageShape: \(planes)×\(height)×\(width)")
        self.planes = planes; self.height = height; self.width = width
    }
    /// planes · height · width.
    public var count: Int { planes * height * width }
}

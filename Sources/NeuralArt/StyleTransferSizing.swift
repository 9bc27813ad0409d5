import ImageIO

/// A content picture that cannot be stylized at the requested size: after resizing its longer
/// side to `size`, its shorter side is under `RandVGGS.minimumSide` pixels.
///
/// `description` is one line for end users, e.g. `content 2000×100 px becomes 128×6 px at
/// --size 128; its shorter side must be at least 8 px: use --size 160 or more`.
public struct ContentSizeError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The picture's size as read.
    public let width: Int, height: Int
    /// The requested longest side.
    public let size: Int
    /// The size after resizing to `size`.
    public let resizedWidth: Int, resizedHeight: Int
    /// The smallest longest side that keeps the shorter side at the minimum, if one exists
    /// within `maximumSize`.
    public let smallestWorkingSize: Int?

    public var description: String {
        let fix = smallestWorkingSize.map { "use --size \($0) or more" }
            ?? "crop it to a less elongated picture"
        return "content \(width)×\(height) px becomes \(resizedWidth)×\(resizedHeight) px at --size \(size); "
            + "its shorter side must be at least \(RandVGGS.minimumSide) px: \(fix)"
    }
}

extension StyleTransfer {
    /// The size `StyleTransfer(content:…, size:)` gives a `width`×`height` content picture, or
    /// a `ContentSizeError` when its shorter side would fall under `RandVGGS.minimumSide`
    /// (the feature network's deepest stage needs at least one position).
    ///
    /// Call it before building a `StyleTransfer` from user input: the initializer treats a too
    /// thin picture as a programmer error. `maximumSize` bounds the `--size` the error suggests.
    /// O(log maximumSize).
    public static func validatedContentSize(width: Int, height: Int, size: Int,
                                            maximumSize: Int = 4096) throws -> (width: Int, height: Int) {
        precondition(width >= 1 && height >= 1 && size >= 1, "validatedContentSize: \(width)×\(height) at \(size)")
        func fits(_ s: Int) -> Bool {
            let r = Image.fittedSize(width: width, height: height, longestSide: s)
            return min(r.width, r.height) >= RandVGGS.minimumSide
        }
        let r = Image.fittedSize(width: width, height: height, longestSide: size)
        if fits(size) { return r }
        // The shorter side grows with the longest side: bisect for the smallest size that fits.
        var suggestion: Int?
        if size < maximumSize, fits(maximumSize) {
            var lo = size, hi = maximumSize  // fits(lo) is false, fits(hi) is true
            while hi - lo > 1 {
                let mid = (lo + hi) / 2
                if fits(mid) { hi = mid } else { lo = mid }
            }
            suggestion = hi
        }
        throw ContentSizeError(width: width, height: height, size: size, resizedWidth: r.width,
                               resizedHeight: r.height, smallestWorkingSize: suggestion)
    }
}

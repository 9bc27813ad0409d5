import ImageIO

/// The margin added below and to the right of a picture before it is optimized with a network
/// that wraps around its edges (`RandVGGS.isPeriodic`).
///
/// On a torus no pixel is an edge pixel (so no frame grows along the borders), but the top row
/// would sit next to the bottom row: features there would mix the two, and an optimized picture
/// shows the bottom's content along its top edge. The margin separates them. Its first half
/// mirrors the picture's last rows (columns), its second half mirrors the first ones, so the
/// canvas is continuous across the picture's edges and across the wrap; the one seam lies in the
/// middle of the margin, which is optimized with the picture and cropped off at the end.
public struct WrapMargin: Sendable, Equatable {
    /// Extra rows below and columns to the right, in pixels (≥ 0).
    public let rows: Int, columns: Int

    /// No margin.
    public static let none = WrapMargin(rows: 0, columns: 0)

    /// The default for a `width × height` picture: 1/16 of the longer side (even, at least 4 px)
    /// on both axes: wider than the content loss's receptive field (about 18 px) from 288 px
    /// up, while the canvas grows by only 13 % at most.
    public static func standard(width: Int, height: Int) -> WrapMargin {
        let m = max(4, (max(width, height) / 16 + 1) & ~1)
        return WrapMargin(rows: m, columns: m)
    }

    /// The source index of canvas index `e ∈ [0, n + m)` along an axis of `n` picture pixels with
    /// margin `m`: the picture itself, then the mirror of its end, then the mirror of its start.
    static func source(_ e: Int, picture n: Int, margin m: Int) -> Int {
        if e < n { return e }
        let t = e - n
        let s = t < (m + 1) / 2 ? n - 1 - t : m - 1 - t
        return min(max(s, 0), n - 1)
    }
}

extension Image {
    /// This picture on a canvas `margin.columns` wider and `margin.rows` taller (see `WrapMargin`).
    public func wrapPadded(_ margin: WrapMargin) -> Image {
        if margin == .none { return self }
        let cw = width + margin.columns, ch = height + margin.rows
        let xs = (0..<cw).map { WrapMargin.source($0, picture: width, margin: margin.columns) }
        var out = [Float](repeating: 0, count: 3 * cw * ch)
        pixels.withUnsafeBufferPointer { src in
            for c in 0..<3 {
                for y in 0..<ch {
                    let row = src.baseAddress! + (c * height + WrapMargin.source(y, picture: height, margin: margin.rows)) * width
                    let dst = (c * ch + y) * cw
                    for x in 0..<cw { out[dst + x] = row[xs[x]] }
                }
            }
        }
        return Image(width: cw, height: ch, pixels: out)
    }
}

import ImageIO
import Numerics

/// The families of procedurally generated styles (see `ProceduralStyle.render`).
public enum ProceduralFamily: String, CaseIterable, Sendable, Codable {
    /// Voronoi cells of coloured, mottled glass between dark lead lines (stained glass).
    case cells
    /// Domain-warped noise: contour bands of flat colour with veins, or smooth marbling.
    case marble
    /// Stripes (wobbly bands of colour) and hatching (ink lines at 1–3 angles, denser where darker).
    case stripes
    /// Pointillism (dense small dots following a colour field) and halftone or polka dots.
    case dots
    /// Short, tapered brush strokes with bristle streaks, laid along a flow field.
    case strokes
    /// Tiles (square grid, brick bond or irregular rows) with bevelled edges and grout.
    case mosaic
    /// Watercolour-like washes: layered noise blobs with darkened edges and granulation on paper.
    case wash

    /// The fork of the style's generator each family uses (so families never share a stream).
    var stream: UInt64 { UInt64(Self.allCases.firstIndex(of: self)! + 1) &* 0x51_7CC1 }
}

/// Procedurally generated style images: each a pure function of (family, seed, size) and the
/// photos palettes may be taken from.
///
/// Every generator paints a square picture in relative units (its structures are fractions of
/// the picture's side), so a style looks the same at every size up to resampling. Below
/// `baseSize` pixels the picture is painted at `baseSize` and shrunk with an antialiased
/// (Lanczos 3) resize, so fine lines and dots average out instead of aliasing.
///
/// Each picture draws its palette first: a harmonious palette, or — with probability ½ when
/// `photos` is non-empty — a k-means palette of a region of one of them (`StylePalette`).
///
/// Cost: a few milliseconds per family at 128 px in release builds (`neural-art styles` prints
/// the times); time grows with the pixel count.
public enum ProceduralStyle {
    /// Pictures smaller than this are painted at this size and shrunk.
    public static let baseSize = 128

    /// The style of `family` for `seed`, `size × size` pixels, planar RGB in [0, 1].
    ///
    /// - Parameter photos: photos palettes may come from (e.g. thumbnails of the bundled photos);
    ///   the result is a pure function of all four arguments.
    /// - Precondition: `size >= 1`.
    public static func render(_ family: ProceduralFamily, seed: UInt64, size: Int, photos: [Image] = []) -> Image {
        precondition(size >= 1, "ProceduralStyle.render: size \(size) must be positive")
        let side = max(size, baseSize)
        var g = SeededGenerator(seed: seed).fork(family.stream)
        var paletteStream = g.fork(0x5041_4C)   // "PAL"
        let palette = !photos.isEmpty && paletteStream.nextUniform() < 0.5
            ? StylePalette.fromPhotos(photos, using: &paletteStream)
            : StylePalette.harmonious(using: &paletteStream)
        let canvas: Canvas
        switch family {
        case .cells: canvas = cells(side, palette, &g)
        case .marble: canvas = marble(side, palette, &g)
        case .stripes: canvas = stripes(side, palette, &g)
        case .dots: canvas = dots(side, palette, &g)
        case .strokes: canvas = strokes(side, palette, &g)
        case .mosaic: canvas = mosaic(side, palette, &g)
        case .wash: canvas = wash(side, palette, &g)
        }
        let image = canvas.image()
        return side == size ? image : image.resized(width: size, height: size)
    }

    /// A fresh seed for a sub-stream (noise fields, per-element hashes).
    @inline(__always) static func subSeed(_ g: inout SeededGenerator) -> UInt64 { g.next() }

    /// A uniform Float in [lower, upper).
    @inline(__always) static func uniform(_ g: inout SeededGenerator, _ lower: Float, _ upper: Float) -> Float {
        Float(g.nextUniform(in: Double(lower), Double(upper)))
    }

    /// A light, slightly warm paper or canvas colour.
    static func paper(_ g: inout SeededGenerator) -> SIMD3<Float> {
        let l = uniform(&g, 0.88, 0.98), warm = uniform(&g, 0, 0.05)
        return SIMD3(l, l - warm * 0.4, l - warm)
    }
}

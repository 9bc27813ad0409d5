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
    // The families below were added later; appending keeps every earlier family's `stream`
    // (and so its pictures) unchanged.
    /// Craquelure: a smooth glaze broken by a network of fine dark cracks at two scales.
    case crackle
    /// Op-art rings: interfering concentric or spiral ripples, or undulating waves, in hard bands.
    case ripples
    /// Woven tartan: a mirrored sett of coloured stripes crossing itself in a 2/2 twill.
    case plaid
    /// Pen drawings: topographic contour lines of a height field, or streamlines of a flow field.
    case contours
    /// Cubist facets: the polygons of a random line arrangement, each flat and shaded, with sketchy outlines.
    case facets
    /// Truchet tiles: quarter-circle arcs (two-colour meanders or shaded pipes) or diagonal triangles.
    case truchet
    /// Action painting: long tangled drips of paint in several colours, with splatter.
    case drips
    /// Camouflage: hard-edged layered blobs in 3–4 flat colours, organic or pixelated.
    case camo
    /// Palette-knife impasto: overlapping flat slabs of paint with scraped streaks and lit ridges.
    case impasto
    /// Van Gogh-like whirls: short thick dashes following vortices, coloured in rings around them.
    case whirls

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
/// Cost: 1–30 milliseconds per picture at 128 px in release builds, depending on the family
/// (`neural-art styles` prints the times); time grows with the pixel count.
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
        let image = canvas(family, seed: seed, side: side, photos: photos).image()
        return side == size ? image : image.resized(width: size, height: size)
    }

    /// The picture `render` paints at `side` pixels, before clamping to [0, 1].
    static func canvas(_ family: ProceduralFamily, seed: UInt64, side: Int, photos: [Image]) -> Canvas {
        var g = SeededGenerator(seed: seed).fork(family.stream)
        var paletteStream = g.fork(0x5041_4C)   // "PAL"
        let palette = !photos.isEmpty && paletteStream.nextUniform() < 0.5
            ? StylePalette.fromPhotos(photos, using: &paletteStream)
            : StylePalette.harmonious(using: &paletteStream)
        switch family {
        case .cells: return cells(side, palette, &g)
        case .marble: return marble(side, palette, &g)
        case .stripes: return stripes(side, palette, &g)
        case .dots: return dots(side, palette, &g)
        case .strokes: return strokes(side, palette, &g)
        case .mosaic: return mosaic(side, palette, &g)
        case .wash: return wash(side, palette, &g)
        case .crackle: return crackle(side, palette, &g)
        case .ripples: return ripples(side, palette, &g)
        case .plaid: return plaid(side, palette, &g)
        case .contours: return contours(side, palette, &g)
        case .facets: return facets(side, palette, &g)
        case .truchet: return truchet(side, palette, &g)
        case .drips: return drips(side, palette, &g)
        case .camo: return camo(side, palette, &g)
        case .impasto: return impasto(side, palette, &g)
        case .whirls: return whirls(side, palette, &g)
        }
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

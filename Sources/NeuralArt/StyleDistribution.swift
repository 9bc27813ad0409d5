import Foundation
import ImageIO
import MetaLearning
import Numerics

/// The distribution of styles, loss weights and crop sizes the style task draws each problem
/// from when meta-training for "any style a user brings".
///
/// **Families.** `families` are the families drawn from; `heldOut` (a subset) are never drawn
/// for training problems, only for validation and test problems, so reports show how the
/// learned optimizer does on kinds of style it never saw. Training problems draw their family
/// uniformly from `trainingFamilies`; validation and test problem `i` use
/// `families[i % families.count]` (every family, held-out ones included, in turn).
///
/// **One problem's draw** (`draw(seed:split:index:baseWeights:)`) is a pure function of the
/// task seed, the split and the index, from the stream
/// `SeededGenerator(seed).fork(split.stream).fork(index).fork("STYD")` — disjoint from the
/// content crop's stream and, through `split.stream`, between training, validation and test:
/// - the crop size, log-uniform in `sizes` and rounded to a multiple of 8 (when the range
///   holds one);
/// - the family, then the style: a procedural picture (`ProceduralStyle.render`, palettes
///   from `palettePhotos` half the time) or, for the image families, a random square crop
///   (50–100 % of the shorter side) of a random image, flipped with probability ½;
/// - the loss weights: each of content, style, sliced and TV multiplied by 10^u, u uniform
///   in [−`weightSpread`, `weightSpread`] (decades), and the sliced term turned off in 1 of 8
///   problems (users who pass `--sliced-weight 0`); `weightSpread` 0 keeps the base weights.
///
/// The style image is rendered (or cropped) at the crop size, as the single-style task resizes
/// its style image to the crop size.
public struct StyleDistribution: Sendable {
    /// A named style image.
    public struct NamedImage: Sendable, Equatable {
        public let name: String
        public let image: Image
        public init(name: String, image: Image) { self.name = name; self.image = image }
    }

    /// Families drawn from (canonical order), held-out ones included.
    public let families: [StyleFamily]
    /// Families drawn only for validation and test problems.
    public let heldOut: [StyleFamily]
    /// `families` without `heldOut`: what training problems draw from (non-empty).
    public let trainingFamilies: [StyleFamily]
    /// Crop sides, in pixels (at least 16).
    public let sizes: ClosedRange<Int>
    /// Half-width, in decades, of the loss weights' log-uniform multipliers (0: the base weights).
    public let weightSpread: Float
    /// Photos palettes may be taken from (small thumbnails suffice).
    public let palettePhotos: [NamedImage]
    /// The `bundled` family's images and the `dir` family's.
    public let bundledStyles: [NamedImage]
    public let directoryStyles: [NamedImage]
    /// The folder of `directoryStyles`, as given (recorded in settings).
    public let directory: String?

    /// Held out when the user names none: dots and mosaic, whose structure (isolated round marks;
    /// a regular grid with grout) no training family has, and every family added after them
    /// (crackle … whirls). The default training families stay cells, marble, stripes, strokes,
    /// wash and bundled, so default meta-training draws the same training problems as before
    /// those families existed; reports get 12 kinds of style the optimizer never saw.
    public static let defaultHeldOut: [StyleFamily] = [.dots, .mosaic, .crackle, .ripples, .plaid, .contours, .facets,
                                                       .truchet, .drips, .camo, .impasto, .whirls]
    public static let defaultSizes = 32...128
    public static let defaultWeightSpread: Float = 0.5
    /// The bundled style images of the `bundled` family (images/).
    public static let bundledStyleFiles = ["swirls.png", "stained-glass.png", "brick.png", "gravel.png", "grass.png",
                                           "hubble_deep_field.jpg"]
    /// The bundled colour photos palettes are drawn from (images/): the training split's colour
    /// photos, so the held-out chelsea and rocket stay unseen, even as palettes (not the Hubble
    /// field: its clusters are nearly all black).
    public static let palettePhotoFiles = ["astronaut.png", "coffee.png"]
    /// Longest side of the palette photos' thumbnails (k-means needs only a few hundred pixels).
    public static let paletteThumbnailSide = 64

    /// - Parameters:
    ///   - families: non-empty, no duplicates; `.bundled` needs `bundledStyles`, `.dir` needs
    ///     `directoryStyles`.
    ///   - heldOut: a subset of `families` leaving at least one training family.
    ///   - sizes: crop sides, lower bound at least 16.
    public init(families: [StyleFamily], heldOut: [StyleFamily] = [], sizes: ClosedRange<Int> = Self.defaultSizes,
                weightSpread: Float = Self.defaultWeightSpread, palettePhotos: [NamedImage] = [],
                bundledStyles: [NamedImage] = [], directoryStyles: [NamedImage] = [], directory: String? = nil) {
        let fams = Array(Set(families)).sorted(), held = Array(Set(heldOut)).sorted()
        precondition(!fams.isEmpty && fams.count == families.count, "StyleDistribution: families \(families) must be non-empty and distinct")
        precondition(held.allSatisfy(fams.contains), "StyleDistribution: held-out \(held) not all in \(fams)")
        precondition(held.count < fams.count, "StyleDistribution: every family held out; none left to train on")
        precondition(sizes.lowerBound >= 16, "StyleDistribution: crop sizes \(sizes) below 16")
        precondition(weightSpread >= 0 && weightSpread.isFinite, "StyleDistribution: weight spread \(weightSpread)")
        precondition(!fams.contains(.bundled) || !bundledStyles.isEmpty, "StyleDistribution: bundled family without images")
        precondition(!fams.contains(.dir) || !directoryStyles.isEmpty, "StyleDistribution: dir family without images")
        self.families = fams
        self.heldOut = held
        trainingFamilies = fams.filter { !held.contains($0) }
        self.sizes = sizes
        self.weightSpread = weightSpread
        self.palettePhotos = palettePhotos
        self.bundledStyles = bundledStyles
        self.directoryStyles = directoryStyles
        self.directory = directory
    }

    /// What one problem draws.
    public struct Draw: Sendable {
        public let family: StyleFamily
        /// "cells 1f2e…" (family and style seed) or "swirls.png" (an image family's file).
        public let name: String
        /// Crop side, in pixels.
        public let size: Int
        public let weights: LossWeights
        /// The style image, `size × size`, planar RGB in [0, 1].
        public let image: Image
    }

    /// The generator of problem `index`'s draw (see the type's documentation).
    static func generator(seed: UInt64, split: Split, index: Int) -> SeededGenerator {
        SeededGenerator(seed: seed).fork(split.stream).fork(UInt64(index)).fork(0x5354_5944)   // "STYD"
    }

    /// The family of problem `index` of `split` (cheap: renders nothing).
    public func family(seed: UInt64, split: Split, index: Int) -> StyleFamily {
        var g = Self.generator(seed: seed, split: split, index: index)
        _ = drawSize(&g)
        return drawFamily(&g, split: split, index: index)
    }

    /// Problem `index` of `split`'s crop size, family, style and loss weights (`baseWeights`
    /// multiplied by the draw's factors).
    public func draw(seed: UInt64, split: Split, index: Int, baseWeights: LossWeights) -> Draw {
        var g = Self.generator(seed: seed, split: split, index: index)
        let size = drawSize(&g)
        let family = drawFamily(&g, split: split, index: index)
        let styleSeed = g.next()
        let style = self.style(family, seed: styleSeed, size: size)
        return Draw(family: family, name: style.name, size: size, weights: drawWeights(&g, base: baseWeights), image: style.image)
    }

    /// The member of `family` for `seed`, `size × size` (a pure function of the three and the
    /// distribution's images).
    public func style(_ family: StyleFamily, seed: UInt64, size: Int) -> (name: String, image: Image) {
        if let p = family.procedural {
            return ("\(family.rawValue) \(String(seed, radix: 16))",
                    ProceduralStyle.render(p, seed: seed, size: size, photos: palettePhotos.map(\.image)))
        }
        let images = family == .bundled ? bundledStyles : directoryStyles
        precondition(!images.isEmpty, "StyleDistribution: no images for the \(family.rawValue) family")
        var g = SeededGenerator(seed: seed)
        let source = images[g.nextInt(images.count)]
        let image = source.image
        let short = min(image.width, image.height)
        let side = max(1, min(short, Int((Double(short) * g.nextUniform(in: 0.5, 1)).rounded())))
        let x = g.nextInt(image.width - side + 1), y = g.nextInt(image.height - side + 1)
        var view = image.cropped(x: x, y: y, width: side, height: side).resized(width: size, height: size)
        if g.nextUniform() < 0.5 { view = view.flippedHorizontally() }
        return (source.name, view)
    }

    private func drawSize(_ g: inout SeededGenerator) -> Int {
        let lo = Double(sizes.lowerBound), hi = Double(sizes.upperBound)
        let s = exp(g.nextUniform(in: log(lo), log(hi + 1)))
        let first = (sizes.lowerBound + 7) / 8 * 8, last = sizes.upperBound / 8 * 8
        guard first <= last else { return min(sizes.upperBound, Int(s)) }
        return min(last, max(first, Int((s / 8).rounded()) * 8))
    }

    private func drawFamily(_ g: inout SeededGenerator, split: Split, index: Int) -> StyleFamily {
        let u = g.nextInt(trainingFamilies.count)   // drawn on every split, so later draws line up
        return split == .training ? trainingFamilies[u] : families[index % families.count]
    }

    private func drawWeights(_ g: inout SeededGenerator, base: LossWeights) -> LossWeights {
        let s = Double(weightSpread)
        func factor() -> Float { Float(pow(10, g.nextUniform(in: -s, s))) }
        let content = factor(), style = factor(), sliced = factor(), tv = factor()
        let slicedOff = g.nextInt(8) == 0
        guard weightSpread > 0 else { return base }
        return LossWeights(content: base.content * content, style: base.style * style, tv: base.tv * tv,
                           sliced: slicedOff ? 0 : base.sliced * sliced)
    }

    /// What defines the distribution, for model files and checkpoints.
    public var settings: [String: String] {
        var s = ["styleFamilies": families.joinedNames, "heldOutFamilies": heldOut.joinedNames,
                 "cropSizes": "\(sizes.lowerBound)-\(sizes.upperBound)", "weightSpread": "\(weightSpread)",
                 "palettePhotos": palettePhotos.map(\.name).joined(separator: ";")]
        if families.contains(.bundled) { s["bundledStyles"] = bundledStyles.map(\.name).joined(separator: ";") }
        if families.contains(.dir) {
            s["styleDir"] = directory ?? ""
            s["styleDirFiles"] = directoryStyles.map(\.name).joined(separator: ";")
        }
        return s
    }
}

extension StyleDistribution {
    /// A distribution on the bundled images and, with `styleDirectory`, the PNG and JPEG files
    /// in it (the `dir` family).
    ///
    /// - Parameters:
    ///   - families: nil: every procedural family and `bundled`, plus `dir` with a directory.
    ///   - heldOut: nil: `defaultHeldOut` among `families` (none if that would leave no training family).
    /// - Throws: `StyleTaskError` for a folder that cannot be read or holds no PNG/JPEG image,
    ///   `dir` without a folder, or held-out families that are not drawn from or leave none to
    ///   train on; `ImageIOError` for an image file that cannot be read;
    ///   `BundledAssets.MissingFile` when the bundled images are not found.
    public static func load(families: [StyleFamily]? = nil, heldOut: [StyleFamily]? = nil, styleDirectory: String? = nil,
                            sizes: ClosedRange<Int> = defaultSizes, weightSpread: Float = defaultWeightSpread) throws -> StyleDistribution {
        let fams = families ?? StyleFamily.proceduralFamilies + [.bundled] + (styleDirectory != nil ? [.dir] : [])
        guard !fams.isEmpty else { throw StyleTaskError.noFamilies }
        if fams.contains(.dir) && styleDirectory == nil { throw StyleTaskError.dirFamilyWithoutDirectory }
        let held: [StyleFamily]
        if let heldOut {
            if let stray = heldOut.first(where: { !fams.contains($0) }) {
                throw StyleTaskError.heldOutNotDrawn(stray.rawValue, drawn: fams.joinedNames)
            }
            guard Set(heldOut).count < Set(fams).count else { throw StyleTaskError.everyFamilyHeldOut }
            held = heldOut
        } else {
            let d = defaultHeldOut.filter(fams.contains)
            held = d.count < Set(fams).count ? d : []
        }
        func bundledImage(_ name: String) throws -> NamedImage {
            NamedImage(name: name, image: try ImageFile.read(try BundledAssets.require("images/" + name)))
        }
        let bundled = fams.contains(.bundled) ? try bundledStyleFiles.map(bundledImage) : []
        var directoryStyles: [NamedImage] = []
        if let dir = styleDirectory {
            let files = try StyleTask.listImages(in: dir)
            guard !files.isEmpty else { throw StyleTaskError.noStyleImages(directory: dir) }
            directoryStyles = try files.map { NamedImage(name: ($0 as NSString).lastPathComponent, image: try ImageFile.read($0)) }
        }
        let photos = fams.contains(where: { $0.procedural != nil })
            ? try palettePhotoFiles.map { name -> NamedImage in
                let image = try ImageFile.read(try BundledAssets.require("images/" + name))
                return NamedImage(name: name, image: image.resized(longestSide: min(paletteThumbnailSide, max(image.width, image.height))))
            } : []
        return StyleDistribution(families: Array(Set(fams)), heldOut: Array(Set(held)), sizes: sizes, weightSpread: weightSpread,
                                 palettePhotos: photos, bundledStyles: bundled, directoryStyles: directoryStyles,
                                 directory: styleDirectory)
    }
}

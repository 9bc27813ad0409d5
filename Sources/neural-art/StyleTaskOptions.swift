import ArgumentParser
import NeuralArt

/// Options of the `style` task, shared by meta-train, tune and evaluate (ignored by other tasks).
struct StyleTaskOptions: ParsableArguments {
    @Option(name: .customLong("image-size"), help: "Style task: side of the square content crops, in pixels.")
    var imageSize: Int = 64

    @Option(name: .customLong("style-image"), help: "Style task: the style image (default: the bundled swirls.png).")
    var styleImage: String?

    @Option(name: .customLong("content-dir"), help: "Style task: folder of content photos (default: the bundled split; the last 2 by name are held out).")
    var contentDirectory: String?

    @Flag(name: .customLong("augment-style"), help: "Style task: each training problem uses a random view of the style image (crop of 50–100 %, flip, RGB order); validation and test use the image itself.")
    var augmentStyle = false

    @Option(name: .customLong("style-families"),
            help: ArgumentHelp("Style task: draw each problem's style, crop size and loss weights from a style distribution over these families: all (every procedural family and bundled, plus dir with --style-dir) or a comma-separated list of \(StyleFamily.namesList). Default: the one style image.", valueName: "all|list"))
    var styleFamilies: String?

    @Option(name: .customLong("held-out-families"),
            help: ArgumentHelp("Style task with a distribution: families drawn only for validation and test problems, or none. Default: \(StyleDistribution.defaultHeldOut.map(\.rawValue).joined(separator: ",")) (those among --style-families).", valueName: "list|none"))
    var heldOutFamilies: String?

    @Option(name: .customLong("style-dir"),
            help: "Style task: folder of your own style images (PNG/JPEG), the dir family; alone it is the only family drawn from.")
    var styleDirectory: String?

    @Option(name: .customLong("crop-sizes"),
            help: ArgumentHelp("Style task with a distribution: crop sides drawn log-uniformly from this range (multiples of 8), e.g. 32-128, or one size. Default: \(StyleDistribution.defaultSizes.lowerBound)-\(StyleDistribution.defaultSizes.upperBound).", valueName: "min-max"))
    var cropSizes: String?

    @Option(name: .customLong("weight-spread"),
            help: "Style task with a distribution: each problem's content, style, sliced and TV weights are the defaults times 10^u, u uniform in ±this many decades (0: the defaults). Default: \(StyleDistribution.defaultWeightSpread).")
    var weightSpread: Float?

    @Option(name: .customLong("coarse-to-fine"),
            help: ArgumentHelp("Style task with a distribution: paint each problem as stylize paints a picture, first at half the crop size for this many steps (for meta-train a multiple of --unroll), then at the crop size from that picture upsampled, the optimizer's state carried. Default: one scale.", valueName: "steps"))
    var coarseToFine: Int?

    @Option(name: .customLong("palette-start"),
            help: ArgumentHelp("Style task with a distribution: the share of problems (0–1, drawn per problem) whose content crop is first recoloured to its style's colour statistics, as stylize's default --init palette does; that crop is then the start and the content reference. Default: 0 (every problem starts from the crop as it is).", valueName: "share"))
    var paletteStart: Double?

    /// Whether a style distribution is asked for.
    var usesDistribution: Bool { styleFamilies != nil || styleDirectory != nil }

    func validate() throws {
        guard imageSize >= 16 && imageSize <= 1024 else { throw ValidationError("--image-size must be between 16 and 1024") }
        guard usesDistribution else {
            for (flag, given) in [("--held-out-families", heldOutFamilies != nil), ("--crop-sizes", cropSizes != nil),
                                  ("--weight-spread", weightSpread != nil), ("--coarse-to-fine", coarseToFine != nil),
                                  ("--palette-start", paletteStart != nil)] where given {
                throw ValidationError("\(flag) needs a style distribution (--style-families or --style-dir)")
            }
            return
        }
        if styleImage != nil { throw ValidationError("--style-image and --style-families/--style-dir exclude each other (put the image in a --style-dir)") }
        if augmentStyle { throw ValidationError("--augment-style and --style-families/--style-dir exclude each other") }
        _ = try families()
        _ = try sizes()
        if let w = weightSpread, !(w >= 0 && w <= 3) { throw ValidationError("--weight-spread must be between 0 and 3 decades (got \(w))") }
        if let p = paletteStart, !(p >= 0 && p <= 1) { throw ValidationError("--palette-start must be between 0 and 1 (got \(p))") }
        if let k = coarseToFine {
            guard k >= 1 && k <= 100_000 else { throw ValidationError("--coarse-to-fine must be between 1 and 100000 steps (got \(k))") }
            guard try sizes().lowerBound >= 32 else { throw ValidationError("--coarse-to-fine needs --crop-sizes of at least 32 px (they are halved)") }
        }
    }

    /// The families and held-out families asked for (nil held-out: the defaults).
    func families() throws -> (drawn: [StyleFamily], heldOut: [StyleFamily]?) {
        do {
            let drawn = try styleFamilies.map { try StyleFamily.parseList($0, includeDirectory: styleDirectory != nil) } ?? [.dir]
            guard !drawn.isEmpty else { throw ValidationError("--style-families: name at least one family") }
            if drawn.contains(.dir) && styleDirectory == nil { throw ValidationError("--style-families dir needs --style-dir <folder>") }
            let held = try heldOutFamilies.map { try StyleFamily.parseList($0, includeDirectory: styleDirectory != nil) }
            if let held {
                if let stray = held.first(where: { !drawn.contains($0) }) {
                    throw ValidationError("--held-out-families: '\(stray.rawValue)' is not among the families drawn from (\(drawn.map(\.rawValue).joined(separator: ",")))")
                }
                if held.count >= drawn.count { throw ValidationError("--held-out-families: every family is held out; none is left to train on") }
            }
            return (drawn, held)
        } catch let e as StyleTaskError {
            throw ValidationError("\(e)")
        }
    }

    /// `--crop-sizes` as a range.
    func sizes() throws -> ClosedRange<Int> {
        guard let text = cropSizes else { return StyleDistribution.defaultSizes }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        guard (1...2).contains(parts.count), parts.allSatisfy({ $0 != nil }) else {
            throw ValidationError("--crop-sizes must be a size or a range such as 32-128 (got '\(text)')")
        }
        let lo = parts[0]!, hi = parts.last!!
        guard lo >= 16, hi <= 1024, lo <= hi else {
            throw ValidationError("--crop-sizes must lie between 16 and 1024 pixels, smaller first (got '\(text)')")
        }
        return lo...hi
    }

    /// The style task these options describe.
    func makeTask() throws -> StyleTask {
        guard usesDistribution else {
            return try StyleTask.load(size: imageSize, style: styleImage, contentDirectory: contentDirectory,
                                      augmentStyle: augmentStyle)
        }
        let f = try families()
        let distribution = try StyleDistribution.load(
            families: f.drawn, heldOut: f.heldOut, styleDirectory: styleDirectory, sizes: try sizes(),
            weightSpread: weightSpread ?? StyleDistribution.defaultWeightSpread)
        return try StyleTask.load(contentDirectory: contentDirectory, distribution: distribution, coarseSteps: coarseToFine,
                                  paletteStart: paletteStart ?? 0)
    }
}

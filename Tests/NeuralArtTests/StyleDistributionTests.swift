import XCTest
import ImageIO
import MetaLearning
import Numerics
@testable import NeuralArt

final class StyleDistributionTests: XCTestCase {
    typealias Named = StyleDistribution.NamedImage

    func picture(_ k: Int, width: Int = 60, height: Int = 50) -> Image { Self.picture(k, width: width, height: height) }

    /// A synthetic picture (no file read), different for each `k`.
    static func picture(_ k: Int, width: Int = 60, height: Int = 50) -> Image {
        var px = [Float](repeating: 0, count: 3 * width * height)
        for c in 0..<3 { for y in 0..<height { for x in 0..<width {
            px[(c * height + y) * width + x] = Float((x * (c + 1) + y * (k + 2)) % 53) / 52
        }}}
        return Image(width: width, height: height, pixels: px)
    }

    /// Every family; images and photos are synthetic, so no file is read.
    func makeDistribution(heldOut: [StyleFamily] = StyleDistribution.defaultHeldOut, sizes: ClosedRange<Int> = 16...32,
                          spread: Float = 0.5) -> StyleDistribution {
        Self.makeDistribution(heldOut: heldOut, sizes: sizes, spread: spread)
    }

    static func makeDistribution(heldOut: [StyleFamily] = StyleDistribution.defaultHeldOut, sizes: ClosedRange<Int> = 16...32,
                                 spread: Float = 0.5) -> StyleDistribution {
        StyleDistribution(families: StyleFamily.allCases, heldOut: heldOut, sizes: sizes, weightSpread: spread,
                          palettePhotos: [Named(name: "p", image: picture(9))],
                          bundledStyles: [Named(name: "b1", image: picture(1)), Named(name: "b2", image: picture(2))],
                          directoryStyles: [Named(name: "d1", image: picture(3))], directory: "/nowhere")
    }

    func makeTask(_ d: StyleDistribution) -> StyleTask {
        StyleTask(training: [("a", picture(4, width: 140, height: 130)), ("b", picture(5, width: 150, height: 140))],
                  heldOut: [("c", picture(6, width: 140, height: 140))], distribution: d)
    }

    func testDrawsAreDeterministic() {
        let d = makeDistribution()
        for split in Split.allCases {
            for i in 0..<12 {
                let a = d.draw(seed: 3, split: split, index: i, baseWeights: .default)
                let b = makeDistribution().draw(seed: 3, split: split, index: i, baseWeights: .default)
                XCTAssertEqual(a.image.pixels.map(\.bitPattern), b.image.pixels.map(\.bitPattern))
                XCTAssertEqual([a.family, a.name, a.size] as [AnyHashable], [b.family, b.name, b.size])
                XCTAssertEqual(a.weights, b.weights)
                XCTAssertEqual(d.family(seed: 3, split: split, index: i), a.family)
            }
        }
    }

    /// Training, validation and test streams give different styles (and each stream's problems
    /// differ from one another).
    func testStreamsAreDisjoint() {
        let d = makeDistribution()
        var seen: [Split: [[Float]]] = [:]
        for split in Split.allCases {
            seen[split] = (0..<16).map { d.draw(seed: 3, split: split, index: $0, baseWeights: .default).image.pixels }
            XCTAssertEqual(Set(seen[split]!).count, 16, "\(split): repeated styles")
        }
        XCTAssertTrue(Set(seen[.training]!).isDisjoint(with: Set(seen[.validation]!)))
        XCTAssertTrue(Set(seen[.training]!).isDisjoint(with: Set(seen[.test]!)))
        XCTAssertTrue(Set(seen[.validation]!).isDisjoint(with: Set(seen[.test]!)))
    }

    func testHeldOutFamiliesNeverTrainButAreValidatedAndTested() {
        let d = makeDistribution(heldOut: StyleDistribution.defaultHeldOut + [.dir])
        XCTAssertEqual(d.trainingFamilies, [.cells, .marble, .stripes, .strokes, .wash, .bundled])
        let training = Set((0..<600).map { d.family(seed: 11, split: .training, index: $0) })
        XCTAssertEqual(training, Set(d.trainingFamilies), "every training family drawn, no held-out one")
        for split in [Split.validation, .test] {
            let families = Set((0..<StyleFamily.allCases.count).map { d.family(seed: 11, split: split, index: $0) })
            XCTAssertEqual(families, Set(StyleFamily.allCases), "\(split) covers every family")
        }
    }

    func testSizesAndWeightsStayInTheirRanges() {
        let d = makeDistribution(sizes: 32...128)
        var sizes = Set<Int>(), slicedOff = 0
        for i in 0..<200 {
            let g = d.draw(seed: 1, split: .training, index: i, baseWeights: .default)
            sizes.insert(g.size)
            XCTAssertTrue(g.size % 8 == 0 && (32...128).contains(g.size))
            XCTAssertEqual([g.image.width, g.image.height], [g.size, g.size])
            let w = g.weights, b = LossWeights.default, r = Float(pow(10, 0.5)) * 1.0001
            for (x, y) in [(w.content, b.content), (w.style, b.style), (w.tv, b.tv)] { XCTAssertTrue(x >= y / r && x <= y * r) }
            if w.sliced == 0 { slicedOff += 1 } else { XCTAssertTrue(w.sliced >= b.sliced / r && w.sliced <= b.sliced * r) }
        }
        XCTAssertTrue(sizes.contains(32) && sizes.contains(128) && sizes.count >= 8, "\(sizes.sorted())")
        XCTAssertTrue((10...45).contains(slicedOff), "sliced off in \(slicedOff) of 200 (1 in 8 expected)")
        let fixed = makeDistribution(sizes: 24...24, spread: 0).draw(seed: 1, split: .test, index: 0, baseWeights: .default)
        XCTAssertEqual(fixed.size, 24)
        XCTAssertEqual(fixed.weights, .default)
    }

    /// A distribution task's problems: the drawn size, style and weights, a pyramid as stylize
    /// uses, content crops from the right split; its settings record the distribution.
    func testTaskProblemsFollowTheDraws() {
        let task = makeTask(makeDistribution(sizes: 16...72))
        for (split, index) in [(Split.training, 0), (.training, 5), (.validation, 2), (.test, 1)] {
            let draw = task.styleDraw(split: split, index: index)
            let p = task.makeProblem(split: split, index: index) as! StyleProblem
            XCTAssertEqual(p.parameterCount, 3 * draw.size * draw.size)
            XCTAssertEqual(p.stylization.weights, draw.weights)
            XCTAssertEqual(p.stylization.levels, StylizationProblem.pyramidLevels(height: draw.size, width: draw.size))
            XCTAssertEqual(p.initialParameters(), task.contentCrop(split: split, index: index, size: draw.size).pixels)
        }
        let s = task.settings
        XCTAssertEqual(s["style"], "distribution")
        XCTAssertEqual(s["styleFamilies"], "cells,marble,stripes,dots,strokes,mosaic,wash,crackle,ripples,plaid,contours,"
                       + "facets,truchet,drips,camo,impasto,whirls,bundled,dir")
        XCTAssertEqual(s["heldOutFamilies"], "dots,mosaic,crackle,ripples,plaid,contours,facets,truchet,drips,camo,impasto,whirls")
        XCTAssertEqual(s["cropSizes"], "16-72")
        XCTAssertEqual(s["styleDirFiles"], "d1")
        XCTAssertNotEqual(makeTask(makeDistribution(heldOut: [.wash])).settings, s)
    }

    /// Palette starts: a drawn share of problems starts from (and is normalized at) its crop
    /// recoloured to the drawn style's colour statistics; the crop, the style draw and the other
    /// problems are those of the task without palette starts.
    func testPaletteStartsRecolourTheCropToTheStyle() {
        func task(_ p: Double, coarse: Int? = nil) -> StyleTask {
            let d = makeDistribution(sizes: coarse == nil ? 16...40 : 32...48)
            return StyleTask(training: [("a", picture(4, width: 140, height: 130)), ("b", picture(5, width: 150, height: 140))],
                      heldOut: [("c", picture(6, width: 140, height: 140))], distribution: d, coarseSteps: coarse,
                      paletteStart: p)
        }
        let none = task(0), all = task(1), half = task(0.5)
        XCTAssertNil(none.settings["paletteStart"])
        XCTAssertEqual(half.settings["paletteStart"], "0.5 of problems start from the crop in the style's colours")
        let indices = Array(0..<40)
        XCTAssertFalse(indices.contains { none.startsFromPalette(split: .training, index: $0) })
        XCTAssertTrue(indices.allSatisfy { all.startsFromPalette(split: .validation, index: $0) })
        let drawn = indices.filter { half.startsFromPalette(split: .training, index: $0) }
        XCTAssertTrue((12...28).contains(drawn.count), "\(drawn.count) of 40 palette starts at share 0.5")
        XCTAssertEqual(drawn, indices.filter { task(0.5).startsFromPalette(split: .training, index: $0) })
        for (split, index) in [(Split.training, drawn[0]), (.training, indices.first { !drawn.contains($0) }!), (.test, 3)] {
            let draw = half.styleDraw(split: split, index: index)
            XCTAssertEqual(draw.name, none.styleDraw(split: split, index: index).name)
            let crop = half.contentCrop(split: split, index: index, size: draw.size)
            XCTAssertEqual(crop.pixels, none.contentCrop(split: split, index: index, size: draw.size).pixels)
            let p = half.makeProblem(split: split, index: index) as! StyleProblem
            let start = half.startsFromPalette(split: split, index: index)
                ? crop.matchingColorStatistics(of: [draw.image]) : crop
            XCTAssertEqual(p.initialParameters(), start.pixels)
            // The start is also the content reference: the content term is zero there.
            var g = [Float](repeating: 0, count: p.parameterCount)
            _ = start.pixels.withUnsafeBufferPointer { p.lossAndGradient(at: $0.baseAddress!, gradient: &g) }
            XCTAssertEqual(p.lastLoss?.content ?? -1, 0, accuracy: 1e-6)
        }
        // The recoloured crop takes the style's mean colour (up to clamping to [0, 1]).
        let p = all.makeProblem(split: .training, index: 0) as! StyleProblem
        let styleMean = all.styleDraw(split: .training, index: 0).image.colorMoments().mean
        let startMean = Image(width: p.stylization.width, height: p.stylization.height, pixels: p.initialParameters())
            .colorMoments().mean
        for c in 0..<3 { XCTAssertEqual(startMean[c], styleMean[c], accuracy: 0.05) }
        // Coarse to fine: the half-size start is the recoloured crop, resized.
        let c2f = task(1, coarse: 2)
        let draw = c2f.styleDraw(split: .test, index: 1)
        let h = draw.size / 2
        XCTAssertEqual(c2f.makeProblem(split: .test, index: 1).initialParameters(),
                       c2f.contentCrop(split: .test, index: 1, size: draw.size).matchingColorStatistics(of: [draw.image])
                        .resized(width: h, height: h).pixels)
    }

    /// Problems of different sizes in one batch: a few meta-steps at 16–32 px change φ, and
    /// validation (which includes held-out families) gives a finite loss.
    func testMetaTrainingSmokeRunOnTheDistribution() throws {
        let task = makeTask(makeDistribution(sizes: 16...32))
        let settings = MetaTrainingSettings(metaSteps: 4, horizon: 4, unroll: 2, problemsPerStep: 2,
                                            metaLearningRate: 1e-2, clipNorm: 1, validateEvery: 4,
                                            validationProblems: 3, seed: 3, objective: .log, randomScale: 1)
        let trainer = try MetaTrainer(task: task, configuration: LSTMConfiguration(), settings: settings)
        let before = trainer.weights
        try trainer.run()
        XCTAssertNotEqual(trainer.weights, before)
        XCTAssertEqual(trainer.progress.metaStep, 4)
        XCTAssertTrue(trainer.progress.bestValidationLoss?.isFinite ?? false)
    }

    /// FNV-1a over the bit patterns of `values`.
    func fingerprint(_ values: [Float]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for v in values { h = (h ^ UInt64(v.bitPattern)) &* 0x100_0000_01b3 }
        return h
    }

    /// The default distribution (every procedural family and `bundled`, the default held-out
    /// families, default sizes and spread) draws the same training problems as before families
    /// were added: a model meta-trained with default flags trains on what it trained on before.
    /// The values below were printed by the code of commit 6e6078d (7 procedural families).
    func testDefaultTrainingDrawsAreUnchanged() {
        let d = StyleDistribution(families: StyleFamily.proceduralFamilies + [.bundled], heldOut: StyleDistribution.defaultHeldOut,
                                  palettePhotos: [Named(name: "p", image: picture(9))],
                                  bundledStyles: [Named(name: "b1", image: picture(1)), Named(name: "b2", image: picture(2))])
        XCTAssertEqual(d.trainingFamilies, [.cells, .marble, .stripes, .strokes, .wash, .bundled])
        XCTAssertEqual(Set(StyleDistribution.defaultHeldOut),
                       Set([.dots, .mosaic] + StyleFamily.proceduralFamilies.drop { $0 != .wash }.dropFirst()),
                       "held out by default: dots, mosaic and every family after wash")
        // (name, size, fingerprint of the image, fingerprint of the weights) of training problems 0..<10.
        let expected: [(String, Int, UInt64, UInt64)] = [
            ("b1", 48, 10305330825087529088, 16954564822763908488),
            ("strokes ffaa9e2017540824", 64, 728680045359872737, 9869315211052733446),
            ("cells f494c415f489896e", 96, 8744207009605974015, 1727411867267907222),
            ("strokes b5fffe80d7c36516", 40, 13459664248691090228, 1440863987029099300),
            ("b2", 104, 8258385262938710994, 14090399222166968222),
            ("wash 3414fce8f0285268", 32, 15313826209665407855, 7330881141887884676),
            ("strokes 873c4b5cc5d0ddb1", 48, 7503403563156124213, 16872809796537891140),
            ("strokes db6309c16bfa99a3", 64, 9356565889738701569, 6215288470093068066),
            ("cells 9c639a637c832252", 56, 11465487170891468608, 6477888576521792106),
            ("strokes f6915f45087b8d62", 48, 8935887854883391457, 9420579803131619874),
        ]
        for (i, e) in expected.enumerated() {
            let g = d.draw(seed: 5, split: .training, index: i, baseWeights: .default)
            let w = g.weights
            XCTAssertEqual(g.name, e.0, "training problem \(i)")
            XCTAssertEqual(g.size, e.1, "training problem \(i)")
            XCTAssertEqual(fingerprint(g.image.pixels), e.2, "training problem \(i): style image")
            XCTAssertEqual(fingerprint([w.content, w.style, w.tv, w.sliced]), e.3, "training problem \(i): weights")
        }
    }

    /// Each family's first n validation (or test) problems; training draws only training families.
    func testProblemIndicesPerFamily() {
        let d = makeDistribution()
        let task = makeTask(d)
        let groups = task.problemIndicesByFamily(split: .validation, perFamily: 2)
        XCTAssertEqual(groups.map(\.family), d.families)
        let n = d.families.count
        for (k, g) in groups.enumerated() { XCTAssertEqual(g.indices, [k, k + n], "\(g.family)") }
        XCTAssertEqual(task.problemIndicesByFamily(split: .test, perFamily: 1).map(\.indices), (0..<n).map { [$0] })
        let training = task.problemIndicesByFamily(split: .training, perFamily: 3)
        XCTAssertEqual(training.map(\.family), d.trainingFamilies)
        for g in training {
            XCTAssertEqual(g.indices.count, 3)
            XCTAssertTrue(g.indices.allSatisfy { d.family(seed: task.seed, split: .training, index: $0) == g.family })
        }
    }

    func testFamilyListsParse() throws {
        XCTAssertEqual(try StyleFamily.parseList("all", includeDirectory: false), StyleFamily.proceduralFamilies + [.bundled])
        XCTAssertEqual(try StyleFamily.parseList("all", includeDirectory: true), StyleFamily.allCases)
        XCTAssertEqual(try StyleFamily.parseList(" wash, cells,wash", includeDirectory: false), [.cells, .wash])
        XCTAssertEqual(try StyleFamily.parseList("none", includeDirectory: false), [])
        let added: [StyleFamily] = [.crackle, .ripples, .plaid, .contours, .facets, .truchet, .drips, .camo, .impasto, .whirls]
        XCTAssertEqual(try StyleFamily.parseList("whirls,impasto, camo,drips,truchet,facets,contours,plaid,ripples,crackle,wash",
                                                 includeDirectory: false), [.wash] + added)
        XCTAssertTrue(Set(try StyleFamily.parseList("all", includeDirectory: false)).isSuperset(of: added))
        XCTAssertEqual(added.map { $0.procedural?.rawValue }, added.map(\.rawValue))
        XCTAssertThrowsError(try StyleFamily.parseList("cells,glass", includeDirectory: false)) {
            XCTAssertEqual($0 as? StyleTaskError, .unknownFamily("glass"))
        }
    }

    /// --style-dir errors are typed and one line: a missing folder, a folder without images,
    /// a damaged image (named), held-out families that are not drawn or leave none to train on.
    func testStyleDirectoryAndFamilyErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("styles-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertThrowsError(try StyleDistribution.load(families: [.dir], heldOut: [], styleDirectory: dir)) {
            XCTAssertEqual($0 as? StyleTaskError, .unreadableDirectory(dir))
        }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: dir + "/notes.txt"))
        XCTAssertThrowsError(try StyleDistribution.load(families: [.dir], heldOut: [], styleDirectory: dir)) {
            XCTAssertEqual($0 as? StyleTaskError, .noStyleImages(directory: dir))
            XCTAssertFalse("\($0)".contains("\n"))
        }
        try Data("not a png".utf8).write(to: URL(fileURLWithPath: dir + "/broken.png"))
        XCTAssertThrowsError(try StyleDistribution.load(families: [.dir], heldOut: [], styleDirectory: dir)) {
            XCTAssertTrue("\($0)".contains("broken.png"), "\($0)")
        }
        try ImageFile.write(picture(1), to: dir + "/broken.png")
        let d = try StyleDistribution.load(families: [.dir], heldOut: nil, styleDirectory: dir, sizes: 16...16)
        XCTAssertEqual(d.heldOut, [])
        XCTAssertEqual(d.style(.dir, seed: 1, size: 16).name, "broken.png")
        XCTAssertThrowsError(try StyleDistribution.load(families: [.dir], heldOut: [.dir], styleDirectory: dir)) {
            XCTAssertEqual($0 as? StyleTaskError, .everyFamilyHeldOut)
        }
        XCTAssertThrowsError(try StyleDistribution.load(families: [.cells], heldOut: [.wash])) {
            XCTAssertEqual($0 as? StyleTaskError, .heldOutNotDrawn("wash", drawn: "cells"))
        }
        XCTAssertThrowsError(try StyleDistribution.load(families: [.dir, .cells])) {
            XCTAssertEqual($0 as? StyleTaskError, .dirFamilyWithoutDirectory)
        }
    }
}

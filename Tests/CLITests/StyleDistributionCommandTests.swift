import Foundation
import XCTest

/// `neural-art styles` and the style task's distribution options (issue 15, item 1).
final class StyleDistributionCommandTests: CLITestCase {
    func testStylesWritesSamplesAndContactSheetDeterministically() throws {
        let args = ["styles", "--families", "cells,dots,bundled", "--samples", "2", "--size", "32", "--cell", "32", "--quiet"]
        let a = try run(args + ["--output-dir", temp("a")], timeout: 60)
        XCTAssertEqual(a.status, 0, a.stderr)
        let b = try run(args + ["--output-dir", temp("b")], timeout: 60)
        XCTAssertEqual(b.status, 0, b.stderr)
        for name in ["cells-0.png", "cells-1.png", "dots-0.png", "dots-1.png", "bundled-0.png", "bundled-1.png", "contact-sheet.jpg"] {
            let x = try Data(contentsOf: URL(fileURLWithPath: temp("a/" + name)))
            XCTAssertEqual(x, try Data(contentsOf: URL(fileURLWithPath: temp("b/" + name))), name)
        }
        assertUsageError(try run(["styles", "--families", "glass"]), mentioning: "unknown style family 'glass'")
    }

    /// A few meta-steps on the distribution from the command line; the model records it.
    func testMetaTrainOnTheDistribution() throws {
        let model = temp("d.lstm")
        let r = try run(["meta-train", "--task", "style", "--style-families", "all", "--held-out-families", "wash,dots",
                         "--crop-sizes", "16-24", "--meta-steps", "2", "--horizon", "4", "--unroll", "2",
                         "--validate-every", "2", "--validation-problems", "2", "--output", model, "--quiet"], timeout: 120)
        XCTAssertEqual(r.status, 0, r.stderr)
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: model)), as: UTF8.self)
        let all = "cells,marble,stripes,dots,strokes,mosaic,wash,crackle,ripples,plaid,contours,facets,truchet,drips,camo,impasto,whirls,bundled"
        for needle in ["\"styleFamilies\" : \"\(all)\"",
                       "\"heldOutFamilies\" : \"dots,wash\"", "\"cropSizes\" : \"16-24\"", "\"style\" : \"distribution\""] {
            XCTAssertTrue(text.contains(needle), needle)
        }
    }

    /// evaluate --by-family: one row per family among the test problems, held-out ones starred.
    func testEvaluateByFamily() throws {
        let d = ["--task", "style", "--style-families", "cells,dots,wash", "--held-out-families", "dots", "--crop-sizes", "16"]
        let baselines = temp("b.json")
        let tune = try run(["tune"] + d + ["--problems", "1", "--steps", "2", "--output", baselines, "--quiet"], timeout: 60)
        XCTAssertEqual(tune.status, 0, tune.stderr)
        let r = try run(["evaluate"] + d + ["--baselines", baselines, "--problems", "4", "--steps", "2", "--by-family",
                                           "--output-dir", temp("."), "--quiet"], timeout: 60)
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let start = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("mean loss at step 2 by style family") })
        XCTAssertTrue(lines[start + 1].hasPrefix("family     problems  sgd"), lines[start + 1])
        XCTAssertEqual(lines[(start + 2)...(start + 4)].map { String($0.prefix(5)) }, ["cells", "dots*", "wash "])
        let counts = lines[(start + 2)...(start + 4)].map { Int($0.split(separator: " ")[1])! }
        XCTAssertEqual(counts, [2, 1, 1])   // test problem i has family i mod 3
        assertUsageError(try run(["evaluate", "--task", "style", "--by-family", "--baselines", baselines]),
                         mentioning: "--by-family needs the style task with a style distribution")
    }

    func testDistributionOptionErrorsAreOneLine() throws {
        let base = ["meta-train", "--task", "style", "--meta-steps", "1", "--output", temp("x.lstm")]
        assertUsageError(try run(base + ["--style-families", "cells,glass"]), mentioning: "unknown style family 'glass'")
        assertUsageError(try run(base + ["--held-out-families", "dots"]), mentioning: "--held-out-families needs a style distribution")
        assertUsageError(try run(base + ["--style-families", "cells,dots", "--held-out-families", "cells,dots"]),
                         mentioning: "every family is held out")
        assertUsageError(try run(base + ["--style-families", "cells", "--held-out-families", "wash"]),
                         mentioning: "'wash' is not among the families drawn from (cells)")
        assertUsageError(try run(base + ["--style-families", "all", "--style-image", image("swirls.png")]),
                         mentioning: "--style-image and --style-families/--style-dir exclude each other")
        assertUsageError(try run(base + ["--style-families", "all", "--crop-sizes", "8-32"]), mentioning: "--crop-sizes")
        assertUsageError(try run(base + ["--style-families", "dir"]), mentioning: "--style-families dir needs --style-dir")
        let empty = temp("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        assertFails(try run(base + ["--style-dir", empty]), mentioning: "the style folder '\(empty)' holds no PNG or JPEG image")
        assertFails(try run(base + ["--style-dir", temp("missing")]), mentioning: "cannot read the folder")
    }

    /// The tiny style meta-training run of these tests (2 meta-steps on 32-px crops of two
    /// families, coarse to fine with 2 coarse steps) with `flags`; returns the model file's text.
    func tinyMetaTrain(_ flags: [String], output model: String) throws -> String {
        let r = try run(tinyTask + flags + ["--coarse-to-fine", "2", "--meta-steps", "2", "--horizon", "4", "--unroll", "2",
                                            "--validate-every", "2", "--validation-problems", "2", "--output", model, "--quiet"],
                        timeout: 120)
        XCTAssertEqual(r.status, 0, r.stderr)
        return String(decoding: try Data(contentsOf: URL(fileURLWithPath: model)), as: UTF8.self)
    }

    /// `stylize` with `model`, 2 scales from 48 px (a non-square canvas), writes `output`.
    func assertStylizesCoarseToFine(_ model: String, output: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let s = try run(["stylize", "--model", model, "--size", "48", "--scales", "2", "--coarse-iterations", "2", "-i", "2",
                         "--output", output, "--quiet"])
        XCTAssertEqual(s.status, 0, s.stderr, file: file, line: line)
        XCTAssertTrue(FileManager.default.fileExists(atPath: output), file: file, line: line)
    }

    let tinyTask = ["meta-train", "--task", "style", "--style-families", "cells,wash", "--held-out-families", "none",
                    "--crop-sizes", "32"]

    /// meta-train --coarse-to-fine --palette-start: a tiny run records both in the model; bad
    /// settings are one-line errors.
    func testMetaTrainCoarseToFine() throws {
        let d = tinyTask
        let text = try tinyMetaTrain(["--palette-start", "0.5"], output: temp("c2f.lstm"))
        XCTAssertTrue(text.contains("\"coarseToFine\" : \"2 steps at half the crop size"), "model settings")
        XCTAssertTrue(text.contains("\"paletteStart\" : \"0.5 of problems start from the crop in the style's colours"),
                      "model settings")
        assertUsageError(try run(d + ["--palette-start", "1.5", "--output", temp("x.lstm")]),
                         mentioning: "--palette-start must be between 0 and 1 (got 1.5)")
        assertUsageError(try run(["meta-train", "--task", "style", "--palette-start", "1", "--output", temp("x.lstm")]),
                         mentioning: "--palette-start needs a style distribution")
        assertUsageError(try run(["meta-train", "--task", "style", "--coarse-to-fine", "2", "--output", temp("x.lstm")]),
                         mentioning: "--coarse-to-fine needs a style distribution")
        assertUsageError(try run(["meta-train", "--task", "style", "--style-families", "cells", "--crop-sizes", "16",
                                  "--coarse-to-fine", "2", "--output", temp("x.lstm")]),
                         mentioning: "--coarse-to-fine needs --crop-sizes of at least 32 px")
        assertFails(try run(d + ["--coarse-to-fine", "3", "--horizon", "8", "--unroll", "2", "--output", temp("y.lstm")]),
                    mentioning: "a multiple of the unroll (2)")
    }

    /// A high-pass model (`--high-pass`): trained coarse to fine, recorded in the model, then
    /// used where the problems are pictures on their canvas (stylize coarse to fine, with its
    /// wrap margin: not square) and by evaluate; bad values and flat tasks are one-line errors.
    func testMetaTrainWithHighPass() throws {
        let model = temp("hp.lstm"), d = tinyTask
        let text = try tinyMetaTrain(["--high-pass", "4,-0.5"], output: model)
        XCTAssertTrue(text.contains("\"highPass\""), "model header")
        try assertStylizesCoarseToFine(model, output: temp("hp.png"))
        let e = try run(["evaluate", "--task", "style", "--style-families", "cells", "--held-out-families", "none",
                         "--crop-sizes", "32", "--problems", "2", "--steps", "3", "--model", model, "--baselines",
                         "models/neural-art-baselines.json", "--output-dir", temp("ev"), "--quiet"])
        XCTAssertEqual(e.status, 0, e.stderr)
        assertUsageError(try run(d + ["--high-pass", "0,-0.5", "--output", temp("x.lstm")]),
                         mentioning: "--high-pass takes a radius of 1–1024 pixels, a gain in (−1, 16)")
        assertUsageError(try run(d + ["--high-pass", "4,-0.5,0", "--output", temp("x.lstm")]),
                         mentioning: "optionally a ramp of 1–1000 steps")
        let ramped = try tinyMetaTrain(["--high-pass", "4,-0.5,3"], output: temp("hpr.lstm"))
        XCTAssertTrue(ramped.contains("\"ramp\" : 3"), "model header")
        assertUsageError(try run(["meta-train", "--task", "quadratic", "--high-pass", "2,-0.5", "--output", temp("x.lstm")]),
                         mentioning: "--high-pass needs image-shaped problems")
    }

    /// meta-train --local-mean: from a high-pass model (widened by a zero-weight input), the
    /// result records it and stylizes; without a high-pass it is a usage error.
    func testMetaTrainWithLocalMean() throws {
        try checkHighPassOption("--local-mean", key: "localMean", name: "lm")
    }

    /// `--luma-chroma`: the optimizer in the luminance/chroma basis, saved with the model (from a
    /// high-pass model, weights carried over); refused without a high-pass.
    func testMetaTrainWithLumaChroma() throws {
        try checkHighPassOption("--luma-chroma", key: "lumaChroma", name: "lc")
    }

    /// `--global-rms`: one more input (widened by a zero-weight input), saved; refused without a high-pass.
    func testMetaTrainWithGlobalRMS() throws {
        try checkHighPassOption("--global-rms", key: "globalRMS", name: "gr")
    }

    /// `--smooth-fraction`: one more input (widened by a zero-weight input), saved; refused
    /// without a high-pass.
    func testMetaTrainWithSmoothFraction() throws {
        try checkHighPassOption("--smooth-fraction", key: "smoothFraction", name: "sf")
    }

    /// `--shared-units K`: from a tiny model (widened by K zero-weight inputs), saved with the
    /// model, which stylizes; K outside 1…hidden size is a usage error.
    func testMetaTrainWithSharedUnits() throws {
        let start = temp("su-0.lstm"), model = temp("su.lstm")
        _ = try tinyMetaTrain([], output: start)
        let text = try tinyMetaTrain(["--initial-model", start, "--shared-units", "2"], output: model)
        XCTAssertTrue(text.contains("\"sharedUnits\" : 2"), "model header")
        try assertStylizesCoarseToFine(model, output: temp("su.png"))
        assertUsageError(try run(tinyTask + ["--shared-units", "0", "--output", temp("su-x.lstm")]),
                         mentioning: "--shared-units takes 1 to")
    }

    /// A tiny run with `flag` from a tiny high-pass model records `"key" : true`, and its model
    /// stylizes coarse to fine; `flag` without a high-pass is a usage error.
    func checkHighPassOption(_ flag: String, key: String, name: String, file: StaticString = #filePath,
                             line: UInt = #line) throws {
        let start = temp("\(name)-hp.lstm"), model = temp("\(name).lstm")
        _ = try tinyMetaTrain(["--high-pass", "4,-0.5"], output: start)
        let text = try tinyMetaTrain(["--initial-model", start, flag], output: model)
        XCTAssertTrue(text.contains("\"\(key)\" : true"), "model header", file: file, line: line)
        try assertStylizesCoarseToFine(model, output: temp("\(name).png"), file: file, line: line)
        assertUsageError(try run(tinyTask + [flag, "--output", temp("\(name)-x.lstm")]),
                         mentioning: "\(flag) needs a high-pass", file: file, line: line)
        // Likewise from a model without one (the flag would widen it).
        let plain = temp("\(name)-plain.lstm")
        _ = try tinyMetaTrain([], output: plain)
        assertUsageError(try run(tinyTask + ["--initial-model", plain, flag, "--output", temp("\(name)-y.lstm")]),
                         mentioning: "\(flag) needs a high-pass", file: file, line: line)
    }
}

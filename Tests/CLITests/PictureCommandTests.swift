import XCTest

/// stylize's picture pipeline seen from the command line: coarse-to-fine schedules, the palette
/// start, the memory refusal and the upscaling warning.
final class PictureCommandTests: CLITestCase {
    func writePNG(width: Int, height: Int, _ name: String) throws -> String {
        let path = temp(name)
        try TestFiles.png(width: width, height: height, rgb: (90, 140, 200)).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Asking for more pixels than the photo has warns on one line (also with --quiet); a size
    /// within the photo does not.
    func testUpscalingWarns() throws {
        let small = try writePNG(width: 20, height: 16, "small.png")
        let up = try run(["stylize", "--content", small, "--size", "40", "-i", "2", "-o", temp("up.png"), "-q"], timeout: 60)
        XCTAssertEqual(up.status, 0, up.stderr)
        XCTAssertTrue(up.stderr.contains("warning: --size 40 upscales"), up.stderr)
        let same = try run(["stylize", "--content", small, "--size", "20", "-i", "2", "-o", temp("same.png"), "-q"], timeout: 60)
        XCTAssertEqual(same.status, 0, same.stderr)
        XCTAssertFalse(same.stderr.contains("upscales"), same.stderr)
    }

    /// A --size whose memory estimate exceeds the limit is refused before any work, naming the
    /// estimate; no output file is written.
    func testSizeBeyondMemoryIsRefusedWithTheEstimate() throws {
        let out = temp("big.png")
        let r = try run(["stylize", "--size", "2048", "-o", out], timeout: 60,
                        environment: ["NEURALART_MEMORY_LIMIT_MB": "500"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("needs about") && r.stderr.contains("GB of memory"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    /// Coarse to fine above 256 px (128 → 256 → 320 here), the palette start, and a grey photo.
    func testCoarseToFineWithPaletteStart() throws {
        let grey = temp("grey.png")
        try TestFiles.png(width: 60, height: 40, rgb: (128, 128, 128)).write(to: URL(fileURLWithPath: grey))
        let out = temp("c2f.png")
        let r = try run(["stylize", "--content", grey, "--size", "320", "-i", "2", "--coarse-iterations", "2",
                         "--levels", "2", "--init", "palette", "-o", out], timeout: 120)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("80 px × 2") || r.stderr.contains("px × 2"), r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out))
    }

    /// The learned optimizer's default coarse schedule is half ADAM's (50 steps at the coarsest
    /// scale, 160 px here, then 0.6× that); an explicit --coarse-iterations still wins.
    func testLearnedOptimizerDefaultsToTheShortCoarseSchedule() throws {
        let grey = temp("grey-lstm.png")
        try TestFiles.png(width: 60, height: 40, rgb: (128, 128, 128)).write(to: URL(fileURLWithPath: grey))
        let r = try run(["stylize", "--content", grey, "--size", "320", "-i", "1", "--levels", "1",
                         "--optimizer", "lstm", "-o", temp("lstm.png")], timeout: 180)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("160 px × 50, 320 px × 1 steps"), r.stderr)
        let explicit = try run(["stylize", "--content", grey, "--size", "320", "-i", "1", "--levels", "1",
                                "--optimizer", "lstm", "--coarse-iterations", "2", "-o", temp("lstm2.png")], timeout: 120)
        XCTAssertEqual(explicit.status, 0, explicit.stderr)
        XCTAssertTrue(explicit.stderr.contains("160 px × 2, 320 px × 1 steps"), explicit.stderr)
    }

    /// After coarser scales the learned optimizer takes 20 steps at the output size by default,
    /// ADAM 30 (each with its own coarse schedule); an explicit -i wins for both.
    func testDefaultStepsAtTheOutputSize() throws {
        let grey = temp("grey-finest.png")
        try TestFiles.png(width: 60, height: 40, rgb: (128, 128, 128)).write(to: URL(fileURLWithPath: grey))
        for (optimizer, expected) in [("lstm", "32 px × 50, 64 px × 20 steps"), ("adam", "32 px × 100, 64 px × 30 steps")] {
            let r = try run(["stylize", "--content", grey, "--size", "64", "--scales", "2", "--levels", "1",
                             "--optimizer", optimizer, "-o", temp("finest-\(optimizer).png")], timeout: 120)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stderr.contains(expected), r.stderr)
        }
        let explicit = try run(["stylize", "--content", grey, "--size", "64", "--scales", "2", "--levels", "1",
                                "-i", "3", "--coarse-iterations", "2", "-o", temp("finest-3.png")], timeout: 120)
        XCTAssertEqual(explicit.status, 0, explicit.stderr)
        XCTAssertTrue(explicit.stderr.contains("32 px × 2, 64 px × 3 steps"), explicit.stderr)
    }
}

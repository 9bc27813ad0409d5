import XCTest
import ImageIO
import MetaLearning
import Numerics
@testable import NeuralArt

/// Issue 13, items 1 and 5 in the library: content sizes are checked before a `StyleTransfer`
/// is built, and `BestPixels` keeps the best picture of a run.
final class StylizeSafetyTests: XCTestCase {
    func testThinContentIsATypedErrorWithAWorkingSize() throws {
        XCTAssertThrowsError(try StyleTransfer.validatedContentSize(width: 2000, height: 100, size: 128)) { error in
            let e = error as? ContentSizeError
            XCTAssertEqual(e?.smallestWorkingSize, 150)
            XCTAssertEqual(e.map { "\($0)" },
                           "content 2000×100 px becomes 128×6 px at --size 128; its shorter side must be at least 8 px: use --size 150 or more")
        }
        // A 3:1 picture at --size 16 (16×5), and the tall case.
        for (w, h) in [(300, 100), (100, 300)] {
            XCTAssertThrowsError(try StyleTransfer.validatedContentSize(width: w, height: h, size: 16)) {
                XCTAssertEqual(($0 as? ContentSizeError)?.smallestWorkingSize, 23)
            }
            XCTAssertThrowsError(try StyleTransfer.validatedContentSize(width: w, height: h, size: 22))
            let fitted = try StyleTransfer.validatedContentSize(width: w, height: h, size: 23)
            XCTAssertEqual(min(fitted.width, fitted.height), RandVGGS.minimumSide)
        }
        // Too elongated for any size up to the maximum: a different hint.
        XCTAssertThrowsError(try StyleTransfer.validatedContentSize(width: 30_000, height: 20, size: 128)) {
            XCTAssertNil(($0 as? ContentSizeError)?.smallestWorkingSize)
            XCTAssertTrue("\($0)".hasSuffix("crop it to a less elongated picture"))
        }
        // Tiny and square pictures are scaled up and fine.
        XCTAssertEqual(try StyleTransfer.validatedContentSize(width: 1, height: 1, size: 16).width, 16)
        // Every size the check accepts builds a StyleTransfer (whose precondition it mirrors).
        for (w, h) in [(300, 100), (100, 300), (1, 1), (47, 8)] {
            let size = 16
            if (try? StyleTransfer.validatedContentSize(width: w, height: h, size: size)) != nil {
                let t = StyleTransfer(content: Image(width: w, height: h, fill: 0.5), styles: [Image(width: 8, height: 8, fill: 0.2)], size: size)
                XCTAssertGreaterThanOrEqual(min(t.width, t.height), RandVGGS.minimumSide)
            }
        }
    }

    /// Uniform grey content diverges with ADAM's default rate: the kept picture is the start,
    /// whose loss is the best of the history, and it is bit-identical to the first pixels.
    func testBestPixelsKeepsTheLowestLossPicture() throws {
        let transfer = StyleTransfer(content: Image(width: 32, height: 32, fill: 128 / 255),
                                     styles: [Image(width: 32, height: 32, pixels: (0..<(3 * 32 * 32)).map { Float($0 % 7) / 6 })],
                                     size: 32)
        let pixels = transfer.initialPixels(.content, seed: 0)
        let start = pixels.toArray()
        let keeper = BestPixels(start: pixels)
        let history = try transfer.run(optimizer: Baseline.adam.make(learningRate: Baseline.adam.stylizeLearningRate),
                                       pixels: pixels, iterations: 10) { step, current in
            keeper.observe(step, current)
            return true
        }
        keeper.finish(history: history, final: pixels)
        let losses = history.map(\.total)
        XCTAssertGreaterThan(losses.last!, losses.first!, "the fixture should diverge")
        XCTAssertEqual(keeper.loss, losses.min()!)
        XCTAssertEqual(keeper.step, losses.firstIndex(of: losses.min()!)!)
        let kept = keeper.pixels.toArray()
        if keeper.step == 0 { XCTAssertEqual(kept, start) }
        // The kept picture's loss is the recorded one.
        XCTAssertEqual(transfer.problem.evaluate(at: keeper.pixels.data, gradient: nil).total, keeper.loss, accuracy: 1e-4 * keeper.loss)
    }

    /// A converging run keeps its last picture.
    func testBestPixelsKeepsTheLastPictureOfAConvergingRun() throws {
        let content = Image(width: 24, height: 24, pixels: (0..<(3 * 24 * 24)).map { Float($0 % 11) / 10 })
        let transfer = StyleTransfer(content: content, styles: [Image(width: 24, height: 24, pixels: (0..<(3 * 24 * 24)).map { Float($0 % 5) / 4 })], size: 24)
        let pixels = transfer.initialPixels(.content, seed: 0)
        let keeper = BestPixels(start: pixels)
        let history = try transfer.run(optimizer: Baseline.adam.make(learningRate: 0.01), pixels: pixels, iterations: 5) { step, current in
            keeper.observe(step, current)
            return true
        }
        keeper.finish(history: history, final: pixels)
        XCTAssertLessThan(history.last!.total, history.first!.total)
        if keeper.step == 5 { XCTAssertEqual(keeper.pixels.toArray(), pixels.toArray()) }
        XCTAssertEqual(keeper.loss, history.map(\.total).min()!)
    }
}

import XCTest
import ImageIO
import MetaLearning
import Numerics
@testable import NeuralArt

/// Synthetic content source k (so tests need no files): sawtooth gradients with different
/// colours, `[3, height, width]` in [0, 1]. StyleTaskPinnedTests' numbers depend on it.
func syntheticSource(_ k: Int, width: Int = 90, height: Int = 70) -> Image {
    var px = [Float](repeating: 0, count: 3 * width * height)
    for c in 0..<3 { for y in 0..<height { for x in 0..<width {
        px[(c * height + y) * width + x] = Float((x * (c + 1) + y * (k + 2)) % 97) / 96
    }}}
    return Image(width: width, height: height, pixels: px)
}

final class StyleTaskTests: XCTestCase {
    func source(_ k: Int, width: Int = 90, height: Int = 70) -> Image {
        syntheticSource(k, width: width, height: height)
    }

    func makeTask(size: Int = 16, augmentStyle: Bool = false) -> StyleTask {
        StyleTask(training: [("a", source(1)), ("b", source(2))], heldOut: [("c", source(3))],
                  style: ("s", source(4, width: 40, height: 40)), size: size, augmentStyle: augmentStyle)
    }

    /// Style augmentation changes only training problems' targets: each is a seeded view of the
    /// style image (same pixels values, permuted channels, cropped and resized), while the content
    /// crops and every validation/test problem stay exactly those of the plain task.
    func testStyleAugmentationVariesTrainingTargetsOnly() {
        let plain = makeTask(), aug = makeTask(augmentStyle: true)
        XCTAssertEqual(aug.augmentedStyle(index: 5), makeTask(augmentStyle: true).augmentedStyle(index: 5))
        let views = (0..<12).map { aug.augmentedStyle(index: $0) }
        XCTAssertEqual(Set(views.map { $0.pixels.count }), [3 * 16 * 16])
        XCTAssertGreaterThan(Set(views.map { $0.pixels }).count, 10, "views should differ")
        for v in views { XCTAssertTrue(v.pixels.allSatisfy { $0 >= 0 && $0 <= 1 }) }
        func loss(_ p: any Problem) -> Float {
            let t = p.initialParameters()
            var g = [Float](repeating: 0, count: p.parameterCount)
            return t.withUnsafeBufferPointer { t in g.withUnsafeMutableBufferPointer { p.lossAndGradient(at: t.baseAddress!, gradient: $0.baseAddress!) } }
        }
        for split in [Split.validation, .test] {
            XCTAssertEqual(loss(aug.makeProblem(split: split, index: 2)), loss(plain.makeProblem(split: split, index: 2)))
        }
        XCTAssertEqual(aug.contentCrop(split: .training, index: 2), plain.contentCrop(split: .training, index: 2))
        XCTAssertNotEqual(loss(aug.makeProblem(split: .training, index: 2)), loss(plain.makeProblem(split: .training, index: 2)))
        XCTAssertNotNil(aug.settings["styleAugmentation"])
        XCTAssertNil(plain.settings["styleAugmentation"])
    }

    func testCropsAreDeterministicSizedAndDisjointAcrossSplits() {
        let t1 = makeTask(), t2 = makeTask()
        let a = t1.contentCrop(split: .training, index: 3), b = t2.contentCrop(split: .training, index: 3)
        XCTAssertEqual(a, b)
        XCTAssertEqual([a.width, a.height], [16, 16])
        XCTAssertNotEqual(t1.contentCrop(split: .validation, index: 3), t1.contentCrop(split: .test, index: 3))
        XCTAssertNotEqual(t1.contentCrop(split: .training, index: 3), t1.contentCrop(split: .training, index: 4))
        XCTAssertEqual(t1.settings["style"], "s")
        XCTAssertEqual(t1.defaultHorizon, 128)
    }

    func testProblemIsTheStylizationLossWithBoundsAndNormalizedScale() {
        let task = makeTask()
        let p = task.makeProblem(split: .test, index: 0) as! StyleProblem
        XCTAssertEqual(p.parameterCount, 3 * 16 * 16)
        XCTAssertEqual(p.bounds, 0...1)
        let theta = p.initialParameters()
        var g = [Float](repeating: 0, count: p.parameterCount)
        let f = theta.withUnsafeBufferPointer { t in g.withUnsafeMutableBufferPointer { p.lossAndGradient(at: t.baseAddress!, gradient: $0.baseAddress!) } }
        XCTAssertEqual(f, p.referenceLoss, accuracy: 1e-5 * max(1, f))   // starts at the content crop
        XCTAssertEqual(p.lossScale, Float(16 * 16) / 4096 / p.referenceLoss, accuracy: 1e-6 * p.lossScale)
        XCTAssertTrue(g.contains { $0 != 0 })
    }

    /// The learned optimizer runs on style problems through the same core as every task, and a
    /// few meta-steps change φ.
    func testMetaTrainingOnStyleProblemsChangesTheWeights() throws {
        let task = makeTask()
        let settings = MetaTrainingSettings(metaSteps: 2, horizon: 4, unroll: 2, problemsPerStep: 2,
                                            metaLearningRate: 1e-2, clipNorm: 1, validateEvery: 2,
                                            validationProblems: 2, seed: 3)
        let trainer = try MetaTrainer(task: task, configuration: LSTMConfiguration(), settings: settings)
        let before = trainer.weights
        let r = trainer.step()
        XCTAssertTrue(r.metaLoss.isFinite)
        XCTAssertFalse(r.skipped)
        XCTAssertNotEqual(trainer.weights, before)
    }

    /// Style problems are evaluated concurrently inside a batch; the result must equal evaluating
    /// each problem alone, bit for bit: each problem's arithmetic is the same on any thread. (Alone,
    /// with one BLAS thread: inside the batch's parallel region products are not split over
    /// threads, and some CPUs' OpenBLAS kernels round a column of a split product differently.)
    func testConcurrentBatchEvaluationEqualsSequential() {
        let task = makeTask(size: 32)
        let problems = (0..<3).map { task.makeProblem(split: .validation, index: $0) }
        let batch = ProblemBatch(problems)
        let theta = Tensor(shape: [batch.count]), grad = Tensor(shape: [batch.count])
        batch.initialParameters(into: theta.data)
        for i in 0..<theta.count { theta.data[i] = min(1, theta.data[i] + 0.01 * Float(i % 7)) }
        var losses = [Double](repeating: 0, count: 3)
        losses.withUnsafeMutableBufferPointer { batch.evaluate(at: theta.data, scaledGradient: grad.data, losses: $0.baseAddress!) }
        for (k, p) in problems.enumerated() {
            let off = batch.offsets[k]
            let g = Tensor(shape: [p.parameterCount])
            let threads = BLAS.threads
            BLAS.threads = 1
            let f = p.lossAndGradient(at: theta.data + off, gradient: g.data)
            BLAS.threads = threads
            XCTAssertEqual(losses[k], Double(f))
            for i in 0..<p.parameterCount { XCTAssertEqual(grad.data[off + i], g.data[i] * p.lossScale) }
        }
    }
}

import XCTest
import ImageIO
import MetaLearning
import Numerics
@testable import NeuralArt

/// The single-style task (no style distribution) must stay what it was before the distribution
/// existed: checkpoints resume only on equal settings, and models trained with it are compared
/// against runs of it. The start (no BLAS involved) is pinned bit for bit, as printed by the code
/// of commit 0ac891d; the loss and the scaled gradient to rounding (their last bits depend on the
/// CPU's OpenBLAS kernels: the values below are an AMD EPYC's with the Haswell kernels, whose loss
/// is within 1 ulp of the bit patterns 0ac891d printed on the earlier machines).
final class StyleTaskPinnedTests: XCTestCase {
    func source(_ k: Int, width: Int = 90, height: Int = 70) -> Image {
        syntheticSource(k, width: width, height: height)
    }

    /// FNV-1a over the bit patterns of `values`.
    func fingerprint(_ values: [Float]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for v in values { h = (h ^ UInt64(v.bitPattern)) &* 0x100_0000_01b3 }
        return h
    }

    /// (loss, a probe Σ gᵢ·((i mod 7) − 3) and the root sum of squares of the scaled gradient,
    /// fingerprint of the start) of problem `index` of `split`.
    func signature(_ task: StyleTask, _ split: Split, _ index: Int) -> (Float, Double, Double, UInt64) {
        let p = task.makeProblem(split: split, index: index)
        let theta = p.initialParameters()
        var g = [Float](repeating: 0, count: p.parameterCount)
        let f = theta.withUnsafeBufferPointer { t in
            g.withUnsafeMutableBufferPointer { p.lossAndGradient(at: t.baseAddress!, gradient: $0.baseAddress!) }
        }
        let scaled = g.map { Double($0 * p.lossScale) }
        let probe = scaled.indices.reduce(0.0) { $0 + scaled[$1] * Double($1 % 7 - 3) }
        return (f, probe, scaled.reduce(0) { $0 + $1 * $1 }.squareRoot(), fingerprint(theta))
    }

    func testSingleStyleTaskIsUnchanged() {
        let expected: [Bool: [(Float, Double, Double, UInt64)]] = [
            false: [(Float(bitPattern: 1093374398), -0.002193786204315984, 0.10031683701772783, 7866408028513474054),
                    (Float(bitPattern: 1089356217), -0.023253794465517785, 0.1000162011148766, 1999634333897491059),
                    (Float(bitPattern: 1078652435), -0.033440054615311965, 0.07890256461709257, 7973786943215384698)],
            true: [(Float(bitPattern: 1093922982), -0.0019622108368366753, 0.10377353733584638, 7866408028513474054),
                   (Float(bitPattern: 1089356217), -0.023253794465517785, 0.1000162011148766, 1999634333897491059),
                   (Float(bitPattern: 1078652435), -0.033440054615311965, 0.07890256461709257, 7973786943215384698)],
        ]
        let settings = ["flip": "true", "heldOut": "c", "scale": "1-2.5", "seed": "160604474", "size": "24",
                        "style": "s", "training": "a;b", "weights": "1.0,10.0,5.0"]
        for augment in [false, true] {
            let task = StyleTask(training: [("a", source(1)), ("b", source(2))], heldOut: [("c", source(3))],
                                 style: ("s", source(4, width: 40, height: 40)), size: 24, augmentStyle: augment)
            for (k, (split, index)) in [(Split.training, 3), (.validation, 1), (.test, 0)].enumerated() {
                let s = signature(task, split, index), e = expected[augment]![k]
                XCTAssertEqual(s.0, e.0, accuracy: 1e-5 * abs(e.0), "loss of \(split) \(index), augment \(augment)")
                XCTAssertEqual(s.1, e.1, accuracy: 1e-4 * e.2, "scaled gradient's probe, \(split) \(index), augment \(augment)")
                XCTAssertEqual(s.2, e.2, accuracy: 1e-5 * e.2, "scaled gradient's norm, \(split) \(index), augment \(augment)")
                XCTAssertEqual(s.3, e.3, "start of \(split) \(index), augment \(augment)")
            }
            XCTAssertEqual(task.settings, augment
                ? settings.merging(["styleAugmentation": "crop 0.5-1, flip, channel order"]) { a, _ in a } : settings)
            XCTAssertNil(task.distribution)
        }
    }
}

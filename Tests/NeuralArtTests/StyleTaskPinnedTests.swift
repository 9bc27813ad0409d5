import XCTest
import ImageIO
import MetaLearning
import Numerics
@testable import NeuralArt

/// The single-style task (no style distribution) must stay bit for bit what it was before the
/// distribution existed: checkpoints resume only on equal settings, and models trained with it
/// are compared against runs of it. The numbers below were printed by the code of commit 0ac891d.
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

    /// (loss bits, fingerprint of the scaled gradient and of the start) of problem `index` of `split`.
    func signature(_ task: StyleTask, _ split: Split, _ index: Int) -> (UInt32, UInt64, UInt64) {
        let p = task.makeProblem(split: split, index: index)
        let theta = p.initialParameters()
        var g = [Float](repeating: 0, count: p.parameterCount)
        let f = theta.withUnsafeBufferPointer { t in
            g.withUnsafeMutableBufferPointer { p.lossAndGradient(at: t.baseAddress!, gradient: $0.baseAddress!) }
        }
        return (f.bitPattern, fingerprint(g.map { $0 * p.lossScale }), fingerprint(theta))
    }

    func testSingleStyleTaskIsUnchanged() {
        let expected: [Bool: [(UInt32, UInt64, UInt64)]] = [
            false: [(1093374398, 7591477576057465297, 7866408028513474054),
                    (1089356217, 16316642005259357359, 1999634333897491059),
                    (1078652435, 6126360199353592160, 7973786943215384698)],
            true: [(1093922982, 11670574147848091099, 7866408028513474054),
                   (1089356217, 16316642005259357359, 1999634333897491059),
                   (1078652435, 6126360199353592160, 7973786943215384698)],
        ]
        let settings = ["flip": "true", "heldOut": "c", "scale": "1-2.5", "seed": "160604474", "size": "24",
                        "style": "s", "training": "a;b", "weights": "1.0,10.0,5.0"]
        for augment in [false, true] {
            let task = StyleTask(training: [("a", source(1)), ("b", source(2))], heldOut: [("c", source(3))],
                                 style: ("s", source(4, width: 40, height: 40)), size: 24, augmentStyle: augment)
            for (k, (split, index)) in [(Split.training, 3), (.validation, 1), (.test, 0)].enumerated() {
                let s = signature(task, split, index), e = expected[augment]![k]
                XCTAssertEqual(s.0, e.0, "loss of \(split) \(index), augment \(augment)")
                XCTAssertEqual(s.1, e.1, "scaled gradient of \(split) \(index), augment \(augment)")
                XCTAssertEqual(s.2, e.2, "start of \(split) \(index), augment \(augment)")
            }
            XCTAssertEqual(task.settings, augment
                ? settings.merging(["styleAugmentation": "crop 0.5-1, flip, channel order"]) { a, _ in a } : settings)
            XCTAssertNil(task.distribution)
        }
    }
}

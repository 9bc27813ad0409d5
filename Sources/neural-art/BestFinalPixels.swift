import Foundation
import ImageIO
import NeuralArt
import Numerics

/// Keeps the best picture at the output size of a coarse-to-fine `stylize` run: a `BestPixels`
/// over the last scale, fed from `CoarseToFine.run`'s observer.
///
/// The last scale starts from the previous scale's result, upsampled and padded; the observer
/// never shows those pixels, so they are rebuilt here (as `CoarseToFine.run` does) and accepted
/// as a candidate only if their loss is the one the run reported for its start.
final class BestFinalPixels {
    private let run: CoarseToFine
    private let initialization: Initialization
    private let seed: UInt64
    private let lastScale: Int
    private var keeper: BestPixels?
    /// The latest pixels of a coarser scale (its result, once that scale is done).
    private var coarser: Tensor?

    init(run: CoarseToFine, initialization: Initialization, seed: UInt64) {
        self.run = run
        self.initialization = initialization
        self.seed = seed
        lastScale = run.schedule.sizes.count - 1
    }

    /// Call from the run's observer.
    func observe(_ s: ScaleStep, _ current: Tensor) {
        guard s.scale == lastScale else {
            if let c = coarser, c.count == current.count { c.assign(from: current) } else { coarser = current.copy() }
            return
        }
        if keeper == nil { keeper = makeKeeper(startLoss: s.step.loss.total) }
        keeper!.observe(s.step, current)
    }

    /// The best picture of the last scale, given the run's history and final pixels.
    func finish(history: [LossBreakdown], final: Tensor) -> BestPixels {
        let k = keeper ?? BestPixels(start: final)
        k.finish(history: history, final: final)
        return k
    }

    private func makeKeeper(startLoss: Float) -> BestPixels {
        let transfer = run.final
        let start: Tensor
        if lastScale == 0 {
            start = transfer.initialPixels(initialization, seed: seed)
        } else if let coarser {
            start = transfer.canvas(from: run.transfers[lastScale - 1].image(from: coarser)
                .resized(width: transfer.width, height: transfer.height, filter: .bicubic))
        } else {
            return BestPixels(start: transfer.initialPixels(.content, seed: 0), startIsKnown: false)
        }
        let f = transfer.problem.evaluate(at: start.data, gradient: nil).total
        return BestPixels(start: start, startIsKnown: abs(f - startLoss) <= 1e-5 * max(1, abs(startLoss)))
    }
}

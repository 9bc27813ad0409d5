import Foundation
import ImageIO
import NeuralArt
import Numerics

/// Keeps the best picture at the output size of a coarse-to-fine `stylize` run: a `BestPixels`
/// over the last scale, fed from `CoarseToFine.run`'s observer.
///
/// The last scale starts from the previous scale's picture, upsampled and padded; the observer
/// never shows those pixels, so they are rebuilt here (as `CoarseToFine.run` does) and accepted
/// as a candidate only if their loss is the one the run reported for its start.
final class BestFinalPixels {
    private let lastScale: Int
    private let initialization: Initialization
    private let seed: UInt64
    private var keeper: BestPixels?
    /// The last scale's set-up and its current pixels (θ_T once the run is over).
    private var last: (transfer: StyleTransfer, pixels: Tensor)?
    /// The latest canvas pixels of a coarser scale (its result, once that scale is done) and that
    /// scale's picture size. Not its `StyleTransfer`: holding it would keep two scales' buffers.
    private var coarser: (pixels: Tensor, width: Int, height: Int)?

    init(lastScale: Int, initialization: Initialization, seed: UInt64) {
        self.lastScale = lastScale
        self.initialization = initialization
        self.seed = seed
    }

    /// Call from the run's observer.
    func observe(_ s: ScaleStep, _ transfer: StyleTransfer, _ current: Tensor) {
        guard s.scale == lastScale else {
            if let c = coarser, c.pixels.count == current.count { c.pixels.assign(from: current) } else {
                coarser = (current.copy(), transfer.width, transfer.height)
            }
            return
        }
        if keeper == nil { keeper = makeKeeper(transfer, startLoss: s.step.loss.total) }
        last = (transfer, current)
        keeper!.observe(s.step, current)
    }

    /// The best picture of the last scale given the run's history, or nil if the last scale took
    /// no step (then the run's own picture is the answer).
    func finish(history: [LossBreakdown]) -> BestPixels? {
        guard let keeper, let last else { return nil }
        keeper.finish(history: history, final: last.pixels)
        return keeper
    }

    /// The picture for pixels of the last scale.
    func picture(from pixels: Tensor, originalColors: Bool) -> Image {
        last!.transfer.image(from: pixels, originalColors: originalColors)
    }

    private func makeKeeper(_ transfer: StyleTransfer, startLoss: Float) -> BestPixels {
        let start: Tensor
        if lastScale == 0 {
            start = transfer.initialPixels(initialization, seed: seed)
        } else if let coarser {
            // The picture is the canvas's top-left corner (the wrap margin lies below and right).
            let picture = Image(tensor: coarser.pixels).cropped(x: 0, y: 0, width: coarser.width, height: coarser.height)
            start = transfer.canvas(from: picture.resized(width: transfer.width, height: transfer.height, filter: .bicubic))
        } else {
            return BestPixels(start: transfer.initialPixels(.content, seed: 0), startIsKnown: false)
        }
        let f = transfer.problem.evaluate(at: start.data, gradient: nil).total
        return BestPixels(start: start, startIsKnown: abs(f - startLoss) <= 1e-5 * max(1, abs(startLoss)))
    }
}

import Foundation
import ImageIO
import NeuralArt
import Numerics

/// Keeps the best picture at the output size of a coarse-to-fine `stylize` run: a `BestPixels`
/// over the last scale, started from that scale's θ_0 (`CoarseToFine.run`'s `started`) and fed
/// from its observer.
final class BestFinalPixels {
    private let lastScale: Int
    private var keeper: BestPixels?
    /// The last scale's set-up and its current pixels (θ_T once the run is over).
    private var last: (transfer: StyleTransfer, pixels: Tensor)?

    init(lastScale: Int) {
        self.lastScale = lastScale
    }

    /// Call from the run's `started`.
    func start(_ scale: Int, _ transfer: StyleTransfer, _ pixels: Tensor) {
        guard scale == lastScale else { return }
        keeper = BestPixels(start: pixels)
        last = (transfer, pixels)
    }

    /// Call from the run's observer.
    func observe(_ s: ScaleStep, _ transfer: StyleTransfer, _ current: Tensor) {
        guard s.scale == lastScale, let keeper else { return }
        last = (transfer, current)
        keeper.observe(s.step, current)
    }

    /// The best picture of the last scale given the run's history, or nil if the last scale took
    /// no step (then the run's own picture is the answer).
    func finish(history: [LossBreakdown]) -> BestPixels? {
        guard let keeper, let last, keeper.hasObserved else { return nil }
        keeper.finish(history: history, final: last.pixels)
        return keeper
    }

    /// The picture for pixels of the last scale.
    func picture(from pixels: Tensor, originalColors: Bool) -> Image {
        last!.transfer.image(from: pixels, originalColors: originalColors)
    }
}

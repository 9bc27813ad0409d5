import ImageIO
import MetaLearning
import Numerics

/// Which sizes a coarse-to-fine stylization visits and how many steps it takes at each.
///
/// The picture is optimized at a small size first; the result, upsampled (bicubic), starts the
/// next size, up to the output size. Large structures settle where they are cheap to move, and
/// the finer sizes only add detail, so fewer of the costly full-size steps are needed.
public struct ScaleSchedule: Sendable, Equatable {
    /// Longest side of each scale, ascending; the last is the output size.
    public let sizes: [Int]
    /// Optimization steps at each scale.
    public let iterations: [Int]

    public init(sizes: [Int], iterations: [Int]) {
        precondition(!sizes.isEmpty && sizes.count == iterations.count,
                     "ScaleSchedule: \(sizes.count) sizes and \(iterations.count) step counts")
        precondition(zip(sizes, sizes.dropFirst()).allSatisfy { $0 < $1 }, "ScaleSchedule: sizes must ascend")
        precondition(iterations.allSatisfy { $0 >= 0 }, "ScaleSchedule: negative step count")
        self.sizes = sizes
        self.iterations = iterations
    }

    /// Total steps over all scales.
    public var totalIterations: Int { iterations.reduce(0, +) }

    /// The default: one scale up to `singleScaleMaximum` px; above it, sizes halving down from
    /// `size` while they stay at least `coarsest` (e.g. 512 → 128, 256, 512; 1024 → 128 … 1024),
    /// with `finest` steps at the output size and `coarse` steps at each smaller one.
    public static func standard(size: Int, finest: Int, coarse: Int, scales: Int? = nil,
                                coarsest: Int = 128, singleScaleMaximum: Int = 256) -> ScaleSchedule {
        var count = 1
        if let scales {
            count = max(1, scales)
        } else if size > singleScaleMaximum {
            var s = size
            while s / 2 >= coarsest { s /= 2; count += 1 }
        }
        var sizes: [Int] = []
        for k in stride(from: count - 1, through: 0, by: -1) {
            sizes.append(max(RandVGGS.minimumSide * 2, Int((Double(size) / Double(1 << k)).rounded())))
        }
        // Very small outputs cannot halve many times: drop repeated sizes.
        var unique: [Int] = []
        for s in sizes where unique.last.map({ s > $0 }) ?? true { unique.append(s) }
        return ScaleSchedule(sizes: unique, iterations: unique.indices.map { $0 == unique.count - 1 ? finest : coarse })
    }
}

/// What a coarse-to-fine run reports after each step.
public struct ScaleStep: Sendable {
    /// 0-based index of the scale in the schedule.
    public let scale: Int
    /// The step within the scale (1-based) and its loss at the pixels before the update.
    public let step: StylizeStep
    /// 1-based step counted over all scales.
    public let overallStep: Int
}

/// A stylization run over a `ScaleSchedule`: one `StyleTransfer` per scale, each started from
/// the previous scale's result. Every scale uses a fresh optimizer state (the moments of ADAM or
/// the LSTM's memory describe pixels that no longer exist after upsampling).
public final class CoarseToFine {
    public let schedule: ScaleSchedule
    /// The finest scale's set-up (output size, content, loss).
    public var final: StyleTransfer { transfers[transfers.count - 1] }
    /// Each scale's set-up, coarsest first.
    public let transfers: [StyleTransfer]

    /// - Parameter pyramidLevels: the style loss's pyramid levels at every scale (default: by size,
    ///   `StylizationProblem.pyramidLevels`).
    /// Builds every scale's loss up front (style targets of each scale), so that bad input fails
    /// before any optimization.
    public init(content: Image, styles: [Image], styleWeights: [Float]? = nil, schedule: ScaleSchedule,
                styleScale: Double = 1, weights: LossWeights = .default, network: RandVGGS = RandVGGS(),
                pyramidLevels: Int? = nil) {
        self.schedule = schedule
        transfers = schedule.sizes.map {
            StyleTransfer(content: content, styles: styles, styleWeights: styleWeights, size: $0,
                          styleScale: styleScale, weights: weights, network: network, pyramidLevels: pyramidLevels)
        }
    }

    /// Runs the schedule and returns the final canvas pixels (`final.image(from:)` turns them into
    /// the picture) and the loss history of the last scale (element 0 is f at its start).
    ///
    /// - Parameters:
    ///   - makeOptimizer: the optimizer for a scale (called once per scale).
    ///   - initialization: where the first scale starts.
    ///   - observer: called after each step with the step and that scale's current pixels;
    ///     return `false` to stop the whole run.
    public func run(
        makeOptimizer: (Int) throws -> any Optimizer, initialization: Initialization, seed: UInt64,
        observer: (ScaleStep, Tensor) -> Bool = { _, _ in true }
    ) throws -> (pixels: Tensor, history: [LossBreakdown]) {
        var pixels = transfers[0].initialPixels(initialization, seed: seed)
        var history: [LossBreakdown] = []
        var done = 0
        var stopped = false
        for (k, transfer) in transfers.enumerated() where !stopped {
            if k > 0 {
                // The previous scale's picture (its margin cropped off), upsampled and padded anew.
                pixels = transfer.canvas(from: transfers[k - 1].image(from: pixels)
                    .resized(width: transfer.width, height: transfer.height, filter: .bicubic))
            }
            let optimizer = try makeOptimizer(k)
            history = try transfer.run(optimizer: optimizer, pixels: pixels,
                                       iterations: schedule.iterations[k]) { step, current in
                let keepGoing = observer(ScaleStep(scale: k, step: step, overallStep: done + step.step), current)
                if !keepGoing { stopped = true }
                return keepGoing
            }
            done += schedule.iterations[k]
        }
        return (pixels, history)
    }
}

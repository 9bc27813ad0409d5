import Foundation
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
    /// with `finest` steps at the output size, `coarse` steps at the coarsest and 0.6× the
    /// previous scale's steps at each scale between (512: 100, 60, then `finest`).
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
        // Each coarse scale costs about 4× the one before it and has less left to do: 0.6× its steps.
        let steps = unique.indices.map { k -> Int in
            k == unique.count - 1 ? finest : Int((Double(coarse) * pow(0.6, Double(k))).rounded())
        }
        return ScaleSchedule(sizes: unique, iterations: steps)
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
/// the previous scale's result, with a fresh optimizer state or (`carryState`) the previous
/// scale's resampled like the picture. Each scale's loss is built when its turn comes and
/// released after it, so only one scale's buffers are held at a time.
public final class CoarseToFine {
    public let schedule: ScaleSchedule
    /// The picture's size at the output scale.
    public let width: Int
    public let height: Int
    let makeTransfer: (Int) -> StyleTransfer
    /// The content image's size and the network (for `canvasGeometry`).
    let contentWidth: Int, contentHeight: Int
    let network: RandVGGS

    /// - Parameter pyramidLevels: the style loss's pyramid levels at every scale (default: by size,
    ///   `StylizationProblem.pyramidLevels`).
    public init(content: Image, styles: [Image], styleWeights: [Float]? = nil, schedule: ScaleSchedule,
                styleScale: Double = 1, weights: LossWeights = .default, network: RandVGGS = RandVGGS(),
                pyramidLevels: Int? = nil) {
        self.schedule = schedule
        let fit = Image.fittedSize(width: content.width, height: content.height, longestSide: schedule.sizes.last!)
        width = fit.width
        height = fit.height
        contentWidth = content.width
        contentHeight = content.height
        self.network = network
        makeTransfer = { size in
            StyleTransfer(content: content, styles: styles, styleWeights: styleWeights, size: size,
                          styleScale: styleScale, weights: weights, network: network, pyramidLevels: pyramidLevels)
        }
    }

    /// The set-up of scale `k` (built anew on each call).
    public func transfer(scale k: Int) -> StyleTransfer { makeTransfer(schedule.sizes[k]) }

    /// Runs the schedule and returns the final picture and the loss history of the last scale
    /// (element 0 is f at its start).
    ///
    /// - Parameters:
    ///   - makeOptimizer: the optimizer for a scale (called once per scale).
    ///   - initialization: where the first scale starts.
    ///   - started: called before each scale's first step with the scale, its set-up and its
    ///     starting canvas pixels θ_0 (which `observer` never shows).
    ///   - observer: called after each step with the step, that scale's set-up and its current
    ///     canvas pixels (`transfer.image(from:)` gives the picture); return `false` to stop the
    ///     whole run.
    ///   - carryState: start each finer scale's optimizer from the previous scale's state,
    ///     resampled like the picture (`ResamplableOptimizerState`: ADAM's moments, the LSTM's
    ///     memory), with its step count; false: a fresh state per scale.
    public func run(
        makeOptimizer: (Int) throws -> any Optimizer, initialization: Initialization, seed: UInt64,
        originalColors: Bool = false, carryState: Bool = false,
        started: (Int, StyleTransfer, Tensor) -> Void = { _, _, _ in },
        observer: (ScaleStep, StyleTransfer, Tensor) -> Bool = { _, _, _ in true }
    ) throws -> (image: Image, history: [LossBreakdown]) {
        var picture: Image?
        var history: [LossBreakdown] = []
        var done = 0
        var stopped = false
        // The previous scale's optimizer state and picture geometry (for carrying the state).
        var previous: (state: any OptimizerState, geometry: CanvasGeometry)?
        for k in schedule.sizes.indices where !stopped {
            let optimizer = try makeOptimizer(k)
            // This scale's state first, carried over from the previous scale's, which is then freed
            // (the previous set-up went with its loop pass): the set-up built next (network
            // workspaces, style targets) is the larger allocation and never meets the previous
            // scale's buffers.
            let geometry = canvasGeometry(scale: k)
            let state = Self.makeState(optimizer, geometry: geometry, carried: carryState ? previous : nil)
            previous = nil
            let transfer = self.transfer(scale: k)
            precondition(CanvasGeometry(transfer) == geometry, "CoarseToFine: scale \(k)'s canvas differs from its geometry")
            // The previous scale's picture (its margin cropped off), upsampled and padded anew.
            let pixels = picture.map { transfer.canvas(from: $0, filter: .bicubic) }
                ?? transfer.initialPixels(initialization, seed: seed)
            started(k, transfer, pixels)
            history = try Self.runScale(
                optimizer, transfer: transfer, pixels: pixels, iterations: schedule.iterations[k], state: state
            ) { step, current in
                let keepGoing = observer(ScaleStep(scale: k, step: step, overallStep: done + step.step), transfer, current)
                if !keepGoing { stopped = true }
                return keepGoing
            }
            previous = (state, geometry)
            done += schedule.iterations[k]
            let last = k == schedule.sizes.count - 1 || stopped
            picture = transfer.image(from: pixels, originalColors: originalColors && last)
        }
        return (picture!, history)
    }
}

extension CoarseToFine {
    /// Scale k's canvas geometry, as `transfer(scale: k)` will lay it out, without building it.
    func canvasGeometry(scale k: Int) -> CanvasGeometry {
        StyleTransfer.canvasGeometry(contentWidth: contentWidth, contentHeight: contentHeight, size: schedule.sizes[k],
                                     network: network)
    }

    /// A scale's optimizer state: fresh, or resampled from the previous scale's (`carried`), with
    /// its step count (`ResamplableOptimizerState`; others start fresh).
    static func makeState(_ optimizer: any Optimizer, geometry: CanvasGeometry,
                          carried: (state: any OptimizerState, geometry: CanvasGeometry)?) -> any OptimizerState {
        let state = optimizer.makeState(segments: [geometry.count], imageShapes: [geometry.imageShape])
        if let carried, let resamplable = state as? any ResamplableOptimizerState {
            let from = carried.geometry
            let source = nearestSource(fromWidth: from.width, height: from.height, margin: from.margin,
                                       toWidth: geometry.width, height: geometry.height, margin: geometry.margin)
            _ = source.withUnsafeBufferPointer { resamplable.resample(from: carried.state, source: $0.baseAddress!) }
        }
        return state
    }

    /// One scale's run from `state` (made by `makeState` for this optimizer); returns the losses.
    static func runScale<O: Optimizer>(
        _ optimizer: O, transfer: StyleTransfer, pixels: Tensor, iterations: Int, state: any OptimizerState,
        observer: (StylizeStep, Tensor) -> Bool
    ) throws -> [LossBreakdown] {
        guard let typed = state as? O.State else { preconditionFailure("CoarseToFine: a state of another optimizer") }
        return try transfer.run(optimizer: optimizer, pixels: pixels, iterations: iterations, state: typed, observer: observer)
    }

    /// For each value of a planar `[3, H, W]` canvas of `to…` (picture plus wrap margin, none by
    /// default), the index of the nearest value of the `from…` canvas: the picture maps onto the
    /// picture and the margin onto the margin, each scaled by its own ratio (pixel centres), the
    /// channel kept.
    static func nearestSource(fromWidth: Int, height fromHeight: Int, margin fromMargin: WrapMargin = .none,
                              toWidth: Int, height toHeight: Int, margin toMargin: WrapMargin = .none) -> [Int32] {
        /// Old index along one axis for new index i: picture (`n` new, `o` old) then margin (`mn`, `mo`).
        func axis(_ n: Int, _ mn: Int, _ o: Int, _ mo: Int) -> [Int] {
            (0..<(n + mn)).map { i in
                if i < n { return min(o - 1, Int((Double(i) + 0.5) * Double(o) / Double(n))) }
                guard mo > 0 else { return o - 1 }
                return o + min(mo - 1, Int((Double(i - n) + 0.5) * Double(mo) / Double(mn)))
            }
        }
        let ys = axis(toHeight, toMargin.rows, fromHeight, fromMargin.rows)
        let xs = axis(toWidth, toMargin.columns, fromWidth, fromMargin.columns)
        let oh = fromHeight + fromMargin.rows, ow = fromWidth + fromMargin.columns
        var source = [Int32]()
        source.reserveCapacity(3 * ys.count * xs.count)
        for c in 0..<3 {
            for y in ys { for x in xs { source.append(Int32((c * oh + y) * ow + x)) } }
        }
        return source
    }

    /// Bytes a run of `schedule` allocates at most, estimated before any allocation: at the output
    /// scale, each pyramid level's activations, their gradients and pooled maps, the level
    /// images, one shared convolution workspace (only partly touched, so the resident peak is
    /// lower) and the content features, plus the style-target pass and `floatsPerCoordinate` of
    /// optimizer state per pixel value (2 for ADAM).
    public static func estimatedBytes(contentWidth: Int, contentHeight: Int, schedule: ScaleSchedule,
                                      styleScale: Double = 1, pyramidLevels: Int? = nil,
                                      floatsPerCoordinate: Int = 2) -> Int {
        let c = RandVGGS.channels
        func mapsFloats(_ h: Int, _ w: Int) -> Int {
            var hs = h, ws = w, total = 3 * h * w
            for s in 0..<4 {
                if s > 0 { hs = (hs + 1) / 2; ws = (ws + 1) / 2; total += c[s] * hs * ws }   // pooled input
                total += 2 * c[s + 1] * hs * ws                                                   // activations, gradients
            }
            return total
        }
        // Only the output scale matters: each scale's buffers are released before the next.
        let size = schedule.sizes.last!
        let fit = Image.fittedSize(width: contentWidth, height: contentHeight, longestSide: size)
        let margin = WrapMargin.standard(width: fit.width, height: fit.height)
        var h = fit.height + margin.rows, w = fit.width + margin.columns
        var floats = FeatureMaps.workspaceCount(height: h, width: w) + 4 * 3 * h * w
        floats += c[StylizationProblem.contentStage + 1] * ((h + 3) / 4) * ((w + 3) / 4)
        // The sliced term's per-stage workspaces (projections, a target row, 2N 8-byte keys).
        var sh = h, sw = w
        for s in 0..<4 {
            if s > 0 { sh = (sh + 1) / 2; sw = (sw + 1) / 2 }
            let m = min(c[s + 1], StyleTargets.maximumProjections)
            floats += (m + 2 * (1 + 4)) * sh * sw   // up to 2 row threads
        }
        let levels = pyramidLevels ?? StylizationProblem.pyramidLevels(height: fit.height, width: fit.width)
        for l in 0..<levels {
            if l > 0 { h /= 2; w /= 2; floats += 2 * 3 * h * w }
            floats += mapsFloats(h, w)
        }
        let styleSide = max(RandVGGS.minimumSide, Int(Double(size) * styleScale))
        floats += mapsFloats(styleSide, styleSide) + FeatureMaps.workspaceCount(height: styleSide, width: styleSide)
        floats += (floatsPerCoordinate + 4) * 3 * fit.width * fit.height
        return 4 * floats + 40 << 20   // + the binary, images and buffers of the process
    }
}

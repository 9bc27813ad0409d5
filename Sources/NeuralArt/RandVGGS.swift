import Numerics

/// RandVGG-S: the compact random-weight feature network used for the losses.
///
/// | stage | resolution | op | channels |
/// |---|---|---|---|
/// | s1 | 1   | conv 3×3 + ReLU | 3 → 32 |
/// | s2 | 1/2 | tent pool ↓2, conv 3×3 + ReLU | 32 → 64 |
/// | s3 | 1/4 | tent pool ↓2, conv 3×3 + ReLU | 64 → 128 |
/// | s4 | 1/8 | tent pool ↓2, conv 3×3 + ReLU | 128 → 256 |
///
/// Pooling is `TentPool` (a 3×3 tent filter, stride 2), not 2×2 averaging: the overlapping
/// windows keep the gradients that come down through the stages from being piecewise constant
/// on 8-pixel blocks, which left a visible block grid in optimized pictures.
///
/// Input: RGB pixels θ in [0, 1] (CHW), mapped to 2θ − 1 ∈ [−1, 1]. Weights are He-normal
/// (std √(2/fan_in), fan_in = 9·C_in) from the project's seeded generator, biases zero, and
/// each s1 filter is made zero-mean, so the network is identical on every machine for a seed.
/// Half of s1's filters are luminance filters (their R, G and B taps equal): with all filters
/// drawn over RGB, the colour differences between a style's patches dominate the statistics,
/// and its dark outlines and strokes, which are luminance structure, were hardly matched
/// (docs/PICTURES.md, "Luminance maps").
/// The convolutions and poolings wrap around the edges (`Conv3x3.Padding.circular`), so the
/// network is translation-equivariant on the torus and no pixel is an edge pixel: with zero
/// or mirrored padding the gradient at a flat image is not flat near the borders, and an
/// optimized picture grows a coloured frame there (measured by the border-band test). Only
/// gradients with respect to the input are computed (the weights are fixed).
public struct RandVGGS: Sendable {
    /// Channel counts of the input and the four stages.
    public static let channels = [3, 32, 64, 128, 256]
    /// The seed of the shipped default network.
    public static let defaultSeed: UInt64 = 0x4E41_5254   // "NART"
    /// s1 maps that see luminance only, in the default network (see `init`).
    public static let defaultLuminanceMaps = 16
    /// Smallest supported image side (s4 must keep at least one position).
    public static let minimumSide = 8

    /// The four convolutions, s1 … s4.
    public let convs: [Conv3x3]

    /// Whether the network wraps around the image's edges (its convolutions pad circularly);
    /// image pyramids built for it then wrap too.
    public var isPeriodic: Bool { convs[0].padding == .circular }

    /// The network with weights drawn from `SeededGenerator(seed:)`.
    /// - Parameter luminanceMaps: how many of s1's maps are luminance filters (the same taps on
    ///   R, G and B), the first `luminanceMaps` of its 32.
    public init(seed: UInt64 = RandVGGS.defaultSeed, padding: Conv3x3.Padding = .circular,
                luminanceMaps: Int = RandVGGS.defaultLuminanceMaps) {
        precondition((0...Self.channels[1]).contains(luminanceMaps),
                     "RandVGGS: \(luminanceMaps) luminance maps of \(Self.channels[1])")
        var rng = SeededGenerator(seed: seed)
        var convs: [Conv3x3] = []
        for s in 0..<4 {
            let cin = Self.channels[s], cout = Self.channels[s + 1]
            let w = Tensor(shape: [cout, cin, 3, 3])
            rng.fillNormal(w, std: (2 / Float(9 * cin)).squareRoot())
            if s == 0 {
                for o in 0..<luminanceMaps {
                    let f = w.data + o * 27
                    for k in 0..<9 { f[9 + k] = f[k]; f[18 + k] = f[k] }
                }
                let k = 9 * cin
                for o in 0..<cout {
                    let f = w.data + o * k
                    var mean: Float = 0
                    for i in 0..<k { mean += f[i] }
                    mean /= Float(k)
                    for i in 0..<k { f[i] -= mean }
                }
            }
            convs.append(Conv3x3(weights: w, bias: Tensor(shape: [cout]), padding: padding))
        }
        self.convs = convs
    }

    /// FLOPs of one forward pass at `height × width` (convolutions only).
    public func forwardFlops(height: Int, width: Int) -> Double {
        var h = height, w = width, total = 0.0
        for s in 0..<4 {
            if s > 0 { h = (h + 1) / 2; w = (w + 1) / 2 }
            total += convs[s].flops(height: h, width: w)
        }
        return total
    }

    /// Runs the network on `pixels` (`[3, height, width]`, values in [0, 1]) and stores every
    /// stage's post-ReLU activations in `maps`.
    public func forward(pixels: UnsafePointer<Float>, maps: FeatureMaps) {
        let n = maps.heights[0] * maps.widths[0]
        let x = maps.input.data
        for i in 0..<3 * n { x[i] = 2 * pixels[i] - 1 }
        for s in 0..<4 {
            // Conv and ReLU in one pass over row blocks, then the tent pooling for the next stage.
            let src = UnsafePointer(s == 0 ? x : maps.pooled[s - 1].data)
            convs[s].forwardReLUPool(input: src, height: maps.heights[s], width: maps.widths[s],
                                     output: maps.activations[s].data, pooled: nil,
                                     workspace: maps.workspace.data)
            if s < 3 {
                TentPool.forward(maps.activations[s].data, channels: Self.channels[s + 1], height: maps.heights[s],
                                 width: maps.widths[s], output: maps.pooled[s].data, circular: isPeriodic)
            }
        }
    }

    /// Back-propagates `maps.gradients` (∂L/∂activation of each stage, filled by the losses) to
    /// ∂L/∂pixels, written to `pixelGradient` (`[3, height, width]`). Consumes `maps.gradients`.
    /// - Parameters:
    ///   - topMasked: `maps.gradients[3]` already has s4's ReLU mask applied (e.g. by the loss
    ///     task that produced it), so the serial masking pass is skipped.
    ///   - finished: called on the computing thread with each range of pixel rows as soon as
    ///     those rows of `pixelGradient` are final (the ranges cover every row once), so callers
    ///     can add per-row terms there without another pass over the image.
    public func backward(maps: FeatureMaps, pixelGradient: UnsafeMutablePointer<Float>, topMasked: Bool = false,
                         finished: (Range<Int>) -> Void = { _ in }) {
        precondition(!maps.gradients.isEmpty, "RandVGGS.backward: these feature maps are forward-only")
        let c = Self.channels
        if !topMasked { maskTopGradient(maps: maps) }
        for s in stride(from: 3, through: 0, by: -1) {
            let h = maps.heights[s], w = maps.widths[s]
            if s > 0 {
                // pooled[s-1] receives its gradient (its forward value is no longer needed), which
                // the pooling's adjoint then adds into gradients[s-1], channel by channel, each
                // channel masked by its ReLU as soon as it is complete.
                let dPooled = maps.pooled[s - 1].data
                let below = maps.gradients[s - 1].data, act = maps.activations[s - 1].data
                let bh = maps.heights[s - 1], bw = maps.widths[s - 1], cb = c[s]
                convs[s].backwardInputRows(
                    outputGradient: maps.gradients[s].data, height: h, width: w,
                    inputGradient: dPooled, workspace: maps.workspace.data, workspaceCount: maps.workspace.count)
                let chunks = kernelChunks(channels: cb, elements: cb * bh * bw)
                parallelFor(chunks: chunks) { p in
                    TentPool.backwardAdd(outputGradient: dPooled, channels: evenRange(p, of: chunks, count: cb),
                                         height: bh, width: bw, inputGradient: below, circular: isPeriodic) { ch in
                        ReLU.backward(output: act + ch * bh * bw, gradient: below + ch * bh * bw, count: bh * bw)
                    }
                }
            } else {
                // ∂(2θ − 1)/∂θ = 2: exact as a GEMM scale.
                convs[0].backwardInputRows(
                    outputGradient: maps.gradients[0].data, height: h, width: w, scale: 2,
                    inputGradient: pixelGradient, workspace: maps.workspace.data,
                    workspaceCount: maps.workspace.count, finished: finished)
            }
        }
    }

    /// gradients[3] ← gradients[3]·[activations[3] > 0]: s4's ReLU mask (the other stages' masks
    /// are applied inside `backward`). Serial.
    public func maskTopGradient(maps: FeatureMaps) {
        ReLU.backward(output: maps.activations[3].data, gradient: maps.gradients[3].data,
                      count: Self.channels[4] * maps.heights[3] * maps.widths[3])
    }
}

/// Activations, their gradients and the convolution workspace of RandVGG-S for one image size.
/// Allocated once per size and reused every step (no allocation in the optimization loop).
public final class FeatureMaps {
    /// Height and width of each stage's maps, s1 … s4.
    public let heights: [Int]
    public let widths: [Int]
    /// The network input 2θ − 1, `[3, H, W]`.
    public let input: Tensor
    /// Post-ReLU activations of s1 … s4, `[C_s, H_s, W_s]`.
    public let activations: [Tensor]
    /// ∂L/∂activations, same shapes as `activations`; empty for forward-only maps.
    public let gradients: [Tensor]
    /// Pooled maps feeding s2 … s4 (also reused for their gradients during backward).
    public let pooled: [Tensor]
    /// im2col columns, large enough for every stage (see `Conv3x3.rowBlockWorkspaceCount`).
    public let workspace: Tensor

    /// - Parameters:
    ///   - workspace: a workspace to share with maps used at other times (e.g. the other levels of
    ///     a pyramid, evaluated one after another); at least `workspaceCount(height:width:)`.
    ///   - backward: false for maps only ever run forward (a style image's statistics): no
    ///     gradient tensors (as large as the activations) are allocated, and `RandVGGS.backward`
    ///     must not be given these maps.
    public init(height: Int, width: Int, workspace shared: Tensor? = nil, backward: Bool = true) {
        precondition(height >= RandVGGS.minimumSide && width >= RandVGGS.minimumSide,
                     "FeatureMaps: \(width)×\(height) is below the \(RandVGGS.minimumSide)-pixel minimum")
        var hs = [height], ws = [width]
        for _ in 1..<4 { hs.append((hs.last! + 1) / 2); ws.append((ws.last! + 1) / 2) }
        heights = hs; widths = ws
        let c = RandVGGS.channels
        input = Tensor(shape: [3, height, width])
        activations = (0..<4).map { Tensor(shape: [c[$0 + 1], hs[$0], ws[$0]]) }
        gradients = backward ? (0..<4).map { Tensor(shape: [c[$0 + 1], hs[$0], ws[$0]]) } : []
        pooled = (1..<4).map { Tensor(shape: [c[$0], hs[$0], ws[$0]]) }
        let needed = Self.workspaceCount(height: height, width: width)
        if let shared {
            precondition(shared.count >= needed, "FeatureMaps: shared workspace \(shared.count) < \(needed) floats")
            workspace = shared
        } else {
            workspace = Tensor(shape: [needed])
        }
    }

    /// Floats of convolution workspace for `height × width`: room for the row-blocked input
    /// gradient with up to `defaultChunks` threads at every stage.
    public static func workspaceCount(height: Int, width: Int) -> Int {
        let c = RandVGGS.channels
        var h = height, w = width, most = 0
        for s in 0..<4 {
            if s > 0 { h = (h + 1) / 2; w = (w + 1) / 2 }
            most = max(most, 9 * c[s] * w * (h + 2 * defaultChunks))
        }
        return most
    }
}

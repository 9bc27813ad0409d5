import Foundation
import Numerics

/// The architecture and fixed settings of a coordinatewise LSTM optimizer.
///
/// Defaults are the paper's: 2 layers × 20 hidden units, forget-gate bias +1, gradient
/// preprocessing (log|∇|/p, sign ∇) with p = 10, read-out 20 → 1 multiplied by `outputScale`.
public struct LSTMConfiguration: Codable, Equatable, Sendable {
    public var layers: Int
    public var hiddenSize: Int
    public var inputs: InputFeatures
    /// The constant the read-out is multiplied by (0.1 for MNIST in the paper).
    public var outputScale: Float
    /// Initial bias of the forget gates.
    public var forgetBias: Float
    /// Initial read-out weights are uniform(±1/√H) times this (small, for stable early training).
    public var readoutInitScale: Float
    /// 0 (the paper), or the scale c of the momentum read-out: Δ += Σ_k c·w_k·m̂_k, one learned
    /// weight w_k (initially 0) per momentum decay of `inputs` (see `addMomentumReadout`).
    public var momentumReadoutScale: Float

    public init(layers: Int = 2, hiddenSize: Int = 20, inputs: InputFeatures = .paper,
                outputScale: Float = 0.1, forgetBias: Float = 1, readoutInitScale: Float = 0.1,
                momentumReadoutScale: Float = 0) {
        precondition(layers >= 1 && hiddenSize >= 1, "LSTMConfiguration: need ≥ 1 layer and hidden unit")
        precondition(momentumReadoutScale == 0 || !inputs.momentumDecays.isEmpty,
                     "LSTMConfiguration: a momentum read-out needs momentum inputs")
        self.layers = layers; self.hiddenSize = hiddenSize; self.inputs = inputs
        self.outputScale = outputScale; self.forgetBias = forgetBias; self.readoutInitScale = readoutInitScale
        self.momentumReadoutScale = momentumReadoutScale
    }

    /// The number of momentum read-out weights (0 without the read-out).
    public var momentumReadoutCount: Int { momentumReadoutScale != 0 ? inputs.momentumDecays.count : 0 }
    /// Whether second-order meta-gradients can be taken: the backward pass differentiates the
    /// input features, which it can for the stateless ones (the paper's log-sign, raw) but not
    /// for running averages (RMS or momentum inputs, and the momentum read-out that needs them)
    /// nor through the high-pass (it mixes neighbouring coordinates).
    public var allowsSecondOrder: Bool { inputs.stateCount == 0 && inputs.highPass == nil && inputs.sharedUnits == 0 }

    public var layout: LSTMLayout {
        LSTMLayout(inputs: inputs.count, hidden: hiddenSize, layers: layers, momentumReadouts: momentumReadoutCount)
    }

    /// Whether a decoded configuration is usable (files are checked with this before use).
    public var isValid: Bool {
        layers >= 1 && hiddenSize >= 1 && layers <= 16 && hiddenSize <= 4096 && outputScale.isFinite && inputs.isValid
            && inputs.sharedUnits <= hiddenSize
            && momentumReadoutScale.isFinite && momentumReadoutScale >= 0
            && (momentumReadoutScale == 0 || !inputs.momentumDecays.isEmpty)
    }

    enum CodingKeys: String, CodingKey {
        case layers, hiddenSize, inputs, outputScale, forgetBias, readoutInitScale, momentumReadoutScale
    }

    /// Files written before the momentum read-out existed have no `momentumReadoutScale` key.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        layers = try c.decode(Int.self, forKey: .layers)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        inputs = try c.decode(InputFeatures.self, forKey: .inputs)
        outputScale = try c.decode(Float.self, forKey: .outputScale)
        forgetBias = try c.decode(Float.self, forKey: .forgetBias)
        readoutInitScale = try c.decode(Float.self, forKey: .readoutInitScale)
        momentumReadoutScale = try c.decodeIfPresent(Float.self, forKey: .momentumReadoutScale) ?? 0
    }

    /// Writes `momentumReadoutScale` only when it is used, so the paper's header is unchanged.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(layers, forKey: .layers); try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(inputs, forKey: .inputs); try c.encode(outputScale, forKey: .outputScale)
        try c.encode(forgetBias, forKey: .forgetBias); try c.encode(readoutInitScale, forKey: .readoutInitScale)
        if momentumReadoutScale != 0 { try c.encode(momentumReadoutScale, forKey: .momentumReadoutScale) }
    }
}

/// Where each parameter block of φ lives in the flat weight vector.
///
/// Layer l: W_l, 4H × (in_l + H + 1) row-major (in_0 = number of input features, in_l = H
/// above), gate blocks i, f, g, o, last column the bias. Then the read-out: H weights and a bias;
/// then the momentum read-out's weights, if any.
public struct LSTMLayout: Equatable, Sendable {
    public let inputs: Int
    public let hidden: Int
    public let layers: Int
    /// The number of momentum read-out weights.
    public let momentumReadouts: Int

    public init(inputs: Int, hidden: Int, layers: Int, momentumReadouts: Int = 0) {
        self.inputs = inputs; self.hidden = hidden; self.layers = layers; self.momentumReadouts = momentumReadouts
    }

    /// in_l: the number of input rows of layer l.
    @inlinable public func inputSize(layer l: Int) -> Int { l == 0 ? inputs : hidden }
    /// in_l + H + 1: the rows of layer l's input matrix xh (inputs, recurrent h, ones).
    @inlinable public func columns(layer l: Int) -> Int { inputSize(layer: l) + hidden + 1 }
    /// Offset of W_l in φ.
    public func weightOffset(layer l: Int) -> Int {
        (0..<l).reduce(0) { $0 + 4 * hidden * columns(layer: $1) }
    }
    /// Offset of the read-out (H weights, then the bias).
    public var readoutOffset: Int { weightOffset(layer: layers) }
    /// Offset of the momentum read-out's weights.
    public var momentumReadoutOffset: Int { readoutOffset + hidden + 1 }
    /// The length of φ.
    public var weightCount: Int { momentumReadoutOffset + momentumReadouts }
}

/// The coordinatewise LSTM optimizer of Andrychowicz et al. (2016).
///
/// Every coordinate of θ is one row (column, in our feature-major buffers) of one batched
/// LSTM: its own hidden and cell states, the same weights φ. Conforms to `Optimizer`, so it
/// drops in wherever ADAM does:
///
///     let lstm = try ModelFile.load(path).optimizer
///     let state = lstm.makeState(count: n)         // allocates all workspaces once
///     lstm.update(gradient: g, delta: d, state: state)   // allocates nothing
///
/// Cost per step: the products of 80 × (in + 21) and 80 × 41 weights with N columns plus
/// O(200·N) fast exps, fused per tile of 16 coordinates (`LSTMFusedStep`); no gate matrix.
public struct LSTMOptimizer: Optimizer {
    public let configuration: LSTMConfiguration
    /// φ, laid out as `configuration.layout` describes.
    public let weights: [Float]
    public var name: String { "lstm" }

    public init(configuration: LSTMConfiguration, weights: [Float]) {
        precondition(weights.count == configuration.layout.weightCount,
                     "LSTMOptimizer: \(weights.count) weights for a layout of \(configuration.layout.weightCount)")
        self.configuration = configuration
        self.weights = weights
    }

    /// Freshly initialized weights from `seed` (see `initialWeights`).
    public init(configuration: LSTMConfiguration, seed: UInt64) {
        var g = SeededGenerator(seed: seed)
        self.init(configuration: configuration, weights: Self.initialWeights(configuration, generator: &g))
    }

    /// φ₀: LSTM weights uniform(±1/√H), biases 0 except the forget gates' (`forgetBias`),
    /// read-out weights uniform(±1/√H)·`readoutInitScale`, read-out bias and momentum read-out 0.
    public static func initialWeights(_ c: LSTMConfiguration, generator g: inout SeededGenerator) -> [Float] {
        let L = c.layout, H = c.hiddenSize
        var w = [Float](repeating: 0, count: L.weightCount)
        let bound = 1 / Double(H).squareRoot()
        for l in 0..<L.layers {
            let off = L.weightOffset(layer: l), cols = L.columns(layer: l)
            for row in 0..<(4 * H) {
                for col in 0..<(cols - 1) { w[off + row * cols + col] = Float(g.nextUniform(in: -bound, bound)) }
                w[off + row * cols + cols - 1] = (row >= H && row < 2 * H) ? c.forgetBias : 0
            }
        }
        for j in 0..<H {
            w[L.readoutOffset + j] = Float(g.nextUniform(in: -bound, bound)) * c.readoutInitScale
        }
        return w
    }

    public func makeState(count: Int) -> LSTMOptimizerState {
        LSTMOptimizerState(configuration: configuration, segments: [count], imageShapes: nil)
    }

    /// State for a batch of problems of `segments` coordinates each. The fused step computes
    /// every coordinate in its own SIMD lane (no sums across coordinates), so each problem's
    /// updates depend neither on the problems batched with it nor on the thread count.
    /// - Precondition: without image shapes, the configuration has no high-pass
    ///   (`makeState(segments:imageShapes:)` gives them).
    public func makeState(segments: [Int]) -> LSTMOptimizerState {
        LSTMOptimizerState(configuration: configuration, segments: segments, imageShapes: nil)
    }

    /// A state that knows which segments are images: a high-pass configuration
    /// (`InputFeatures.highPass`) needs every segment to be one.
    public func makeState(segments: [Int], imageShapes: [ImageShape?]) -> LSTMOptimizerState {
        LSTMOptimizerState(configuration: configuration, segments: segments, imageShapes: imageShapes)
    }

    public func update(gradient: UnsafePointer<Float>, delta: UnsafeMutablePointer<Float>, state: LSTMOptimizerState) {
        update(gradient: gradient, gradientScale: 1, delta: delta, state: state)
    }

    /// `update` for the gradient of `gradientScale · f` (see `Problem.lossScale`).
    public func update(
        gradient: UnsafePointer<Float>, gradientScale: Float,
        delta: UnsafeMutablePointer<Float>, state: LSTMOptimizerState
    ) {
        precondition(state.configuration == configuration, "LSTMOptimizer: state made for another configuration")
        let gradient = state.highPass?.filtered(gradient, step: state.step + 1) ?? gradient
        var extra = state.highPass?.extraInputs ?? ExtraInputs()
        state.shareUnits()
        extra.shared = state.shared.map { UnsafePointer($0.data) }
        state.step += 1
        let N = state.count, step = state.step, featureState = state.featureState?.data
        let configuration = self.configuration, tileCount = LSTMFusedStep.tileCount(N)
        // Threads take chunks of tiles; small states run on the calling thread.
        let parts = N >= 4096 && !ParallelRegion.isInside ? min(defaultChunks, BLAS.threads) : 1
        let packed = state.packed.data, scratch = state.scratch.data, tiles = state.tiles.data
        let scratchCount = LSTMFusedStep.scratchCount(configuration.layout)
        weights.withUnsafeBufferPointer { phi in
            let w = phi.baseAddress!
            LSTMFusedStep.pack(configuration.layout, weights: w, into: packed)
            // One dispatch per step: each chunk of tiles runs the whole step on its thread.
            parallelFor(chunks: parts) { chunk in
                LSTMFusedStep.step(configuration, weights: w, packed: packed, count: N,
                                   tiles: evenRange(chunk, of: parts, count: tileCount), gradient: gradient,
                                   gradientScale: gradientScale, featureState: featureState, featureStep: step,
                                   extra: extra, state: tiles, delta: delta, scratch: scratch + chunk * scratchCount)
            }
        }
        state.highPass?.toImageBasis(delta)
    }
}

extension LSTMOptimizer {
    /// φ₀ of a learned optimizer with `groups` (nil: one LSTM): `initialWeights` per group,
    /// group 0 from `generator` and group g > 0 from its fork g, concatenated like φ. With
    /// `learned(configuration:groups:weights:)` the init / apply pair of a learned optimizer.
    public static func initialWeights(_ c: LSTMConfiguration, groups: ParameterGroups?,
                                      generator root: SeededGenerator) -> [Float] {
        (0..<(groups?.count ?? 1)).flatMap { g -> [Float] in
            var gen = g == 0 ? root : root.fork(UInt64(g))
            return initialWeights(c, generator: &gen)
        }
    }

    /// φ of `layout` carried over to a layout with `extra` more input features appended after
    /// its own (layer 0's rows gain zero weights for them, so the optimizer's steps are
    /// unchanged until meta-training moves them). How `meta-train --local-mean` starts from a
    /// model without that input.
    public static func addingInputs(_ extra: Int, to weights: [Float], layout L: LSTMLayout) -> [Float] {
        precondition(extra >= 0 && weights.count == L.weightCount,
                     "LSTMOptimizer.addingInputs: \(weights.count) weights for a layout of \(L.weightCount), \(extra) inputs")
        let wide = LSTMLayout(inputs: L.inputs + extra, hidden: L.hidden, layers: L.layers, momentumReadouts: L.momentumReadouts)
        var out = [Float](repeating: 0, count: wide.weightCount)
        let cols = L.columns(layer: 0), wideCols = wide.columns(layer: 0)
        for r in 0..<(4 * L.hidden) {  // W_0's rows: the old inputs, zeros, then recurrent h and bias
            let src = r * cols, dst = r * wideCols
            for k in 0..<L.inputs { out[dst + k] = weights[src + k] }
            for k in L.inputs..<cols { out[dst + k + extra] = weights[src + k] }
        }
        let rest = L.weightOffset(layer: 1)
        for k in rest..<L.weightCount { out[wide.weightOffset(layer: 1) + k - rest] = weights[k] }
        return out
    }

    /// The learned optimizer with φ = `weights`: one LSTM over every coordinate (`groups` nil),
    /// or one LSTM of `configuration` per parameter group, φ the groups' weight vectors
    /// concatenated in `groups.names` order (a `GroupedOptimizer`). The one way the trainer,
    /// the evaluators and the CLI build a learned optimizer; modelled on torch.optim's param
    /// groups, where a flat list is one group.
    public static func learned(configuration: LSTMConfiguration, groups: ParameterGroups?, weights: [Float]) -> any Optimizer {
        guard let groups else { return LSTMOptimizer(configuration: configuration, weights: weights) }
        let n = configuration.layout.weightCount
        precondition(weights.count == groups.count * n,
                     "LSTMOptimizer.learned: \(weights.count) weights for \(groups.count) groups of \(n)")
        return GroupedOptimizer(groups: groups, members: (0..<groups.count).map {
            LSTMOptimizer(configuration: configuration, weights: Array(weights[($0 * n)..<(($0 + 1) * n)]))
        })
    }
}

/// Per-run state of the LSTM optimizer for `count` coordinates.
///
/// The hidden and cell states of every layer, tile-major (`LSTMFusedStep`: tiles of 24
/// coordinates, each layer's h then c, H × 24 each); the running averages of the optional RMS
/// and momentum inputs (`inputs.stateCount` × count, feature-major); the fused step's packed
/// weights and per-thread scratch (a few KB); with a high-pass, the filtered gradient and its
/// blur (8 bytes per coordinate more). Memory: (2·layers·H + stateCount)·4 bytes per
/// coordinate (328 bytes for 2 × 20 with RMS inputs). Everything is allocated here, once.
public final class LSTMOptimizerState: ResamplableOptimizerState {
    public let configuration: LSTMConfiguration
    public let count: Int
    public internal(set) var step: Int = 0
    /// h and c of every layer, `LSTMFusedStep.tileCount(count)` tiles.
    let tiles: Tensor
    /// The input features' running averages (`inputs.stateCount` × count), if any.
    let featureState: Tensor?
    /// φ's layer weights as `LSTMFusedStep.pack` lays them out (repacked every step).
    let packed: Tensor
    /// `defaultChunks` slots of `LSTMFusedStep.scratchCount` floats, one per chunk of a step.
    let scratch: Tensor

    /// With a high-pass configuration: the filter over the segments' images (it holds the
    /// filtered gradient the step reads).
    let highPass: GradientHighPass?
    /// With shared units (`InputFeatures.sharedUnits` K): K × count, each coordinate's problem's
    /// means of the top layer's first K hidden units (`shareUnits`); the segments' offsets.
    let shared: Tensor?
    let offsets: [Int]

    init(configuration: LSTMConfiguration, segments: [Int], imageShapes: [ImageShape?]?) {
        let count = segments.reduce(0, +)
        precondition(count >= 1 && segments.allSatisfy { $0 >= 0 }, "LSTMOptimizerState: segments \(segments)")
        if let filter = configuration.inputs.highPass {
            guard let imageShapes else {
                preconditionFailure("LSTMOptimizer: a high-pass learned optimizer needs the problems' image shapes (makeState(segments:imageShapes:))")
            }
            highPass = GradientHighPass(filter: filter, lumaChroma: configuration.inputs.lumaChroma,
                                        globalRMS: configuration.inputs.globalRMS,
                                        smoothFraction: configuration.inputs.smoothFraction,
                                        segments: segments, shapes: imageShapes)
        } else {
            highPass = nil
        }
        self.configuration = configuration
        self.count = count
        offsets = segments.reduce(into: [0]) { $0.append($0.last! + $1) }
        shared = configuration.inputs.sharedUnits > 0 ? Tensor(shape: [configuration.inputs.sharedUnits, count]) : nil
        let L = configuration.layout
        tiles = Tensor(shape: [LSTMFusedStep.tileCount(count), LSTMFusedStep.tileFloats(L)])
        let k = configuration.inputs.stateCount
        featureState = k > 0 ? Tensor(shape: [k, count]) : nil
        packed = Tensor(shape: [LSTMFusedStep.packedCount(L)])
        scratch = Tensor(shape: [max(1, defaultChunks), LSTMFusedStep.scratchCount(L)])
        // Tensors start zeroed: this is the state `reset` makes (no second pass over the tiles).
    }

    /// `shared` ← per segment, the means of the top layer's first K hidden units over its
    /// coordinates (the state as the last step left it; zeros before the first).
    func shareUnits() {
        guard let shared else { return }
        let L = configuration.layout, T = LSTMFusedStep.tile, S = LSTMFusedStep.tileFloats(L), h = tiles.data
        for k in 0..<configuration.inputs.sharedUnits {
            let row = LSTMFusedStep.row(L, layer: L.layers - 1, cell: false, unit: k)
            broadcastSegmentMeans(offsets: offsets, into: shared.data + k * count) { Double(h[($0 / T) * S + row + $0 % T]) }
        }
    }

    /// Back to t = 0: zero hidden and cell states and moments.
    public func reset() {
        tiles.fill(0)
        featureState?.fill(0)
        step = 0
    }

    /// Carries the hidden and cell states and the input features' running averages
    /// (`ResamplableOptimizerState`); `other` must have the same configuration.
    public func resample(from other: any OptimizerState, source: UnsafePointer<Int32>) -> Bool {
        guard let o = other as? LSTMOptimizerState, o.configuration == configuration else { return false }
        let L = configuration.layout, T = LSTMFusedStep.tile, floats = LSTMFusedStep.tileFloats(L)
        let rows = floats / T
        let dst = tiles.data, src = o.tiles.data
        for n in 0..<count {
            let s = Int(source[n])
            let d = dst + (n / T) * floats + n % T, from = src + (s / T) * floats + s % T
            for r in 0..<rows { d[r * T] = from[r * T] }
        }
        if let mine = featureState, let theirs = o.featureState {
            for k in 0..<configuration.inputs.stateCount {
                let d = mine.data + k * count, from = theirs.data + k * o.count
                for n in 0..<count { d[n] = from[Int(source[n])] }
            }
        }
        step = o.step
        return true
    }

    /// The hidden state of `layer` for coordinate `index` (H values; for tests and inspection).
    public func hidden(layer: Int, coordinate index: Int) -> [Float] { values(layer: layer, cell: false, coordinate: index) }

    /// The cell state of `layer` for coordinate `index` (H values).
    public func cell(layer: Int, coordinate index: Int) -> [Float] { values(layer: layer, cell: true, coordinate: index) }

    private func values(layer: Int, cell: Bool, coordinate index: Int) -> [Float] {
        precondition(layer >= 0 && layer < configuration.layers && index >= 0 && index < count,
                     "LSTMOptimizerState: layer \(layer), coordinate \(index) of \(configuration.layers) × \(count)")
        let L = configuration.layout, T = LSTMFusedStep.tile
        let base = tiles.data + (index / T) * LSTMFusedStep.tileFloats(L) + index % T
        return (0..<L.hidden).map { base[LSTMFusedStep.row(L, layer: layer, cell: cell, unit: $0)] }
    }
}

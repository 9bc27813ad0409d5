import Numerics

/// The learned optimizer's inference step, fused: for a tile of 24 coordinates at a time, every
/// layer's gate products, activations, cell update and the read-out run in registers and L1,
/// so no gate matrix is ever written to memory.
///
/// It computes what `LSTMCell.step` computes (the same preprocessing, the same `FastMath`
/// activations in the same order, the same read-out sums). The gate products z = W·xh are
/// summed per output as one fused multiply-add chain in ascending input order, starting from
/// 0, with the bias (the ones row) added last — the order of a BLAS micro-kernel that
/// accumulates over k in registers, as OpenBLAS's do for these short products (k ≤ 41), so on
/// such BLAS builds the results are bit-identical to the GEMM path (checked in
/// `LSTMFusedStepTests`; elsewhere they agree to rounding).
///
/// **State layout (tile-major).** The hidden and cell states live in `tileCount(N)` tiles of
/// `tileFloats` floats: tile t holds coordinates 24t ..< 24t + 24 (the last tile padded),
/// layer by layer h (H × 24) then c (H × 24) — so a step streams through one contiguous
/// region instead of 2·layers·H rows N floats apart (which defeated the hardware prefetchers:
/// the feature-major fused step was no faster than the GEMM step).
///
/// Why fused: the GEMM path writes and rereads the 4H × N gate matrix (16 MB at N = 49,152)
/// and the layers' inputs once per layer. Here a tile's inputs ((in + H) × 24 floats at most)
/// and the packed weights (4H × columns per layer) stay in L1; a layer reads its inputs where
/// they are (the block's features, the layer below's h', its own previous h in the state).
///
/// Inference only: the gates that backward needs are not kept (meta-training records them
/// with `LSTMCell.step`).
enum LSTMFusedStep {
    /// Coordinates per tile: three SIMD8 vectors.
    static let tile = 24
    /// Tiles whose input features are computed at once.
    static let blockTiles = 10

    /// Tiles for `count` coordinates.
    static func tileCount(_ count: Int) -> Int { (count + tile - 1) / tile }

    /// Floats of one tile of the state: h and c of every layer, 24 lanes each.
    static func tileFloats(_ L: LSTMLayout) -> Int { 2 * L.layers * L.hidden * tile }

    /// Offset of unit j's h (`cell` false) or c in a tile, for `layer`.
    static func row(_ L: LSTMLayout, layer l: Int, cell: Bool, unit j: Int) -> Int {
        ((2 * l + (cell ? 1 : 0)) * L.hidden + j) * tile
    }

    /// Floats of the packed weights: the LSTM layers' weights, 4H × columns each.
    static func packedCount(_ L: LSTMLayout) -> Int { L.readoutOffset }

    /// Floats of one thread's scratch: a block's input features (in × 240) and two tile buffers
    /// for the layers' h' (H × 24 each, ping-pong between layers).
    static func scratchCount(_ L: LSTMLayout) -> Int {
        (L.inputs * blockTiles + 2 * L.hidden) * tile
    }

    /// Repacks φ's layer weights for the fused kernel: layer l's W (4H × columns, row-major,
    /// gate blocks i, f, g, o) becomes, at the same offset, H × columns × 4 — for unit j and
    /// input k the four gates' weights (i, f, g, o) side by side; the last k is the bias.
    static func pack(_ L: LSTMLayout, weights w: UnsafePointer<Float>, into p: UnsafeMutablePointer<Float>) {
        let H = L.hidden
        for l in 0..<L.layers {
            let off = L.weightOffset(layer: l), cols = L.columns(layer: l)
            for j in 0..<H {
                for k in 0..<cols {
                    for g in 0..<4 { p[off + (j * cols + k) * 4 + g] = w[off + (g * H + j) * cols + k] }
                }
            }
        }
    }

    /// One inference step for the tiles `tiles` of a state of N coordinates: the input
    /// features of `scale · gradient` (running averages in `featureState`, feature-major with
    /// stride N, bias-corrected for step `featureStep`), every layer, the read-out (and the
    /// momentum read-out) into `delta`; `extra` as `preprocessGradient` reads it.
    ///
    /// - Parameters:
    ///   - weights: φ (for the read-outs); `packed`: its layer weights as `pack` lays them out.
    ///   - state: `tileCount(N)` tiles of `tileFloats` (see the type's documentation), in place.
    ///   - scratch: `scratchCount` floats, this thread's own.
    static func step(
        _ c: LSTMConfiguration, weights w: UnsafePointer<Float>, packed: UnsafePointer<Float>,
        count N: Int, tiles: Range<Int>, gradient: UnsafePointer<Float>, gradientScale: Float,
        featureState: UnsafeMutablePointer<Float>?, featureStep: Int, extra: ExtraInputs = ExtraInputs(),
        state: UnsafeMutablePointer<Float>, delta: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
    ) {
        let L = c.layout, H = L.hidden, T = tile, inputs = L.inputs, S = tileFloats(L)
        let blockWidth = blockTiles * T
        let features = scratch, buffers = (scratch + inputs * blockWidth, scratch + inputs * blockWidth + H * T)
        let readout = w + L.readoutOffset, s = c.outputScale
        var firstTile = tiles.lowerBound
        while firstTile < tiles.upperBound {
            let lastTile = min(tiles.upperBound, firstTile + blockTiles)
            let lo = firstTile * T, hi = min(N, lastTile * T)
            preprocessGradient(c.inputs, gradient: gradient, scale: gradientScale, x: features - lo, stride: blockWidth,
                               state: featureState, stateStride: N, step: featureStep, range: lo..<hi,
                               extra: extra)
            if hi < lastTile * T {  // the last tile's padding lanes: zero inputs
                for k in 0..<inputs { (features + k * blockWidth + (hi - lo)).update(repeating: 0, count: lastTile * T - hi) }
            }
            for t in firstTile..<lastTile {
                let tileState = state + t * S, n = t * T
                for l in 0..<L.layers {
                    // Layer 0 reads the block's features, a layer above the h' the layer below
                    // left in its buffer; each writes its h' into the other buffer, then into the state.
                    let x = l == 0 ? UnsafePointer(features + (n - lo)) : UnsafePointer(l % 2 == 1 ? buffers.0 : buffers.1)
                    let next = l % 2 == 0 ? buffers.0 : buffers.1
                    let h = tileState + row(L, layer: l, cell: false, unit: 0)
                    layer(hidden: H, inputs: L.inputSize(layer: l), x: x, xStride: l == 0 ? blockWidth : T, hPrev: h,
                          packed: packed + L.weightOffset(layer: l), c: tileState + row(L, layer: l, cell: true, unit: 0),
                          hOut: next)
                    h.update(from: next, count: H * T)
                }
                // Read-out: Δ = s·(b + Σ_j w_j·h'_j), summed as `LSTMCell.readout` sums.
                let top = L.layers % 2 == 1 ? buffers.0 : buffers.1
                for part in 0..<(T / 8) {
                    var d = SIMD8<Float>(repeating: readout[H])
                    for j in 0..<H { d = d + SIMD8(repeating: readout[j]) * FastMath.load8(top + j * T + 8 * part) }
                    d = d * s
                    let count = min(8, N - n - 8 * part)
                    if count > 0 { FastMath.store8(d, delta + n + 8 * part, lanes: count) }
                }
            }
            if L.momentumReadouts > 0 {
                addMomentumReadout(c, weights: w + L.momentumReadoutOffset, state: featureState!, stride: N,
                                   step: featureStep, range: lo..<hi, delta: delta, record: nil)
            }
            firstTile = lastTile
        }
    }

    /// One layer on one tile: for each unit j, its four gate pre-activations over the layer's
    /// inputs — `inputs` rows of `x` (row stride `xStride`), then H rows of `hPrev` (row stride
    /// 24), then the bias —, the activations, c ← f⊙c + i⊙g (in `c`, H × 24) and
    /// h' = o⊙tanh(c) into row j of `hOut` (H × 24, not overlapping the inputs).
    // `@_transparent`: `@inline(__always)` was not honored here (a call per cell passing SIMD8
    // values as xmm halves through the stack).
    @_transparent
    static func layer(hidden H: Int, inputs: Int, x: UnsafePointer<Float>, xStride: Int, hPrev: UnsafePointer<Float>,
                      packed p: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, hOut: UnsafeMutablePointer<Float>) {
        let cols = inputs + H + 1, T = tile
        for j in 0..<H {
            let q = p + j * cols * 4
            var z = GateSums()
            z.add(rows: inputs, from: x, stride: xStride, weights: q)
            z.add(rows: H, from: hPrev, stride: T, weights: q + 4 * inputs)
            let bias = q + 4 * (cols - 1), cj = c + T * j, hj = hOut + T * j
            let bi = SIMD8<Float>(repeating: bias[0]), bf = SIMD8<Float>(repeating: bias[1])
            let bg = SIMD8<Float>(repeating: bias[2]), bo = SIMD8<Float>(repeating: bias[3])
            cell(z.i0 + bi, z.f0 + bf, z.g0 + bg, z.o0 + bo, c: cj, h: hj)
            cell(z.i1 + bi, z.f1 + bf, z.g1 + bg, z.o1 + bo, c: cj + 8, h: hj + 8)
            cell(z.i2 + bi, z.f2 + bf, z.g2 + bg, z.o2 + bo, c: cj + 16, h: hj + 16)
        }
    }

    /// One unit's four gate sums over a tile of 24 coordinates: 12 accumulators (4 gates × 3
    /// vectors of 8) hide the FMA latency; with the 3 input vectors and one broadcast they fill
    /// AVX2's 16 registers.
    struct GateSums {
        var i0 = SIMD8<Float>(), i1 = SIMD8<Float>(), i2 = SIMD8<Float>()
        var f0 = SIMD8<Float>(), f1 = SIMD8<Float>(), f2 = SIMD8<Float>()
        var g0 = SIMD8<Float>(), g1 = SIMD8<Float>(), g2 = SIMD8<Float>()
        var o0 = SIMD8<Float>(), o1 = SIMD8<Float>(), o2 = SIMD8<Float>()

        /// Adds Σ_k w_gate[k]·x[k] over `rows` rows of 24 values (row stride `stride`), one FMA
        /// per term in ascending k; `weights` holds 4 per k (i, f, g, o).
        @_transparent
        mutating func add(rows: Int, from x: UnsafePointer<Float>, stride: Int, weights q: UnsafePointer<Float>) {
            for k in 0..<rows {
                let xk = x + stride * k, w = q + 4 * k
                let x0 = FastMath.load8(xk), x1 = FastMath.load8(xk + 8), x2 = FastMath.load8(xk + 16)
                let wi = SIMD8<Float>(repeating: w[0])
                i0 = i0.addingProduct(wi, x0); i1 = i1.addingProduct(wi, x1); i2 = i2.addingProduct(wi, x2)
                let wf = SIMD8<Float>(repeating: w[1])
                f0 = f0.addingProduct(wf, x0); f1 = f1.addingProduct(wf, x1); f2 = f2.addingProduct(wf, x2)
                let wg = SIMD8<Float>(repeating: w[2])
                g0 = g0.addingProduct(wg, x0); g1 = g1.addingProduct(wg, x1); g2 = g2.addingProduct(wg, x2)
                let wo = SIMD8<Float>(repeating: w[3])
                o0 = o0.addingProduct(wo, x0); o1 = o1.addingProduct(wo, x1); o2 = o2.addingProduct(wo, x2)
            }
        }
    }

    /// The cell update of 8 coordinates from their gate pre-activations, as `LSTMCell.forward`.
    @_transparent
    static func cell(_ zi: SIMD8<Float>, _ zf: SIMD8<Float>, _ zg: SIMD8<Float>, _ zo: SIMD8<Float>,
                     c: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>) {
        let i = FastMath.sigmoid(zi), f = FastMath.sigmoid(zf)
        let g = FastMath.tanh(zg), o = FastMath.sigmoid(zo)
        let cNew = f * FastMath.load8(c) + i * g
        FastMath.store8(cNew, c)
        FastMath.store8(o * FastMath.tanh(cNew), h)
    }
}

import Numerics

/// The learned optimizer's inference step, fused: for a tile of 16 coordinates at a time, every
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
/// Why: the GEMM path writes and rereads the 4H × N gate matrix (16 MB at N = 49,152) and the
/// layers' inputs once per layer, so a step is bound by memory traffic. Here a tile's inputs
/// (≤ (in + H) × 16 floats) and the packed weights (4H × columns per layer) stay in L1, and
/// each coordinate's state (h, c of every layer) is read and written once per step.
///
/// Inference only: the gates that backward needs are not kept (meta-training records them
/// with `LSTMCell.step`).
enum LSTMFusedStep {
    /// Coordinates per tile: two SIMD8 vectors (8 accumulators for one unit's 4 gates).
    static let tile = 16
    /// Coordinates whose input features are computed at once (a multiple of `tile`).
    static let block = 256

    /// Floats of the packed weights: the LSTM layers' weights, 4H × columns each.
    static func packedCount(_ L: LSTMLayout) -> Int { L.readoutOffset }

    /// Floats of one thread's scratch: two tile buffers for the layers' inputs ((in_max + H) ×
    /// `tile` each, ping-pong between layers) and one for the cell state (H × `tile`).
    static func scratchCount(_ L: LSTMLayout) -> Int {
        let rows = (0..<L.layers).map { L.inputSize(layer: $0) + L.hidden }.max()!
        return (2 * rows + L.hidden) * tile
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

    /// One inference step for the coordinates `r` (of N) — `LSTMCell.step` without the gate
    /// records, with the buffers in place (each layer's xh and c are read and overwritten;
    /// `buffers.xhIn(l) == xhOut(l)`, `cIn(l) == cOut(l)`). The input rows of xh for layers
    /// above the first are not written (the fused kernel passes h' on in its tile).
    ///
    /// - Parameters:
    ///   - weights: φ (for the read-outs); `packed`: its layer weights as `pack` lays them out.
    ///   - scratch: `scratchCount` floats, this thread's own.
    static func step(
        _ c: LSTMConfiguration, weights w: UnsafePointer<Float>, packed: UnsafePointer<Float>,
        count N: Int, range r: Range<Int>, gradient: UnsafePointer<Float>, gradientScale: Float,
        featureState: UnsafeMutablePointer<Float>?, featureStep: Int,
        buffers b: LSTMStepBuffers, delta: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
    ) {
        guard !r.isEmpty else { return }
        let L = c.layout, H = L.hidden, T = tile
        let rows = (0..<L.layers).map { L.inputSize(layer: $0) + H }.max()!
        let tiles = (scratch, scratch + rows * T), cTile = scratch + 2 * rows * T
        let readout = w + L.readoutOffset, s = c.outputScale
        var lo = r.lowerBound
        while lo < r.upperBound {
            let hi = min(r.upperBound, lo + block)
            preprocessGradient(c.inputs, gradient: gradient, scale: gradientScale, x: b.xhIn(0), stride: N,
                               state: featureState, step: featureStep, range: lo..<hi)
            var n = lo
            while n < hi {
                let lanes = min(T, hi - n)
                for l in 0..<L.layers {
                    let x = l % 2 == 0 ? tiles.0 : tiles.1, next = l % 2 == 0 ? tiles.1 : tiles.0
                    let xh = b.xhIn(l), inputs = L.inputSize(layer: l), cState = b.cIn(l)
                    // The tile's inputs: layer 0's features and every layer's previous h (the
                    // layers above read the layer below's h' that it left in their tile).
                    gather(from: xh + (l == 0 ? 0 : inputs) * N + n, stride: N,
                           rows: l == 0 ? inputs + H : H, lanes: lanes, into: x + (l == 0 ? 0 : inputs) * T)
                    gather(from: cState + n, stride: N, rows: H, lanes: lanes, into: cTile)
                    layer(hidden: H, inputs: inputs + H, packed: packed + L.weightOffset(layer: l),
                          x: x, c: cTile, hOut: next)
                    scatter(from: next, rows: H, lanes: lanes, into: xh + inputs * N + n, stride: N)
                    scatter(from: cTile, rows: H, lanes: lanes, into: cState + n, stride: N)
                }
                // Read-out: Δ = s·(b + Σ_j w_j·h'_j), summed as `LSTMCell.readout` sums.
                let top = L.layers % 2 == 0 ? tiles.0 : tiles.1
                for half in 0..<2 {
                    var d = SIMD8<Float>(repeating: readout[H])
                    for j in 0..<H { d = d + SIMD8(repeating: readout[j]) * FastMath.load8(top + j * T + 8 * half) }
                    d = d * s
                    let count = max(0, min(8, lanes - 8 * half))
                    if count > 0 { FastMath.store8(d, delta + n + 8 * half, lanes: count) }
                }
                n += T
            }
            if L.momentumReadouts > 0 {
                addMomentumReadout(c, weights: w + L.momentumReadoutOffset, state: featureState!, stride: N,
                                   step: featureStep, range: lo..<hi, delta: delta, record: nil)
            }
            lo = hi
        }
    }

    /// One layer on one tile: for each unit j, its four gate pre-activations over the `inputs`
    /// rows of `x` (`inputs` × 16, then the bias), the activations, c ← f⊙c + i⊙g (in `c`,
    /// H × 16) and h' = o⊙tanh(c) into row j of `hOut` (H × 16).
    @inline(__always)
    static func layer(hidden H: Int, inputs K: Int, packed p: UnsafePointer<Float>,
                      x: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, hOut: UnsafeMutablePointer<Float>) {
        let cols = K + 1
        for j in 0..<H {
            let q = p + j * cols * 4
            var i0 = SIMD8<Float>(), i1 = SIMD8<Float>(), f0 = SIMD8<Float>(), f1 = SIMD8<Float>()
            var g0 = SIMD8<Float>(), g1 = SIMD8<Float>(), o0 = SIMD8<Float>(), o1 = SIMD8<Float>()
            for k in 0..<K {
                let x0 = FastMath.load8(x + 16 * k), x1 = FastMath.load8(x + 16 * k + 8)
                let wi = SIMD8<Float>(repeating: q[4 * k]), wf = SIMD8<Float>(repeating: q[4 * k + 1])
                let wg = SIMD8<Float>(repeating: q[4 * k + 2]), wo = SIMD8<Float>(repeating: q[4 * k + 3])
                i0 = i0.addingProduct(wi, x0); i1 = i1.addingProduct(wi, x1)
                f0 = f0.addingProduct(wf, x0); f1 = f1.addingProduct(wf, x1)
                g0 = g0.addingProduct(wg, x0); g1 = g1.addingProduct(wg, x1)
                o0 = o0.addingProduct(wo, x0); o1 = o1.addingProduct(wo, x1)
            }
            let bias = q + 4 * K
            cell(i0 + bias[0], f0 + bias[1], g0 + bias[2], o0 + bias[3], c: c + 16 * j, h: hOut + 16 * j)
            cell(i1 + bias[0], f1 + bias[1], g1 + bias[2], o1 + bias[3], c: c + 16 * j + 8, h: hOut + 16 * j + 8)
        }
    }

    /// The cell update of 8 coordinates from their gate pre-activations, as `LSTMCell.forward`.
    @inline(__always)
    static func cell(_ zi: SIMD8<Float>, _ zf: SIMD8<Float>, _ zg: SIMD8<Float>, _ zo: SIMD8<Float>,
                     c: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>) {
        let i = FastMath.sigmoid(zi), f = FastMath.sigmoid(zf)
        let g = FastMath.tanh(zg), o = FastMath.sigmoid(zo)
        let cNew = f * FastMath.load8(c) + i * g
        FastMath.store8(cNew, c)
        FastMath.store8(o * FastMath.tanh(cNew), h)
    }

    /// Copies `rows` rows of `lanes` ≤ 16 values (row stride `stride`) into a tile (row stride
    /// 16), zero-filling the lanes beyond `lanes`.
    @inline(__always)
    static func gather(from src: UnsafePointer<Float>, stride: Int, rows: Int, lanes: Int,
                       into dst: UnsafeMutablePointer<Float>) {
        if lanes == 16 {
            for k in 0..<rows {
                let s = src + k * stride, d = dst + 16 * k
                FastMath.store8(FastMath.load8(s), d); FastMath.store8(FastMath.load8(s + 8), d + 8)
            }
        } else {
            for k in 0..<rows {
                for m in 0..<16 { dst[16 * k + m] = m < lanes ? src[k * stride + m] : 0 }
            }
        }
    }

    /// The inverse of `gather`: the first `lanes` values of each tile row back into place.
    @inline(__always)
    static func scatter(from src: UnsafePointer<Float>, rows: Int, lanes: Int,
                        into dst: UnsafeMutablePointer<Float>, stride: Int) {
        if lanes == 16 {
            for k in 0..<rows {
                let s = src + 16 * k, d = dst + k * stride
                FastMath.store8(FastMath.load8(s), d); FastMath.store8(FastMath.load8(s + 8), d + 8)
            }
        } else {
            for k in 0..<rows {
                for m in 0..<lanes { dst[k * stride + m] = src[16 * k + m] }
            }
        }
    }
}

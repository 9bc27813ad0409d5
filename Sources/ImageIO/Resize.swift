// Antialiased resampling with separable convolution filters, after Pillow's
// `ImagingResample`: the filter is stretched by the downscale factor, so every input
// pixel contributes when shrinking (no aliasing), and weights are precomputed and
// normalized per output coordinate.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The reconstruction filter used by `Image.resized`.
public enum ResizeFilter: Sendable, Equatable, CaseIterable {
    /// Triangle filter (support 1): bilinear when enlarging, area-like averaging when
    /// shrinking. Never overshoots.
    case bilinear
    /// Keys cubic with a = −0.5 (support 2), Pillow's BICUBIC.
    case bicubic
    /// Windowed sinc with 3 lobes (support 3), Pillow's LANCZOS: the sharpest of the three.
    case lanczos3

    /// Half-width of the filter in input pixels at scale 1.
    var support: Double {
        switch self {
        case .bilinear: return 1
        case .bicubic: return 2
        case .lanczos3: return 3
        }
    }

    /// Whether the kernel has negative lobes (results may leave [0, 1] before clamping).
    var overshoots: Bool { self != .bilinear }

    func weight(_ x: Double) -> Double {
        let x = abs(x)
        switch self {
        case .bilinear:
            return x < 1 ? 1 - x : 0
        case .bicubic:
            let a = -0.5
            if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0
        case .lanczos3:
            guard x < 3 else { return 0 }
            return ResizeFilter.sinc(x) * ResizeFilter.sinc(x / 3)
        }
    }

    private static func sinc(_ x: Double) -> Double {
        if x == 0 { return 1 }
        let px = Double.pi * x
        return sin(px) / px
    }
}

/// Precomputed 1-D resampling weights: output coordinate `i` reads `count[i]` input
/// samples starting at `start[i]`, weighted by `weights[i * stride ..< i * stride + count[i]]`.
///
/// For the row pass (a dot product per output, which LLVM will not vectorize because that
/// would reorder a float sum) there is also a padded copy: every output reads exactly
/// `simdStride` (a multiple of 8) samples from `simdStart[i]`, with zero weights around the
/// real ones, so the dot product runs on `SIMD8` lanes. It exists when the input has at
/// least `simdStride` samples, so the padded window always stays inside the row.
struct ResampleKernel {
    let start: [Int]
    let count: [Int]
    let weights: [Float]
    let stride: Int
    let simdStride: Int
    let simdStart: [Int]
    let simdWeights: [Float]

    /// Weights for resampling `inSize` samples to `outSize` (pixel centres at `i + 0.5`).
    init(inSize: Int, outSize: Int, filter: ResizeFilter) {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1)
        let support = filter.support * filterScale
        let stride = Int(support.rounded(.up)) * 2 + 1
        var start = [Int](repeating: 0, count: outSize)
        var count = [Int](repeating: 0, count: outSize)
        var weights = [Float](repeating: 0, count: outSize * stride)
        var w = [Double](repeating: 0, count: stride)
        for i in 0..<outSize {
            let center = (Double(i) + 0.5) * scale
            let lo = max(Int((center - support + 0.5).rounded(.down)), 0)
            let hi = min(Int((center + support + 0.5).rounded(.down)), inSize)
            let n = min(max(hi - lo, 1), stride)
            var total = 0.0
            for k in 0..<n {
                w[k] = filter.weight((Double(lo + k) - center + 0.5) / filterScale)
                total += w[k]
            }
            for k in 0..<n {
                weights[i * stride + k] = Float(total != 0 ? w[k] / total : (k == 0 ? 1 : 0))
            }
            start[i] = min(lo, inSize - 1)
            count[i] = n
        }
        self.start = start
        self.count = count
        self.weights = weights
        self.stride = stride

        let simdStride = (stride + 7) / 8 * 8
        var simdStart: [Int] = []
        var simdWeights: [Float] = []
        if inSize >= simdStride {
            simdStart = [Int](repeating: 0, count: outSize)
            simdWeights = [Float](repeating: 0, count: outSize * simdStride)
            for i in 0..<outSize {
                let s = min(start[i], inSize - simdStride)
                simdStart[i] = s
                for k in 0..<count[i] { simdWeights[i * simdStride + start[i] - s + k] = weights[i * stride + k] }
            }
        }
        self.simdStride = simdStride
        self.simdStart = simdStart
        self.simdWeights = simdWeights
    }
}

extension Image {
    /// The image resampled to `width`×`height` pixels, with antialiasing.
    ///
    /// Separable convolution: when shrinking by a factor s, the filter is stretched to
    /// s × its support, so every input pixel contributes (a 1-px checkerboard shrunk 4×
    /// becomes uniform 0.5 grey, where nearest-neighbour would alias). Enlarging is plain
    /// bilinear / bicubic / Lanczos interpolation. Weights are normalized, so a constant
    /// image stays constant; a dimension whose size does not change is copied unchanged.
    /// With `.bicubic` and `.lanczos3` results are clamped to [0, 1].
    ///
    /// Complexity: O(3 · (outW · inH · kx + outW · outH · ky)) where k is the filter width
    /// in input pixels (2 · support · max(1, in/out)); the cheaper pass order is chosen.
    ///
    /// - Precondition: `width >= 1` and `height >= 1`.
    public func resized(width newWidth: Int, height newHeight: Int,
                        filter: ResizeFilter = .lanczos3) -> Image {
        precondition(newWidth >= 1 && newHeight >= 1, "resized: target size must be positive, got \(newWidth)x\(newHeight)")
        checkLayout()
        if newWidth == width && newHeight == height { return self }
        var result = self
        let horizontal = newWidth != width ? ResampleKernel(inSize: width, outSize: newWidth, filter: filter) : nil
        let vertical = newHeight != height ? ResampleKernel(inSize: height, outSize: newHeight, filter: filter) : nil
        // Cost of each order, in multiply-adds per channel.
        let kx = horizontal?.stride ?? 0, ky = vertical?.stride ?? 0
        let horizontalFirst = newWidth * height * kx + newWidth * newHeight * ky
        let verticalFirst = width * newHeight * ky + newWidth * newHeight * kx
        if horizontalFirst <= verticalFirst {
            if let horizontal { result = result.resampledRows(to: newWidth, kernel: horizontal) }
            if let vertical { result = result.resampledColumns(to: newHeight, kernel: vertical) }
        } else {
            if let vertical { result = result.resampledColumns(to: newHeight, kernel: vertical) }
            if let horizontal { result = result.resampledRows(to: newWidth, kernel: horizontal) }
        }
        if filter.overshoots { result.clampToUnitRange() }
        return result
    }

    /// The image scaled so that its longer side is `longestSide` pixels, keeping the aspect
    /// ratio (the shorter side is rounded to the nearest integer, at least 1).
    ///
    /// - Precondition: `longestSide >= 1`.
    public func resized(longestSide: Int, filter: ResizeFilter = .lanczos3) -> Image {
        precondition(longestSide >= 1, "resized(longestSide:): must be positive, got \(longestSide)")
        let size = Image.fittedSize(width: width, height: height, longestSide: longestSide)
        return resized(width: size.width, height: size.height, filter: filter)
    }

    /// The size `resized(longestSide:)` produces for a `width`×`height` image.
    public static func fittedSize(width: Int, height: Int, longestSide: Int) -> (width: Int, height: Int) {
        if width >= height {
            let h = Int((Double(height) * Double(longestSide) / Double(width)).rounded())
            return (longestSide, max(h, 1))
        }
        let w = Int((Double(width) * Double(longestSide) / Double(height)).rounded())
        return (max(w, 1), longestSide)
    }

    /// Resamples every row (the x direction) to `newWidth` samples.
    private func resampledRows(to newWidth: Int, kernel: ResampleKernel) -> Image {
        let w = width, rows = Image.channels * height
        var out = [Float](repeating: 0, count: rows * newWidth)
        if !kernel.simdStart.isEmpty {
            let lanes = kernel.simdStride
            out.withUnsafeMutableBufferPointer { dst in
                pixels.withUnsafeBufferPointer { src in
                    kernel.simdStart.withUnsafeBufferPointer { start in
                        kernel.simdWeights.withUnsafeBufferPointer { weights in
                            for r in 0..<rows {
                                let row = src.baseAddress! + r * w
                                let outRow = dst.baseAddress! + r * newWidth
                                for x in 0..<newWidth {
                                    let input = UnsafeRawPointer(row + start[x])
                                    let wt = UnsafeRawPointer(weights.baseAddress! + x * lanes)
                                    var sum = SIMD8<Float>()
                                    var offset = 0
                                    while offset < lanes * 4 {
                                        sum += input.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                                            * wt.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                                        offset += 32
                                    }
                                    outRow[x] = sum.sum()
                                }
                            }
                        }
                    }
                }
            }
            return Image(width: newWidth, height: height, pixels: out)
        }
        out.withUnsafeMutableBufferPointer { dst in
            pixels.withUnsafeBufferPointer { src in
                kernel.start.withUnsafeBufferPointer { start in
                    kernel.count.withUnsafeBufferPointer { count in
                        kernel.weights.withUnsafeBufferPointer { weights in
                            for r in 0..<rows {
                                let row = src.baseAddress! + r * w
                                let outRow = dst.baseAddress! + r * newWidth
                                for x in 0..<newWidth {
                                    let input = row + start[x]
                                    let wt = weights.baseAddress! + x * kernel.stride
                                    var sum: Float = 0
                                    for k in 0..<count[x] { sum += input[k] * wt[k] }
                                    outRow[x] = sum
                                }
                            }
                        }
                    }
                }
            }
        }
        return Image(width: newWidth, height: height, pixels: out)
    }

    /// Resamples every column (the y direction) to `newHeight` samples, one whole output
    /// row at a time (row-wise multiply-adds, which vectorize).
    private func resampledColumns(to newHeight: Int, kernel: ResampleKernel) -> Image {
        let w = width, h = height
        var out = [Float](repeating: 0, count: Image.channels * newHeight * w)
        out.withUnsafeMutableBufferPointer { dst in
            pixels.withUnsafeBufferPointer { src in
                for c in 0..<Image.channels {
                    let plane = src.baseAddress! + c * h * w
                    for y in 0..<newHeight {
                        let outRow = dst.baseAddress! + (c * newHeight + y) * w
                        let first = kernel.start[y]
                        for k in 0..<kernel.count[y] {
                            let weight = kernel.weights[y * kernel.stride + k]
                            let row = plane + (first + k) * w
                            for x in 0..<w { outRow[x] += weight * row[x] }
                        }
                    }
                }
            }
        }
        return Image(width: width, height: newHeight, pixels: out)
    }

    private mutating func clampToUnitRange() {
        pixels.withUnsafeMutableBufferPointer { p in
            for i in p.indices {
                let v = p[i]
                p[i] = v < 0 ? 0 : (v > 1 ? 1 : v)
            }
        }
    }
}

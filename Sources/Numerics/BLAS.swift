import Foundation
#if canImport(Accelerate)
import Accelerate
#else
import COpenBLAS
#endif

/// Matrix products through the system BLAS (OpenBLAS on Linux, Accelerate on Apple platforms).
///
/// All matrices are **row-major**. `C ← α·op(A)·op(B) + β·C` with `op(A)` of shape `m×k`,
/// `op(B)` of shape `k×n` and `C` of shape `m×n`; `lda`, `ldb`, `ldc` are the row strides of
/// the matrices *as stored* (before the optional transpose).
///
/// Threads: the BLAS itself always runs single-threaded. A large product is split into
/// `BLAS.threads` column blocks computed concurrently on our own threads (`parallelFor`), and
/// never split again inside a parallel region. OpenBLAS's own threads spin-wait between
/// products: measured here they were slower for this project's shapes and collapsed (up to 7×)
/// when the cores were busy, while the split degrades gracefully. A split GEMM gives results
/// identical to the unsplit one with some CPUs' OpenBLAS kernels, and equal to rounding with
/// others (an AMD EPYC running the Haswell kernels rounds a column differently by the width of
/// the call); a split SYRK may differ in the last bits (its blocks sum in another order).
/// Results are deterministic for a given machine and thread count.
public enum BLAS {
    /// Makes the BLAS single-threaded once, before the first product.
    @usableFromInline static let singleThreadedBLAS: Void = {
        #if !canImport(Accelerate)
        openblas_set_num_threads(1)
        #endif
    }()

    /// Products below this many multiply-adds are never split.
    @usableFromInline static let splitThreshold = 1 << 21

    @usableFromInline nonisolated(unsafe) static var _threads = defaultChunks

    /// Single-precision general matrix product (see the type's documentation for layout).
    @inlinable
    public static func gemm(
        transA: Bool = false, transB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "gemm: negative size m=\(m) n=\(n) k=\(k)")
        precondition(lda >= max(1, transA ? m : k), "gemm: lda \(lda) too small")
        precondition(ldb >= max(1, transB ? k : n), "gemm: ldb \(ldb) too small")
        precondition(ldc >= max(1, n), "gemm: ldc \(ldc) too small")
        if m == 0 || n == 0 { return }
        _ = singleThreadedBLAS
        let parts = (transB || n < 256 || m * n * k < splitThreshold || ParallelRegion.isInside) ? 1 : min(_threads, n / 128)
        if parts > 1 {
            // Column blocks of op(B) and C: independent products.
            parallelFor(chunks: parts) { p in
                let r = chunkRange(p, of: parts, count: n)
                guard !r.isEmpty else { return }
                cblas_sgemm(
                    CblasRowMajor, transA ? CblasTrans : CblasNoTrans, CblasNoTrans,
                    Int32(m), Int32(r.count), Int32(k), alpha, a, Int32(lda), b + r.lowerBound, Int32(ldb),
                    beta, c + r.lowerBound, Int32(ldc))
            }
            return
        }
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Symmetric rank-k update, upper triangle only: `C ← α·A·Aᵀ + β·C` with `A` of shape
    /// `n×k` (row stride `lda`) and `C` of shape `n×n` (row stride `ldc`). Entries of `C` below the
    /// diagonal are left untouched. Half the FLOPs of the equivalent `gemm`.
    @inlinable
    public static func syrkUpper(
        n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        precondition(n >= 0 && k >= 0 && lda >= max(1, k) && ldc >= max(1, n), "syrk: bad sizes n=\(n) k=\(k)")
        if n == 0 { return }
        _ = singleThreadedBLAS
        if _threads >= 2 && n >= 32 && n * n * k / 2 >= splitThreshold && !ParallelRegion.isInside {
            // Two balanced parts of the upper triangle: rows [0, h) (a triangle and a rectangle)
            // and the triangle [h, n), with h ≈ n(1 − 1/√2) so both have about n²/4 entries.
            let h = max(1, Int((Double(n) * (1 - 0.5.squareRoot())).rounded()))
            parallelFor(chunks: 2) { p in
                if p == 0 {
                    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(h), Int32(k), alpha, a, Int32(lda),
                                beta, c, Int32(ldc))
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(h), Int32(n - h), Int32(k), alpha,
                                a, Int32(lda), a + h * lda, Int32(lda), beta, c + h, Int32(ldc))
                } else {
                    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(n - h), Int32(k), alpha, a + h * lda,
                                Int32(lda), beta, c + h * ldc + h, Int32(ldc))
                }
            }
            return
        }
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(n), Int32(k), alpha, a, Int32(lda),
                    beta, c, Int32(ldc))
    }

    /// The process's compute-thread count: how many threads one large product (and the
    /// kernels that follow this setting: im2col, the LSTM optimizer, batched problems) may use.
    /// Default: the active cores (at most 8). Set it to 1 for strictly single-threaded work.
    public static var threads: Int {
        get { _threads }
        set {
            precondition(newValue >= 1, "BLAS.threads must be at least 1")
            _threads = newValue
        }
    }
}

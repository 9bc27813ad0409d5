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
/// Threads: OpenBLAS would start one thread per core for every product, which is slower for the
/// small products of this project and collapses when the cores are busy. So the first use sets
/// it to **one thread** (unless `OPENBLAS_NUM_THREADS` is set); callers opt in to more with
/// `BLAS.threads`.
public enum BLAS {
    /// Applies the one-thread default once, before the first product or thread query.
    @usableFromInline static let threadDefault: Void = {
        #if !canImport(Accelerate)
        if getenv("OPENBLAS_NUM_THREADS") == nil { openblas_set_num_threads(1) }
        #endif
    }()

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
        _ = threadDefault
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
        _ = threadDefault
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(n), Int32(k), alpha, a, Int32(lda),
                    beta, c, Int32(ldc))
    }

    /// The number of threads the BLAS uses for one product (1 on Accelerate, which manages its own).
    public static var threads: Int {
        get {
            _ = threadDefault
            #if canImport(Accelerate)
            return 1
            #else
            return Int(openblas_get_num_threads())
            #endif
        }
        set {
            precondition(newValue >= 1, "BLAS.threads must be at least 1")
            _ = threadDefault
            #if !canImport(Accelerate)
            openblas_set_num_threads(Int32(newValue))
            #endif
        }
    }
}

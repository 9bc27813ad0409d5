import XCTest
@testable import Numerics

/// Large products are split into column blocks on our own threads; the result must not depend
/// on the thread count beyond rounding (each block is the same single-threaded computation, but
/// some CPUs' OpenBLAS kernels round a column differently by the width of the call: an AMD EPYC
/// with the Haswell kernels; bit for bit on others).
final class BLASSplitTests: XCTestCase {
    override func tearDown() { BLAS.threads = defaultChunks }

    func testSplitGemmEqualsSingleThreadedForBothTransposes() {
        for transA in [false, true] {
            let m = 96, n = 4099, k = 77
            let a = randomTensor(transA ? [k, m] : [m, k], seed: 1), b = randomTensor([k, n], seed: 2)
            let c1 = Tensor(shape: [m, n]), c2 = Tensor(shape: [m, n])
            c1.fill(0.5); c2.fill(0.5)
            BLAS.threads = 1
            BLAS.gemm(transA: transA, m: m, n: n, k: k, alpha: 0.7, a: a.data, lda: transA ? m : k,
                      b: b.data, ldb: n, beta: 0.3, c: c1.data, ldc: n)
            BLAS.threads = 3
            BLAS.gemm(transA: transA, m: m, n: n, k: k, alpha: 0.7, a: a.data, lda: transA ? m : k,
                      b: b.data, ldb: n, beta: 0.3, c: c2.data, ldc: n)
            for i in 0..<c1.count { XCTAssertEqual(c1.data[i], c2.data[i], accuracy: 1e-5 * max(1, abs(c1.data[i]))) }
            // And against a direct computation for a few entries.
            for (i, j) in [(0, 0), (m - 1, n - 1), (37, 2050)] {
                var s: Double = 0
                for p in 0..<k {
                    let aip = transA ? a.data[p * m + i] : a.data[i * k + p]
                    s += Double(aip) * Double(b.data[p * n + j])
                }
                XCTAssertEqual(Double(c1.data[i * n + j]), 0.7 * s + 0.15, accuracy: 1e-3)
            }
        }
    }

    func testSplitSyrkEqualsSingleThreadedOnTheUpperTriangle() {
        let n = 130, k = 700
        let a = randomTensor([n, k], seed: 3)
        let c1 = Tensor(shape: [n, n]), c2 = Tensor(shape: [n, n])
        BLAS.threads = 1
        BLAS.syrkUpper(n: n, k: k, alpha: 0.5, a: a.data, lda: k, c: c1.data, ldc: n)
        BLAS.threads = 2
        BLAS.syrkUpper(n: n, k: k, alpha: 0.5, a: a.data, lda: k, c: c2.data, ldc: n)
        for i in 0..<n {
            for j in i..<n {
                XCTAssertEqual(c1.data[i * n + j], c2.data[i * n + j], accuracy: 1e-4 * max(1, abs(c1.data[i * n + j])))
            }
        }
        var s: Double = 0
        for p in 0..<k { s += Double(a.data[3 * k + p]) * Double(a.data[100 * k + p]) }
        XCTAssertEqual(Double(c2.data[3 * n + 100]), 0.5 * s, accuracy: 1e-3)
    }

    func testNoSplitInsideAParallelRegion() {
        XCTAssertFalse(ParallelRegion.isInside)
        var inside = [false, false]
        inside.withUnsafeMutableBufferPointer { flags in
            parallelFor(chunks: 2) { flags[$0] = ParallelRegion.isInside }
        }
        XCTAssertEqual(inside, [true, true])
        XCTAssertFalse(ParallelRegion.isInside)
    }
}

import XCTest
import Numerics

/// Central finite-difference check of an analytic gradient.
///
/// For each checked index i: fd_i = (f(x + h·e_i) − f(x − h·e_i)) / 2h, evaluated with `f`
/// returning a Double (Float kernels, Double accumulation). Passes when
/// |fd_i − g_i| ≤ atol + rtol·max(|fd_i|, |g_i|) for every checked i.
func checkGradient(
    _ x: Tensor, analytic: Tensor, h: Float = 1e-2, rtol: Double = 1e-2, atol: Double = 1e-4,
    indices: [Int]? = nil, file: StaticString = #filePath, line: UInt = #line,
    _ f: (Tensor) -> Double
) {
    precondition(x.count == analytic.count)
    let idx = indices ?? Array(0..<x.count)
    var worst = 0.0
    for i in idx {
        let saved = x.data[i]
        x.data[i] = saved + h
        let fp = f(x)
        x.data[i] = saved - h
        let fm = f(x)
        x.data[i] = saved
        let fd = (fp - fm) / (2 * Double(h))
        let g = Double(analytic.data[i])
        let err = abs(fd - g)
        let bound = atol + rtol * max(abs(fd), abs(g))
        worst = max(worst, err / bound)
        if err > bound {
            XCTFail("gradient mismatch at \(i): finite difference \(fd), analytic \(g)", file: file, line: line)
            return
        }
    }
    XCTAssertLessThanOrEqual(worst, 1, file: file, line: line)
}

/// ⟨a, b⟩ in Double.
func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Double {
    var s = 0.0
    for i in 0..<n { s += Double(a[i]) * Double(b[i]) }
    return s
}

/// A tensor of i.i.d. normals from a fixed seed.
func randomTensor(_ shape: [Int], seed: UInt64, std: Float = 1) -> Tensor {
    var g = SeededGenerator(seed: seed)
    let t = Tensor(shape: shape)
    g.fillNormal(t, std: std)
    return t
}

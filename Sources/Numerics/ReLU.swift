/// Rectified linear unit, in place.
public enum ReLU {
    /// x ← max(x, 0) for `count` values.
    @inlinable
    public static func forward(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { x[i] = x[i] > 0 ? x[i] : 0 }
    }

    /// gradient ← gradient · [output > 0], where `output` is the ReLU's *output* (count values).
    @inlinable
    public static func backward(output: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { gradient[i] = output[i] > 0 ? gradient[i] : 0 }
    }
}

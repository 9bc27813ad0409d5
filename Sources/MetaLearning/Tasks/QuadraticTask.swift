import Numerics

/// The paper's quadratic task: f(θ) = ‖Wθ − y‖² with W (d×d) and y (d) i.i.d. standard normal,
/// drawn afresh per problem; θ₀ ~ N(0, 0.01²) per coordinate (as in the authors' code).
public final class QuadraticTask: MetaTask {
    public let dimension: Int
    public let seed: UInt64
    public var name: String { "quadratic" }
    public var defaultHorizon: Int { 100 }
    public var settings: [String: String] {
        ["dimension": "\(dimension)", "seed": "\(seed)", "initialStd": "0.01"]
    }

    /// The default data seed: validation and test problems are the same for every run.
    public static let defaultSeed: UInt64 = 2016

    public init(dimension: Int = 10, seed: UInt64 = QuadraticTask.defaultSeed) {
        precondition(dimension >= 1, "QuadraticTask: dimension must be positive")
        self.dimension = dimension
        self.seed = seed
    }

    public func makeProblem(split: Split, index: Int) -> any Problem {
        var g = Self.generator(seed: seed, split: split, index: index)
        return QuadraticProblem(dimension: dimension, generator: &g)
    }
}

/// One quadratic problem f(θ) = ‖Wθ − y‖², ∇f = 2Wᵀ(Wθ − y). Deterministic (not stochastic).
public final class QuadraticProblem: Problem {
    public let dimension: Int
    /// W, row-major d×d.
    public let w: [Float]
    public let y: [Float]
    public let theta0: [Float]
    private var residual: [Float]

    public var parameterCount: Int { dimension }

    public init(dimension d: Int, generator g: inout SeededGenerator) {
        dimension = d
        w = (0..<(d * d)).map { _ in Float(g.nextNormal()) }
        y = (0..<d).map { _ in Float(g.nextNormal()) }
        theta0 = (0..<d).map { _ in 0.01 * Float(g.nextNormal()) }
        residual = [Float](repeating: 0, count: d)
    }

    /// A problem with given W (row-major d×d), y and θ₀.
    public init(w: [Float], y: [Float], theta0: [Float]) {
        let d = y.count
        precondition(w.count == d * d && theta0.count == d, "QuadraticProblem: W must be \(d)×\(d)")
        dimension = d
        self.w = w; self.y = y; self.theta0 = theta0
        residual = [Float](repeating: 0, count: d)
    }

    public func initialParameters() -> [Float] { theta0 }

    public func lossAndGradient(at theta: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>) -> Float {
        let d = dimension
        var loss: Float = 0
        w.withUnsafeBufferPointer { w in
            y.withUnsafeBufferPointer { y in
                residual.withUnsafeMutableBufferPointer { r in
                    for i in 0..<d {
                        var s: Float = -y[i]
                        for j in 0..<d { s += w[i * d + j] * theta[j] }
                        r[i] = s
                        loss += s * s
                    }
                    for j in 0..<d { gradient[j] = 0 }
                    for i in 0..<d {
                        let ri = 2 * r[i]
                        for j in 0..<d { gradient[j] += ri * w[i * d + j] }
                    }
                }
            }
        }
        return loss
    }

    /// Deterministic: every call sees the same function.
    public func enableReplay() -> Bool { true }
    public func replayLossAndGradient(call: Int, at theta: UnsafePointer<Float>,
                                      gradient: UnsafeMutablePointer<Float>) -> Float {
        lossAndGradient(at: theta, gradient: gradient)
    }
}

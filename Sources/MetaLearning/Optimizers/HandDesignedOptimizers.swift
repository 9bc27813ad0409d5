import Foundation
import Numerics

// The updates are coordinatewise: updates of ≥ 8,192 coordinates are split into contiguous ranges
// over `BLAS.threads` (`parallelForEachRange`), bit-identical to the serial loop.

/// State of the hand-designed optimizers: up to two per-coordinate moment buffers.
public final class MomentState: OptimizerState {
    public let count: Int
    public internal(set) var step: Int = 0
    /// First moment / velocity (zero at t = 0).
    public let m: Tensor
    /// Second moment (zero at t = 0; unused by SGD and NAG).
    public let v: Tensor

    init(count: Int, moments: Int) {
        self.count = count
        m = Tensor(shape: [moments >= 1 ? count : 0])
        v = Tensor(shape: [moments >= 2 ? count : 0])
    }
}

/// Plain gradient descent: Δ = −lr·∇.
public struct SGD: Optimizer {
    public var learningRate: Float
    public var name: String { "sgd" }
    public init(learningRate: Float) { self.learningRate = learningRate }
    public func makeState(count: Int) -> MomentState { MomentState(count: count, moments: 0) }
    public func update(gradient: UnsafePointer<Float>, delta: UnsafeMutablePointer<Float>, state: MomentState) {
        let lr = learningRate
        parallelForEachRange(count: state.count) { r in
            for i in r { delta[i] = -lr * gradient[i] }
        }
        state.step += 1
    }
}

/// Nesterov accelerated gradient in the form used by PyTorch (`nesterov=True`), which needs
/// only ∇f(θ_t): v ← μ·v + ∇,  Δ = −lr·(∇ + μ·v).
public struct NAG: Optimizer {
    public var learningRate: Float
    public var momentum: Float
    public var name: String { "nag" }
    public init(learningRate: Float, momentum: Float = 0.9) {
        self.learningRate = learningRate; self.momentum = momentum
    }
    public func makeState(count: Int) -> MomentState { MomentState(count: count, moments: 1) }
    public func update(gradient: UnsafePointer<Float>, delta: UnsafeMutablePointer<Float>, state: MomentState) {
        let lr = learningRate, mu = momentum, v = state.m.data
        parallelForEachRange(count: state.count) { r in
            for i in r {
                let vi = mu * v[i] + gradient[i]
                v[i] = vi
                delta[i] = -lr * (gradient[i] + mu * vi)
            }
        }
        state.step += 1
    }
}

/// RMSprop (Tieleman & Hinton): s ← ρ·s + (1−ρ)·∇²,  Δ = −lr·∇ / (√s + ε).
public struct RMSprop: Optimizer {
    public var learningRate: Float
    public var decay: Float
    public var epsilon: Float
    public var name: String { "rmsprop" }
    public init(learningRate: Float, decay: Float = 0.99, epsilon: Float = 1e-8) {
        self.learningRate = learningRate; self.decay = decay; self.epsilon = epsilon
    }
    public func makeState(count: Int) -> MomentState { MomentState(count: count, moments: 1) }
    public func update(gradient: UnsafePointer<Float>, delta: UnsafeMutablePointer<Float>, state: MomentState) {
        let lr = learningRate, rho = decay, eps = epsilon, s = state.m.data
        parallelForEachRange(count: state.count) { r in
            for i in r {
                let g = gradient[i]
                let si = rho * s[i] + (1 - rho) * g * g
                s[i] = si
                delta[i] = -lr * g / (si.squareRoot() + eps)
            }
        }
        state.step += 1
    }
}

/// ADAM (Kingma & Ba) with bias correction:
/// m ← β₁m + (1−β₁)∇,  v ← β₂v + (1−β₂)∇²,  Δ = −lr·m̂ / (√v̂ + ε).
public struct Adam: Optimizer {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public var name: String { "adam" }
    public init(learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
    }
    public func makeState(count: Int) -> MomentState { MomentState(count: count, moments: 2) }
    public func update(gradient: UnsafePointer<Float>, delta: UnsafeMutablePointer<Float>, state: MomentState) {
        state.step += 1
        let t = Double(state.step)
        let c1 = Float(1 - pow(Double(beta1), t)), c2 = Float(1 - pow(Double(beta2), t))
        let b1 = beta1, b2 = beta2, eps = epsilon
        let stepSize = learningRate / c1, invSqrtC2 = 1 / c2.squareRoot()
        let m = state.m.data, v = state.v.data
        parallelForEachRange(count: state.count) { r in
            for i in r {
                let g = gradient[i]
                let mi = b1 * m[i] + (1 - b1) * g
                let vi = b2 * v[i] + (1 - b2) * g * g
                m[i] = mi; v[i] = vi
                delta[i] = -stepSize * mi / (vi.squareRoot() * invSqrtC2 + eps)
            }
        }
    }
}

import Foundation
import Numerics

/// A multilayer perceptron classifier with softmax cross-entropy, parameters in ONE flat vector.
///
/// Layers: sizes `[inputSize] + hiddenSizes + [classCount]`; each hidden layer is
/// `activation(A·Wᵀ + b)`, the last is linear (logits), and the loss is the mean over the batch
/// of −log softmax(logits)[label].
///
/// **Parameter layout** (what a coordinatewise optimizer sees): for each layer l in order, W_l
/// `[out_l, in_l]` row-major at `weightOffset(layer: l)`, then b_l `[out_l]` at
/// `biasOffset(layer: l)`. `parameterCount` = Σ (in_l + 1)·out_l.
///
/// **Batches** are row-major `[batch, inputSize]`; every product goes through `BLAS.gemm`.
/// Cost of `lossAndGradient`: ≈ 6·batch·Σ in_l·out_l FLOP (forward, weight and input gradients).
public struct MLP: Sendable, Equatable {
    /// The hidden units' non-linearity.
    public enum Activation: String, Codable, Sendable, CaseIterable {
        case sigmoid, relu
    }

    public let inputSize: Int
    public let hiddenSizes: [Int]
    public let classCount: Int
    public let activation: Activation

    public init(inputSize: Int, hiddenSizes: [Int], classCount: Int, activation: Activation = .sigmoid) {
        precondition(inputSize >= 1 && classCount >= 2 && hiddenSizes.allSatisfy { $0 >= 1 },
                     "MLP: bad sizes input \(inputSize), hidden \(hiddenSizes), classes \(classCount)")
        self.inputSize = inputSize
        self.hiddenSizes = hiddenSizes
        self.classCount = classCount
        self.activation = activation
    }

    /// `[inputSize] + hiddenSizes + [classCount]`.
    public var layerSizes: [Int] { [inputSize] + hiddenSizes + [classCount] }
    /// The number of weight layers (hidden layers + 1).
    public var layerCount: Int { hiddenSizes.count + 1 }

    /// Offset of W_l (`[out_l, in_l]`) in the parameter vector.
    public func weightOffset(layer l: Int) -> Int {
        let s = layerSizes
        return (0..<l).reduce(0) { $0 + (s[$1] + 1) * s[$1 + 1] }
    }

    /// Offset of b_l (`[out_l]`), right after W_l.
    public func biasOffset(layer l: Int) -> Int {
        weightOffset(layer: l) + layerSizes[l] * layerSizes[l + 1]
    }

    /// Σ (in_l + 1)·out_l.
    public var parameterCount: Int { weightOffset(layer: layerCount) }

    /// Parameters with every weight and bias i.i.d. N(0, std²) (std 0.01 in the paper's code).
    public func initialParameters(std: Float, generator g: inout SeededGenerator) -> [Float] {
        (0..<parameterCount).map { _ in std * Float(g.nextNormal()) }
    }

    /// Buffers for batches of up to `batchSize` samples (allocated once, reused every call).
    public func makeWorkspace(batchSize: Int) -> MLPWorkspace {
        MLPWorkspace(layerSizes: layerSizes, batchSize: batchSize)
    }

    /// Forward pass: fills the workspace's activations; returns the logits (`[batch, classCount]`,
    /// valid until the next call on `workspace`).
    @discardableResult
    public func forward(parameters: UnsafePointer<Float>, inputs: UnsafePointer<Float>, batchSize B: Int,
                        workspace ws: MLPWorkspace) -> UnsafeMutablePointer<Float> {
        precondition(ws.layerSizes == layerSizes && B >= 1 && B <= ws.batchSize,
                     "MLP.forward: batch \(B) in a workspace for \(ws.batchSize) × \(ws.layerSizes)")
        let s = layerSizes
        var input = inputs
        for l in 0..<layerCount {
            let n = s[l], m = s[l + 1], z = ws.activations[l + 1].data
            let bias = parameters + biasOffset(layer: l)
            for r in 0..<B { (z + r * m).update(from: bias, count: m) }
            BLAS.gemm(transB: true, m: B, n: m, k: n, a: input, lda: n,
                      b: parameters + weightOffset(layer: l), ldb: n, beta: 1, c: z, ldc: m)
            if l + 1 < layerCount { activate(z, count: B * m) }
            input = UnsafePointer(z)
        }
        return ws.activations[layerCount].data
    }

    /// The mean softmax cross-entropy over a batch and, optionally, its gradients.
    ///
    /// - Parameters:
    ///   - inputs: `[batchSize, inputSize]`, row-major.
    ///   - labels: `batchSize` class indices in `0..<classCount`.
    ///   - gradient: receives ∂loss/∂parameters (`parameterCount` values), or nil for the loss only.
    ///   - inputGradient: receives ∂loss/∂inputs (`[batchSize, inputSize]`), or nil.
    /// - Returns: the mean loss (natural log). Afterwards the workspace's top activations hold
    ///   (softmax − onehot)/batch, not the logits.
    public func lossAndGradient(
        parameters: UnsafePointer<Float>, inputs: UnsafePointer<Float>, labels: UnsafePointer<Int>,
        batchSize B: Int, gradient: UnsafeMutablePointer<Float>?,
        inputGradient: UnsafeMutablePointer<Float>? = nil, workspace ws: MLPWorkspace
    ) -> Float {
        let logits = forward(parameters: parameters, inputs: inputs, batchSize: B, workspace: ws)
        let C = classCount, invB = 1 / Float(B)
        // dZ_top = (softmax − onehot)/B, written over the logits.
        var loss: Double = 0
        for r in 0..<B {
            let z = logits + r * C, y = labels[r]
            precondition(y >= 0 && y < C, "MLP: label \(y) outside 0..<\(C)")
            var mx = z[0]
            for k in 1..<C where z[k] > mx { mx = z[k] }
            let zy = z[y] - mx
            var sum: Float = 0
            for k in 0..<C { let e = Foundation.exp(z[k] - mx); z[k] = e; sum += e }
            loss += Double(Foundation.log(sum) - zy)
            let inv = invB / sum
            for k in 0..<C { z[k] *= inv }
            z[y] -= invB
        }
        guard gradient != nil || inputGradient != nil else { return Float(loss / Double(B)) }
        let s = layerSizes
        var dz = logits
        for l in stride(from: layerCount - 1, through: 0, by: -1) {
            let n = s[l], m = s[l + 1]
            let input = l == 0 ? inputs : UnsafePointer(ws.activations[l].data)
            if let gradient {
                BLAS.gemm(transA: true, m: m, n: n, k: B, a: dz, lda: m, b: input, ldb: n,
                          c: gradient + weightOffset(layer: l), ldc: n)
                let db = gradient + biasOffset(layer: l)
                db.update(repeating: 0, count: m)
                for r in 0..<B { let row = dz + r * m; for j in 0..<m { db[j] += row[j] } }
            }
            if l == 0 {
                if let inputGradient {
                    BLAS.gemm(m: B, n: n, k: m, a: dz, lda: m, b: parameters + weightOffset(layer: 0), ldb: n,
                              c: inputGradient, ldc: n)
                }
                break
            }
            let da = ws.gradients[l].data
            BLAS.gemm(m: B, n: n, k: m, a: dz, lda: m, b: parameters + weightOffset(layer: l), ldb: n, c: da, ldc: n)
            activateBackward(output: ws.activations[l].data, gradient: da, count: B * n)
            dz = da
        }
        return Float(loss / Double(B))
    }

    /// Mean loss and accuracy (fraction of argmax(logits) = label) over a whole dataset, in
    /// batches of `batchSize`.
    public func evaluate(parameters: UnsafePointer<Float>, on data: Dataset, batchSize: Int = 1000)
        -> (loss: Double, accuracy: Double)
    {
        precondition(data.featureCount == inputSize && data.classCount == classCount,
                     "MLP.evaluate: dataset of \(data.featureCount) features / \(data.classCount) classes")
        let ws = makeWorkspace(batchSize: min(batchSize, data.count))
        var lossSum = 0.0, correct = 0
        var start = 0
        data.labels.withUnsafeBufferPointer { labels in
            while start < data.count {
                let b = min(ws.batchSize, data.count - start)
                let logits = forward(parameters: parameters, inputs: data.images.data + start * inputSize,
                                     batchSize: b, workspace: ws)
                for r in 0..<b {
                    let e = Self.crossEntropy(logits: logits + r * classCount, classCount: classCount, label: labels[start + r])
                    if e.correct { correct += 1 }
                    lossSum += e.loss
                }
                start += b
            }
        }
        return (lossSum / Double(data.count), Double(correct) / Double(data.count))
    }

    /// The softmax cross-entropy of one sample's logits `z` (C values) against `label`, in Double
    /// (log Σ e^(z_k − max z) − (z_label − max z)), and whether the largest logit is the label's.
    static func crossEntropy(logits z: UnsafePointer<Float>, classCount C: Int, label y: Int) -> (loss: Double, correct: Bool) {
        var mx = z[0]
        for k in 1..<C where z[k] > mx { mx = z[k] }
        var sum = 0.0
        for k in 0..<C { sum += Foundation.exp(Double(z[k] - mx)) }
        return (Foundation.log(sum) - Double(z[y] - mx), argmax(z, C) == y)
    }

    static func argmax(_ p: UnsafePointer<Float>, _ n: Int) -> Int {
        var best = 0
        for k in 1..<n where p[k] > p[best] { best = k }
        return best
    }

    private func activate(_ z: UnsafeMutablePointer<Float>, count: Int) {
        switch activation {
        case .sigmoid: for i in 0..<count { z[i] = 1 / (1 + Foundation.exp(-z[i])) }
        case .relu: ReLU.forward(z, count: count)
        }
    }

    /// gradient ← gradient ⊙ act'(·), from the activation's *output*.
    private func activateBackward(output a: UnsafePointer<Float>, gradient g: UnsafeMutablePointer<Float>, count: Int) {
        switch activation {
        case .sigmoid: for i in 0..<count { g[i] *= a[i] * (1 - a[i]) }
        case .relu: ReLU.backward(output: a, gradient: g, count: count)
        }
    }
}

/// Per-call buffers of an `MLP` for batches of up to `batchSize`: the activations of every
/// layer (`activations[l]` is `[batchSize, layerSizes[l]]`; index 0 unused, the input is the
/// caller's) and the gradients with respect to them.
public final class MLPWorkspace {
    public let layerSizes: [Int]
    public let batchSize: Int
    let activations: [Tensor]
    let gradients: [Tensor]

    init(layerSizes: [Int], batchSize: Int) {
        precondition(batchSize >= 1, "MLPWorkspace: batch size must be positive")
        self.layerSizes = layerSizes
        self.batchSize = batchSize
        activations = layerSizes.enumerated().map { Tensor(shape: [$0.offset == 0 ? 1 : batchSize, $0.element]) }
        gradients = layerSizes.enumerated().map { Tensor(shape: [$0.offset == 0 ? 1 : batchSize, $0.element]) }
    }
}

import Foundation
import Numerics

/// A small convolutional classifier with parameters in ONE flat vector: conv layers (3×3, zero
/// padding 1, ReLU, 2×2 average pooling) then a fully connected head (an `MLP` with ReLU
/// hidden layers) and softmax cross-entropy.
///
/// Input samples are CHW `inputShape` = `[channels, height, width]` (e.g. `[1, 28, 28]` for
/// Fashion-MNIST, `[3, 32, 32]` for CIFAR-10); a batch is `[batch, C·H·W]` row-major, the
/// layout of `Dataset.images`.
///
/// **Parameter layout**: conv layer l's weights `[c_{l+1}, c_l, 3, 3]` at `convWeightOffset(l)`,
/// then its bias `[c_{l+1}]`; after all conv layers (`convParameterCount`, the split point
/// between the conv and fully connected groups) the head's parameters in `MLP` layout.
///
/// Pooling halves each side (rounding down), as `BatchedConv3x3.avgPool` does; the paper's CIFAR net used
/// max pooling and batch normalization, which this small net does without.
public struct ConvNet: Sendable, Equatable {
    public let inputShape: [Int]
    /// Output channels of each conv layer.
    public let channels: [Int]
    /// The fully connected part (input: the flattened last pooled map).
    public let head: MLP

    public init(inputShape: [Int], channels: [Int], fullyConnected: [Int], classCount: Int) {
        precondition(inputShape.count == 3 && inputShape.allSatisfy { $0 >= 1 } && !channels.isEmpty
                     && channels.allSatisfy { $0 >= 1 }, "ConvNet: bad input \(inputShape) or channels \(channels)")
        var h = inputShape[1], w = inputShape[2]
        for _ in channels { h /= 2; w /= 2 }
        precondition(h >= 1 && w >= 1, "ConvNet: \(channels.count) poolings shrink \(inputShape) to nothing")
        self.inputShape = inputShape
        self.channels = channels
        head = MLP(inputSize: channels.last! * h * w, hiddenSizes: fullyConnected, classCount: classCount,
                   activation: .relu)
    }

    public var classCount: Int { head.classCount }
    public var layerCount: Int { channels.count }
    /// Input channels of conv layer l.
    public func inChannels(_ l: Int) -> Int { l == 0 ? inputShape[0] : channels[l - 1] }
    /// Height and width of conv layer l's input (and output: the conv keeps the size).
    public func size(_ l: Int) -> (height: Int, width: Int) {
        var h = inputShape[1], w = inputShape[2]
        for _ in 0..<l { h /= 2; w /= 2 }
        return (h, w)
    }

    /// Offset of conv layer l's weights; its bias follows them.
    public func convWeightOffset(_ l: Int) -> Int {
        (0..<l).reduce(0) { $0 + channels[$1] * (9 * inChannels($1) + 1) }
    }
    public func convBiasOffset(_ l: Int) -> Int { convWeightOffset(l) + channels[l] * 9 * inChannels(l) }
    /// The number of conv parameters: the head starts here.
    public var convParameterCount: Int { convWeightOffset(layerCount) }
    public var parameterCount: Int { convParameterCount + head.parameterCount }

    /// He-normal weights (std √(2 / fan-in)) for every layer, zero biases.
    public func initialParameters(generator g: inout SeededGenerator) -> [Float] {
        var theta = [Float](repeating: 0, count: parameterCount)
        for l in 0..<layerCount {
            let std = (2 / Double(9 * inChannels(l))).squareRoot()
            for i in convWeightOffset(l)..<convBiasOffset(l) { theta[i] = Float(std * g.nextNormal()) }
        }
        for l in 0..<head.layerCount {
            let base = convParameterCount, fanIn = head.layerSizes[l]
            let std = (2 / Double(fanIn)).squareRoot()
            for i in (base + head.weightOffset(layer: l))..<(base + head.biasOffset(layer: l)) {
                theta[i] = Float(std * g.nextNormal())
            }
        }
        return theta
    }

    public func makeWorkspace(batchSize: Int) -> ConvNetWorkspace { ConvNetWorkspace(self, batchSize: batchSize) }

    /// Conv layers forward for a batch, one GEMM per layer (`BatchedConv3x3`): leaves every
    /// layer's activations (channel-major batch layout) and the head's input (`[batch,
    /// head.inputSize]`, per-sample CHW) in the workspace.
    func convForward(parameters: UnsafePointer<Float>, inputs: UnsafePointer<Float>, batchSize B: Int,
                     workspace ws: ConvNetWorkspace) {
        precondition(ws.net == self && B >= 1 && B <= ws.batchSize, "ConvNet: batch \(B) in a workspace for \(ws.batchSize)")
        for l in 0..<layerCount {
            let (h, w) = size(l), cin = inChannels(l), cout = channels[l], n = B * h * w
            Conv3x3.im2col(layerInput(l, inputs, B, ws), channels: cin, batch: B, height: h, width: w,
                                  columns: ws.columns.data)
            let z = ws.activations[l].data
            BatchedConv3x3.forward(weights: parameters + convWeightOffset(l), bias: parameters + convBiasOffset(l),
                                   inChannels: cin, outChannels: cout, columns: ws.columns.data, count: n, output: z)
            ReLU.forward(z, count: cout * n)
            BatchedConv3x3.avgPool(z, channels: cout * B, height: h, width: w, output: ws.pooled[l].data)
        }
        let top = layerCount - 1, s = size(layerCount)
        BatchedConv3x3.transpose(ws.pooled[top].data, outer: channels[top], inner: B, plane: s.height * s.width,
                                 into: ws.headInput.data)
    }

    /// Conv layer l's input in the channel-major batch layout.
    private func layerInput(_ l: Int, _ inputs: UnsafePointer<Float>, _ B: Int, _ ws: ConvNetWorkspace) -> UnsafePointer<Float> {
        if l > 0 { return UnsafePointer(ws.pooled[l - 1].data) }
        if inputShape[0] == 1 { return inputs }   // [B, 1, H, W] is already [1, B, H, W]
        BatchedConv3x3.transpose(inputs, outer: B, inner: inputShape[0], plane: inputShape[1] * inputShape[2],
                                 into: ws.inputTransposed.data)
        return UnsafePointer(ws.inputTransposed.data)
    }

    /// The mean softmax cross-entropy over a batch and, if `gradient` is given, ∂loss/∂θ.
    ///
    /// - Parameters: `inputs` `[batchSize, C·H·W]`; `labels` `batchSize` classes; `gradient`
    ///   `parameterCount` floats. Cost ≈ 3× the forward FLOPs, in 3 GEMMs per conv layer.
    public func lossAndGradient(
        parameters: UnsafePointer<Float>, inputs: UnsafePointer<Float>, labels: UnsafePointer<Int>,
        batchSize B: Int, gradient: UnsafeMutablePointer<Float>?, workspace ws: ConvNetWorkspace
    ) -> Float {
        convForward(parameters: parameters, inputs: inputs, batchSize: B, workspace: ws)
        let top = layerCount - 1
        let loss = head.lossAndGradient(
            parameters: parameters + convParameterCount, inputs: ws.headInput.data, labels: labels, batchSize: B,
            gradient: gradient.map { $0 + convParameterCount },
            inputGradient: gradient == nil ? nil : ws.headInputGradient.data, workspace: ws.head)
        guard let gradient else { return loss }
        let s = size(layerCount)
        BatchedConv3x3.transpose(ws.headInputGradient.data, outer: B, inner: channels[top], plane: s.height * s.width,
                                 into: ws.pooledGradient[top].data)
        for l in stride(from: top, through: 0, by: -1) {
            let (h, w) = size(l), cin = inChannels(l), cout = channels[l], n = B * h * w
            let dz = ws.zGradient.data
            BatchedConv3x3.avgPoolBackward(outputGradient: ws.pooledGradient[l].data, channels: cout * B, height: h, width: w,
                                inputGradient: dz)
            ReLU.backward(output: ws.activations[l].data, gradient: dz, count: cout * n)
            Conv3x3.im2col(layerInput(l, inputs, B, ws), channels: cin, batch: B, height: h, width: w,
                                  columns: ws.columns.data)
            BatchedConv3x3.backwardWeights(outputGradient: dz, columns: ws.columns.data, inChannels: cin, outChannels: cout,
                                           count: n, weightGradient: gradient + convWeightOffset(l),
                                           biasGradient: gradient + convBiasOffset(l))
            if l > 0 {
                BatchedConv3x3.backwardColumns(weights: parameters + convWeightOffset(l), outputGradient: dz, inChannels: cin,
                                               outChannels: cout, count: n, columnsGradient: ws.columns.data)
                let dx = ws.pooledGradient[l - 1]
                dx.data.update(repeating: 0, count: cin * n)
                Conv3x3.col2imAdd(ws.columns.data, channels: cin, batch: B, height: h, width: w, into: dx.data)
            }
        }
        return loss
    }

    /// Mean loss and accuracy over a dataset, in batches of `batchSize`.
    public func evaluate(parameters: UnsafePointer<Float>, on data: Dataset, batchSize: Int = 256)
        -> (loss: Double, accuracy: Double)
    {
        precondition(data.sampleShape == inputShape && data.classCount == classCount,
                     "ConvNet.evaluate: dataset of \(data.sampleShape) / \(data.classCount) classes")
        let ws = makeWorkspace(batchSize: min(batchSize, data.count))
        var lossSum = 0.0, correct = 0, start = 0
        let f = data.featureCount, C = classCount
        while start < data.count {
            let b = min(ws.batchSize, data.count - start)
            convForward(parameters: parameters, inputs: data.images.data + f * start, batchSize: b, workspace: ws)
            let logits = head.forward(parameters: parameters + convParameterCount, inputs: ws.headInput.data,
                                      batchSize: b, workspace: ws.head)
            for r in 0..<b {
                let e = MLP.crossEntropy(logits: logits + r * C, classCount: C, label: data.labels[start + r])
                if e.correct { correct += 1 }
                lossSum += e.loss
            }
            start += b
        }
        return (lossSum / Double(data.count), Double(correct) / Double(data.count))
    }
}

/// Buffers of a `ConvNet` for batches of up to `batchSize` (allocated once, reused).
///
/// Conv activations use the channel-major batch layout `[channels, batch, h, w]`: per conv layer
/// l, `activations[l]` (post-ReLU conv outputs, `[c_{l+1}, batch, h_l, w_l]`), `pooled[l]` and
/// `pooledGradient[l]` (`[c_{l+1}, batch, h_l/2, w_l/2]`); one conv-output gradient and one
/// columns matrix sized for the largest layer; the head's input and its gradient (`[batch,
/// head.inputSize]`) and workspace. ≈ 25 MB for batch 128 of 28×28 with 16-32-32 channels.
/// One workspace serves any number of problems evaluated one after the other.
public final class ConvNetWorkspace {
    let net: ConvNet
    public let batchSize: Int
    let activations: [Tensor], pooled: [Tensor], pooledGradient: [Tensor]
    let zGradient: Tensor, columns: Tensor, inputTransposed: Tensor
    let headInput: Tensor, headInputGradient: Tensor
    let head: MLPWorkspace

    init(_ net: ConvNet, batchSize B: Int) {
        precondition(B >= 1, "ConvNetWorkspace: batch size must be positive")
        self.net = net
        batchSize = B
        let L = net.layerCount
        func plane(_ l: Int) -> Int { net.size(l).height * net.size(l).width }
        activations = (0..<L).map { Tensor(shape: [net.channels[$0], B * plane($0)]) }
        pooled = (0..<L).map { Tensor(shape: [net.channels[$0], B * plane($0 + 1)]) }
        pooledGradient = pooled.map { Tensor(shape: $0.shape) }
        zGradient = Tensor(shape: [(0..<L).map { net.channels[$0] * B * plane($0) }.max()!])
        columns = Tensor(shape: [(0..<L).map { 9 * net.inChannels($0) * B * plane($0) }.max()!])
        inputTransposed = Tensor(shape: [net.inputShape[0] > 1 ? B * net.inputShape.reduce(1, *) : 1])
        headInput = Tensor(shape: [B, net.head.inputSize])
        headInputGradient = Tensor(shape: [B, net.head.inputSize])
        head = net.head.makeWorkspace(batchSize: B)
    }
}

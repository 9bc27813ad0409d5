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
/// Pooling halves each side (rounding down), as `AvgPool2x2` does; the paper's CIFAR net used
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

    /// Conv layers forward for a batch: leaves the flattened features (`[batch, head.inputSize]`)
    /// in the workspace, and every layer's activations for backward.
    func convForward(parameters: UnsafePointer<Float>, inputs: UnsafePointer<Float>, batchSize B: Int,
                     workspace ws: ConvNetWorkspace) {
        precondition(ws.net == self && B >= 1 && B <= ws.batchSize, "ConvNet: batch \(B) in a workspace for \(ws.batchSize)")
        for l in 0..<layerCount {
            let conv = ws.convs[l]
            conv.weights.data.update(from: parameters + convWeightOffset(l), count: conv.weights.count)
            conv.bias.data.update(from: parameters + convBiasOffset(l), count: conv.bias.count)
            let (h, w) = size(l), cin = inChannels(l), cout = channels[l]
            let inSize = cin * h * w, outSize = cout * h * w, pooled = cout * (h / 2) * (w / 2)
            let input = l == 0 ? inputs : UnsafePointer(ws.pooled[l - 1].data)
            for b in 0..<B {
                let z = ws.activations[l].data + b * outSize
                conv.forward(input: input + b * inSize, height: h, width: w, output: z, relu: true,
                             workspace: ws.columns.data)
                AvgPool2x2.forward(z, channels: cout, height: h, width: w, output: ws.pooled[l].data + b * pooled)
            }
        }
    }

    /// The mean softmax cross-entropy over a batch and, if `gradient` is given, ∂loss/∂θ.
    ///
    /// - Parameters: `inputs` `[batchSize, C·H·W]`; `labels` `batchSize` classes; `gradient`
    ///   `parameterCount` floats. Conv weight gradients are summed over images in order
    ///   (deterministic).
    public func lossAndGradient(
        parameters: UnsafePointer<Float>, inputs: UnsafePointer<Float>, labels: UnsafePointer<Int>,
        batchSize B: Int, gradient: UnsafeMutablePointer<Float>?, workspace ws: ConvNetWorkspace
    ) -> Float {
        convForward(parameters: parameters, inputs: inputs, batchSize: B, workspace: ws)
        let top = layerCount - 1
        let loss = head.lossAndGradient(
            parameters: parameters + convParameterCount, inputs: ws.pooled[top].data, labels: labels, batchSize: B,
            gradient: gradient.map { $0 + convParameterCount },
            inputGradient: gradient == nil ? nil : ws.pooledGradient[top].data, workspace: ws.head)
        guard let gradient else { return loss }
        for l in stride(from: top, through: 0, by: -1) {
            let conv = ws.convs[l]
            let (h, w) = size(l), cin = inChannels(l), cout = channels[l]
            let inSize = cin * h * w, outSize = cout * h * w, pooled = cout * (h / 2) * (w / 2)
            let input = l == 0 ? inputs : UnsafePointer(ws.pooled[l - 1].data)
            let dw = gradient + convWeightOffset(l), db = gradient + convBiasOffset(l)
            for b in 0..<B {
                let dz = ws.zGradient.data, z = ws.activations[l].data + b * outSize
                AvgPool2x2.backward(outputGradient: ws.pooledGradient[l].data + b * pooled, channels: cout,
                                    height: h, width: w, inputGradient: dz)
                ReLU.backward(output: z, gradient: dz, count: outSize)
                conv.backwardWeights(input: input + b * inSize, outputGradient: dz, height: h, width: w,
                                     weightGradient: dw, biasGradient: db, accumulate: b > 0,
                                     workspace: ws.columns.data)
                if l > 0 {
                    conv.backwardInput(outputGradient: dz, height: h, width: w,
                                       inputGradient: ws.pooledGradient[l - 1].data + b * inSize,
                                       workspace: ws.columns.data)
                }
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
            let logits = head.forward(parameters: parameters + convParameterCount, inputs: ws.pooled[layerCount - 1].data,
                                      batchSize: b, workspace: ws.head)
            for r in 0..<b {
                let z = logits + r * C, y = data.labels[start + r]
                if MLP.argmax(z, C) == y { correct += 1 }
                var mx = z[0]
                for k in 1..<C where z[k] > mx { mx = z[k] }
                var sum = 0.0
                for k in 0..<C { sum += Foundation.exp(Double(z[k] - mx)) }
                lossSum += Foundation.log(sum) - Double(z[y] - mx)
            }
            start += b
        }
        return (lossSum / Double(data.count), Double(correct) / Double(data.count))
    }
}

/// Buffers of a `ConvNet` for batches of up to `batchSize` (allocated once, reused).
///
/// Per conv layer l: `activations[l]` (post-ReLU conv outputs, `[batch, c_{l+1}, h_l, w_l]`),
/// `pooled[l]` and `pooledGradient[l]` (`[batch, c_{l+1}, h_l/2, w_l/2]`); one image's conv
/// output gradient and im2col columns; the head's workspace; a Conv3x3 per layer whose weight
/// tensors receive the parameter slices on every call.
public final class ConvNetWorkspace {
    let net: ConvNet
    public let batchSize: Int
    let convs: [Conv3x3]
    let activations: [Tensor], pooled: [Tensor], pooledGradient: [Tensor]
    let zGradient: Tensor, columns: Tensor
    let head: MLPWorkspace

    init(_ net: ConvNet, batchSize: Int) {
        precondition(batchSize >= 1, "ConvNetWorkspace: batch size must be positive")
        self.net = net
        self.batchSize = batchSize
        let L = net.layerCount
        convs = (0..<L).map { l in
            Conv3x3(weights: Tensor(shape: [net.channels[l], net.inChannels(l), 3, 3]), bias: Tensor(shape: [net.channels[l]]))
        }
        activations = (0..<L).map { l in let s = net.size(l); return Tensor(shape: [batchSize, net.channels[l] * s.height * s.width]) }
        pooled = (0..<L).map { l in let s = net.size(l + 1); return Tensor(shape: [batchSize, net.channels[l] * s.height * s.width]) }
        pooledGradient = pooled.map { Tensor(shape: $0.shape) }
        zGradient = Tensor(shape: [(0..<L).map { l in net.channels[l] * net.size(l).height * net.size(l).width }.max()!])
        columns = Tensor(shape: [(0..<L).map { l in 9 * net.inChannels(l) * net.size(l).height * net.size(l).width }.max()!])
        head = net.head.makeWorkspace(batchSize: batchSize)
    }
}

import Numerics

/// The paper's CIFAR-10 experiment in small: train a `ConvNet` (3 conv layers of 16, 32, 32
/// channels with ReLU and 2×2 pooling, then fully connected 32 → classes) on minibatches of
/// 128 for 100 steps, on Fashion-MNIST by default or CIFAR-10 where available.
///
/// As in the paper, the learned optimizer is two LSTMs: one for the conv parameters, one for
/// the fully connected ones — `parameterGroups` gives the split. Problems differ in their
/// He-normal initialization (fork 1 of the problem's generator) and minibatch stream (fork 2).
public final class ConvTask: MetaTask, ClassificationTask, GroupedParameterTask {
    public let data: DatasetSplit
    public let network: ConvNet
    public let batchSize: Int
    public let seed: UInt64
    public let defaultHorizon: Int
    public var name: String { "conv" }

    public static let defaultSeed: UInt64 = 2016

    public var settings: [String: String] {
        ["channels": network.channels.map(String.init).joined(separator: ","),
         "fullyConnected": network.head.hiddenSizes.map(String.init).joined(separator: ","),
         "batchSize": "\(batchSize)", "init": "he-normal", "pooling": "average",
         "seed": "\(seed)", "data": data.source]
    }

    public init(data: DatasetSplit, channels: [Int] = [16, 32, 32], fullyConnected: [Int] = [32],
                batchSize: Int = 128, horizon: Int = 100, seed: UInt64 = ConvTask.defaultSeed) {
        precondition(batchSize >= 1 && batchSize <= data.training.count && horizon >= 1,
                     "ConvTask: batch \(batchSize) of \(data.training.count) samples, horizon \(horizon)")
        self.data = data
        network = ConvNet(inputShape: data.training.sampleShape, channels: channels, fullyConnected: fullyConnected,
                          classCount: data.training.classCount)
        self.batchSize = batchSize
        defaultHorizon = horizon
        self.seed = seed
    }

    /// The conv parameters, then the fully connected ones (one LSTM each).
    public var parameterGroups: ParameterGroups {
        ParameterGroups(names: ["conv", "fc"],
                        counts: [network.convParameterCount, network.parameterCount - network.convParameterCount])
    }

    /// Buffers shared by all of this task's problems: they are evaluated one at a time (never
    /// concurrently), so one workspace serves them all.
    private lazy var workspace: ConvNetWorkspace = network.makeWorkspace(batchSize: batchSize)

    public func makeProblem(split: Split, index: Int) -> any Problem {
        makeClassificationProblem(split: split, index: index)
    }

    public func makeClassificationProblem(split: Split, index: Int) -> ClassificationProblem {
        let g = Self.generator(seed: seed, split: split, index: index)
        var initGenerator = g.fork(1)
        let theta0 = network.initialParameters(generator: &initGenerator)
        let sampler = MinibatchSampler(datasetCount: data.training.count, batchSize: batchSize, generator: g.fork(2))
        let net = network, ws = workspace
        return ClassificationProblem(initialParameters: theta0, data: data.training, sampler: sampler) { theta, x, y, b, grad in
            net.lossAndGradient(parameters: theta, inputs: x, labels: y, batchSize: b, gradient: grad, workspace: ws)
        }
    }

    public func evaluate(parameters: [Float], on dataset: Dataset, limit: Int?) -> (loss: Double, accuracy: Double) {
        let d = limit.map { $0 < dataset.count ? dataset.slice(0..<$0) : dataset } ?? dataset
        return parameters.withUnsafeBufferPointer { network.evaluate(parameters: $0.baseAddress!, on: d) }
    }
}

import Numerics

/// The paper's MNIST task on any IDX dataset (Fashion-MNIST by default): train an MLP
/// classifier (one hidden layer of 20 sigmoid units, cross-entropy, minibatches of 128) for
/// 100 steps.
///
/// Problem `index` of a split differs from the others in its initialization (every weight and
/// bias N(0, `initialStd`²), as in the authors' code) and in its minibatch stream; both come
/// from `MetaTask.generator(seed:split:index:)` (forks 1 and 2), so the three splits' problems are
/// disjoint seeded streams. Every problem draws its minibatches from the *training* part of the
/// data; test-set accuracy after a run (`ClassificationProblem.finalParameters`) is measured on
/// the separate test file. The generalization variants (40 units, 2 layers, ReLU) are the same
/// task with another `network`.
public final class MLPTask: MetaTask, ClassificationTask {
    public let data: DatasetSplit
    public let network: MLP
    public let batchSize: Int
    public let initialStd: Float
    public let seed: UInt64
    public let defaultHorizon: Int
    public var name: String { "mlp" }

    /// The default data seed (validation and test problems are the same for every run).
    public static let defaultSeed: UInt64 = 2016

    public var settings: [String: String] {
        ["hidden": network.hiddenSizes.map(String.init).joined(separator: ","),
         "activation": network.activation.rawValue, "batchSize": "\(batchSize)",
         "initialStd": "\(initialStd)", "seed": "\(seed)", "data": data.source]
    }

    public init(data: DatasetSplit, hiddenSizes: [Int] = [20], activation: MLP.Activation = .sigmoid,
                batchSize: Int = 128, initialStd: Float = 0.01, horizon: Int = 100,
                seed: UInt64 = MLPTask.defaultSeed) {
        precondition(batchSize >= 1 && batchSize <= data.training.count && horizon >= 1,
                     "MLPTask: batch \(batchSize) of \(data.training.count) samples, horizon \(horizon)")
        self.data = data
        self.network = MLP(inputSize: data.training.featureCount, hiddenSizes: hiddenSizes,
                           classCount: data.training.classCount, activation: activation)
        self.batchSize = batchSize
        self.initialStd = initialStd
        self.defaultHorizon = horizon
        self.seed = seed
    }

    /// Buffers shared by all of this task's problems: they are evaluated one at a time (never
    /// concurrently), so one workspace serves them all.
    private lazy var workspace: MLPWorkspace = network.makeWorkspace(batchSize: batchSize)

    public func makeProblem(split: Split, index: Int) -> any Problem {
        makeClassificationProblem(split: split, index: index)
    }

    public func makeClassificationProblem(split: Split, index: Int) -> ClassificationProblem {
        let g = Self.generator(seed: seed, split: split, index: index)
        var initGenerator = g.fork(1)
        let theta0 = network.initialParameters(std: initialStd, generator: &initGenerator)
        let sampler = MinibatchSampler(datasetCount: data.training.count, batchSize: batchSize, generator: g.fork(2))
        let net = network, ws = workspace
        return ClassificationProblem(
            initialParameters: theta0, data: data.training, sampler: sampler
        ) { theta, x, y, b, grad in
            net.lossAndGradient(parameters: theta, inputs: x, labels: y, batchSize: b, gradient: grad, workspace: ws)
        }
    }

    /// Mean loss and accuracy of the network with `parameters` on `dataset` (at most `limit` samples).
    public func evaluate(parameters: [Float], on dataset: Dataset, limit: Int?) -> (loss: Double, accuracy: Double) {
        let d = limit.map { $0 < dataset.count ? dataset.slice(0..<$0) : dataset } ?? dataset
        return parameters.withUnsafeBufferPointer { network.evaluate(parameters: $0.baseAddress!, on: d) }
    }
}

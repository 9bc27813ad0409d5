import Numerics

/// Training a classifier on minibatches: one problem of the MLP and conv tasks.
///
/// Each `lossAndGradient` call draws the next minibatch from the problem's own seeded sampler
/// (so the loss is stochastic, and two runs of the same problem see the same batches), and
/// remembers θ: after a run, `finalParameters` is the last θ evaluated — θ_T — for measuring
/// test accuracy. `reset()` rewinds the minibatch stream (the evaluator calls it before every
/// run; a fresh `makeProblem` is equivalent). The network buffers behind
/// `loss` may be shared by all problems of a task: evaluate them one at a time, never
/// concurrently (as `ProblemBatch`, the evaluator and the meta-trainers do).
public final class ClassificationProblem: Problem {
    /// f(θ) on a batch: (θ, inputs `[batch, features]`, labels, batch size, ∇ out) → mean loss.
    public typealias LossFunction = (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Int>, Int,
                                     UnsafeMutablePointer<Float>) -> Float

    public let parameterCount: Int
    /// The samples the minibatches come from.
    public let data: Dataset
    private let theta0: [Float]
    private let initialSampler: MinibatchSampler
    private var sampler: MinibatchSampler
    private let batchImages: Tensor
    private var batchLabels: [Int]
    private let loss: LossFunction
    /// θ at the most recent `lossAndGradient` call (θ₀ before any).
    public private(set) var finalParameters: [Float]
    /// Calls of `lossAndGradient` since creation or `reset()`.
    public private(set) var calls = 0
    /// With replay enabled: the minibatch indices of every call since creation or `reset()`
    /// (from `historyStart` on), for `replayLossAndGradient`.
    private var history: [[Int]] = []
    private var keepsHistory = false, historyStart = 0

    public init(initialParameters: [Float], data: Dataset, sampler: MinibatchSampler, loss: @escaping LossFunction) {
        precondition(sampler.datasetCount == data.count, "ClassificationProblem: sampler for \(sampler.datasetCount) of \(data.count) samples")
        parameterCount = initialParameters.count
        theta0 = initialParameters
        self.data = data
        initialSampler = sampler
        self.sampler = sampler
        batchImages = Tensor(shape: [sampler.batchSize, data.featureCount])
        batchLabels = [Int](repeating: 0, count: sampler.batchSize)
        self.loss = loss
        finalParameters = initialParameters
    }

    public func initialParameters() -> [Float] { theta0 }

    public func lossAndGradient(at theta: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>) -> Float {
        calls += 1
        let indices = sampler.next()
        if keepsHistory { history.append(indices) }
        let n = parameterCount
        finalParameters.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: theta, count: n) }
        return evaluate(indices, at: theta, gradient: gradient)
    }

    /// Keeps every call's minibatch indices from now on (128 integers per call).
    public func enableReplay() -> Bool {
        if !keepsHistory { keepsHistory = true; historyStart = calls }
        return true
    }

    /// The loss on the minibatch of call `call`; leaves the stream and `finalParameters` alone.
    public func replayLossAndGradient(call: Int, at theta: UnsafePointer<Float>,
                                      gradient: UnsafeMutablePointer<Float>) -> Float {
        let i = call - historyStart
        precondition(keepsHistory && i >= 0 && i < history.count,
                     "ClassificationProblem: call \(call) was not recorded (replay from call \(historyStart), \(calls) calls)")
        return evaluate(history[i], at: theta, gradient: gradient)
    }

    private func evaluate(_ indices: [Int], at theta: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>) -> Float {
        batchLabels.withUnsafeMutableBufferPointer { y in
            data.gather(indices, images: batchImages.data, labels: y.baseAddress!)
            return loss(theta, batchImages.data, y.baseAddress!, indices.count, gradient)
        }
    }

    /// Back to the first minibatch (θ₀ is a constant anyway).
    public func reset() {
        sampler = initialSampler
        calls = 0
        history.removeAll(keepingCapacity: true); historyStart = 0
        finalParameters = theta0
    }
}

/// A task whose problems train a classifier, with held-out data to measure it on.
public protocol ClassificationTask: MetaTask {
    /// Training (minibatches), validation and test sets.
    var data: DatasetSplit { get }
    /// Problem `index` of `split` with its concrete type (`makeProblem` returns the same).
    func makeClassificationProblem(split: Split, index: Int) -> ClassificationProblem
    /// Mean loss and accuracy of the classifier with `parameters` on `dataset` (its first `limit`
    /// samples if given).
    func evaluate(parameters: [Float], on dataset: Dataset, limit: Int?) -> (loss: Double, accuracy: Double)
}

import XCTest
@testable import MetaLearning
import Numerics

/// The MLP's loss and gradients against central finite differences and a direct Double
/// computation, its layout, and the MLP task's problems.
final class MLPTests: XCTestCase {
    /// A Double re-implementation of the loss (naive loops) for reference values.
    func referenceLoss(_ net: MLP, _ theta: [Float], _ x: [Float], _ y: [Int]) -> Double {
        let s = net.layerSizes, B = y.count
        var total = 0.0
        for r in 0..<B {
            var a = (0..<s[0]).map { Double(x[r * s[0] + $0]) }
            for l in 0..<net.layerCount {
                let w = net.weightOffset(layer: l), b = net.biasOffset(layer: l)
                var z = [Double](repeating: 0, count: s[l + 1])
                for j in 0..<s[l + 1] {
                    var v = Double(theta[b + j])
                    for i in 0..<s[l] { v += Double(theta[w + j * s[l] + i]) * a[i] }
                    z[j] = l + 1 < net.layerCount ? (net.activation == .sigmoid ? 1 / (1 + Foundation.exp(-v)) : max(0, v)) : v
                }
                a = z
            }
            let mx = a.max()!
            total += Foundation.log(a.map { Foundation.exp($0 - mx) }.reduce(0, +)) - (a[y[r]] - mx)
        }
        return total / Double(B)
    }

    func check(_ net: MLP, batch B: Int, std: Float, seed: UInt64, h: Float, rtol: Double, atol: Double,
               line: UInt = #line) {
        var g = SeededGenerator(seed: seed)
        let theta = net.initialParameters(std: std, generator: &g)
        let x = (0..<(B * net.inputSize)).map { _ in Float(g.nextUniform()) }
        let y = (0..<B).map { _ in g.nextInt(net.classCount) }
        let ws = net.makeWorkspace(batchSize: B)
        var grad = [Float](repeating: .nan, count: net.parameterCount)
        var dx = [Float](repeating: .nan, count: x.count)
        let loss = net.lossAndGradient(parameters: theta, inputs: x, labels: y, batchSize: B,
                                       gradient: &grad, inputGradient: &dx, workspace: ws)
        XCTAssertEqual(Double(loss), referenceLoss(net, theta, x, y), accuracy: 1e-5, line: line)
        let f = { (t: [Float]) in self.referenceLoss(net, t, x, y) }
        // Every coordinate for small nets; otherwise a spread plus the tail (the top layers).
        func spread(_ n: Int) -> [Int] {
            n <= 400 ? Array(0..<n) : Array(stride(from: 0, to: n, by: n / 100)) + Array(stride(from: n - 230, to: n, by: 5))
        }
        let idx = spread(net.parameterCount)
        assertFiniteDifferences(theta, analytic: grad, indices: idx, h: h, rtol: rtol, atol: atol, line: line, f)
        assertFiniteDifferences(x, analytic: dx, indices: spread(x.count), h: h, rtol: rtol, atol: atol, line: line) {
            self.referenceLoss(net, theta, $0, y)
        }
    }

    /// Sigmoid, one hidden layer: Double reference loss, step 1e-3; rtol 1e-3, atol 1e-5
    /// (the analytic gradient is Float: ~1e-7 relative rounding).
    func testSigmoidGradientMatchesFiniteDifferences() {
        check(MLP(inputSize: 12, hiddenSizes: [7], classCount: 4), batch: 5, std: 0.5, seed: 1,
              h: 1e-3, rtol: 1e-3, atol: 1e-5)
    }

    /// Two hidden layers and the paper's size (784-20-10, sampled coordinates).
    func testDeepAndPaperSizedGradients() {
        check(MLP(inputSize: 10, hiddenSizes: [6, 5], classCount: 3), batch: 4, std: 0.7, seed: 2,
              h: 1e-3, rtol: 1e-3, atol: 1e-5)
        check(MLP(inputSize: 784, hiddenSizes: [20], classCount: 10), batch: 8, std: 0.1, seed: 3,
              h: 1e-3, rtol: 1e-3, atol: 1e-5)
    }

    /// ReLU: kinks make finite differences wrong only within h of one; with h = 1e-4 and these
    /// seeds no pre-activation lies that close to 0 (a Double loss keeps the difference exact).
    func testReLUGradientMatchesFiniteDifferences() {
        check(MLP(inputSize: 9, hiddenSizes: [8, 6], classCount: 5, activation: .relu), batch: 6, std: 0.6,
              seed: 4, h: 1e-4, rtol: 1e-3, atol: 1e-5)
    }

    func testLayoutAndParameterCount() {
        let net = MLP(inputSize: 784, hiddenSizes: [20], classCount: 10)
        XCTAssertEqual(net.parameterCount, 784 * 20 + 20 + 20 * 10 + 10)
        XCTAssertEqual(net.biasOffset(layer: 0), 784 * 20)
        XCTAssertEqual(net.weightOffset(layer: 1), 784 * 20 + 20)
        XCTAssertEqual(MLP(inputSize: 784, hiddenSizes: [20, 20], classCount: 10).parameterCount, 15_910 + 420)
    }

    /// Loss only (no gradient) equals the loss with gradients; evaluate = reference on a set.
    func testEvaluateMatchesReference() {
        let net = MLP(inputSize: 64, hiddenSizes: [10], classCount: 4)
        let data = randomDataset(count: 37, shape: [1, 8, 8], classes: 4, seed: 9)
        var g = SeededGenerator(seed: 10)
        let theta = net.initialParameters(std: 0.5, generator: &g)
        let (loss, accuracy) = net.evaluate(parameters: theta, on: data, batchSize: 10)
        let x = data.images.toArray()
        XCTAssertEqual(loss, referenceLoss(net, theta, x, data.labels), accuracy: 1e-5)
        XCTAssertTrue((0...1).contains(accuracy))
        let ws = net.makeWorkspace(batchSize: 37)
        let l0 = net.lossAndGradient(parameters: theta, inputs: x, labels: data.labels, batchSize: 37,
                                     gradient: nil, workspace: ws)
        XCTAssertEqual(Double(l0), loss, accuracy: 1e-5)
    }

    // MARK: the task

    func testProblemsDifferInInitAndBatchesAndAreDeterministic() {
        let task = MLPTask(data: learnableSplit(), hiddenSizes: [5], batchSize: 16)
        let a = task.makeClassificationProblem(split: .training, index: 0)
        let a2 = task.makeClassificationProblem(split: .training, index: 0)
        let b = task.makeClassificationProblem(split: .training, index: 1)
        let v = task.makeClassificationProblem(split: .validation, index: 0)
        XCTAssertEqual(a.initialParameters(), a2.initialParameters())
        XCTAssertNotEqual(a.initialParameters(), b.initialParameters())
        XCTAssertNotEqual(a.initialParameters(), v.initialParameters())
        let theta = a.initialParameters()
        var g = [Float](repeating: 0, count: a.parameterCount)
        let l1 = a.lossAndGradient(at: theta, gradient: &g), l1b = a2.lossAndGradient(at: theta, gradient: &g)
        let l2 = a.lossAndGradient(at: theta, gradient: &g)
        let lb = b.lossAndGradient(at: theta, gradient: &g)
        XCTAssertEqual(l1, l1b)          // same problem, same first batch
        XCTAssertNotEqual(l1, l2)        // the next call sees the next batch
        XCTAssertNotEqual(l1, lb)        // another problem, another batch stream
        XCTAssertEqual(a.calls, 2)
        a.reset()
        XCTAssertEqual(a.lossAndGradient(at: theta, gradient: &g), l1)
        XCTAssertEqual(task.settings["hidden"], "5")
        XCTAssertEqual(task.name, "mlp")
    }

    /// Regression for "grid points saw different minibatches": the tuner and the calibrator run
    /// many optimizers on the same problem objects, so the evaluator must rewind each problem's
    /// minibatch stream before every run. Two runs on the same objects give the same curve, equal
    /// to a run on fresh copies.
    func testRepeatedRunsOnTheSameProblemsSeeTheSameMinibatches() {
        let task = MLPTask(data: learnableSplit(), hiddenSizes: [5], batchSize: 16)
        let problems = (0..<3).map { task.makeProblem(split: .validation, index: $0) }
        let sgd = SGD(learningRate: 0.5)
        let first = Evaluator.meanLossCurve(sgd, problems: problems, steps: 6)
        let second = Evaluator.meanLossCurve(sgd, problems: problems, steps: 6)
        let fresh = Evaluator.meanLossCurve(sgd, problems: (0..<3).map { task.makeProblem(split: .validation, index: $0) }, steps: 6)
        XCTAssertEqual(first, second)
        XCTAssertEqual(first, fresh)
        let rescaled = problems.map { RescaledProblem($0, factor: 1) }
        XCTAssertEqual(Evaluator.meanLossCurve(sgd, problems: rescaled, steps: 6), first, "RescaledProblem forwards reset()")
    }

    /// Plain SGD on a learnable synthetic set: loss falls, the final θ is recorded, accuracy rises.
    func testSGDLearnsAndFinalParametersAreRecorded() {
        let task = MLPTask(data: learnableSplit(), hiddenSizes: [10], batchSize: 32, initialStd: 0.1)
        let p = task.makeClassificationProblem(split: .test, index: 0)
        var theta = p.initialParameters()
        let before = task.evaluate(parameters: theta, on: task.data.test, limit: nil)
        var g = [Float](repeating: 0, count: p.parameterCount)
        var first: Float = 0, last: Float = 0
        for t in 0..<300 {
            let l = p.lossAndGradient(at: theta, gradient: &g)
            if t == 0 { first = l }
            last = l
            for i in theta.indices { theta[i] -= 1.0 * g[i] }
        }
        _ = p.lossAndGradient(at: theta, gradient: &g)
        XCTAssertEqual(p.finalParameters, theta)
        let after = task.evaluate(parameters: p.finalParameters, on: task.data.test, limit: nil)
        XCTAssertLessThan(last, first * 0.5)
        XCTAssertLessThan(after.loss, before.loss)
        XCTAssertGreaterThan(after.accuracy, 0.9)
    }

    /// Replaying a past call sees that call's minibatch, at any θ, and leaves the stream alone.
    func testReplaySeesAPastMinibatchWithoutAdvancing() {
        let task = MLPTask(data: learnableSplit(), hiddenSizes: [5], batchSize: 16)
        let p = task.makeClassificationProblem(split: .training, index: 0)
        XCTAssertTrue(p.enableReplay())
        let theta = p.initialParameters(), n = p.parameterCount
        var g0 = [Float](repeating: 0, count: n), g1 = g0, r = g0
        let l0 = p.lossAndGradient(at: theta, gradient: &g0)
        let l1 = p.lossAndGradient(at: theta, gradient: &g1)
        XCTAssertEqual(p.replayLossAndGradient(call: 0, at: theta, gradient: &r), l0)
        XCTAssertEqual(r, g0)
        XCTAssertEqual(p.replayLossAndGradient(call: 1, at: theta, gradient: &r), l1)
        XCTAssertEqual(r, g1)
        XCTAssertEqual(p.calls, 2)
        XCTAssertEqual(p.finalParameters, theta)
        let fresh = task.makeClassificationProblem(split: .training, index: 0)
        for _ in 0..<2 { _ = fresh.lossAndGradient(at: theta, gradient: &r) }
        var a = r
        XCTAssertEqual(p.lossAndGradient(at: theta, gradient: &a), fresh.lossAndGradient(at: theta, gradient: &r),
                       "the third call sees the third minibatch")
        XCTAssertTrue(RescaledProblem(p, factor: 2).enableReplay())
        XCTAssertFalse(ProblemWithoutReplay().enableReplay(), "the default: no replay")
    }

    /// The finite-difference Hessian-vector products of a batch of two MLP problems (loss scales
    /// 1 and 3) against a Double reference: vᵀHv from second differences of the reference loss
    /// (relative error < 0.2 %), and symmetry uᵀHv = vᵀHu.
    func testHessianVectorProductsOfMLPProblems() {
        let task = MLPTask(data: learnableSplit(), hiddenSizes: [6], batchSize: 16, initialStd: 0.3)
        let problems = [task.makeClassificationProblem(split: .training, index: 0),
                        task.makeClassificationProblem(split: .training, index: 1)]
        let batch = ProblemBatch([problems[0], RescaledProblem(problems[1], factor: 3)])
        XCTAssertTrue(batch.enableReplay())
        let n = batch.count, m = problems[0].parameterCount
        var theta = [Float](repeating: 0, count: n), g = theta, losses = [0.0, 0.0]
        batch.initialParameters(into: &theta)
        batch.evaluate(at: theta, scaledGradient: &g, losses: &losses)
        var rng = SeededGenerator(seed: 5)
        let u = (0..<n).map { _ in Float(rng.nextNormal()) }, v = (0..<n).map { _ in Float(rng.nextNormal()) }
        var hu = [Float](repeating: 0, count: n), hv = hu
        batch.hessianVectorProduct(call: 0, at: theta, vector: u, into: &hu)
        batch.hessianVectorProduct(call: 0, at: theta, vector: v, into: &hv)
        // The call-0 minibatch of each problem, for the reference.
        for (k, p) in problems.enumerated() {
            let fresh = task.makeClassificationProblem(split: .training, index: k)
            XCTAssertEqual(fresh.initialParameters(), p.initialParameters())
            let scale = k == 0 ? 1.0 : 3.0, off = k * m
            var sampler = MinibatchSampler(datasetCount: task.data.training.count, batchSize: 16,
                                           generator: MLPTask.generator(seed: task.seed, split: .training, index: k).fork(2))
            let indices = sampler.next()
            var x = [Float](repeating: 0, count: 16 * task.data.training.featureCount), y = [Int](repeating: 0, count: 16)
            task.data.training.gather(indices, images: &x, labels: &y)
            let t = Array(theta[off..<(off + m)]), vk = Array(v[off..<(off + m)])
            let h: Float = 1e-2
            func f(_ e: Float) -> Double { referenceLoss(task.network, zip(t, vk).map { $0 + e * $1 }, x, y) }
            let vHvReference = scale * (f(h) - 2 * f(0) + f(-h)) / Double(h * h)
            let vHv = (off..<(off + m)).reduce(0.0) { $0 + Double(v[$1]) * Double(hv[$1]) }
            print("MLP Hessian-vector product, problem \(k): vᵀHv \(vHv), reference \(vHvReference)")
            XCTAssertEqual(vHv, vHvReference, accuracy: 0.002 * abs(vHvReference), "problem \(k)")
            let uHv = (off..<(off + m)).reduce(0.0) { $0 + Double(u[$1]) * Double(hv[$1]) }
            let vHu = (off..<(off + m)).reduce(0.0) { $0 + Double(v[$1]) * Double(hu[$1]) }
            XCTAssertEqual(uHv, vHu, accuracy: 0.01 * max(abs(uHv), abs(vHv)), "problem \(k): symmetry")
        }
    }
}

/// A problem with the protocol's defaults (f = ½‖θ‖²).
private final class ProblemWithoutReplay: Problem {
    var parameterCount: Int { 2 }
    func initialParameters() -> [Float] { [1, 2] }
    func lossAndGradient(at theta: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>) -> Float {
        gradient[0] = theta[0]; gradient[1] = theta[1]
        return 0.5 * (theta[0] * theta[0] + theta[1] * theta[1])
    }
}

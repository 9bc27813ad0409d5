import XCTest
@testable import MetaLearning
import Numerics

/// The conv net's gradients against central finite differences, its layout, and the conv task.
final class ConvNetTests: XCTestCase {
    /// Loss in Double from the net's Float logits (`evaluate`) on a fixed batch.
    func loss(_ net: ConvNet, _ theta: [Float], _ data: Dataset) -> Double {
        theta.withUnsafeBufferPointer { net.evaluate(parameters: $0.baseAddress!, on: data).loss }
    }

    /// Every conv parameter and a spread of the head's. ReLU kinks and Float logits: step 1e-3,
    /// rtol 2e-2, atol 5e-4 (Float rounding of a loss ≈ 1 is ~1e-7, i.e. ~1e-4 in a difference
    /// quotient with h = 1e-3).
    func check(_ net: ConvNet, batch: Int, seed: UInt64, line: UInt = #line) {
        var g = SeededGenerator(seed: seed)
        let theta = net.initialParameters(generator: &g).map { $0 + 0.05 * Float(g.nextNormal()) }  // non-zero biases
        let data = randomDataset(count: batch, shape: net.inputShape, classes: net.classCount, seed: seed + 1)
        let ws = net.makeWorkspace(batchSize: batch)
        var grad = [Float](repeating: .nan, count: net.parameterCount)
        let l = data.labels.withUnsafeBufferPointer { y in
            net.lossAndGradient(parameters: theta, inputs: data.images.data, labels: y.baseAddress!, batchSize: batch,
                                gradient: &grad, workspace: ws)
        }
        XCTAssertEqual(Double(l), loss(net, theta, data), accuracy: 1e-5, line: line)
        XCTAssertTrue(grad.allSatisfy { $0.isFinite }, line: line)
        let head = Array(stride(from: net.convParameterCount, to: net.parameterCount, by: 7))
        assertFiniteDifferences(theta, analytic: grad, indices: Array(0..<net.convParameterCount) + head,
                                h: 1e-3, rtol: 2e-2, atol: 5e-4, line: line) { self.loss(net, $0, data) }
    }

    func testGrayscaleTwoLayerGradients() {
        check(ConvNet(inputShape: [1, 8, 8], channels: [3, 4], fullyConnected: [5], classCount: 3), batch: 3, seed: 1)
    }

    func testColorThreeLayerGradientsWithOddSizes() {
        // 9×14 → 4×7 → 2×3 → 1×1: odd sides (9, 7, 3) drop a row or column at a pooling.
        check(ConvNet(inputShape: [3, 9, 14], channels: [2, 3, 2], fullyConnected: [], classCount: 4), batch: 2, seed: 2)
    }

    func testLayoutAndSplitPoint() {
        let net = ConvNet(inputShape: [1, 28, 28], channels: [16, 32, 32], fullyConnected: [32], classCount: 10)
        let conv = (16 * 9 + 16) + (32 * 16 * 9 + 32) + (32 * 32 * 9 + 32)
        XCTAssertEqual(net.convParameterCount, conv)
        XCTAssertEqual(net.head.inputSize, 32 * 3 * 3)
        XCTAssertEqual(net.parameterCount, conv + (288 * 32 + 32) + (32 * 10 + 10))
        XCTAssertEqual(net.convBiasOffset(1), 160 + 32 * 16 * 9)
        let cifar = ConvNet(inputShape: [3, 32, 32], channels: [16, 32, 32], fullyConnected: [32], classCount: 10)
        XCTAssertEqual(cifar.head.inputSize, 32 * 4 * 4)
    }

    /// A 100-step run with batch 128 on 28×28 images must take seconds, not minutes: the best of
    /// 5 steps (one BLAS thread, which is also the faster choice on a loaded shared machine) must
    /// stay under 250 ms (about 40 ms measured under a load average of 6 on 2 cores).
    func testStepIsFast() {
        let net = ConvNet(inputShape: [1, 28, 28], channels: [16, 32, 32], fullyConnected: [32], classCount: 10)
        let data = randomDataset(count: 128, shape: [1, 28, 28], classes: 10, seed: 3)
        var g = SeededGenerator(seed: 4)
        let theta = net.initialParameters(generator: &g)
        let ws = net.makeWorkspace(batchSize: 128)
        var grad = [Float](repeating: 0, count: net.parameterCount)
        let threads = BLAS.threads
        BLAS.threads = 1
        defer { BLAS.threads = threads }
        var best = Double.infinity
        for _ in 0..<5 {
            let start = Date()
            _ = data.labels.withUnsafeBufferPointer { y in
                net.lossAndGradient(parameters: theta, inputs: data.images.data, labels: y.baseAddress!, batchSize: 128,
                                    gradient: &grad, workspace: ws)
            }
            best = min(best, Date().timeIntervalSince(start))
        }
        print(String(format: "conv net step (batch 128, 28×28, 16-32-32, 1 BLAS thread): best of 5 %.1f ms", best * 1000))
        XCTAssertLessThan(best, 0.25)
    }

    func testConvTaskGroupsAndLearning() {
        let task = ConvTask(data: learnableSplit(shape: [1, 8, 8]), channels: [4, 4], fullyConnected: [8], batchSize: 16)
        XCTAssertEqual(task.parameterGroups.names, ["conv", "fc"])
        XCTAssertEqual(task.parameterGroups.period, task.network.parameterCount)
        XCTAssertEqual(task.parameterGroups.counts[0], task.network.convParameterCount)
        let p = task.makeClassificationProblem(split: .test, index: 0)
        XCTAssertNotEqual(p.initialParameters(), task.makeClassificationProblem(split: .test, index: 1).initialParameters())
        var theta = p.initialParameters()
        var grad = [Float](repeating: 0, count: theta.count)
        let before = task.evaluate(parameters: theta, on: task.data.test, limit: nil)
        for _ in 0..<200 {
            _ = p.lossAndGradient(at: theta, gradient: &grad)
            for i in theta.indices { theta[i] -= 0.1 * grad[i] }
        }
        let after = task.evaluate(parameters: theta, on: task.data.test, limit: nil)
        XCTAssertLessThan(after.loss, before.loss * 0.7)
        XCTAssertGreaterThan(after.accuracy, 0.8)
    }
}

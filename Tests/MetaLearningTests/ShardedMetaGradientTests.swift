import XCTest
@testable import MetaLearning
import Numerics

/// Each problem's meta-gradient does not depend on which problems share its unroll nor on the
/// thread count: what lets ranks that each unroll a share of a meta-step's problems add the
/// gathered rows in problem order and get exactly one process's meta-gradient.
final class ShardedMetaGradientTests: XCTestCase {
    /// Per-problem rows and meta-loss shares of one unroll of `problems` (of a meta-step of `total`).
    func rows(_ config: LSTMConfiguration, _ weights: [Float], _ problems: [any Problem], total: Int,
              steps: Int = 5) -> (rows: [Float], shares: [Double]) {
        let batch = ProblemBatch(problems)
        let u = LSTMUnroll(configuration: config, count: batch.count, maxSteps: steps)
        u.reset(batch: batch)
        var rows = [Float](repeating: 0, count: problems.count * weights.count)
        weights.withUnsafeBufferPointer { w in
            _ = u.forward(batch: batch, weights: w.baseAddress!, steps: steps, objective: .sum, problems: total)
            rows.withUnsafeMutableBufferPointer { u.backward(weights: w.baseAddress!, problemGradients: $0.baseAddress!) }
        }
        return (rows, u.problemMetaLosses)
    }

    func checkShards(task: any MetaTask, config: LSTMConfiguration, problems P: Int, splits: [[Range<Int>]], steps: Int = 5,
                     file: StaticString = #filePath, line: UInt = #line) {
        let weights = randomWeights(config, seed: 5, scale: 0.3)
        let saved = BLAS.threads
        defer { BLAS.threads = saved }
        let all = (0..<P).map { task.makeProblem(split: .training, index: $0) }
        BLAS.threads = 2
        let whole = rows(config, weights, all, total: P, steps: steps)
        for split in splits {
            for threads in [1, 2] {
                BLAS.threads = threads
                var r: [Float] = [], s: [Double] = []
                for part in split {
                    let shard = rows(config, weights, part.map { task.makeProblem(split: .training, index: $0) }, total: P, steps: steps)
                    r += shard.rows; s += shard.shares
                }
                XCTAssertEqual(s, whole.shares, "meta-loss shares, split \(split), \(threads) thread(s)", file: file, line: line)
                let differing = zip(r, whole.rows).filter { $0.bitPattern != $1.bitPattern }.count
                XCTAssertEqual(differing, 0, "\(differing) of \(r.count) gradient values differ, split \(split), \(threads) thread(s)",
                               file: file, line: line)
            }
        }
    }

    func testQuadraticProblemsAnySplit() {
        checkShards(task: QuadraticTask(), config: LSTMConfiguration(hiddenSize: 8), problems: 5,
                    splits: [[0..<2, 2..<5], [0..<1, 1..<3, 3..<5], [0..<5]])
        checkShards(task: QuadraticTask(), config: LSTMConfiguration(), problems: 4, splits: [[0..<2, 2..<4]], steps: 20)
    }

    func testLargeProblemsSplitIntoBlocks() {
        // 5,000 coordinates per problem: two blocks each, threads taking blocks.
        let config = LSTMConfiguration(hiddenSize: 8, inputs: InputFeatures(rmsInputs: true))
        checkShards(task: QuadraticTask(dimension: 4500), config: config, problems: 3, splits: [[0..<1, 1..<3]], steps: 3)
    }
}

import Foundation
import XCTest
@testable import MetaLearning
import Numerics

/// Central finite differences of `f` at `x` for the given coordinates, compared with `analytic`:
/// passes when |fd − g| ≤ atol + rtol·max(|fd|, |g|) everywhere. Returns the worst ratio.
@discardableResult
func assertFiniteDifferences(
    _ x: [Float], analytic: [Float], indices: [Int], h: Float, rtol: Double, atol: Double,
    file: StaticString = #filePath, line: UInt = #line, _ f: ([Float]) -> Double
) -> Double {
    precondition(x.count == analytic.count)
    var worst = 0.0
    var y = x
    for i in indices {
        y[i] = x[i] + h
        let fp = f(y)
        y[i] = x[i] - h
        let fm = f(y)
        y[i] = x[i]
        let fd = (fp - fm) / (2 * Double(h)), g = Double(analytic[i])
        let ratio = abs(fd - g) / (atol + rtol * max(abs(fd), abs(g)))
        worst = max(worst, ratio)
        if ratio > 1 {
            XCTFail("coordinate \(i): finite difference \(fd), analytic \(g)", file: file, line: line)
            return worst
        }
    }
    return worst
}

/// A small random classification set: `count` samples of `shape` with pixels uniform in [0, 1]
/// and labels uniform in 0..<classes.
func randomDataset(count: Int, shape: [Int], classes: Int, seed: UInt64) -> Dataset {
    var g = SeededGenerator(seed: seed)
    let f = shape.reduce(1, *)
    let images = Tensor(shape: [count, f])
    g.fillUniform(images)
    return Dataset(images: images, labels: (0..<count).map { _ in g.nextInt(classes) }, classCount: classes, sampleShape: shape)
}

/// A random split whose classes are learnable: class k brightens sample region k.
func learnableSplit(train: Int = 600, test: Int = 200, shape: [Int] = [1, 8, 8], classes: Int = 4, seed: UInt64 = 7) -> DatasetSplit {
    func make(_ n: Int, _ s: UInt64) -> Dataset {
        var g = SeededGenerator(seed: s)
        let f = shape.reduce(1, *), region = f / classes
        let images = Tensor(shape: [n, f])
        var labels: [Int] = []
        for i in 0..<n {
            let y = g.nextInt(classes)
            labels.append(y)
            for j in 0..<f { images.data[i * f + j] = Float(g.nextUniform()) * 0.5 + (j / region == y ? 0.5 : 0) }
        }
        return Dataset(images: images, labels: labels, classCount: classes, sampleShape: shape)
    }
    return DatasetSplit(training: make(train, seed), validation: make(test, seed + 1), test: make(test, seed + 2),
                        source: "synthetic")
}

/// Fashion-MNIST if installed (loaded once per test process), else nil.
let installedFashionMNIST: DatasetSplit? = {
    guard FileManager.default.fileExists(atPath: IDXDirectory.fashionMNIST) else { return nil }
    return try? IDXDirectory.load()
}()

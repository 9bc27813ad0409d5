import Numerics

/// A labelled image classification set held in memory.
///
/// `images` is `[count, featureCount]`, row-major, one sample per row, values in [0, 1]
/// (bytes / 255). A sample's features are laid out as `sampleShape` = `[channels, height,
/// width]` (CHW), so a row can be fed to `Conv3x3` directly. `labels[i]` is in
/// `0..<classCount`. Immutable; the `images` buffer is shared, never written.
public struct Dataset: Sendable {
    /// `[count, featureCount]`, values in [0, 1].
    public let images: Tensor
    /// One class index per sample, each in `0..<classCount`.
    public let labels: [Int]
    /// The number of classes.
    public let classCount: Int
    /// `[channels, height, width]` of one sample.
    public let sampleShape: [Int]

    /// The number of samples.
    public var count: Int { labels.count }
    /// Floats per sample (`channels · height · width`).
    public var featureCount: Int { images.count / max(1, labels.count) }

    public init(images: Tensor, labels: [Int], classCount: Int, sampleShape: [Int]) {
        let features = sampleShape.reduce(1, *)
        precondition(sampleShape.count == 3, "Dataset: sampleShape must be [channels, height, width], got \(sampleShape)")
        precondition(images.count == labels.count * features,
                     "Dataset: images \(images.shape) for \(labels.count) samples of \(sampleShape)")
        precondition(labels.allSatisfy { $0 >= 0 && $0 < classCount }, "Dataset: label outside 0..<\(classCount)")
        self.images = images
        self.labels = labels
        self.classCount = classCount
        self.sampleShape = sampleShape
    }

    /// Samples `range` of byte-valued data: `pixels` holds `featureCount` bytes per sample
    /// (already in CHW order), `labels` one byte per sample. Pixels are scaled by 1/255.
    public init(pixels: [UInt8], labels: [UInt8], range: Range<Int>, classCount: Int, sampleShape: [Int]) {
        let features = sampleShape.reduce(1, *)
        precondition(range.lowerBound >= 0 && range.upperBound <= labels.count
                     && pixels.count >= labels.count * features,
                     "Dataset: range \(range) of \(labels.count) samples")
        let images = Tensor(shape: [range.count, features])
        pixels.withUnsafeBufferPointer { src in
            let base = src.baseAddress! + range.lowerBound * features
            let dst = images.data
            for i in 0..<(range.count * features) { dst[i] = Float(base[i]) * (1 / 255) }
        }
        self.init(images: images, labels: labels[range].map(Int.init), classCount: classCount,
                  sampleShape: sampleShape)
    }

    /// Copies the samples at `indices` into `images` (`indices.count × featureCount` floats,
    /// row-major) and their labels into `labels`.
    public func gather(_ indices: [Int], images out: UnsafeMutablePointer<Float>, labels outLabels: UnsafeMutablePointer<Int>) {
        let f = featureCount
        for (row, i) in indices.enumerated() {
            precondition(i >= 0 && i < count, "Dataset.gather: index \(i) outside 0..<\(count)")
            (out + row * f).update(from: images.data + i * f, count: f)
            outLabels[row] = labels[i]
        }
    }

    /// The samples in `range` as a new dataset (copies the images).
    public func slice(_ range: Range<Int>) -> Dataset {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "Dataset.slice: \(range) of \(count)")
        let f = featureCount
        let part = Tensor(shape: [range.count, f])
        part.data.update(from: images.data + range.lowerBound * f, count: range.count * f)
        return Dataset(images: part, labels: Array(labels[range]), classCount: classCount, sampleShape: sampleShape)
    }
}

/// The three parts of a dataset used by the tasks.
///
/// - `training`: the training file minus the held-out tail; optimizees draw minibatches here.
/// - `validation`: the last `validationCount` samples of the training file (never trained on).
/// - `test`: the separate test file (`t10k-*`, `test_batch.bin`); accuracy is reported on it.
public struct DatasetSplit: Sendable {
    public let training: Dataset
    public let validation: Dataset
    public let test: Dataset
    /// Where the data came from (a directory), for reports.
    public let source: String

    public init(training: Dataset, validation: Dataset, test: Dataset, source: String) {
        precondition(training.sampleShape == test.sampleShape && training.classCount == test.classCount,
                     "DatasetSplit: training \(training.sampleShape) and test \(test.sampleShape) differ")
        self.training = training
        self.validation = validation
        self.test = test
        self.source = source
    }

    /// Splits byte-valued training data into training and validation (its last `validationCount`
    /// samples) and converts both files to floats.
    public init(trainPixels: [UInt8], trainLabels: [UInt8], testPixels: [UInt8], testLabels: [UInt8],
                validationCount: Int, classCount: Int, sampleShape: [Int], source: String) {
        let n = trainLabels.count
        precondition(validationCount >= 0 && validationCount < n,
                     "DatasetSplit: \(validationCount) validation samples of \(n)")
        func make(_ p: [UInt8], _ l: [UInt8], _ r: Range<Int>) -> Dataset {
            Dataset(pixels: p, labels: l, range: r, classCount: classCount, sampleShape: sampleShape)
        }
        self.init(training: make(trainPixels, trainLabels, 0..<(n - validationCount)),
                  validation: make(trainPixels, trainLabels, (n - validationCount)..<n),
                  test: make(testPixels, testLabels, 0..<testLabels.count),
                  source: source)
    }
}

/// Seeded minibatch indices: samples are drawn without replacement from a shuffled epoch,
/// reshuffled (by the same generator) when the epoch is used up.
///
/// Two samplers with equal seeds produce equal batches; a problem owns its sampler, so the
/// minibatch stream is part of what makes a problem (together with its initialization).
public struct MinibatchSampler: Sendable {
    /// Samples per batch.
    public let batchSize: Int
    /// The size of the dataset the indices point into.
    public let datasetCount: Int
    private var generator: SeededGenerator
    private var order: [Int]
    private var cursor: Int

    public init(datasetCount: Int, batchSize: Int, generator: SeededGenerator) {
        precondition(batchSize >= 1 && batchSize <= datasetCount,
                     "MinibatchSampler: batch of \(batchSize) from \(datasetCount) samples")
        self.batchSize = batchSize
        self.datasetCount = datasetCount
        self.generator = generator
        self.order = Array(0..<datasetCount)
        self.cursor = datasetCount  // shuffle on first use
    }

    /// The next `batchSize` indices. O(batchSize) amortized (an O(count) shuffle per epoch).
    public mutating func next() -> [Int] {
        if cursor + batchSize > datasetCount {
            // Fisher–Yates with the explicit generator.
            for i in stride(from: datasetCount - 1, to: 0, by: -1) {
                order.swapAt(i, generator.nextInt(i + 1))
            }
            cursor = 0
        }
        defer { cursor += batchSize }
        return Array(order[cursor..<(cursor + batchSize)])
    }
}

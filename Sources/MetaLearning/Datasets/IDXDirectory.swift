import Foundation

/// A directory holding the four standard MNIST-style IDX files, gzip'd or not:
/// `train-images-idx3-ubyte[.gz]`, `train-labels-idx1-ubyte[.gz]`,
/// `t10k-images-idx3-ubyte[.gz]`, `t10k-labels-idx1-ubyte[.gz]`.
///
/// Fashion-MNIST (Debian package `dataset-fashion-mnist`) is the default; the original MNIST
/// or any other copy in the same format works through `--data <dir>`.
public enum IDXDirectory {
    /// Where Debian's `dataset-fashion-mnist` installs its files.
    public static let fashionMNIST = "/usr/share/datasets/fashion-mnist"

    /// Held-out training samples used for validation by default (the tail of the training file).
    public static let defaultValidationCount = 10_000

    /// The path of one standard file (`train`/`t10k`, `images`/`labels`), preferring the
    /// uncompressed name when both exist.
    public static func path(_ kind: String, _ part: String, in directory: String) throws -> String {
        let rank = part == "images" ? 3 : 1
        let name = "\(kind)-\(part)-idx\(rank)-ubyte"
        return try DatasetFile.locate([name, name + ".gz"], in: directory)
    }

    /// Reads an images file and its labels file and checks that they agree.
    ///
    /// - Returns: pixels (`count · rows · columns` bytes), labels (`count` bytes), and the image size.
    /// - Throws: `DatasetError` naming the offending file (see `IDXArray.read`), `.mismatch`
    ///   when the counts differ, `.corrupt` when a label is ≥ `classCount`.
    public static func readPair(images: String, labels: String, classCount: Int = 10)
        throws -> (pixels: [UInt8], labels: [UInt8], rows: Int, columns: Int)
    {
        let x = try IDXArray.read(path: images, rank: 3)
        let y = try IDXArray.read(path: labels, rank: 1)
        guard x.dimensions[0] == y.dimensions[0] else {
            throw DatasetError(path: images, kind: .mismatch,
                               reason: "\(x.dimensions[0]) images but \(y.dimensions[0]) labels in '\(labels)'")
        }
        if let bad = y.bytes.firstIndex(where: { Int($0) >= classCount }) {
            throw DatasetError(path: labels, kind: .corrupt,
                               reason: "label \(y.bytes[bad]) at index \(bad) is not a class in 0..<\(classCount)")
        }
        return (x.bytes, y.bytes, x.dimensions[1], x.dimensions[2])
    }

    /// Loads the directory as training / validation / test sets of single-channel images.
    ///
    /// - Parameter validationCount: samples held out from the end of the training file.
    /// - Throws: `DatasetError` naming the directory or file: missing, truncated, wrong magic,
    ///   image/label count mismatch, train/test image sizes that differ.
    public static func load(_ directory: String = fashionMNIST,
                            validationCount: Int = defaultValidationCount) throws -> DatasetSplit {
        let trainImages = try path("train", "images", in: directory)
        let train = try readPair(images: trainImages, labels: try path("train", "labels", in: directory))
        let testImages = try path("t10k", "images", in: directory)
        let test = try readPair(images: testImages, labels: try path("t10k", "labels", in: directory))
        guard train.rows == test.rows, train.columns == test.columns else {
            throw DatasetError(path: testImages, kind: .mismatch,
                               reason: "test images are \(test.rows)×\(test.columns) but training images \(train.rows)×\(train.columns)")
        }
        guard validationCount >= 0, validationCount < train.labels.count else {
            throw DatasetError(path: trainImages, kind: .mismatch,
                               reason: "cannot hold out \(validationCount) of \(train.labels.count) training samples for validation")
        }
        return DatasetSplit(trainPixels: train.pixels, trainLabels: train.labels,
                            testPixels: test.pixels, testLabels: test.labels,
                            validationCount: validationCount, classCount: 10,
                            sampleShape: [1, train.rows, train.columns], source: directory)
    }
}

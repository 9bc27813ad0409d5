import Foundation

/// The CIFAR-10 binary format: `data_batch_1.bin` … `data_batch_5.bin` and `test_batch.bin`.
///
/// Each file is a sequence of 3073-byte records: one label byte (0…9) followed by the
/// 32×32×3 image as three 1024-byte planes (red, green, blue; rows top to bottom), i.e. already
/// CHW. The data is not shipped by the project; users who have it pass its directory.
public enum CIFAR10 {
    /// Image side in pixels.
    public static let side = 32
    /// Bytes per image (3 planes of 32×32).
    public static let imageBytes = 3 * 32 * 32
    /// Bytes per record (label + image).
    public static let recordBytes = 1 + imageBytes
    /// The number of classes.
    public static let classCount = 10

    /// Reads one batch file.
    ///
    /// - Returns: pixels (`count · 3072` bytes, CHW per image) and labels (`count` bytes).
    /// - Throws: `DatasetError` naming `path`: `.notFound`, `.truncated` (size not a multiple of
    ///   3073 bytes), `.corrupt` (a label ≥ 10).
    public static func readBatch(path: String) throws -> (pixels: [UInt8], labels: [UInt8]) {
        let bytes = try DatasetFile.read(path)
        guard !bytes.isEmpty else {
            throw DatasetError(path: path, kind: .truncated, reason: "file is empty (0 bytes)")
        }
        let (count, rest) = bytes.count.quotientAndRemainder(dividingBy: recordBytes)
        guard rest == 0 else {
            throw DatasetError(path: path, kind: .truncated,
                               reason: "\(bytes.count) bytes is not a whole number of \(recordBytes)-byte records (\(count) records and \(rest) bytes)")
        }
        var pixels = [UInt8](repeating: 0, count: count * imageBytes)
        var labels = [UInt8](repeating: 0, count: count)
        for r in 0..<count {
            let label = bytes[r * recordBytes]
            guard Int(label) < classCount else {
                throw DatasetError(path: path, kind: .corrupt,
                                   reason: "record \(r) has label \(label), not a class in 0..<\(classCount)")
            }
            labels[r] = label
            pixels.withUnsafeMutableBufferPointer { dst in
                bytes.withUnsafeBufferPointer { src in
                    (dst.baseAddress! + r * imageBytes).update(from: src.baseAddress! + r * recordBytes + 1, count: imageBytes)
                }
            }
        }
        return (pixels, labels)
    }

    /// Loads a CIFAR-10 binary directory: every `data_batch_N.bin` for N = 1, 2, … (stopping at
    /// the first missing one; at least `data_batch_1.bin` is required) and `test_batch.bin`.
    ///
    /// - Parameter validationCount: samples held out from the end of the training batches.
    /// - Throws: `DatasetError` naming the directory or the offending file.
    public static func load(_ directory: String, validationCount: Int = 5_000) throws -> DatasetSplit {
        var pixels: [UInt8] = [], labels: [UInt8] = []
        var n = 1
        while true {
            let name = "data_batch_\(n).bin"
            let path: String
            do { path = try DatasetFile.locate([name], in: directory) } catch let error as DatasetError {
                if n == 1 || error.kind != .notFound || error.reason == "no such directory" { throw error }
                break
            }
            let batch = try readBatch(path: path)
            pixels += batch.pixels
            labels += batch.labels
            n += 1
        }
        let test = try readBatch(path: try DatasetFile.locate(["test_batch.bin"], in: directory))
        guard validationCount >= 0, validationCount < labels.count else {
            throw DatasetError(path: (directory as NSString).appendingPathComponent("data_batch_1.bin"), kind: .mismatch,
                               reason: "cannot hold out \(validationCount) of \(labels.count) training samples for validation")
        }
        return DatasetSplit(trainPixels: pixels, trainLabels: labels, testPixels: test.pixels, testLabels: test.labels,
                            validationCount: validationCount, classCount: classCount,
                            sampleShape: [3, side, side], source: directory)
    }
}

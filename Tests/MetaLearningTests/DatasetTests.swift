import Foundation
import XCTest
@testable import MetaLearning
import Numerics

/// IDX and CIFAR-10 readers on small files written here, gzip round trips, every error case,
/// minibatch sampling, and (when installed) the real Fashion-MNIST files.
final class DatasetTests: XCTestCase {
    var directory: String = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "neuralart-dataset-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    func write(_ bytes: [UInt8], _ name: String) {
        XCTAssertTrue(FileManager.default.createFile(atPath: path(name), contents: Data(bytes)))
    }

    /// `n` images of `rows × cols` whose pixel (i, p) is (i·7 + p) mod 256, labels i mod 10.
    func idxPair(n: Int, rows: Int = 4, cols: Int = 3) -> (IDXArray, IDXArray) {
        let px = (0..<(n * rows * cols)).map { UInt8(($0 / (rows * cols) * 7 + $0 % (rows * cols)) % 256) }
        return (IDXArray(dimensions: [n, rows, cols], bytes: px),
                IDXArray(dimensions: [n], bytes: (0..<n).map { UInt8($0 % 10) }))
    }

    func writeIDXDirectory(train: Int = 12, test: Int = 5, gzip: Bool) {
        let ext = gzip ? ".gz" : ""
        func put(_ a: IDXArray, _ name: String) { write(gzip ? Gzip.compress(a.encoded()) : a.encoded(), name + ext) }
        let (x, y) = idxPair(n: train), (tx, ty) = idxPair(n: test)
        put(x, "train-images-idx3-ubyte"); put(y, "train-labels-idx1-ubyte")
        put(tx, "t10k-images-idx3-ubyte"); put(ty, "t10k-labels-idx1-ubyte")
    }

    func assertDatasetError(_ kind: DatasetError.Kind, file expected: String, mentions: String? = nil,
                            line: UInt = #line, _ body: () throws -> Void) {
        do {
            try body()
            XCTFail("expected a \(kind) error", line: line)
        } catch let error as DatasetError {
            XCTAssertEqual(error.kind, kind, "\(error)", line: line)
            XCTAssertTrue(error.path.hasSuffix(expected), "\(error) should name \(expected)", line: line)
            XCTAssertFalse(error.description.contains("\n"), line: line)
            if let m = mentions { XCTAssertTrue(error.description.contains(m), "\(error) should mention \(m)", line: line) }
        } catch {
            XCTFail("unexpected error \(error)", line: line)
        }
    }

    // MARK: gzip

    func testGzipRoundTripAndConcatenatedMembers() throws {
        var g = SeededGenerator(seed: 1)
        let data = (0..<100_000).map { _ in UInt8(g.nextInt(16)) }
        let z = Gzip.compress(data)
        XCTAssertTrue(Gzip.isGzip(z))
        XCTAssertLessThan(z.count, data.count)
        XCTAssertEqual(try Gzip.decompress(z, path: "x"), data)
        XCTAssertEqual(try Gzip.decompress(Gzip.compress([]), path: "x"), [])
        let two = Gzip.compress([1, 2, 3]) + Gzip.compress([4, 5])
        XCTAssertEqual(try Gzip.decompress(two, path: "x"), [1, 2, 3, 4, 5])
    }

    func testGzipErrors() {
        let z = Gzip.compress((0..<5000).map { UInt8($0 % 251) })
        assertDatasetError(.truncated, file: "a.gz") { _ = try Gzip.decompress(Array(z.prefix(z.count / 2)), path: "a.gz") }
        var bad = z
        for i in 12..<40 { bad[i] ^= 0x5a }
        assertDatasetError(.corrupt, file: "b.gz", mentions: "corrupt gzip") { _ = try Gzip.decompress(bad, path: "b.gz") }
        assertDatasetError(.corrupt, file: "c.gz", mentions: "garbage") { _ = try Gzip.decompress(z + [9, 9], path: "c.gz") }
    }

    // MARK: IDX

    func testIDXDirectoryPlainAndGzipLoadTheSameData() throws {
        writeIDXDirectory(gzip: false)
        let plain = try IDXDirectory.load(directory, validationCount: 2)
        try FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        writeIDXDirectory(gzip: true)
        let zipped = try IDXDirectory.load(directory, validationCount: 2)
        for split in [plain, zipped] {
            XCTAssertEqual(split.training.count, 10)
            XCTAssertEqual(split.validation.count, 2)
            XCTAssertEqual(split.test.count, 5)
            XCTAssertEqual(split.training.sampleShape, [1, 4, 3])
            XCTAssertEqual(split.training.featureCount, 12)
            XCTAssertEqual(split.training.classCount, 10)
            // Sample 11 (the second validation sample): label 1, pixel p = (77 + p) / 255.
            XCTAssertEqual(split.validation.labels[1], 1)
            XCTAssertEqual(split.validation.images[12 + 5], Float(77 + 5) / 255, accuracy: 1e-7)
            XCTAssertEqual(split.test.labels, [0, 1, 2, 3, 4])
        }
        XCTAssertEqual(plain.training.images.toArray(), zipped.training.images.toArray())
    }

    func testIDXErrorsNameTheFileAndTheProblem() throws {
        // Missing directory and missing file.
        assertDatasetError(.notFound, file: "nope", mentions: "no such directory") {
            _ = try IDXDirectory.load(path("nope"))
        }
        assertDatasetError(.notFound, file: "train-images-idx3-ubyte", mentions: "train-images-idx3-ubyte.gz") {
            _ = try IDXDirectory.load(directory)
        }
        writeIDXDirectory(gzip: false)
        // Truncated image data.
        let (x, _) = idxPair(n: 12)
        write(Array(x.encoded().dropLast(7)), "train-images-idx3-ubyte")
        assertDatasetError(.truncated, file: "train-images-idx3-ubyte", mentions: "144 bytes") {
            _ = try IDXDirectory.load(directory, validationCount: 2)
        }
        // Truncated header.
        write([0, 0, 8, 3, 0, 0], "train-images-idx3-ubyte")
        assertDatasetError(.truncated, file: "train-images-idx3-ubyte", mentions: "header") {
            _ = try IDXDirectory.load(directory, validationCount: 2)
        }
        // A label file where an image file belongs.
        let (_, y) = idxPair(n: 12)
        write(y.encoded(), "train-images-idx3-ubyte")
        assertDatasetError(.wrongMagic, file: "train-images-idx3-ubyte", mentions: "0x00000803") {
            _ = try IDXDirectory.load(directory, validationCount: 2)
        }
        // Not IDX at all (e.g. a PNG).
        write([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4], "train-images-idx3-ubyte")
        assertDatasetError(.wrongMagic, file: "train-images-idx3-ubyte") {
            _ = try IDXDirectory.load(directory, validationCount: 2)
        }
        // Image and label counts disagree.
        write(x.encoded(), "train-images-idx3-ubyte")
        write(idxPair(n: 11).1.encoded(), "train-labels-idx1-ubyte")
        assertDatasetError(.mismatch, file: "train-images-idx3-ubyte", mentions: "12 images but 11 labels") {
            _ = try IDXDirectory.load(directory, validationCount: 2)
        }
        // A label outside 0..<10.
        write(IDXArray(dimensions: [12], bytes: Array(repeating: 3, count: 11) + [10]).encoded(), "train-labels-idx1-ubyte")
        assertDatasetError(.corrupt, file: "train-labels-idx1-ubyte", mentions: "label 10") {
            _ = try IDXDirectory.load(directory, validationCount: 2)
        }
        // Test images of another size.
        write(idxPair(n: 12).1.encoded(), "train-labels-idx1-ubyte")
        write(idxPair(n: 5, rows: 5, cols: 5).0.encoded(), "t10k-images-idx3-ubyte")
        assertDatasetError(.mismatch, file: "t10k-images-idx3-ubyte", mentions: "5×5") {
            _ = try IDXDirectory.load(directory, validationCount: 2)
        }
        // A truncated gzip copy.
        try FileManager.default.removeItem(atPath: path("t10k-images-idx3-ubyte"))
        let z = Gzip.compress(idxPair(n: 5).0.encoded())
        write(Array(z.prefix(z.count - 12)), "t10k-images-idx3-ubyte.gz")
        assertDatasetError(.truncated, file: "t10k-images-idx3-ubyte.gz", mentions: "gzip") {
            _ = try IDXDirectory.load(directory, validationCount: 2)
        }
    }

    // MARK: CIFAR-10

    /// `n` records; record r has label (r + first) mod 10 and pixel p = (r + p) mod 256.
    func cifarBatch(_ n: Int, first: Int = 0) -> [UInt8] {
        var out: [UInt8] = []
        for r in 0..<n {
            out.append(UInt8((r + first) % 10))
            out += (0..<CIFAR10.imageBytes).map { UInt8((r + $0) % 256) }
        }
        return out
    }

    func testCIFAR10ReadsBatchesInOrder() throws {
        write(cifarBatch(3), "data_batch_1.bin")
        write(cifarBatch(4, first: 3), "data_batch_2.bin")
        write(cifarBatch(2, first: 5), "data_batch_4.bin")   // not read: batch 3 is missing
        write(cifarBatch(2), "test_batch.bin")
        let split = try CIFAR10.load(directory, validationCount: 1)
        XCTAssertEqual(split.training.count, 6)
        XCTAssertEqual(split.validation.count, 1)
        XCTAssertEqual(split.training.labels, [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(split.validation.labels, [6])
        XCTAssertEqual(split.test.count, 2)
        XCTAssertEqual(split.training.sampleShape, [3, 32, 32])
        // Record 1 of batch 2 (training sample 4): green plane pixel 0 = (1 + 1024) mod 256.
        XCTAssertEqual(split.training.images[4 * 3072 + 1024], Float((1 + 1024) % 256) / 255, accuracy: 1e-7)
    }

    func testCIFAR10Errors() {
        assertDatasetError(.notFound, file: "data_batch_1.bin") { _ = try CIFAR10.load(directory) }
        write(Array(cifarBatch(3).dropLast(100)), "data_batch_1.bin")
        write(cifarBatch(2), "test_batch.bin")
        assertDatasetError(.truncated, file: "data_batch_1.bin", mentions: "3073-byte records") {
            _ = try CIFAR10.load(directory, validationCount: 1)
        }
        var bad = cifarBatch(3)
        bad[3073] = 200
        write(bad, "data_batch_1.bin")
        assertDatasetError(.corrupt, file: "data_batch_1.bin", mentions: "record 1") {
            _ = try CIFAR10.load(directory, validationCount: 1)
        }
        write(cifarBatch(3), "data_batch_1.bin")
        try? FileManager.default.removeItem(atPath: path("test_batch.bin"))
        assertDatasetError(.notFound, file: "test_batch.bin") { _ = try CIFAR10.load(directory, validationCount: 1) }
        write([], "test_batch.bin")
        assertDatasetError(.truncated, file: "test_batch.bin", mentions: "empty") { _ = try CIFAR10.load(directory, validationCount: 1) }
    }

    // MARK: sampling

    func testMinibatchSamplerIsSeededAndCoversEpochs() {
        let a0 = MinibatchSampler(datasetCount: 10, batchSize: 4, generator: SeededGenerator(seed: 5))
        var a = a0, b = a0
        var c = MinibatchSampler(datasetCount: 10, batchSize: 4, generator: SeededGenerator(seed: 6))
        let batchesA = (0..<6).map { _ in a.next() }
        XCTAssertEqual(batchesA, (0..<6).map { _ in b.next() })
        XCTAssertNotEqual(batchesA, (0..<6).map { _ in c.next() })
        // An epoch of 10 holds two batches of 4 without repeats; then a fresh shuffle.
        XCTAssertEqual(Set(batchesA[0] + batchesA[1]).count, 8)
        XCTAssertTrue(batchesA.allSatisfy { $0.count == 4 && Set($0).count == 4 && $0.allSatisfy { (0..<10).contains($0) } })
    }

    func testGatherCopiesRowsAndLabels() {
        let ds = Dataset(images: Tensor(shape: [3, 2], values: [0, 1, 2, 3, 4, 5]), labels: [2, 0, 1],
                         classCount: 3, sampleShape: [1, 1, 2])
        var x = [Float](repeating: -1, count: 4), y = [Int](repeating: -1, count: 2)
        ds.gather([2, 0], images: &x, labels: &y)
        XCTAssertEqual(x, [4, 5, 0, 1])
        XCTAssertEqual(y, [1, 2])
        XCTAssertEqual(ds.slice(1..<3).images.toArray(), [2, 3, 4, 5])
    }

    // MARK: the installed Fashion-MNIST (scripts/setup.sh installs it)

    func testInstalledFashionMNIST() throws {
        let dir = IDXDirectory.fashionMNIST
        guard FileManager.default.fileExists(atPath: dir) else {
            throw XCTSkip("Fashion-MNIST is not installed (run scripts/setup.sh)")
        }
        let test = try IDXDirectory.readPair(images: try IDXDirectory.path("t10k", "images", in: dir),
                                             labels: try IDXDirectory.path("t10k", "labels", in: dir))
        XCTAssertEqual(test.labels.count, 10_000)
        XCTAssertEqual(test.rows, 28)
        XCTAssertEqual(test.columns, 28)
        var perClass = [Int](repeating: 0, count: 10)
        for l in test.labels { perClass[Int(l)] += 1 }
        XCTAssertEqual(perClass, Array(repeating: 1000, count: 10))
        XCTAssertEqual(test.pixels.max(), 255)
    }
}

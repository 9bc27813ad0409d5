import Distributed
import XCTest

/// The shares of work and the single-process collectives (MPI itself is tested through the
/// binary: Tests/CLITests/MPITests.swift).
final class ProcessGroupTests: XCTestCase {
    /// Rank `rank` of `size`, for the share arithmetic (no collectives).
    final class Member: ProcessGroup {
        let rank: Int, size: Int
        init(rank: Int, size: Int) { self.rank = rank; self.size = size }
        func allgatherBytes(_ local: UnsafeRawBufferPointer, byteCounts: [Int], into output: UnsafeMutableRawBufferPointer) {
            fatalError("not a real group")
        }
        func barrier() {}
        func abort(_ message: String, code: Int32) -> Never { fatalError(message) }
    }

    func testSharesCoverTheItemsInRankOrder() {
        for size in 1...9 {
            for count in 0...20 {
                let shares = (0..<size).map { Member(rank: $0, size: size).share(of: count) }
                XCTAssertEqual(shares.first?.lowerBound, 0)
                XCTAssertEqual(shares.last?.upperBound, count)
                for r in 1..<size { XCTAssertEqual(shares[r - 1].upperBound, shares[r].lowerBound) }
                let sizes = shares.map(\.count)
                XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1, "\(count) items on \(size) ranks: \(sizes)")
            }
        }
    }

    func testSingleProcessCollectivesAreCopies() {
        let one = SingleProcess()
        XCTAssertEqual(one.rank, 0)
        XCTAssertEqual(one.size, 1)
        XCTAssertTrue(one.isRoot)
        XCTAssertEqual(one.share(of: 7), 0..<7)
        XCTAssertEqual(one.allgather([1.5, -2, .infinity], counts: [3]), [1.5, -2, .infinity])
        XCTAssertEqual(one.allgatherItems([Float](arrayLiteral: 1, 2, 3, 4), items: 2, width: 2), [1, 2, 3, 4])
    }

    func testNotLaunchedByMPIHere() throws {
        // The test runner is not started by mpirun: the world is the single process, MPI untouched.
        guard !Processes.launchedByMPI else { throw XCTSkip("running under an MPI launcher") }
        XCTAssertTrue(Processes.world is SingleProcess)
        XCTAssertEqual(Processes.localSize, 1)
    }
}

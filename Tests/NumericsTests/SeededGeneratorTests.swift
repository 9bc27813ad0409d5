import XCTest
@testable import Numerics

final class SeededGeneratorTests: XCTestCase {
    func testSameSeedSameSequenceDifferentSeedDifferent() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 43)
        let xa = (0..<100).map { _ in a.next() }, xb = (0..<100).map { _ in b.next() }
        let xc = (0..<100).map { _ in c.next() }
        XCTAssertEqual(xa, xb)
        XCTAssertNotEqual(xa, xc)
    }

    func testUniformAndNormalMoments() {
        var g = SeededGenerator(seed: 7)
        let n = 200_000
        var su = 0.0, sn = 0.0, sn2 = 0.0
        for _ in 0..<n {
            let u = g.nextUniform(); XCTAssert(u >= 0 && u < 1)
            su += u
            let z = g.nextNormal(); sn += z; sn2 += z * z
        }
        XCTAssertEqual(su / Double(n), 0.5, accuracy: 0.005)
        XCTAssertEqual(sn / Double(n), 0, accuracy: 0.01)
        XCTAssertEqual(sn2 / Double(n), 1, accuracy: 0.015)
    }

    func testForkIsIndependentAndDeterministic() {
        let g = SeededGenerator(seed: 1)
        var f1 = g.fork(1), f1b = g.fork(1), f2 = g.fork(2)
        XCTAssertEqual(f1.next(), f1b.next())
        XCTAssertNotEqual(f1.next(), f2.next())
    }
}

import Foundation
import XCTest

@testable import ImageIO

/// The images shipped in the repository's `images/` folder.
final class RealImageTests: XCTestCase {
    func testSizesOfShippedImages() throws {
        let expected: [(String, Int, Int)] = [
            ("astronaut.png", 512, 512), ("camera.png", 512, 512), ("coins.png", 384, 303),
            ("chelsea.png", 451, 300), ("coffee.png", 600, 400), ("rocket.jpg", 640, 427),
            ("hubble_deep_field.jpg", 1000, 872),
        ]
        for (name, width, height) in expected {
            let image = try ImageFile.read(repoImage(name))
            XCTAssertEqual(image.width, width, name)
            XCTAssertEqual(image.height, height, name)
            XCTAssertEqual(image.pixels.count, 3 * width * height, name)
            XCTAssertGreaterThanOrEqual(image.pixels.min() ?? -1, 0, name)
            XCTAssertLessThanOrEqual(image.pixels.max() ?? 2, 1, name)
        }
    }

    func testGreyFilesAreReplicatedAndColourFilesAreNot() throws {
        for name in ["camera.png", "coins.png", "brick.png"] {
            let image = try ImageFile.read(repoImage(name))
            let n = image.planeSize
            XCTAssertEqual(Array(image.pixels[0..<n]), Array(image.pixels[n..<(2 * n)]), name)
            XCTAssertEqual(Array(image.pixels[0..<n]), Array(image.pixels[(2 * n)...]), name)
        }
        for name in ["astronaut.png", "rocket.jpg"] {
            let image = try ImageFile.read(repoImage(name))
            let n = image.planeSize
            XCTAssertNotEqual(Array(image.pixels[0..<n]), Array(image.pixels[n..<(2 * n)]), name)
        }
    }

    func testPNGRoundTripOfRealImageIsExact() throws {
        let image = try ImageFile.read(repoImage("chelsea.png"))
        let back = try ImageFile.decode(try ImageFile.encode(image, as: .png), path: "memory")
        XCTAssertEqual(back, image)
    }

    func testJPEGRoundTripOfRealImageIsClose() throws {
        let image = try ImageFile.read(repoImage("rocket.jpg"))
        let back = try ImageFile.decode(try ImageFile.encode(image, as: .jpeg, quality: 92), path: "memory")
        XCTAssertLessThan(meanAbsoluteDifference(image, back), 0.01)
    }
}

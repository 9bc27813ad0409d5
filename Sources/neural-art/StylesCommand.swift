import ArgumentParser
import Foundation
import ImageIO
import NeuralArt
import Numerics

/// `neural-art styles`: samples of the style distribution's families, as PNGs and a contact sheet.
struct StylesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "styles",
        abstract: "Write samples of the style families meta-training draws from, and a contact sheet.",
        discussion: """
            Renders --samples styles of each family at --size pixels into --output-dir \
            (<family>-<k>.png) and a contact sheet (one row per family) to --sheet. The same \
            --seed gives the same files. Prints how long each family takes to render.

            Example (docs/STYLE-DISTRIBUTION.md's contact sheet): \
            neural-art styles --samples 6 --size 128 --cell 96 --output-dir /tmp/styles \
            --sheet docs/pictures/style-families.jpg
            """)

    @Option(help: "Families: all, or a comma-separated list of \(StyleFamily.namesList) (dir needs --style-dir).")
    var families = "all"

    @Option(help: "Folder of your own style images (the dir family).")
    var styleDir: String?

    @Option(help: "Samples per family.")
    var samples = 6

    @Option(help: "Side of each style image, in pixels.")
    var size = 128

    @Option(help: "Seed of the samples.")
    var seed: UInt64 = 0

    @Option(help: "Folder for the PNGs (created if missing).")
    var outputDir = "styles"

    @Option(help: "Contact sheet file, .jpg or .png (default: <output-dir>/contact-sheet.jpg).")
    var sheet: String?

    @Option(help: "Side of each cell of the contact sheet, in pixels.")
    var cell = 96

    @Flag(help: "Print only the files written.")
    var quiet = false

    func validate() throws {
        guard (1...64).contains(samples) else { throw ValidationError("--samples must be between 1 and 64 (got \(samples))") }
        guard (16...1024).contains(size) else { throw ValidationError("--size must be between 16 and 1024 pixels (got \(size))") }
        guard (16...1024).contains(cell) else { throw ValidationError("--cell must be between 16 and 1024 pixels (got \(cell))") }
        do { _ = try StyleFamily.parseList(families, includeDirectory: styleDir != nil) } catch let e as StyleTaskError {
            throw ValidationError("--families: \(e)")
        }
    }

    func run() throws {
        try runReportingErrors {
            let list = try StyleFamily.parseList(families, includeDirectory: styleDir != nil)
            guard !list.isEmpty else { throw ValidationError("--families: name at least one family") }
            if list.contains(.dir) && styleDir == nil { throw ValidationError("--families dir needs --style-dir <folder>") }
            let distribution = try StyleDistribution.load(families: list, heldOut: [], styleDirectory: styleDir)
            let sheetPath = sheet ?? (outputDir as NSString).appendingPathComponent("contact-sheet.jpg")
            guard ImageFile.Format(pathExtensionOf: sheetPath) != nil else {
                throw ValidationError("--sheet must end in .png, .jpg or .jpeg (got '\(sheetPath)')")
            }
            try FileManager.default.createDirectory(atPath: outputDir, withIntermediateDirectories: true)
            var cells: [[Image?]] = []
            for family in list {
                var row: [Image?] = []
                var seconds = 0.0
                for k in 0..<samples {
                    var stream = SeededGenerator(seed: seed).fork(UInt64(k))
                    let styleSeed = stream.next()
                    let start = Date()
                    let style = distribution.style(family, seed: styleSeed, size: size)
                    seconds += Date().timeIntervalSince(start)
                    let path = (outputDir as NSString).appendingPathComponent("\(family.rawValue)-\(k).png")
                    try ImageFile.write(style.image, to: path)
                    row.append(style.image)
                }
                cells.append(row)
                if !quiet {
                    print(String(format: "%-8@ %6.1f ms per %d-px style", family.rawValue as NSString,
                                 1000 * seconds / Double(samples), size))
                }
            }
            let grid = ImageGrid(columns: [String](repeating: "", count: samples), rows: list.map(\.rawValue), cells: cells,
                                 cellSize: cell, padding: 6, textScale: 2)
            try ensureParentDirectory(sheetPath)
            try ImageFile.write(grid.render(), to: sheetPath, quality: 88)
            print("wrote \(list.count * samples) styles to \(outputDir); contact sheet \(sheetPath)")
        }
    }
}

import Foundation

/// A family of styles a `StyleDistribution` draws from: one of the procedural families, the
/// bundled style images, or the user's own style images (`--style-dir`).
public enum StyleFamily: String, CaseIterable, Sendable, Codable, Comparable {
    case cells, marble, stripes, dots, strokes, mosaic, wash
    case crackle, ripples, plaid, contours, facets, truchet, drips, camo, impasto, whirls
    /// The bundled style images (`StyleDistribution.bundledStyleFiles`).
    case bundled
    /// The style images of a folder given by the user.
    case dir

    /// The procedural family behind this one, or nil for the image families.
    public var procedural: ProceduralFamily? { ProceduralFamily(rawValue: rawValue) }

    /// Every procedural family.
    public static let proceduralFamilies: [StyleFamily] = ProceduralFamily.allCases.map { StyleFamily(rawValue: $0.rawValue)! }

    /// Canonical order (the order of `allCases`).
    public static func < (a: StyleFamily, b: StyleFamily) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// Parses a comma-separated list of family names (spaces allowed, duplicates removed,
    /// canonical order). `all` stands for every procedural family and `bundled`, plus `dir`
    /// when `includeDirectory`; `none` for the empty list.
    public static func parseList(_ text: String, includeDirectory: Bool) throws -> [StyleFamily] {
        let words = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if words == ["none"] { return [] }
        var result = Set<StyleFamily>()
        for w in words {
            if w == "all" {
                result.formUnion(proceduralFamilies + [.bundled] + (includeDirectory ? [.dir] : []))
            } else if let f = StyleFamily(rawValue: w) {
                result.insert(f)
            } else {
                throw StyleTaskError.unknownFamily(w.isEmpty ? "(empty)" : w)
            }
        }
        return result.sorted()
    }

    /// "cells, marble, …": the names, for messages and help.
    public static var namesList: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

extension Array where Element == StyleFamily {
    /// "cells,marble" (or "none"), as recorded in model files.
    var joinedNames: String { isEmpty ? "none" : map(\.rawValue).joined(separator: ",") }
}

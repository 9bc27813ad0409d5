import Foundation
import MetaLearning

/// A small dependency-free SVG line plot of log10(mean loss) against step.
enum SVGPlot {
    static let colors = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]

    /// The size of one plot, in SVG units.
    static let width = 760, height = 450

    static func lossCurves(_ r: EvaluationResult) -> String {
        let width = Double(Self.width), height = Double(Self.height)
        let left = 70.0, right = 190.0, top = 40.0, bottom = 50.0
        let pw = width - left - right, ph = height - top - bottom
        let series: [(String, [Double])] = r.curves.map { c in
            (c.name, ([c.initialLoss] + c.meanLoss).map { $0 > 0 && $0.isFinite ? log10($0) : .nan })
        }
        let finite = series.flatMap { $0.1 }.filter { $0.isFinite }
        var yMin = (finite.min() ?? 0).rounded(.down), yMax = (finite.max() ?? 1).rounded(.up)
        if yMax - yMin < 1 { yMax = yMin + 1 }
        // Keep a diverging baseline from squashing the rest: cap the top 2 decades above the start.
        if let start = series.first?.1.first, start.isFinite { yMax = min(yMax, (start + 2).rounded(.up)) }
        yMin = max(yMin, yMax - 12)
        let steps = Double(max(r.steps, 1))
        func x(_ t: Int) -> Double { left + pw * Double(t) / steps }
        func y(_ v: Double) -> Double { top + ph * (yMax - min(max(v, yMin), yMax)) / (yMax - yMin) }
        var s = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(left + pw / 2)" y="22" text-anchor="middle" font-size="15">\(r.task): mean loss over \(r.problems) \(r.split.rawValue) problems</text>

            """
        for e in stride(from: Int(yMin), through: Int(yMax), by: 1) {
            let yy = y(Double(e))
            s += "<line x1=\"\(left)\" y1=\"\(yy)\" x2=\"\(left + pw)\" y2=\"\(yy)\" stroke=\"#ddd\"/>\n"
            s += "<text x=\"\(left - 8)\" y=\"\(yy + 4)\" text-anchor=\"end\">1e\(e)</text>\n"
        }
        let tick = niceTickSpacing(span: r.steps)
        for t in stride(from: 0, through: r.steps, by: tick) {
            s += "<line x1=\"\(x(t))\" y1=\"\(top + ph)\" x2=\"\(x(t))\" y2=\"\(top + ph + 5)\" stroke=\"black\"/>\n"
            s += "<text x=\"\(x(t))\" y=\"\(top + ph + 20)\" text-anchor=\"middle\">\(t)</text>\n"
        }
        s += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(pw)\" height=\"\(ph)\" fill=\"none\" stroke=\"black\"/>\n"
        s += "<text x=\"\(left + pw / 2)\" y=\"\(height - 10)\" text-anchor=\"middle\">step</text>\n"
        s += "<text transform=\"translate(18 \(top + ph / 2)) rotate(-90)\" text-anchor=\"middle\">mean loss (log scale)</text>\n"
        for (k, (name, values)) in series.enumerated() {
            let color = colors[k % colors.count]
            var path = "", pen = false
            for (t, v) in values.enumerated() {
                guard v.isFinite else { pen = false; continue }
                path += (pen ? " L" : " M") + String(format: "%.1f %.1f", x(t), y(v))
                pen = true
            }
            // Round joins: with the default miter join, converters draw a long spike (a false
            // straight line) where a thick curve turns sharply.
            s += "<path d=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"\(k == 0 ? 2.5 : 1.5)\" "
                + "stroke-linejoin=\"round\" stroke-linecap=\"round\"/>\n"
            let ly = top + 10 + Double(k) * 20
            s += "<line x1=\"\(left + pw + 15)\" y1=\"\(ly)\" x2=\"\(left + pw + 40)\" y2=\"\(ly)\" stroke=\"\(color)\" stroke-width=\"2.5\"/>\n"
            let lr = r.curves[k].learningRate.map { String(format: " (lr %.3g)", Double($0)) } ?? ""
            s += "<text x=\"\(left + pw + 45)\" y=\"\(ly + 4)\">\(name)\(lr)</text>\n"
        }
        return s + "</svg>\n"
    }

    /// The spacing of at most 6 ticks over 0…`span`, the smallest of 1, 2, 5, 10, 20, 25, 50,
    /// 100, 200, 250, 500, … that fits (128 steps: 25, giving 0, 25, 50, 75, 100, 125).
    static func niceTickSpacing(span: Int) -> Int {
        var unit = 1
        while true {
            let candidates = unit >= 10 ? [unit, 2 * unit, 25 * unit / 10, 5 * unit] : [unit, 2 * unit, 5 * unit]
            for spacing in candidates where span / spacing <= 5 { return spacing }
            unit *= 10
        }
    }
}

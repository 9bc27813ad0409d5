import Foundation

/// A one-line progress display on standard error: `label [#####-----] step/total  message  ETA`.
///
/// On a terminal it redraws in place (at most ~10 times a second); when standard error is not
/// a terminal (logs, CI) it prints a plain line at every tenth of the way. `quiet` silences it.
///
/// When the amount of work is only estimated (a grid search that may widen), `update` grows the
/// total past a step that reaches it, and `finish` makes the last line's counter the real count.
final class ProgressBar {
    private let label: String
    private(set) var total: Int
    private let quiet: Bool
    private let isTTY: Bool
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var lastTenth = -1

    init(label: String, total: Int, quiet: Bool = false) {
        self.label = label
        self.total = max(total, 1)
        self.quiet = quiet
        self.isTTY = isatty(STDERR_FILENO) == 1
    }

    /// Reports that `step` of `total` units are done; `message` is shown after the counter.
    /// With `estimated`, a step that reaches the total grows it (by a tenth, at least 1), so the
    /// bar never claims to be done early. `fraction`, the share of the work done when steps
    /// differ in cost (e.g. learned-optimizer steps against ADAM steps), drives the ETA instead
    /// of step/total.
    func update(step: Int, message: String = "", estimated: Bool = false, fraction: Double? = nil) {
        if estimated && step >= total { total = step + max(1, total / 10) }
        guard !quiet else { return }
        let now = Date()
        let done = step >= total
        if isTTY {
            guard done || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
            lastDraw = now
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line(step: step, message: message, now: now, fraction: fraction)).utf8))
            if done { FileHandle.standardError.write(Data("\n".utf8)) }
        } else {
            let tenth = step * 10 / total
            guard tenth != lastTenth else { return }
            lastTenth = tenth
            FileHandle.standardError.write(Data((line(step: step, message: message, now: now, fraction: fraction) + "\n").utf8))
        }
    }

    /// Ends the bar at `step`, which becomes the total: for work whose size was estimated.
    func finish(step: Int, message: String = "") {
        total = max(step, 1)
        update(step: total, message: message)
    }

    /// Prints a message on its own line without disturbing the bar.
    func log(_ text: String) {
        guard !quiet else { return }
        FileHandle.standardError.write(Data(((isTTY ? "\r\u{1B}[K" : "") + text + "\n").utf8))
        lastDraw = .distantPast
    }

    private func line(step: Int, message: String, now: Date, fraction: Double?) -> String {
        let width = 24
        let filled = min(width, step * width / total)
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let elapsed = now.timeIntervalSince(start)
        let timing: String
        if step >= total {
            timing = "done in \(Self.format(seconds: elapsed))"
        } else if let f = fraction ?? (step > 0 ? Double(step) / Double(total) : nil), f > 0, f < 1,
                  f >= 0.05 || elapsed >= 30 {
            // Not before 5 % of the work (or 30 s): the first steps carry the set-up time.
            timing = "ETA \(Self.format(seconds: elapsed / f * (1 - f)))"
        } else {
            timing = "ETA --"
        }
        let counter = "\(step)/\(total)"
        return "\(label) [\(bar)] \(counter)\(message.isEmpty ? "" : "  " + message)  \(timing)"
    }

    /// `"42s"`, `"3m05s"`, `"1h02m"`.
    static func format(seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if seconds < 10 { return String(format: "%.1fs", seconds) }
        if s < 60 { return "\(s)s" }
        if s < 3600 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
    }
}

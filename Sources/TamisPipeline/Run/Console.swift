import Foundation
import TamisCore

/// Where a run talks to the steward: stage lines on standard output, the live progress line
/// on standard error (only on a terminal; plain periodic lines otherwise). Never prints
/// record contents: only counts, files, lines and reason codes.
public final class Console: ProgressSink {
    public var quiet: Bool
    private let isTerminal: Bool
    private var stage = ""
    private var total: Int?
    private var started = Date()
    private var lastPrint = Date.distantPast
    private var drewLine = false
    /// Seconds between plain progress lines when not on a terminal.
    public var plainInterval: TimeInterval = 5

    public init(quiet: Bool = false) {
        self.quiet = quiet
        isTerminal = isatty(2) == 1
    }

    public func say(_ line: String) {
        guard !quiet else { return }
        clearProgress()
        print(line)
        fflush(stdout)
    }

    public func warn(_ line: String) {
        clearProgress()
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    public func begin(stage: String, total: Int?) {
        self.stage = stage
        self.total = total
        started = Date()
        lastPrint = Date()
    }

    public func advance(to done: Int) {
        guard !quiet else { return }
        let now = Date()
        let interval = isTerminal ? 0.1 : plainInterval
        guard now.timeIntervalSince(lastPrint) >= interval else { return }
        lastPrint = now
        let elapsed = max(now.timeIntervalSince(started), 0.001)
        let rate = Double(done) / elapsed
        var text = "\(stage): \(Console.grouped(done))"
        if let total, total > 0 {
            let share = Double(done) / Double(total)
            text += " / \(Console.grouped(total)) (\(Int(share * 100))%)"
            if share > 0.01 {
                text += ", ETA \(Console.duration(elapsed / share - elapsed))"
            }
        }
        text += ", \(Console.grouped(Int(rate)))/s"
        if isTerminal {
            FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
            drewLine = true
        } else {
            FileHandle.standardError.write(Data("\(text)\n".utf8))
        }
    }

    public func end() { clearProgress() }

    private func clearProgress() {
        if drewLine {
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
            drewLine = false
        }
    }

    static func grouped(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }

    static func duration(_ seconds: Double) -> String {
        seconds < 60 ? String(format: "%.0fs", seconds) : String(format: "%dm%02ds", Int(seconds) / 60, Int(seconds) % 60)
    }
}

import Foundation

/// Progress lines on standard error: rewritten in place on a terminal, plain lines (at most every few seconds)
/// when standard error is a file or pipe.
public final class ProgressReporter {
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private var lastPlainLine = 0.0
    /// The current run's start (a reporter serves consecutive runs, e.g. both distillation stages, or a resumed run).
    private var runStart = Date()
    private var firstStep = 0
    private var lastStep = Int.max
    public let enabled: Bool

    public init(enabled: Bool = true) { self.enabled = enabled }

    /// "step 120/596 (epoch 1) loss 0.4123 lr 4.10e-05 55.2 ex/s ETA 5m12s"
    public func step(_ step: Int, of total: Int, epoch: Int, loss: Double, lr: Double, examplesPerSecond: Double) {
        guard enabled else { return }
        if step <= lastStep {   // a new run started
            runStart = Date()
            firstStep = step - 1
            lastPlainLine = 0
        }
        lastStep = step
        let elapsed = Date().timeIntervalSince(runStart)
        let eta = step > firstStep ? elapsed / Double(step - firstStep) * Double(total - step) : 0
        let line = String(format: "step %d/%d (epoch %d) loss %.4f lr %.2e %.1f ex/s ETA %@",
                          step, total, epoch, loss, lr, examplesPerSecond, Self.duration(eta))
        if isTerminal {
            FileHandle.standardError.write(("\r\u{1B}[K" + line).data(using: .utf8)!)
        } else if elapsed - lastPlainLine >= 5 || step == total {
            lastPlainLine = elapsed
            FileHandle.standardError.write((line + "\n").data(using: .utf8)!)
        }
    }

    /// A message on its own line.
    public func note(_ message: String) {
        guard enabled else { return }
        FileHandle.standardError.write(((isTerminal ? "\r\u{1B}[K" : "") + message + "\n").data(using: .utf8)!)
    }

    public static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s >= 3600 { return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m" }
        if s >= 60 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        return "\(s)s"
    }
}

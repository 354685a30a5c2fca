import Foundation

/// This process's resident memory from /proc/self/status (Linux), in MB: the current VmRSS and the peak VmHWM, which
/// `resetPeak()` sets back to the current RSS (writing 5 to /proc/self/clear_refs), so that a later peak measures
/// one operation rather than loading. Nil where /proc is not available.
public enum ProcessMemory {
    public static func field(_ name: String) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
            let kb = line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces).split(separator: " ").first.flatMap { Double($0) }
            return kb.map { $0 / 1024 }
        }
        return nil
    }

    public static var residentMB: Double? { field("VmRSS") }
    public static var peakMB: Double? { field("VmHWM") }

    /// Whether the kernel accepted the reset.
    @discardableResult
    public static func resetPeak() -> Bool {
        FileManager.default.isWritableFile(atPath: "/proc/self/clear_refs")
            && (try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)) != nil
    }

    /// The largest resident set this process has had (`getrusage`'s ru_maxrss), in MB. On Linux a child carries its
    /// parent's peak over exec, so it is kept for reference beside `peakMB` after a `resetPeak()`.
    public static var maxResidentMB: Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}

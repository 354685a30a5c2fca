import Foundation

/// The memory a request implies, checked before it is allocated. A request whose bytes exceed what the machine can
/// still give (MemAvailable from /proc/meminfo, capped by the cgroup v2 limit when one is set) is refused with a
/// sentence naming what needed it, instead of growing until the kernel kills the process. Where /proc is not
/// readable nothing is refused. Byte counts are products of user numbers, so they are formed with overflow checks:
/// a product that does not fit counts as more than any machine has. `BINARYBERT_MEMORY_LIMIT_MB` in the environment
/// caps what counts as available (a share of a machine used by others; tests use it to reach the limit).
public enum MemoryBudget {
    public static let limitVariable = "BINARYBERT_MEMORY_LIMIT_MB"

    /// Bytes the process can still allocate, or nil when unknown (no /proc and no limit set).
    public static func availableBytes() -> Int? {
        var bytes: Int?
        if let meminfo = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let available = kilobytes(field: "MemAvailable", in: meminfo) {
            bytes = available.multipliedReportingOverflow(by: 1024).overflow ? Int.max : available * 1024
        }
        if let limit = cgroupRemaining() { bytes = min(bytes ?? Int.max, limit) }
        if let text = ProcessInfo.processInfo.environment[limitVariable], let mb = Int(text), mb >= 0 {
            let cap = mb.multipliedReportingOverflow(by: 1 << 20).overflow ? Int.max : mb << 20
            bytes = min(bytes ?? Int.max, cap)
        }
        return bytes
    }

    /// `factors` multiplied, or nil when the product overflows `Int` (or a factor is negative).
    public static func product(_ factors: Int...) -> Int? {
        var total = 1
        for f in factors {
            guard f >= 0 else { return nil }
            let (p, overflow) = total.multipliedReportingOverflow(by: f)
            if overflow { return nil }
            total = p
        }
        return total
    }

    /// Throws `StorageError.memory` when `bytes` (nil: a product that overflowed) exceed what is available. `what`
    /// names the allocation ("the Lanczos basis, 100000 vectors of 22713218 entries"), `advice` how to need less.
    public static func require(_ bytes: Int?, for what: String, advice: String, available: Int? = availableBytes()) throws {
        guard let available else { return }
        guard let bytes, bytes <= available else {
            throw StorageError.memory(what: what, needs: bytes.map(describe) ?? "more bytes than a 64-bit count holds",
                                      available: describe(available), advice: advice)
        }
    }

    /// Bytes in the largest binary unit that keeps the number ≥ 1, rounded up to one decimal ("17.1 GB").
    public static func describe(_ bytes: Int) -> String {
        let units = ["bytes", "KB", "MB", "GB", "TB", "PB", "EB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
        if unit == 0 { return "\(bytes) bytes" }
        return String(format: "%.1f %@", (value * 10).rounded(.up) / 10, units[unit])
    }

    static func kilobytes(field: String, in text: String) -> Int? {
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return line.dropFirst(field.count + 1).split(separator: " ").first.flatMap { Int($0) }
        }
        return nil
    }

    /// The cgroup v2 limit minus current use, when this process's cgroup has a limit.
    static func cgroupRemaining() -> Int? {
        guard let maxText = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8),
              let limit = Int(maxText.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        let current = (try? String(contentsOfFile: "/sys/fs/cgroup/memory.current", encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
        return max(0, limit - current)
    }
}

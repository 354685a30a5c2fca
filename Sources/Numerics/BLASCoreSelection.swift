import Foundation

/// Debian's OpenBLAS 0.3.21 does not recognise recent CPUs and falls back to its generic "Prescott" kernels,
/// 5–7× slower. Before doing any work the executable checks the core OpenBLAS chose against the CPU's flags and,
/// when the user has not set OPENBLAS_CORETYPE, re-executes itself once with a matching core.
public enum BLASCoreSelection {
    public static let markerVariable = "BINARYBERT_BLAS_REEXEC"

    /// CPU feature flags from /proc/cpuinfo (empty where unavailable).
    public static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return [] }
        for line in text.split(separator: "\n") where line.hasPrefix("flags") {
            if let colon = line.firstIndex(of: ":") { return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init)) }
        }
        return []
    }

    public static func cpuModelName() -> String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") { return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
        }
        return "unknown"
    }

    /// OpenBLAS core names whose kernels use AVX-512, respectively at least AVX2 + FMA.
    public static let avx512Cores: Set<String> = ["SkylakeX", "CooperLake", "SapphireRapids"]
    public static let avx2Cores: Set<String> = avx512Cores.union(["Haswell", "Zen"])

    /// The core to request, or nil when the library's choice is already adequate.
    public static func betterCore(current: String, flags: Set<String>) -> String? {
        let current = current.trimmingCharacters(in: .whitespaces)
        let hasAVX512 = ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"].allSatisfy(flags.contains)
        if hasAVX512 && !avx512Cores.contains(current) { return "SkylakeX" }
        if !hasAVX512 && flags.contains("avx2") && flags.contains("fma") && !avx2Cores.contains(current) { return "Haswell" }
        return nil
    }

    /// Re-executes the process with OPENBLAS_CORETYPE set when that helps; returns normally otherwise.
    public static func reexecIfNeeded() {
        let env = ProcessInfo.processInfo.environment
        guard env["OPENBLAS_CORETYPE"] == nil, env[markerVariable] == nil else { return }
        let current = BLASInfo.coreName
        guard let core = betterCore(current: current, flags: cpuFlags()) else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv(markerVariable, "\(current)->\(core)", 1)
        let args = CommandLine.arguments
        var cArgs = args.map { strdup($0) } + [nil]
        execv("/proc/self/exe", &cArgs)
        // execv only returns on failure: carry on with the library's choice.
        unsetenv("OPENBLAS_CORETYPE")
        FileHandle.standardError.write("warning: could not re-execute with OPENBLAS_CORETYPE=\(core); continuing on \(current)\n".data(using: .utf8)!)
    }

    /// A sentence for `info` and benchmark reports.
    public static var note: String {
        let env = ProcessInfo.processInfo.environment
        if let marker = env[markerVariable] {
            let parts = marker.components(separatedBy: "->")
            return "re-executed with OPENBLAS_CORETYPE=\(parts.last ?? "?") (OpenBLAS had chosen \(parts.first ?? "?"))"
        }
        if let user = env["OPENBLAS_CORETYPE"] { return "OPENBLAS_CORETYPE=\(user) set by the user" }
        return "core chosen by OpenBLAS"
    }
}

import CBLAS

/// What the linked OpenBLAS says about itself.
public enum BLASInfo {
    /// e.g. "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64"
    public static var config: String { String(cString: openblas_get_config()) }
    /// The kernel set chosen at load time, e.g. "Haswell", "SkylakeX", "Zen" or the generic "Prescott".
    public static var coreName: String { String(cString: openblas_get_corename()) }
    public static var threads: Int { Int(openblas_get_num_threads()) }
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }
}

/// Thread control for OpenBLAS around regions where we parallelize ourselves.
public enum BLASThreads {
    public static func withSingleThreadedBLAS<R>(_ body: () throws -> R) rethrows -> R {
        let before = openblas_get_num_threads()
        if before <= 1 { return try body() }
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(before) }
        return try body()
    }
}

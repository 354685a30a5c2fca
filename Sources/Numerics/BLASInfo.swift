import CBLAS

/// What the linked OpenBLAS says about itself.
public enum BLASInfo {
    /// e.g. "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64"
    public static var config: String { String(cString: openblas_get_config()) }
    /// The kernel set chosen at load time, e.g. "Haswell", "SkylakeX", "Zen" or the generic "Prescott".
    public static var coreName: String { String(cString: openblas_get_corename()) }
    /// OpenBLAS's own thread count: 1 once the toolkit has started (it parallelizes GEMMs itself).
    public static var threads: Int { Int(openblas_get_num_threads()) }
}


import CBLAS

/// What the linked OpenBLAS says about itself.
public enum BLASInfo {
    /// The machine as `binarybert info` shows it: the BLAS configuration and core (and how it was chosen), the
    /// thread counts, the CPU and its flags that matter for the kernels.
    public static var machine: [(String, String)] {
        let flags = BLASCoreSelection.cpuFlags()
        let interesting = ["sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_bf16", "amx_tile"]
        return [("blas_config", config), ("blas_core", coreName), ("blas_core_selection", BLASCoreSelection.note),
                ("threads", String(Parallel.threads)), ("blas_threads", String(threads)), ("cpu", BLASCoreSelection.cpuModelName()),
                ("cpu_flags", interesting.filter(flags.contains).joined(separator: " "))]
    }

    /// e.g. "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64"
    public static var config: String { String(cString: openblas_get_config()) }
    /// The kernel set chosen at load time, e.g. "Haswell", "SkylakeX", "Zen" or the generic "Prescott".
    public static var coreName: String { String(cString: openblas_get_corename()) }
    /// OpenBLAS's own thread count: 1 once the toolkit has started (it parallelizes GEMMs itself).
    public static var threads: Int { Int(openblas_get_num_threads()) }
}


import CBLAS
import Dispatch

/// Splits one large GEMM into independent GEMMs over fixed-size row blocks of C (or column blocks when C is wide),
/// each run single-threaded by OpenBLAS, the blocks shared out among `Parallel.threads` threads of ours.
///
/// OpenBLAS's own thread pool busy-waits (sched_yield) for a long while after each call; interleaved with the
/// toolkit's threaded elementwise kernels that spinning steals about 15% of two cores. So OpenBLAS is kept at one
/// thread and all parallelism is ours. The blocks depend only on the shape, never on the thread count: every element
/// of C comes from the same BLAS call on the same block at any `--threads`, so results are identical bit for bit
/// across thread counts (OpenBLAS's rounding depends on a call's extent, so cutting by thread count would not be).
enum GemmSplitter {
    /// Set once, before the first BLAS call of the process.
    static let singleThreadedBLAS: Void = { openblas_set_num_threads(1) }()

    /// Problems smaller than this many multiply-adds run as one call on the calling thread.
    static let minimumParallelWork = 1 << 20

    /// Rows (or columns) of C per block: large enough that repacking the other operand per block costs ~1%.
    static let blockSize = 128

    @inline(__always)
    static func run<T>(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
                       a: UnsafePointer<T>, lda: Int, b: UnsafePointer<T>, ldb: Int, c: UnsafeMutablePointer<T>, ldc: Int,
                       call: (Int, Int, UnsafePointer<T>, UnsafePointer<T>, UnsafeMutablePointer<T>) -> Void) {
        _ = singleThreadedBLAS
        if m * n * k < minimumParallelWork || (m < 2 * blockSize && n < 2 * blockSize) {
            call(m, n, a, b, c)
            return
        }
        let alongRows = m >= n
        let extent = alongRows ? m : n
        let blocks = (extent + blockSize - 1) / blockSize
        func block(_ i: Int) {
            let s0 = i * blockSize, s1 = min(extent, s0 + blockSize)
            if alongRows {
                // Row block [s0, s1) of C needs rows [s0, s1) of op(A).
                call(s1 - s0, n, transA == .none ? a + s0 * lda : a + s0, b, c + s0 * ldc)
            } else {
                // Column block [s0, s1) of C needs columns [s0, s1) of op(B).
                call(m, s1 - s0, a, transB == .none ? b + s0 : b + s0 * ldb, c + s0)
            }
        }
        let parts = min(Parallel.threads, blocks)
        if parts <= 1 {
            for i in 0..<blocks { block(i) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: parts) { p in
            for i in (blocks * p / parts)..<(blocks * (p + 1) / parts) { block(i) }
        }
    }
}

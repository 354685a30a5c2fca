import CBLAS
import Dispatch

/// Splits one large GEMM into `Parallel.threads` independent GEMMs over row blocks of C (or column blocks when C
/// is wide), each run single-threaded by OpenBLAS on a thread of ours.
///
/// OpenBLAS's own thread pool busy-waits (sched_yield) for a long while after each call; interleaved with the
/// toolkit's threaded elementwise kernels that spinning steals about 15% of two cores. So OpenBLAS is kept at one
/// thread and all parallelism is ours. The split depends only on the shape and the thread count: reproducible.
enum GemmSplitter {
    /// Set once, before the first BLAS call of the process.
    static let singleThreadedBLAS: Void = { openblas_set_num_threads(1) }()

    /// Problems smaller than this many multiply-adds run on the calling thread.
    static let minimumParallelWork = 1 << 20

    @inline(__always)
    static func run<T>(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
                       a: UnsafePointer<T>, lda: Int, b: UnsafePointer<T>, ldb: Int, c: UnsafeMutablePointer<T>, ldc: Int,
                       call: (Int, Int, UnsafePointer<T>, UnsafePointer<T>, UnsafeMutablePointer<T>) -> Void) {
        _ = singleThreadedBLAS
        let parts = Parallel.threads
        if parts <= 1 || m * n * k < minimumParallelWork || (m < 2 * parts && n < 2 * parts) {
            call(m, n, a, b, c)
            return
        }
        if m >= n {
            // Row block [r0, r1) of C needs rows [r0, r1) of op(A).
            DispatchQueue.concurrentPerform(iterations: parts) { p in
                let r0 = m * p / parts, r1 = m * (p + 1) / parts
                guard r1 > r0 else { return }
                let aBlock = transA == .none ? a + r0 * lda : a + r0
                call(r1 - r0, n, aBlock, b, c + r0 * ldc)
            }
        } else {
            // Column block [c0, c1) of C needs columns [c0, c1) of op(B).
            DispatchQueue.concurrentPerform(iterations: parts) { p in
                let c0 = n * p / parts, c1 = n * (p + 1) / parts
                guard c1 > c0 else { return }
                let bBlock = transB == .none ? b + c0 : b + c0 * ldb
                call(m, c1 - c0, a, bBlock, c + c0)
            }
        }
    }
}

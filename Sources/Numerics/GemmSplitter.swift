import CBLAS
import Dispatch
import Foundation

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

    /// How a GEMM of this shape is cut: `blocks` row blocks of C (or column blocks when C is wide), or one call.
    struct Plan {
        let alongRows: Bool, extent: Int, blocks: Int
        /// Multiply-adds of a full block (the last may be smaller).
        let blockWork: Int

        init(m: Int, n: Int, k: Int) {
            if m * n * k < minimumParallelWork || (m < 2 * blockSize && n < 2 * blockSize) {
                alongRows = true; extent = m; blocks = 1; blockWork = m * n * k
            } else {
                alongRows = m >= n
                extent = alongRows ? m : n
                blocks = (extent + blockSize - 1) / blockSize
                blockWork = blockSize * (alongRows ? n : m) * k
            }
        }
    }

    /// Block i of `plan`: the BLAS call on that block's rows (or columns) of C.
    @inline(__always)
    static func runBlock<T>(_ plan: Plan, _ i: Int, _ transA: Transpose, _ transB: Transpose, m: Int, n: Int,
                            a: UnsafePointer<T>, lda: Int, b: UnsafePointer<T>, ldb: Int, c: UnsafeMutablePointer<T>, ldc: Int,
                            call: (Int, Int, UnsafePointer<T>, UnsafePointer<T>, UnsafeMutablePointer<T>) -> Void) {
        if plan.blocks == 1 { return call(m, n, a, b, c) }
        let s0 = i * blockSize, s1 = min(plan.extent, s0 + blockSize)
        if plan.alongRows {
            // Row block [s0, s1) of C needs rows [s0, s1) of op(A).
            call(s1 - s0, n, transA == .none ? a + s0 * lda : a + s0, b, c + s0 * ldc)
        } else {
            // Column block [s0, s1) of C needs columns [s0, s1) of op(B).
            call(m, s1 - s0, a, transB == .none ? b + s0 : b + s0 * ldb, c + s0)
        }
    }

    @inline(__always)
    static func run<T>(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
                       a: UnsafePointer<T>, lda: Int, b: UnsafePointer<T>, ldb: Int, c: UnsafeMutablePointer<T>, ldc: Int,
                       call: (Int, Int, UnsafePointer<T>, UnsafePointer<T>, UnsafeMutablePointer<T>) -> Void) {
        _ = singleThreadedBLAS
        let plan = Plan(m: m, n: n, k: k)
        func block(_ i: Int) {
            runBlock(plan, i, transA, transB, m: m, n: n, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, call: call)
        }
        let parts = min(Parallel.threads, plan.blocks)
        if parts <= 1 {
            for i in 0..<plan.blocks { block(i) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: parts) { p in
            for i in (plan.blocks * p / parts)..<(plan.blocks * (p + 1) / parts) { block(i) }
        }
    }

    /// Runs the blocks of several GEMMs (`plans`, block i of GEMM g run by `block(g, i)`) as one pool: each block is
    /// the call `run` makes for it, so every output has the bits it has alone; the GEMMs' outputs must be disjoint.
    /// One thread runs them in order, GEMM by GEMM; more take the blocks largest first, each the next one left when
    /// it is free (a GEMM of 3 large blocks beside one of 32 small ones keeps both threads busy, which splitting each
    /// GEMM alone does not).
    static func runTogether(_ plans: [Plan], _ block: (Int, Int) -> Void) {
        _ = singleThreadedBLAS
        var order: [(gemm: Int, block: Int, work: Int)] = []
        for (g, plan) in plans.enumerated() { for i in 0..<plan.blocks { order.append((g, i, plan.blockWork)) } }
        let workers = min(Parallel.threads, order.count)
        if workers <= 1 {
            for item in order { block(item.gemm, item.block) }
            return
        }
        order.sort { $0.work != $1.work ? $0.work > $1.work : ($0.gemm, $0.block) < ($1.gemm, $1.block) }
        final class Counter: @unchecked Sendable { let lock = NSLock(); var next = 0 }
        let counter = Counter()
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                counter.lock.lock()
                let i = counter.next
                counter.next += 1
                counter.lock.unlock()
                guard i < order.count else { return }
                block(order[i].gemm, order[i].block)
            }
        }
    }
}

extension BLASReal {
    /// `gemm`: `gemmCall` on each of `GemmSplitter`'s blocks.
    public static func gemm(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: Self,
                            a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
                            beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int) {
        GemmSplitter.run(transA, transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc) { m, n, a, b, c in
            gemmCall(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
    }
}

import Dispatch
import Foundation

/// Splits elementwise and row work over a few threads. The split depends only on the problem size and
/// `Parallel.threads`, so results (including reductions) are reproducible for a given thread count.
public enum Parallel {
    /// Threads used by the kernels and by the GEMM splitter (OpenBLAS itself runs single-threaded; see GemmSplitter).
    nonisolated(unsafe) public static var threads: Int = {
        _ = GemmSplitter.singleThreadedBLAS
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Below this many scalar operations a kernel runs on the calling thread (thread wake-up costs ~10 µs).
    public static let minimumParallelWork = 1 << 16

    /// Calls `body(lo, hi)` for contiguous slices covering 0..<count.
    @inlinable
    public static func forSlices(_ count: Int, workPerItem: Int = 1, _ body: (Int, Int) -> Void) {
        let parts = count * workPerItem < minimumParallelWork ? 1 : min(threads, count)
        if parts <= 1 {
            if count > 0 { body(0, count) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: parts) { p in
            let lo = count * p / parts, hi = count * (p + 1) / parts
            if hi > lo { body(lo, hi) }
        }
    }

    /// Like `forSlices`, also passing the slice's index in 0..<sliceCount(count, workPerItem:), for callers that
    /// keep per-slice partial results.
    @inlinable
    public static func forIndexedSlices(_ count: Int, workPerItem: Int = 1, _ body: (_ slice: Int, _ lo: Int, _ hi: Int) -> Void) {
        let parts = sliceCount(count, workPerItem: workPerItem)
        if parts <= 1 {
            if count > 0 { body(0, 0, count) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: parts) { p in
            let lo = count * p / parts, hi = count * (p + 1) / parts
            if hi > lo { body(p, lo, hi) }
        }
    }

    /// Number of slices `forSlices` will use for this problem (for callers that keep per-slice partial sums).
    @inlinable
    public static func sliceCount(_ count: Int, workPerItem: Int = 1) -> Int {
        count * workPerItem < minimumParallelWork ? 1 : max(1, min(threads, count))
    }
}

extension Parallel {
    /// Runs `count` independent small BLAS calls (e.g. one GEMM per attention head) spread over our threads.
    @inlinable
    public static func forBlasCalls(_ count: Int, _ body: (Int) -> Void) {
        let parts = min(threads, count)
        if parts <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: parts) { p in
            for i in (count * p / parts)..<(count * (p + 1) / parts) { body(i) }
        }
    }
}

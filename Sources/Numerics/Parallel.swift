import Dispatch
import Foundation

/// Splits elementwise and row work over a few threads. Elementwise work may be cut by thread count (each element is
/// computed alone); reductions are cut into slices fixed by the problem size (`forIndexedSlices`), so results are
/// the same at every thread count.
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
    /// keep per-slice partial results. The slices depend on the problem size only — never on `threads`, which only
    /// decides how many of them run at once — so partial results reduced in slice order give the same bits at any
    /// thread count.
    @inlinable
    public static func forIndexedSlices(_ count: Int, workPerItem: Int = 1, _ body: (_ slice: Int, _ lo: Int, _ hi: Int) -> Void) {
        let slices = sliceCount(count, workPerItem: workPerItem)
        if slices <= 1 {
            if count > 0 { body(0, 0, count) }
            return
        }
        let workers = min(threads, slices)
        func run(_ s: Int) {
            let lo = count * s / slices, hi = count * (s + 1) / slices
            if hi > lo { body(s, lo, hi) }
        }
        if workers <= 1 {
            for s in 0..<slices { run(s) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { p in
            for s in (slices * p / workers)..<(slices * (p + 1) / workers) { run(s) }
        }
    }

    /// The most slices a reduction is cut into (each needs its own partial result).
    public static let maximumSlices = 16

    /// Number of slices `forIndexedSlices` cuts this problem into: one per `minimumParallelWork` of work, at most
    /// `maximumSlices` — a function of the size alone (for callers that keep per-slice partial sums).
    @inlinable
    public static func sliceCount(_ count: Int, workPerItem: Int = 1) -> Int {
        let work = count * workPerItem
        return work < minimumParallelWork ? 1 : max(1, min(count, maximumSlices, work / minimumParallelWork))
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

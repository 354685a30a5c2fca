import Foundation

/// Wall-clock timing for the benchmarks: the seconds a body takes (monotonic clock) and the median of repeats.
public enum Stopwatch {
    public static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    }

    /// CPU seconds (all threads of the process, user and system) `body` takes: on a shared machine a ratio of two
    /// of these is far less disturbed by other processes than one of wall times.
    public static func cpuSeconds(_ body: () throws -> Void) rethrows -> Double {
        func now() -> Double {
            var t = timespec()
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
            return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
        }
        let t0 = now()
        try body()
        return now() - t0
    }

    /// The median of `x` (the mean of the two middle values for an even count); NaN for none.
    public static func median(_ x: [Double]) -> Double {
        guard !x.isEmpty else { return .nan }
        let s = x.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}

import Foundation

/// Wall-clock timing for the benchmarks: the seconds a body takes (monotonic clock) and the median of repeats.
public enum Stopwatch {
    public static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    }

    /// The median of `x` (the mean of the two middle values for an even count); NaN for none.
    public static func median(_ x: [Double]) -> Double {
        guard !x.isEmpty else { return .nan }
        let s = x.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}

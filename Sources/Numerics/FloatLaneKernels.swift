// Float's own witnesses for the activation quantizer's two scans, eight lanes at a time in SIMD8<Float>. They are
// written for the concrete type because generic SIMD comparisons and lane selects (on SIMD8<Self>) are not compiled
// to vector instructions even after specialization (generic lane arithmetic is); Double keeps the scalar defaults of
// QuantizationKernels.swift. Both give the same bits as those scalar loops (QuantizationKernelTests compares them bit
// for bit).

extension Float {
    public static func kernelClampedRange(_ x: UnsafePointer<Float>, _ n: Int, lo: Double, hi: Double) -> (min: Double, max: Double) {
        // A lane takes a value only when it compares below (above) what the lane holds, which a NaN never does, so
        // NaNs are skipped as by the scalar loop. Which of two equal extremes is kept (−0 or +0) does not matter to
        // the callers: they use |min|, |max|, max − min, or round min · s.
        let (mn, mx) = sliceReduce(n, workPerItem: 2, empty: (min: Float.infinity, max: -Float.infinity), { a, b in
            var low = SIMD8<Float>(repeating: .infinity), high = SIMD8<Float>(repeating: -.infinity)
            let raw = UnsafeRawPointer(x)
            var i = a
            while i + 8 <= b {
                let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                low.replace(with: v, where: v .< low)
                high.replace(with: v, where: v .> high)
                i += 8
            }
            var n0 = Float.infinity, x0 = -Float.infinity
            for k in 0..<8 {
                n0 = low[k] < n0 ? low[k] : n0
                x0 = high[k] > x0 ? high[k] : x0
            }
            while i < b {
                let v = x[i]
                n0 = v < n0 ? v : n0; x0 = v > x0 ? v : x0
                i += 1
            }
            return (n0, x0)
        }, combine: { ($1.min < $0.min ? $1.min : $0.min, $1.max > $0.max ? $1.max : $0.max) })
        guard mn <= mx else { return (Double.infinity, -Double.infinity) }   // no value but NaN
        return (Swift.min(Swift.max(Double(mn), lo), hi), Swift.min(Swift.max(Double(mx), lo), hi))
    }

    public static func kernelClampBackward(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                                           _ n: Int, lo: Double, hi: Double) -> (lo: Double, hi: Double) {
        // The scalar loop compares Double(x) with lo and hi; the Float bounds below give the same answer for every x
        // (Double(x) ≤ lo ⇔ x ≤ the largest Float ≤ lo), so eight lanes compare at once. dx gains dy where x lies
        // strictly inside and +0 elsewhere, as the scalar loop adds. The two sums add the clipped dy in index order,
        // as before: the terms left out were +0, and adding +0 to a sum that started at +0 changes no bit, so only a
        // group of eight with a clipped entry takes the scalar path.
        var loBound = Float(lo), hiBound = Float(hi)
        if Double(loBound) > lo { loBound = loBound.nextDown }
        if Double(hiBound) < hi { hiBound = hiBound.nextUp }
        return sliceReduce(n, workPerItem: 4, empty: (lo: 0.0, hi: 0.0), { a, b in
            var gLo = 0.0, gHi = 0.0
            let lo8 = SIMD8<Float>(repeating: loBound), hi8 = SIMD8<Float>(repeating: hiBound)
            let xs = UnsafeRawPointer(x), ds = UnsafeRawPointer(dy), out = UnsafeMutableRawPointer(dx)
            var i = a
            while i + 8 <= b {
                let v = xs.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                let d = ds.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                let below = v .<= lo8, above = v .>= hi8
                let clipped = below .| above
                let old = out.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                out.storeBytes(of: old + d.replacing(with: 0, where: clipped), toByteOffset: i * 4, as: SIMD8<Float>.self)
                if any(clipped) {
                    for k in 0..<8 {
                        if below[k] { gLo += Double(d[k]) }
                        if above[k] { gHi += Double(d[k]) }
                    }
                }
                i += 8
            }
            while i < b {
                let v = x[i], d = dy[i]
                let below = v <= loBound, above = v >= hiBound
                if below { gLo += Double(d) }
                if above { gHi += Double(d) }
                dx[i] += (below || above) ? 0 : d
                i += 1
            }
            return (gLo, gHi)
        }, combine: { ($0.lo + $1.lo, $0.hi + $1.hi) })
    }
}

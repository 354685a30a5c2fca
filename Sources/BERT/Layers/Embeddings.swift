import Numerics

/// out (B·T, C) = wte[ids] + wpe[position] + wtt[typeIds]; positions are 0..<L_b in every sequence (as HF).
func embeddingLookupForward<T: BLASReal>(_ out: UnsafeMutablePointer<T>, ids: [Int32], typeIds: [Int32], layout: SequenceLayout,
                                    wte: UnsafePointer<T>, wpe: UnsafePointer<T>, wtt: UnsafePointer<T>, hidden c: Int) {
    for b in 0..<layout.count {
        for t in 0..<layout.lengths[b] {
            let i = layout.offsets[b] + t
            let o = out + i * c
            T.kernelAdd(wte + Int(ids[i]) * c, wpe + t * c, o, c)
            T.axpy(n: c, alpha: 1, x: wtt + Int(typeIds[i]) * c, incx: 1, y: o, incy: 1)
        }
    }
}

/// Scatter-add of dout (B·T, C) into the three tables' gradients (a nil table is skipped).
func embeddingLookupBackward<T: BLASReal>(dwte: UnsafeMutablePointer<T>?, dwpe: UnsafeMutablePointer<T>?, dwtt: UnsafeMutablePointer<T>?,
                                     dout: UnsafePointer<T>, ids: [Int32], typeIds: [Int32], layout: SequenceLayout, hidden c: Int) {
    for b in 0..<layout.count {
        for t in 0..<layout.lengths[b] {
            let i = layout.offsets[b] + t
            let g = dout + i * c
            if let dwte { T.axpy(n: c, alpha: 1, x: g, incx: 1, y: dwte + Int(ids[i]) * c, incy: 1) }
            if let dwpe { T.axpy(n: c, alpha: 1, x: g, incx: 1, y: dwpe + t * c, incy: 1) }
            if let dwtt { T.axpy(n: c, alpha: 1, x: g, incx: 1, y: dwtt + Int(typeIds[i]) * c, incy: 1) }
        }
    }
}

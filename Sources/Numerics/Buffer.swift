import Foundation

/// An owned, zero-initialised block of scalars. Used for parameters, gradients and activations, where Swift arrays
/// would add copy-on-write checks and exclusivity tracking to every kernel call. A workspace buffer can be reused for
/// a smaller shape (`resize`): `count` is the part in use, `capacity` what was allocated.
public final class Buffer<T: BLASReal> {
    public private(set) var count: Int
    public let capacity: Int
    public let pointer: UnsafeMutablePointer<T>

    public init(count: Int) {
        precondition(count >= 0, "Buffer: negative count")
        self.count = count
        capacity = count
        pointer = UnsafeMutablePointer<T>.allocate(capacity: max(count, 1))
        memset(pointer, 0, max(count, 1) * MemoryLayout<T>.stride)  // all-zero bits are 0.0 for Float and Double
    }

    public convenience init(_ values: [T]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { pointer.deallocate() }

    /// Uses the first `newCount` ≤ `capacity` values from now on (their contents are whatever was there).
    public func resize(_ newCount: Int) {
        precondition(newCount >= 0 && newCount <= capacity, "Buffer.resize: \(newCount) outside 0...\(capacity)")
        count = newCount
    }

    public var buffer: UnsafeMutableBufferPointer<T> { UnsafeMutableBufferPointer(start: pointer, count: count) }
    public var array: [T] { Array(buffer) }

    @inlinable
    public subscript(i: Int) -> T {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    public func zero() { memset(pointer, 0, count * MemoryLayout<T>.stride) }

    public func copy(from other: Buffer<T>) {
        precondition(other.count == count, "Buffer.copy: size mismatch \(other.count) vs \(count)")
        memcpy(pointer, other.pointer, count * MemoryLayout<T>.stride)
    }
}

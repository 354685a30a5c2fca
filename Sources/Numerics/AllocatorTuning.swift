/// glibc returns large freed blocks (activation workspaces, gradient seeds) to the kernel at once, so every batch
/// whose padded length differs from the last one paid for fresh zeroed pages (page faults were ~6% of a
/// distillation step). Serving blocks up to 32 MiB from the heap and never trimming it keeps them for reuse.
public enum AllocatorTuning {
    public static func keepFreedMemory() {
        #if os(Linux)
        // <malloc.h>: M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3 (Swift's Glibc module does not export malloc.h).
        _ = glibcMallopt(-3, 32 << 20)
        _ = glibcMallopt(-1, Int32.max)
        #endif
    }
}

#if os(Linux)
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

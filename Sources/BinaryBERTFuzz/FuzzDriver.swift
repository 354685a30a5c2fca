import Foundation
import FuzzTargets

/// The target named by `FUZZ_TARGET` (the libFuzzer build) or by the first argument (replay).
func target(named name: String?) -> FuzzTarget {
    guard let name, let target = FuzzTarget(rawValue: name) else {
        FileHandle.standardError.write("binarybert-fuzz: name a target (\(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")))\n".data(using: .utf8)!)
        exit(2)
    }
    return target
}

#if FUZZING
// libFuzzer calls this for every input; the target is fixed per process by FUZZ_TARGET.
nonisolated(unsafe) var selected: FuzzTarget?

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let t = selected ?? target(named: ProcessInfo.processInfo.environment["FUZZ_TARGET"])
    selected = t
    t.run(data.map { Data(bytes: $0, count: size) } ?? Data())
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

// SwiftPM links an executable's entry point as <module>_main; libFuzzer's driver takes over from there.
@_cdecl("BinaryBERTFuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var c = argc, v = argv
    return LLVMFuzzerRunDriver(&c, &v, fuzzOneInput)
}
#else
/// Replays files through a target: `binarybert-fuzz TARGET FILE...` (exit 0 when none traps).
@main
struct Replay {
    static func main() {
        let args = CommandLine.arguments.dropFirst()
        if args.first == "--write-seeds", let dir = args.dropFirst().first {
            for t in FuzzTarget.allCases {
                let folder = URL(fileURLWithPath: dir).appendingPathComponent(t.rawValue)
                try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                for seed in (try? t.seeds()) ?? [] { try? seed.data.write(to: folder.appendingPathComponent(seed.name)) }
            }
            return
        }
        let t = target(named: args.first)
        for path in args.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write("binarybert-fuzz: cannot read \(path)\n".data(using: .utf8)!)
                exit(1)
            }
            t.run(data)
        }
    }
}
#endif

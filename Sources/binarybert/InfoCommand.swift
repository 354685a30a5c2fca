import ArgumentParser
import Foundation
import Training
import Text
import Numerics

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info",
        abstract: "Print versions, the BLAS configuration and core, thread count and CPU flags.")

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        let flags = BLASCoreSelection.cpuFlags()
        let interesting = ["sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_bf16", "amx_tile"]
        let present = interesting.filter(flags.contains)
        let info: [(String, String)] = [
            ("binarybert", BinaryBERTVersion.string),
            ("swift", BinaryBERTVersion.swift),
            ("blas_config", BLASInfo.config),
            ("blas_core", BLASInfo.coreName),
            ("blas_core_selection", BLASCoreSelection.note),
            ("threads", String(Parallel.threads)),
            ("blas_threads", String(BLASInfo.threads)),
            ("cpu", BLASCoreSelection.cpuModelName()),
            ("cpu_flags", present.joined(separator: " ")),
        ]
        if json {
            try printJSONLine(Dictionary(info) { _, last in last })
        } else {
            for (k, v) in info { print("\(k.padding(toLength: 20, withPad: " ", startingAt: 0)) \(v)") }
        }
    }
}

enum BinaryBERTVersion {
    static let string = "0.1.0"
    static var swift: String {
        #if compiler(>=6.3)
        return ">= 6.3"
        #elseif compiler(>=6.0)
        return "6.x"
        #else
        return "< 6"
        #endif
    }
}

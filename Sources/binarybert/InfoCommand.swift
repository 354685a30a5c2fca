import ArgumentParser
import Numerics

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info",
        abstract: "Print versions, the BLAS configuration and core, thread count and CPU flags.")

    @Flag(help: "Print one JSON object instead of text.") var json = false

    func run() throws {
        let info = [("binarybert", BinaryBERTVersion.string), ("swift", BinaryBERTVersion.swift)] + BLASInfo.machine
        if json { return try printJSONLine(Dictionary(info) { _, last in last }) }
        for (k, v) in info { print("\(k.padding(toLength: 20, withPad: " ", startingAt: 0)) \(v)") }
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

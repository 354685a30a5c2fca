import ArgumentParser
import Foundation
import Training
import Text
import Numerics
import Report
import Storage

@main
struct BinaryBERTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "binarybert",
        abstract: "BinaryBERT toolkit: BERT on OpenBLAS, quantization and loss-landscape analysis.",
        version: BinaryBERTVersion.string,
        subcommands: [InfoCommand.self, TokenizeCommand.self, ForwardCommand.self, FinetuneCommand.self, EvaluateCommand.self,
                      QuantizeCommand.self, SplitCommand.self, SliceCommand.self, ExportCommand.self, BenchCommand.self,
                      PlotCommand.self, HessianCommand.self, BenchHessianCommand.self, LandscapeCommand.self, BenchLandscapeCommand.self,
                      ReportCommand.self, AdaptiveSplitCommand.self, SharpnessCommand.self]
    )

    static func main() {
        BLASCoreSelection.reexecIfNeeded()
        ParentWatch.start()
        AllocatorTuning.keepFreedMemory()
        var command: ParsableCommand
        do { command = try parseAsRoot() } catch { exit(withError: error) }
        do {
            try command.run()
        } catch let error as UsageError where error.isUsageError {
            // An option refused once the command runs (it did not fit what the run read): a usage error like those of
            // validate(), exit 64, but the sentence alone, without the usage text that belongs to parse errors.
            FileHandle.standardError.write("Error: \(error)\n".data(using: .utf8)!)
            Foundation.exit(ExitCode.validationFailure.rawValue)
        } catch let error as ValidationError {
            FileHandle.standardError.write("Error: \(error.message)\n".data(using: .utf8)!)
            Foundation.exit(ExitCode.validationFailure.rawValue)
        } catch let error as NSError where error.domain == NSCocoaErrorDomain {
            // A Foundation file error that no layer turned into its own sentence: the path and a short reason, never
            // "NSCocoaErrorDomain Code=…".
            let path = (error.userInfo[NSFilePathErrorKey] as? String) ?? (error.userInfo[NSURLErrorKey] as? URL)?.path
            var reason = IOErrorText.reason(error)
            if reason.hasPrefix("The operation could not be completed"), let path, let explained = IOErrorText.explain(path: path) { reason = explained }
            FileHandle.standardError.write("Error: \(path.map { "\($0): " } ?? "")\(reason)\n".data(using: .utf8)!)
            Foundation.exit(EXIT_FAILURE)
        } catch {
            exit(withError: error)
        }
    }
}

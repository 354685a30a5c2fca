import ArgumentParser
import Foundation
import Text

/// `binarybert tokenize`: BERT WordPiece ids for each input line, one compact JSON array per line.
struct TokenizeCommand: ParsableCommand, CheckedArguments {
    static let configuration = CommandConfiguration(commandName: "tokenize",
        abstract: "Print BERT token ids ([CLS] a [SEP] (b [SEP])) for each input line as a JSON array.",
        discussion: "A tab separates the two sentences of a pair (at the first tab); an empty line gives [CLS] [SEP].")

    @Option(help: "Model folder holding vocab.txt (and optionally tokenizer_config.json, for do_lower_case).") var model: String
    @Option(help: "Input file, one example per line (\"-\" for standard input).") var input: String
    @Option(help: "Truncate each example to at most N ids (longest first).") var maxLength: Int?

    var job: TokenizeJob { TokenizeJob(model: model, input: input, maxLength: maxLength) }

    func check() throws { try job.validate() }

    func run() throws { try job.run(output: .standardOutput) }
}

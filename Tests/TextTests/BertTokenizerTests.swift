import Foundation
import XCTest
@testable import Text

/// Fixture written by Tests/Fixtures/tokenizer/make_tokenizer_fixture.py from HuggingFace's slow tokenizer.
private let fixtureDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()
    .deletingLastPathComponent()
    .appendingPathComponent("Fixtures/tokenizer")

private struct FixtureRecord: Decodable {
    var a: String
    var b: String?
    var ids: [Int]
    var type_ids: [Int]
    var tokens: [String]
    var max_length: Int?
}

private func loadRecords(_ name: String) throws -> [FixtureRecord] {
    let data = try Data(contentsOf: fixtureDirectory.appendingPathComponent(name))
    let text = String(decoding: data, as: UTF8.self)
    let decoder = JSONDecoder()
    return try text.split(separator: "\n", omittingEmptySubsequences: true).map {
        try decoder.decode(FixtureRecord.self, from: Data($0.utf8))
    }
}

private func describe(_ s: String) -> String {
    s.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? String($0) : "\\u{\(String($0.value, radix: 16))}" }.joined()
}

final class BertTokenizerTests: XCTestCase {
    // Loaded once: building the tokenizer reads 30k tokens.
    static let tokenizer: BertTokenizer = {
        do {
            return try BertTokenizer(modelDirectory: fixtureDirectory)
        } catch {
            fatalError("cannot load fixture tokenizer: \(error)")
        }
    }()

    var tokenizer: BertTokenizer { Self.tokenizer }

    // MARK: Fixture (HuggingFace reference)

    func testCorpusMatchesHuggingFace() throws {
        let records = try loadRecords("expected.jsonl")
        XCTAssertGreaterThanOrEqual(records.count, 150)
        var mismatches = 0
        for (line, record) in records.enumerated() {
            let encoded = tokenizer.encode(record.a, record.b)
            var tokens = ["[CLS]"] + tokenizer.tokenize(record.a) + ["[SEP]"]
            if let b = record.b { tokens += tokenizer.tokenize(b) + ["[SEP]"] }
            if encoded.inputIds != record.ids || encoded.tokenTypeIds != record.type_ids || tokens != record.tokens {
                mismatches += 1
                XCTFail("""
                    line \(line + 1) a=\(describe(record.a)) b=\(record.b.map(describe) ?? "nil")
                      expected \(record.tokens)
                      got      \(tokens)
                      expected ids \(record.ids) types \(record.type_ids)
                      got ids      \(encoded.inputIds) types \(encoded.tokenTypeIds)
                    """)
            }
            XCTAssertEqual(encoded.inputIds.map { tokenizer.vocabulary.token($0) }, record.tokens, "line \(line + 1)")
        }
        XCTAssertEqual(mismatches, 0)
    }

    func testTruncationMatchesHuggingFace() throws {
        let records = try loadRecords("truncation.jsonl")
        XCTAssertGreaterThanOrEqual(records.count, 20)
        for (line, record) in records.enumerated() {
            let encoded = tokenizer.encode(record.a, record.b, maxLength: record.max_length)
            XCTAssertEqual(encoded.inputIds, record.ids, "truncation line \(line + 1)")
            XCTAssertEqual(encoded.tokenTypeIds, record.type_ids, "truncation line \(line + 1)")
            XCTAssertEqual(encoded.inputIds.map { tokenizer.vocabulary.token($0) }, record.tokens)
        }
    }

    func testCorpusFileMatchesJSONInputs() throws {
        // corpus.txt (for the CLI) holds the same inputs as expected.jsonl.
        let records = try loadRecords("expected.jsonl")
        let data = try Data(contentsOf: fixtureDirectory.appendingPathComponent("corpus.txt"))
        var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.last, "")
        lines.removeLast()
        XCTAssertEqual(lines.count, records.count)
        for (line, record) in zip(lines, records) {
            let expected = record.b.map { record.a + "\t" + $0 } ?? record.a
            XCTAssertTrue(line.unicodeScalars.elementsEqual(expected.unicodeScalars))
        }
    }

    // MARK: Configuration and special ids

    func testSpecialIdsAndConfiguration() {
        XCTAssertEqual(tokenizer.padId, 0)
        XCTAssertEqual(tokenizer.unkId, 100)
        XCTAssertEqual(tokenizer.clsId, 101)
        XCTAssertEqual(tokenizer.sepId, 102)
        XCTAssertTrue(tokenizer.doLowerCase)
        XCTAssertEqual(tokenizer.vocabulary.count, 30522)
        XCTAssertEqual(tokenizer.vocabulary.id("[MASK]"), 103)
        XCTAssertEqual(tokenizer.vocabulary.token(7592), "hello")
        XCTAssertEqual(tokenizer.encode("hello"), EncodedPair(inputIds: [101, 7592, 102], tokenTypeIds: [0, 0, 0]))
        XCTAssertEqual(tokenizer.encode(""), EncodedPair(inputIds: [101, 102], tokenTypeIds: [0, 0]))
    }

    func testDoLowerCaseFalseKeepsCaseAndAccents() {
        let cased = BertTokenizer(vocabulary: Vocabulary(tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "Café", "café", "cafe"]),
                                  doLowerCase: false)
        XCTAssertEqual(cased.tokenize("Café café"), ["Café", "café"])
        let uncased = BertTokenizer(vocabulary: cased.vocabulary)
        XCTAssertEqual(uncased.tokenize("Café CAFÉ"), ["cafe", "cafe"])
    }

    // MARK: Basic tokenizer

    func testBasicTokenizerSplits() {
        let basic = BasicTokenizer()
        XCTAssertEqual(basic.tokenize(" \tHeLLo!How  \n Are yoU?  "), ["hello", "!", "how", "are", "you", "?"])
        XCTAssertEqual(basic.tokenize("Héllo wörld ÅNGSTRÖM"), ["hello", "world", "angstrom"])
        XCTAssertEqual(basic.tokenize("ah博推zz"), ["ah", "博", "推", "zz"])
        XCTAssertEqual(basic.tokenize("can't $5.00 a+b"), ["can", "'", "t", "$", "5", ".", "00", "a", "+", "b"])
        XCTAssertEqual(basic.tokenize("a\u{0}b\u{FFFD}c\u{1}d\u{200D}e"), ["abcde"])
        XCTAssertEqual(basic.tokenize("a\u{A0}b\u{3000}c\u{2028}d"), ["a", "b", "c", "d"])
        XCTAssertEqual(basic.tokenize("«quoted» — dash"), ["«", "quoted", "»", "—", "dash"])
        XCTAssertEqual(basic.tokenize(""), [])
        XCTAssertEqual(basic.tokenize("   "), [])
    }

    func testBasicTokenizerCaseAndAccentDetails() {
        let basic = BasicTokenizer()
        // Decomposed and precomposed input give the same word (NFC, then NFD + drop Mn).
        XCTAssertEqual(basic.tokenize("e\u{301}"), ["e"])
        XCTAssertEqual(basic.tokenize("\u{E9}"), ["e"])
        // Python's lower(): final sigma, and İ -> i + U+0307 (then stripped).
        XCTAssertEqual(basic.tokenize("ΟΔΟΣ"), ["οδος"])
        XCTAssertEqual(basic.tokenize("ΣΑ"), ["σα"])
        XCTAssertEqual(basic.tokenize("İ"), ["i"])
        // A word made only of combining marks disappears.
        XCTAssertEqual(basic.tokenize("a \u{301}\u{302} b"), ["a", "b"])
        // Never-split words are kept as they are.
        let special = BasicTokenizer(neverSplit: ["[MASK]"])
        XCTAssertEqual(special.tokenize("[MASK] [Mask]"), ["[MASK]", "[", "mask", "]"])
        let noLower = BasicTokenizer(doLowerCase: false)
        XCTAssertEqual(noLower.tokenize("Héllo"), ["Héllo"])
        let stripOnly = BasicTokenizer(doLowerCase: false, stripAccents: true)
        XCTAssertEqual(stripOnly.tokenize("Héllo"), ["Hello"])
    }

    func testPunctuationClasses() {
        for ascii in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".unicodeScalars {
            XCTAssertTrue(UnicodeClass.isPunctuation(ascii), "\(ascii)")
        }
        for scalar in "aZ09 \u{E9}+".unicodeScalars.dropLast() {
            XCTAssertFalse(UnicodeClass.isPunctuation(scalar), "\(scalar)")
        }
        XCTAssertTrue(UnicodeClass.isPunctuation("\u{2014}"))  // Pd
        XCTAssertTrue(UnicodeClass.isPunctuation("\u{3002}"))  // Po
        XCTAssertFalse(UnicodeClass.isPunctuation("\u{20AC}"))  // Sc, not ASCII
    }

    // MARK: WordPiece

    func testWordPieceGreedyLongestMatch() {
        let vocab = Vocabulary(tokens: ["[UNK]", "un", "##aff", "##able", "unaff", "##a", "##b", "a", "##ble"])
        let wordPiece = WordPieceTokenizer(vocabulary: vocab)
        XCTAssertEqual(wordPiece.tokenize("unaffable"), ["unaff", "##able"])
        XCTAssertEqual(wordPiece.tokenize("unab"), ["un", "##a", "##b"])
        XCTAssertEqual(wordPiece.tokenize("unaffable a"), ["unaff", "##able", "a"])
        // A word with an unmatchable position is unknown as a whole.
        XCTAssertEqual(wordPiece.tokenize("unx"), ["[UNK]"])
        XCTAssertEqual(wordPiece.tokenize("b"), ["[UNK]"])  // only "##b" exists
        XCTAssertEqual(wordPiece.tokenize(""), [])
    }

    func testWordPieceMaxInputChars() {
        let vocab = Vocabulary(tokens: ["[UNK]", "a", "##a"])
        let wordPiece = WordPieceTokenizer(vocabulary: vocab)
        XCTAssertEqual(wordPiece.tokenize(String(repeating: "a", count: 100)).count, 100)
        XCTAssertEqual(wordPiece.tokenize(String(repeating: "a", count: 101)), ["[UNK]"])
        // Counted in code points: 50 decomposed letters are 100 scalars.
        let small = WordPieceTokenizer(vocabulary: Vocabulary(tokens: ["[UNK]", "e", "##\u{301}", "##e"]),
                                       maxInputCharsPerWord: 3)
        XCTAssertEqual(small.tokenize("e\u{301}e"), ["e", "##\u{301}", "##e"])
        XCTAssertEqual(small.tokenize("e\u{301}e\u{301}"), ["[UNK]"])
    }

    func testVocabularyLookupIsCodePointExact() {
        let vocab = Vocabulary(tokens: ["caf\u{E9}", "cafe\u{301}", "x", "x"])
        XCTAssertEqual(vocab.id("caf\u{E9}"), 0)
        XCTAssertEqual(vocab.id("cafe\u{301}"), 1)
        XCTAssertNil(vocab.id("cafe"))
        // Duplicates: the later line wins, the shadowed id reads as [UNK] (HF's ids_to_tokens).
        XCTAssertEqual(vocab.id("x"), 3)
        XCTAssertEqual(vocab.token(3), "x")
        XCTAssertEqual(vocab.token(2), "[UNK]")
        XCTAssertEqual(vocab.token(99), "[UNK]")
        XCTAssertEqual(vocab.count, 4)
    }

    func testVocabularyFileLineEndings() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vocab-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("vocab.txt")
        try Data("a\r\nb\rc\n\nd".utf8).write(to: url)
        let vocab = try Vocabulary(contentsOf: url)
        XCTAssertEqual(vocab.tokens, ["a", "b", "c", "", "d"])
        try Data("a\nb\n".utf8).write(to: url)
        XCTAssertEqual(try Vocabulary(contentsOf: url).tokens, ["a", "b"])
    }

    // MARK: Special tokens and pairs

    func testSpecialTokensInTextAreKept() {
        XCTAssertEqual(tokenizer.tokenize("hello [MASK] world"), ["hello", "[MASK]", "world"])
        XCTAssertEqual(tokenizer.tokenize("[mask]"), ["[", "mask", "]"])
        XCTAssertEqual(tokenizer.tokenize("a[SEP]b"), ["a", "[SEP]", "b"])
    }

    func testPairEncodingAndTruncation() {
        let pair = tokenizer.encode("hello world", "hello")
        XCTAssertEqual(pair.inputIds, [101, 7592, 2088, 102, 7592, 102])
        XCTAssertEqual(pair.tokenTypeIds, [0, 0, 0, 0, 1, 1])
        // Longest first; on a tie the second sequence loses the token.
        let tie = tokenizer.encode("a b", "c d", maxLength: 6)
        XCTAssertEqual(tie.inputIds.map { tokenizer.vocabulary.token($0) }, ["[CLS]", "a", "b", "[SEP]", "c", "[SEP]"])
        let single = tokenizer.encode("a b c d", maxLength: 4)
        XCTAssertEqual(single.inputIds.map { tokenizer.vocabulary.token($0) }, ["[CLS]", "a", "b", "[SEP]"])
        XCTAssertEqual(tokenizer.encode("a b c d", maxLength: 100), tokenizer.encode("a b c d"))
    }

    // MARK: Errors

    func testMissingVocabularyNamesTheFile() {
        let dir = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)")
        XCTAssertThrowsError(try BertTokenizer(modelDirectory: dir)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains(dir.appendingPathComponent("vocab.txt").path), message)
            XCTAssertEqual(error as? TextError, .fileNotFound(path: dir.appendingPathComponent("vocab.txt").path))
            XCTAssertTrue((error as? LocalizedError)?.errorDescription?.contains("vocab.txt") ?? false)
        }
    }

    func testMalformedFilesNameTheFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let vocabURL = dir.appendingPathComponent("vocab.txt")
        let configURL = dir.appendingPathComponent("tokenizer_config.json")

        try Data([0x61, 0x0A, 0xFF, 0xFE, 0x0A]).write(to: vocabURL)
        XCTAssertThrowsError(try BertTokenizer(modelDirectory: dir)) { error in
            XCTAssertEqual(error as? TextError, .invalidUTF8(path: vocabURL.path))
        }
        try Data("".utf8).write(to: vocabURL)
        XCTAssertThrowsError(try BertTokenizer(modelDirectory: dir)) { error in
            XCTAssertEqual(error as? TextError, .emptyVocabulary(path: vocabURL.path))
        }
        try Data("[PAD]\n[UNK]\n[CLS]\n".utf8).write(to: vocabURL)
        XCTAssertThrowsError(try BertTokenizer(modelDirectory: dir)) { error in
            XCTAssertEqual(error as? TextError, .missingSpecialToken(token: "[SEP]", path: vocabURL.path))
            XCTAssertTrue("\(error)".contains(vocabURL.path))
        }
        try Data("[PAD]\n[UNK]\n[CLS]\n[SEP]\nHello\nhello\n".utf8).write(to: vocabURL)
        try Data("{not json".utf8).write(to: configURL)
        XCTAssertThrowsError(try BertTokenizer(modelDirectory: dir)) { error in
            XCTAssertTrue("\(error)".contains(configURL.path), "\(error)")
        }
        try Data(#"{"do_lower_case": "yes"}"#.utf8).write(to: configURL)
        XCTAssertThrowsError(try BertTokenizer(modelDirectory: dir)) { error in
            XCTAssertTrue("\(error)".contains("do_lower_case"), "\(error)")
        }
        try Data(#"{"do_lower_case": false}"#.utf8).write(to: configURL)
        let cased = try BertTokenizer(modelDirectory: dir)
        XCTAssertFalse(cased.doLowerCase)
        XCTAssertEqual(cased.tokenize("Hello hello"), ["Hello", "hello"])
        try FileManager.default.removeItem(at: configURL)
        XCTAssertTrue(try BertTokenizer(modelDirectory: dir).doLowerCase)
    }

    // MARK: Speed (smoke check, not a benchmark)

    func testThroughputIsReasonable() throws {
        let records = try loadRecords("expected.jsonl")
        let start = Date()
        var total = 0
        for _ in 0..<10 {
            for record in records { total += tokenizer.encode(record.a, record.b).inputIds.count }
        }
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertGreaterThan(total, 0)
        XCTAssertLessThan(elapsed, 30, "1,590 encodes took \(elapsed)s")
    }
}

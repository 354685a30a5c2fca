import Foundation

/// Token ids of one encoded sequence or pair; the attention mask is implied (all ones).
public struct EncodedPair: Equatable, Sendable {
    public var inputIds: [Int]
    public var tokenTypeIds: [Int]

    public init(inputIds: [Int], tokenTypeIds: [Int]) {
        self.inputIds = inputIds
        self.tokenTypeIds = tokenTypeIds
    }
}

/// BERT tokenizer with the behaviour of HuggingFace's slow (Python) `BertTokenizer`
/// (`BertTokenizerLegacy` in transformers 5):
///
/// - special tokens written literally in the text ([CLS], [SEP], [PAD], [UNK], [MASK]) are kept whole;
/// - the rest goes through `BasicTokenizer` then `WordPieceTokenizer`;
/// - `encode` builds `[CLS] a [SEP]` or `[CLS] a [SEP] b [SEP]` with token types 0/1 and optional
///   'longest_first' truncation.
public struct BertTokenizer: Sendable {
    public let vocabulary: Vocabulary
    public let basicTokenizer: BasicTokenizer
    public let wordPieceTokenizer: WordPieceTokenizer

    public let clsId: Int
    public let sepId: Int
    public let padId: Int
    public let unkId: Int

    /// Special tokens matched in raw text, with their ids (those present in the vocabulary).
    private let specialTokens: [(scalars: [Unicode.Scalar], id: Int)]

    /// The special tokens HF never splits.
    public static let specialTokenStrings = ["[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]"]

    /// - Precondition: the vocabulary contains [CLS], [SEP], [PAD] and [UNK]
    ///   (`init(modelDirectory:)` reports their absence as an error instead).
    public init(vocabulary: Vocabulary, doLowerCase: Bool = true) {
        self.init(vocabulary: vocabulary, doLowerCase: doLowerCase, stripAccents: nil, tokenizeChineseChars: true)
    }

    /// Full configuration, as `tokenizer_config.json` allows (`strip_accents`, `tokenize_chinese_chars`).
    public init(vocabulary: Vocabulary, doLowerCase: Bool, stripAccents: Bool?, tokenizeChineseChars: Bool) {
        func required(_ token: String) -> Int {
            guard let id = vocabulary.id(token) else {
                preconditionFailure(TextError.missingSpecialToken(token: token, path: nil).description)
            }
            return id
        }
        self.vocabulary = vocabulary
        self.clsId = required("[CLS]")
        self.sepId = required("[SEP]")
        self.padId = required("[PAD]")
        self.unkId = required("[UNK]")
        self.basicTokenizer = BasicTokenizer(
            doLowerCase: doLowerCase,
            neverSplit: BertTokenizer.specialTokenStrings,
            tokenizeChineseChars: tokenizeChineseChars,
            stripAccents: stripAccents
        )
        self.wordPieceTokenizer = WordPieceTokenizer(vocabulary: vocabulary, unkToken: "[UNK]")
        self.specialTokens = BertTokenizer.specialTokenStrings.compactMap { token in
            vocabulary.id(token).map { (Array(token.unicodeScalars), $0) }
        }
    }

    /// Loads `DIR/vocab.txt`, and `do_lower_case` (default true), `strip_accents` and
    /// `tokenize_chinese_chars` from `DIR/tokenizer_config.json` when that file exists.
    public init(modelDirectory: URL) throws {
        let vocabURL = modelDirectory.appendingPathComponent("vocab.txt")
        let vocabulary = try Vocabulary(contentsOf: vocabURL)
        for token in ["[CLS]", "[SEP]", "[PAD]", "[UNK]"] where vocabulary.id(token) == nil {
            throw TextError.missingSpecialToken(token: token, path: vocabURL.path)
        }
        var doLowerCase = true
        var stripAccents: Bool? = nil
        var tokenizeChineseChars = true
        let configURL = modelDirectory.appendingPathComponent("tokenizer_config.json")
        if FileManager.default.fileExists(atPath: configURL.path) {
            let path = configURL.path
            let object: Any
            do {
                object = try JSONSerialization.jsonObject(with: Data(contentsOf: configURL))
            } catch {
                throw TextError.malformedConfiguration(path: path, reason: "not valid JSON")
            }
            guard let config = object as? [String: Any] else {
                throw TextError.malformedConfiguration(path: path, reason: "top level is not a JSON object")
            }
            func flag(_ key: String) throws -> Bool?? {
                guard let value = config[key] else { return .none }
                if value is NSNull { return .some(nil) }
                if let bool = value as? Bool { return .some(bool) }
                throw TextError.malformedConfiguration(path: path, reason: "\(key) is not a boolean")
            }
            if let value = try flag("do_lower_case") { doLowerCase = value ?? true }
            if let value = try flag("strip_accents") { stripAccents = value }
            if let value = try flag("tokenize_chinese_chars") { tokenizeChineseChars = value ?? true }
        }
        self.init(
            vocabulary: vocabulary, doLowerCase: doLowerCase,
            stripAccents: stripAccents, tokenizeChineseChars: tokenizeChineseChars
        )
    }

    public var doLowerCase: Bool { basicTokenizer.doLowerCase }

    /// WordPiece tokens of `text`, without [CLS]/[SEP].
    public func tokenize(_ text: String) -> [String] {
        ids(text).map { vocabulary.tokens[$0] }
    }

    /// Token ids of `text`, without [CLS]/[SEP].
    public func ids(_ text: String) -> [Int] {
        let scalars = Array(text.unicodeScalars)
        var ids: [Int] = []
        ids.reserveCapacity(scalars.count / 3 + 4)
        var segmentStart = 0
        var i = 0
        while i < scalars.count {
            if scalars[i] == "[", let (length, id) = specialToken(in: scalars, at: i) {
                appendTextIds(scalars[segmentStart..<i], to: &ids)
                ids.append(id)
                i += length
                segmentStart = i
            } else {
                i += 1
            }
        }
        appendTextIds(scalars[segmentStart..<scalars.count], to: &ids)
        return ids
    }

    /// Encodes `a` (and `b`) as `[CLS] a [SEP] (b [SEP])` with token types 0 for the first part and
    /// 1 for the second. With `maxLength`, truncates like HF's `truncation="longest_first"`: tokens
    /// are removed from the end of the longer sequence, one at a time, from `b` when both are as long.
    /// As in HF, a `maxLength` of 0 means no limit, and the special tokens are never removed.
    public func encode(_ a: String, _ b: String? = nil, maxLength: Int? = nil) -> EncodedPair {
        var first = ids(a)
        var second = b.map(ids)
        let specials = second == nil ? 2 : 3
        let total = first.count + (second?.count ?? 0) + specials
        if let maxLength, maxLength != 0, total > maxLength {
            let remove = total - maxLength
            if var pair = second {
                // HF truncate_sequences, LONGEST_FIRST with a pair.
                let firstRemove = min(abs(pair.count - first.count), remove)
                let secondRemove = remove - firstRemove
                let fromFirst: Int
                let fromPair: Int
                if first.count > pair.count {
                    fromFirst = firstRemove + secondRemove / 2
                    fromPair = secondRemove - secondRemove / 2
                } else {
                    fromFirst = secondRemove / 2
                    fromPair = firstRemove + secondRemove - secondRemove / 2
                }
                first.removeLast(min(fromFirst, first.count))
                pair.removeLast(min(fromPair, pair.count))
                second = pair
            } else {
                first.removeLast(min(remove, first.count))
            }
        }
        var inputIds = [clsId]
        inputIds.reserveCapacity(first.count + (second?.count ?? 0) + specials)
        inputIds.append(contentsOf: first)
        inputIds.append(sepId)
        var tokenTypeIds = [Int](repeating: 0, count: inputIds.count)
        if let second {
            inputIds.append(contentsOf: second)
            inputIds.append(sepId)
            tokenTypeIds.append(contentsOf: repeatElement(1, count: second.count + 1))
        }
        return EncodedPair(inputIds: inputIds, tokenTypeIds: tokenTypeIds)
    }

    private func specialToken(in scalars: [Unicode.Scalar], at index: Int) -> (length: Int, id: Int)? {
        for (token, id) in specialTokens where index + token.count <= scalars.count {
            if scalars[index..<(index + token.count)].elementsEqual(token) { return (token.count, id) }
        }
        return nil
    }

    private func appendTextIds(_ text: ArraySlice<Unicode.Scalar>, to ids: inout [Int]) {
        guard !text.isEmpty else { return }
        for word in basicTokenizer.words(text) {
            wordPieceTokenizer.appendIds(of: word[...], unkId: unkId, to: &ids)
        }
    }
}

/// Greedy longest-match-first WordPiece, as HuggingFace's `WordpieceTokenizer`.
///
/// A word is split left to right; at each position the longest vocabulary entry is taken
/// ("##"-prefixed after the first piece). A word longer than `maxInputCharsPerWord` code points,
/// or one with a position where nothing matches, becomes the unknown token as a whole.
///
/// The longest match is found by walking a code-point trie of the vocabulary, which gives the same
/// result as HF's loop over shrinking substrings without building any strings.
public struct WordPieceTokenizer: Sendable {
    public let vocabulary: Vocabulary
    public let unkToken: String
    public let maxInputCharsPerWord: Int
    /// Id of `unkToken`, or nil when the vocabulary lacks it.
    public let unkId: Int?
    private let trie: ScalarTrie
    /// Trie node reached by "##" (continuation pieces), nil if no token starts with "##".
    private let continuationRoot: Int32?

    public init(vocabulary: Vocabulary, unkToken: String = "[UNK]", maxInputCharsPerWord: Int = 100) {
        self.vocabulary = vocabulary
        self.unkToken = unkToken
        self.maxInputCharsPerWord = maxInputCharsPerWord
        self.unkId = vocabulary.id(unkToken)
        var trie = ScalarTrie()
        for (id, token) in vocabulary.tokens.enumerated() {
            trie.insert(token.unicodeScalars, id: Int32(id))  // later duplicates win, like the dict
        }
        self.trie = trie
        if let hash = trie.child(0, 0x23), let hashHash = trie.child(hash, 0x23) {
            continuationRoot = hashHash
        } else {
            continuationRoot = nil
        }
    }

    /// WordPiece tokens of `text` (split on whitespace first, as HF does); unknown words give `unkToken`.
    public func tokenize(_ text: String) -> [String] {
        var output: [String] = []
        let scalars = Array(text.unicodeScalars)
        var i = 0
        while i < scalars.count {
            if UnicodeClass.isPythonSpace(scalars[i].value) {
                i += 1
                continue
            }
            var j = i + 1
            while j < scalars.count && !UnicodeClass.isPythonSpace(scalars[j].value) { j += 1 }
            if let ids = pieceIds(scalars[i..<j]) {
                output.append(contentsOf: ids.map { vocabulary.tokens[$0] })
            } else {
                output.append(unkToken)
            }
            i = j
        }
        return output
    }

    /// Appends the ids of `word`'s pieces to `ids`, or `unkId` if the word is unknown.
    func appendIds(of word: ArraySlice<Unicode.Scalar>, unkId: Int, to ids: inout [Int]) {
        if let pieces = pieceIds(word) {
            ids.append(contentsOf: pieces)
        } else {
            ids.append(unkId)
        }
    }

    /// Piece ids of one word, or nil when it must become the unknown token.
    func pieceIds(_ word: ArraySlice<Unicode.Scalar>) -> [Int]? {
        if word.count > maxInputCharsPerWord { return nil }
        var pieces: [Int] = []
        var start = word.startIndex
        let end = word.endIndex
        while start < end {
            var node: Int32
            if start == word.startIndex {
                node = 0
            } else {
                guard let root = continuationRoot else { return nil }
                node = root
            }
            var matchEnd = -1
            var matchId: Int32 = -1
            var i = start
            while i < end, let next = trie.child(node, word[i].value) {
                node = next
                i += 1
                let id = trie.tokenIds[Int(node)]
                if id >= 0 {
                    matchEnd = i
                    matchId = id
                }
            }
            if matchEnd < 0 { return nil }
            pieces.append(Int(matchId))
            start = matchEnd
        }
        return pieces
    }
}

/// A trie over Unicode scalar values; node 0 is the root.
struct ScalarTrie: Sendable {
    /// (node << 32 | scalar) -> child node.
    private var edges: [UInt64: Int32] = [:]
    /// Token id ending at each node, -1 if none.
    private(set) var tokenIds: [Int32] = [-1]

    @inline(__always)
    func child(_ node: Int32, _ scalar: UInt32) -> Int32? {
        edges[UInt64(UInt32(bitPattern: node)) << 32 | UInt64(scalar)]
    }

    mutating func insert(_ scalars: String.UnicodeScalarView, id: Int32) {
        var node: Int32 = 0
        for scalar in scalars {
            let key = UInt64(UInt32(bitPattern: node)) << 32 | UInt64(scalar.value)
            if let next = edges[key] {
                node = next
            } else {
                let next = Int32(tokenIds.count)
                tokenIds.append(-1)
                edges[key] = next
                node = next
            }
        }
        tokenIds[Int(node)] = id
    }
}

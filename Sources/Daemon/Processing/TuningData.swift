import Foundation
import Model

/// The data `restore.tune` chooses on, loaded once per watch: the retain and forget
/// proxies (or, without them, the verify data), each cut to `tune_tokens`, and the
/// base's retain perplexity on them (what the tolerance is relative to).
final class TuningData: Sendable {
    let retain: [[Int]]
    let forget: [[Int]]
    let baseRetainPPL: Double
    /// Which data chose, for the history and the journal: `retain <path> (<n> tokens); forget …`,
    /// after ``verifyDataPrefix`` when they are the verify data.
    let source: String

    private init(retain: [[Int]], forget: [[Int]], baseRetainPPL: Double, source: String) {
        self.retain = retain
        self.forget = forget
        self.baseRetainPPL = baseRetainPPL
        self.source = source
    }

    /// Loads the tuning data of `tune` (the verify data when it names none) and measures
    /// the base on the retain part.
    static func load(_ tune: Configuration.Tune, verify: Configuration.Verify, watch: String, base: String) throws(DaemonError) -> TuningData {
        let retainPath = tune.retainData ?? verify.retainEval!, forgetPath = tune.forgetData ?? verify.forgetEval!
        do {
            let tokenize = BPETokenizer.lazyEncoder(directory: base)
            let retain = capped(try EvalData.load(retainPath, sequenceLength: verify.seqLength, tokenize: tokenize), tokens: tune.tokens)
            let forget = capped(try EvalData.load(forgetPath, sequenceLength: verify.seqLength, tokenize: tokenize), tokens: tune.tokens)
            let baseRetain = try Verification.perplexity(of: base, on: retain, base: base)
            let described = describe(retain: (retainPath, retain), forget: (forgetPath, forget))
            return TuningData(retain: retain, forget: forget, baseRetainPPL: baseRetain,
                              source: tune.choosesOnVerifyData ? verifyDataPrefix + described : described)
        } catch {
            throw DaemonError.watchDisabled(watch: watch, reason: "restore.tune data: \(error)")
        }
    }

    /// How ``source`` starts when no tuning data is set and the verify data chose.
    static let verifyDataPrefix = "the [watch.verify] data: "

    /// `retain <path> (<n> tokens); forget <path> (<n> tokens)`, as ``Verification/source``
    /// says which data verified.
    static func describe(retain: (path: String, sequences: [[Int]]), forget: (path: String, sequences: [[Int]])) -> String {
        "retain \(retain.path) (\(tokenCount(retain.sequences)) tokens); forget \(forget.path) (\(tokenCount(forget.sequences)) tokens)"
    }

    /// Tokens of `sequences`.
    static func tokenCount(_ sequences: [[Int]]) -> Int { sequences.reduce(0) { $0 + $1.count } }

    /// The leading sequences of `sequences` holding at most `tokens` tokens in all (the
    /// last one cut to fit, when two or more of its tokens do): the cost of every setting
    /// tried is bounded whatever the proxies' size.
    static func capped(_ sequences: [[Int]], tokens: Int) -> [[Int]] {
        var out: [[Int]] = [], left = tokens
        for sequence in sequences where left >= 2 {
            out.append(Array(sequence.prefix(left)))
            left -= min(left, sequence.count)
        }
        return out
    }
}

import Foundation
import Linalg
import Model
import Retention
import SafeTensors

/// Builds a docs/spec.md §2 profile natively: the base runs on the proxy and every site's inputs
/// stream into F64 statistics — the same result as `tools/capture_profile.py`, without
/// Python on the host.
public enum ProfileCapture {
    /// The proxy cut into windows, as the capture tool cuts it.
    public struct Proxy: Sendable {
        /// Windows of at most `seqLen` tokens, in file order.
        public let windows: [[Int]]
        /// Tokens in all windows (the profile's `tokens`).
        public let tokens: Int
        /// sha256 of the proxy file's bytes (the profile's `proxy_fingerprint`).
        public let fingerprint: String
    }

    /// Reads a proxy: JSONL rows with `ids` (used as given) or `text` (tokenized with
    /// `tokenize`), or plain text; each sequence is cut into windows of `seqLen`, at most
    /// `maxTokens` tokens in all.
    public static func readProxy(_ path: String, seqLen: Int, maxTokens: Int,
                                 tokenize: ((String) throws -> [Int])? = nil) throws(ModelError) -> Proxy {
        guard let data = FileManager.default.contents(atPath: path) else { throw ModelError(path: path, .unreadableFile, "cannot read the proxy") }
        let fingerprint = data.withUnsafeBytes { Fingerprinter.sha256($0) }
        let text = String(decoding: data, as: UTF8.self)
        let lines = text.split(whereSeparator: \.isNewline).filter { !$0.allSatisfy(\.isWhitespace) }
        var sequences: [[Int]] = []
        if !lines.isEmpty && lines.allSatisfy({ $0.drop { $0.isWhitespace }.hasPrefix("{") }) {
            sequences = try EvalData.parse(data, path: path, sequenceLength: Int.max, tokenize: tokenize)
        } else {
            guard let tokenize else { throw ModelError(path: path, .missingTokenizer, "the proxy is plain text, which needs the base's tokenizer.json; give JSONL with \"ids\"") }
            do { sequences = [try tokenize(text)] } catch { throw ModelError(path: path, (error as? ModelError)?.code ?? .invalidData, "\(error)") }
        }
        var windows: [[Int]] = []
        var total = 0
        outer: for sequence in sequences {
            for start in stride(from: 0, to: sequence.count, by: seqLen) {
                var window = Array(sequence[start..<min(start + seqLen, sequence.count)])
                if total + window.count > maxTokens { window = Array(window.prefix(maxTokens - total)) }
                if !window.isEmpty {
                    windows.append(window)
                    total += window.count
                }
                if total >= maxTokens { break outer }
            }
        }
        guard total > 0 else { throw ModelError(path: path, .invalidData, "the proxy has no tokens") }
        return Proxy(windows: windows, tokens: total, fingerprint: fingerprint)
    }

    /// Runs `model` over `proxy` and builds the profile, ranks chosen by `policy`.
    ///
    /// The pass is layer-major (``LlamaModel/observeLayerMajor(_:observer:layerFinished:)``):
    /// each layer's sites are decomposed and freed once every batch has passed it, so memory
    /// holds one layer's F64 statistics and the proxy's residual stream, not every site's
    /// `d × d` moment at once (120 of them on SmolLM2: about 800 MB).
    public static func build(model: LlamaModel, proxy: Proxy, policy: RankPolicy = RankPolicy(),
                             batchSize: Int = 8) throws(ModelError) -> RetainProfile {
        let observer = SiteCollector()
        let step = max(1, batchSize)
        let batches = stride(from: 0, to: proxy.windows.count, by: step).map { Array(proxy.windows[$0..<min($0 + step, proxy.windows.count)]) }
        var sites: [SiteProfile] = []
        try model.observeLayerMajor(batches, observer: observer) { layer throws(ModelError) in
            for name in observer.sitesOfLayer.removeValue(forKey: layer) ?? [] {
                do { sites.append(try observer.builder.finish(site: name, policy: policy)) } catch {
                    throw ModelError(path: model.path, .capture, "site \(name): \(error)")
                }
            }
        }
        let modules = observer.siteOfModule.map { ProfiledModule(weight: $0.key + ".weight", site: $0.value, layout: .outIn) }
        return RetainProfile(modules: modules, sites: sites, tokens: proxy.tokens, baseFingerprint: try model.fingerprint(),
                             proxyFingerprint: proxy.fingerprint)
    }

    /// The site name the capture tool gives modules sharing one input: the module's name
    /// when alone, else `<parent>.<a>+<b>+…` over the sorted names.
    static func siteName(_ modules: [String]) -> String {
        let sorted = modules.sorted()
        guard sorted.count > 1 else { return sorted[0] }
        let parent = sorted[0].split(separator: ".").dropLast().joined(separator: ".")
        return parent + "." + sorted.map { String($0.split(separator: ".").last!) }.joined(separator: "+")
    }
}

/// Feeds each site's inputs into a ``ProfileBuilder``.
final class SiteCollector: SiteObserver {
    var builder = ProfileBuilder()
    var siteOfModule: [String: String] = [:]
    /// Sites seen in each layer not yet finished, in order of first sight.
    var sitesOfLayer: [Int: [String]] = [:]

    func observe(layer: Int, modules: [String], inputs: MatrixView<Float>) {
        let site = ProfileCapture.siteName(modules)
        if siteOfModule[modules[0]] == nil { sitesOfLayer[layer, default: []].append(site) }
        for module in modules { siteOfModule[module] = site }
        builder.add(site: site, rows: inputs)
    }
}

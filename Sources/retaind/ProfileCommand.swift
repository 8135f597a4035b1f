import ArgumentParser
import Calibration
import Foundation
import Model
import Retention
import SafeTensors

/// `retaind profile`: work with retain profiles.
struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Build and inspect retain profiles.",
        subcommands: [Build.self, Inspect.self]
    )

    /// `retaind profile build`: a profile captured natively, no Python needed.
    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Capture a retain (or forget) profile by running the base on a proxy.",
            discussion: """
                Same result as tools/capture_profile.py for Llama-family bases: at the input of \
                every linear module of the decoder layers, F64 statistics of the proxy's \
                activations; modules reading one input share a site; each site keeps its \
                leading eigen-directions by energy, between --min-rank and --max-rank; the \
                base's reference figures ‖W0 Fᵀ‖² and ‖W0 μ‖ are stored too (version 2). The \
                proxy is JSONL with "ids" (or "text", with the base's tokenizer). Exits 1 with \
                the reason when the base or proxy cannot be used.
                """
        )

        @Option(help: "The base checkpoint (Llama-family, full or sharded).")
        var base: String

        @Option(help: "The proxy: JSONL with \"ids\" (token ids) or \"text\" per row.")
        var proxy: String

        @Option(help: "Where to write the *.profile.safetensors file.")
        var out: String

        @Option(help: "At most this many proxy tokens.")
        var maxTokens = 65536

        @Option(help: "Window length: sequences are cut into windows of this many tokens.")
        var seqLen = 128

        @Option(help: "Keep leading directions until this share of the energy.")
        var energy = 0.999

        @Option(help: "At least this many directions per site.")
        var minRank = 16

        @Option(help: "At most this many directions per site.")
        var maxRank = 256

        func validate() throws {
            guard maxTokens > 0, seqLen > 0 else { throw ValidationError("--max-tokens and --seq-len must be positive") }
            guard energy > 0, energy <= 1 else { throw ValidationError("--energy must be in (0, 1]") }
            guard minRank >= 1, maxRank >= minRank else { throw ValidationError("need 1 ≤ --min-rank ≤ --max-rank") }
        }

        func run() throws {
            let model = try LlamaModel(directory: base)
            let windows = try ProfileCapture.readProxy(proxy, seqLen: seqLen, maxTokens: maxTokens,
                                                       tokenize: BPETokenizer.lazyEncoder(directory: base))
            let profile = try ProfileCapture.build(model: model, proxy: windows,
                                                   policy: RankPolicy(energy: energy, minRank: minRank, maxRank: maxRank))
            // Version 2: the base's reference figures stored beside the statistics, so a
            // one-shot drift computes only ΔFᵀ (docs/spec.md §2.4).
            let reference = try Drift.computeReference(base: Checkpoint.open(base), profile: profile)
            try profile.storingReferences(reference).write(to: out)
            Output.error("\(out): \(profile.sites.count) sites, \(profile.modules.count) modules, \(profile.tokens) tokens")
            for name in profile.sites.keys.sorted() {
                let site = profile.sites[name]!
                let flag = site.energyKept < 0.9 ? "  (max_rank cut it below 0.9)" : ""
                Output.error(String(format: "  %@: k=%d d=%d energy kept %.4f%@", name, site.rank, site.dimension, site.energyKept, flag))
            }
        }
    }

    /// `retaind profile inspect FILE`.
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a profile and print its sites, ranks and the energy each keeps.",
            discussion: "Warns where max_rank cut a site's kept energy below 0.9. Exits 1 when the file is not a valid profile."
        )

        @Argument(help: "A *.profile.safetensors file.")
        var path: String

        @Flag(help: "Print JSON instead of a table.")
        var json = false

        struct Site: Encodable {
            let site: String
            let k: Int
            let d: Int
            let energy_kept: Double
            let trace: Double
            let tail: Double
            let modules: [String]
        }

        struct Report: Encodable {
            let path: String
            let tokens: Int
            let base_fingerprint: String
            let proxy_fingerprint: String
            let modules: Int
            let sites: [Site]
        }

        func run() throws {
            let profile = try RetainProfile.read(path)
            let sites = profile.sites.keys.sorted().map { name -> Site in
                let s = profile.sites[name]!
                return Site(site: name, k: s.rank, d: s.dimension, energy_kept: s.energyKept, trace: s.trace, tail: Double(s.tail),
                            modules: profile.moduleNames.filter { profile.modules[$0]!.site == name })
            }
            let report = Report(path: path, tokens: profile.tokens, base_fingerprint: profile.baseFingerprint,
                                proxy_fingerprint: profile.proxyFingerprint, modules: profile.modules.count, sites: sites)
            if json {
                try Output.printJSON(report)
                return
            }
            print("profile     \(path)")
            print("base        \(profile.baseFingerprint)")
            print("proxy       \(profile.proxyFingerprint)")
            print("tokens      \(Output.grouped(profile.tokens))")
            print("modules     \(profile.modules.count) in \(sites.count) sites")
            print("")
            let width = max(4, sites.map(\.site.count).max() ?? 4)
            print("site".padding(toLength: width, withPad: " ", startingAt: 0) + "     k      d  energy kept")
            for s in sites {
                let flag = s.energy_kept < 0.9 ? "  (max_rank cut it below 0.9)" : ""
                print(s.site.padding(toLength: width, withPad: " ", startingAt: 0)
                      + String(format: "%6d %6d  %.4f", s.k, s.d, s.energy_kept) + flag)
            }
            let cut = sites.filter { $0.energy_kept < 0.9 }.count
            if cut > 0 {
                Output.error("warning: \(cut) of \(sites.count) sites keep less than 0.9 of their energy; drift there is a lower bound (see energy_upper)")
            }
        }
    }
}

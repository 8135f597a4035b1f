import ArgumentParser
import Foundation
import Retention

/// `retaind profile`: work with retain profiles.
struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Inspect retain profiles.",
        subcommands: [Inspect.self]
    )

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
            let profile: RetainProfile
            do { profile = try RetainProfile.read(path) } catch {
                Output.error("error: \(error)")
                throw ExitCode(1)
            }
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

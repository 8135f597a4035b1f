import Daemon
import Foundation
import Retention
import Testing

/// The TOML configuration: defaults, paths, and errors that name the key and line.
struct ConfigurationTests {
    static let minimal = """
        [store]
        database = "/var/lib/retaind/history.sqlite"

        [[watch]]
        name = "runs"
        dirs = ["/srv/runs"]
        base = "/srv/base"
        retain_profile = "/srv/retain.profile.safetensors"

        [watch.gate]
        threshold = 0.0015
        """

    /// The minimal file's `[[watch]]` block alone, to append a second watch.
    static var watchBlock: String { minimal.components(separatedBy: "\n").dropFirst(3).joined(separator: "\n") }

    func parse(_ text: String) throws(ConfigurationError) -> Configuration {
        try Configuration.parse(text, path: "/etc/retaind/retaind.toml")
    }

    func error(_ text: String) -> ConfigurationError? {
        do { _ = try parse(text); return nil } catch { return error }
    }

    @Test func minimalFile_getsDocumentedDefaults() throws {
        let config = try parse(Self.minimal)
        #expect(config.store.outputRoot == "/var/lib/retaind/restored")
        #expect(config.store.keepDays == 90)
        let watch = try #require(config.watches.first)
        #expect(watch.pattern == "checkpoint-*")
        #expect(watch.settleSeconds == 10 && watch.rescanSeconds == 60 && watch.stalledSeconds == 600)
        #expect(watch.completionMarker == .auto)
        #expect(watch.forgetProfile == nil)
        #expect(watch.restore.enabled && watch.restore.options == RestoreOptions())
    }

    @Test func metricsTextfile_isOptional_mustEndInProm_andTakesRelativePaths() throws {
        #expect(try parse(Self.minimal).metrics.textfile == nil)
        let config = try parse(Self.minimal + "\n[metrics]\ntextfile = \"prom/retaind.prom\"\n")
        #expect(config.metrics.textfile == "/etc/retaind/prom/retaind.prom")
        let wrong = error(Self.minimal + "\n[metrics]\ntextfile = \"/var/lib/node/retaind.txt\"\n")
        #expect(wrong?.description.contains("metrics.textfile: must name a file ending in .prom") == true, "\(String(describing: wrong))")
        let typo = error(Self.minimal + "\n[metrics]\ntextfiel = \"/x.prom\"\n")
        #expect(typo?.description.contains("metrics.textfiel: unknown key") == true, "\(String(describing: typo))")
    }

    @Test func shippedExample_parses() throws {
        let path = Self.repository + "/config/retaind.toml"
        let config = try Configuration.load(path: path)
        #expect(config.watches.map(\.name) == ["tofu-runs"])
        #expect(config.watches[0].forgetProfile != nil)
        #expect(config.watches[0].gate.threshold == 0.0015)
        #expect(config.watches[0].restore.options.alpha == 10 && config.watches[0].restore.options.gamma == 10)
    }

    @Test func relativePaths_areTakenFromTheFilesDirectory() throws {
        let config = try parse(Self.minimal.replacingOccurrences(of: "\"/srv/base\"", with: "\"../models/base\""))
        #expect(config.watches[0].base == "/etc/models/base")
    }

    @Test func unknownKey_isAnErrorWithKeyAndLine() {
        let text = Self.minimal.replacingOccurrences(of: "threshold = 0.0015", with: "threshold = 0.0015\ntreshold = 0.002")
        let error = error(text)
        #expect(error?.key == "watch[0].gate.treshold")
        #expect(error?.line == 12)
        #expect(error?.description == "/etc/retaind/retaind.toml:12: watch[0].gate.treshold: unknown key")
    }

    @Test func wrongType_isAnErrorWithKeyAndLine() {
        let error = error(Self.minimal.replacingOccurrences(of: "threshold = 0.0015", with: "threshold = \"high\""))
        #expect(error?.key == "watch[0].gate.threshold")
        #expect(error?.line == 11)
        #expect(error?.message.contains("must be a number, not a string") == true)
    }

    @Test func secondWatch_errorsPointIntoIt() {
        let second = Self.watchBlock.replacingOccurrences(of: "\"runs\"", with: "\"more\"")
            .replacingOccurrences(of: "dirs = [\"/srv/runs\"]", with: "dirs = 5")
        let error = error(Self.minimal + "\n" + second)
        #expect(error?.key == "watch[1].dirs")
        #expect(error?.line == 14)
    }

    @Test func missingRequired_namesTheKey() {
        #expect(error(Self.minimal.replacingOccurrences(of: "base = \"/srv/base\"\n", with: ""))?.key == "watch[0].base")
        #expect(error(Self.minimal.replacingOccurrences(of: "threshold = 0.0015", with: ""))?.key == "watch[0].gate.threshold")
        #expect(error("[store]\n")?.key == "watch")
    }

    @Test func conflictingAndOutOfRangeValues_areRefused() {
        let both = Self.minimal + "\n[watch.restore]\nalpha = 10\ntarget_drift = 0.0005\n"
        #expect(error(both)?.key == "watch[0].restore.target_drift")
        #expect(error(Self.minimal + "\n[watch.restore]\nalpha = -1\n")?.message == "must be greater than 0")
        #expect(error(Self.minimal + "\n[watch.restore]\noutput_dtype = \"bf16\"\n")?.key == "watch[0].restore.output_dtype")
        #expect(error(Self.minimal.replacingOccurrences(of: "name = \"runs\"", with: "name = \"a/b\""))?.key == "watch[0].name")
        let duplicate = Self.minimal + "\n" + Self.watchBlock
        #expect(error(duplicate)?.message.contains("used by another watch") == true)
    }

    @Test func syntaxError_givesTheLine() {
        let error = error("[store]\ndatabase = \n")
        #expect(error?.line == 2)
        #expect(error?.message.hasPrefix("not valid TOML") == true)
    }

    @Test func completionMarker_values() throws {
        func marker(_ value: String) throws -> Configuration.CompletionMarker {
            try parse(Self.minimal.replacingOccurrences(of: "[watch.gate]", with: "completion_marker = \(value)\n[watch.gate]")).watches[0].completionMarker
        }
        #expect(try marker("\"\"") == .none)
        #expect(try marker("\"auto\"") == .auto)
        #expect(try marker("\"DONE\"") == .file("DONE"))
    }

    static let repository: String = {
        var url = URL(fileURLWithPath: #filePath)
        while !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { url.deleteLastPathComponent() }
        return url.path
    }()
}

/// `restore.tune`'s keys: the data that choose, the budget, and what each refuses.
struct TuneConfigurationTests {
    static let tuned = ConfigurationTests.minimal.replacingOccurrences(
        of: "retain_profile = \"/srv/retain.profile.safetensors\"",
        with: "retain_profile = \"/srv/retain.profile.safetensors\"\nforget_profile = \"/srv/forget.profile.safetensors\"") + """

        [watch.verify]
        retain_eval = "/srv/heldout/retain.jsonl"
        forget_eval = "/srv/heldout/forget.jsonl"
        [watch.restore]
        tune = true

        """

    func error(_ text: String) -> String {
        do { _ = try Configuration.parse(text, path: "/etc/retaind/retaind.toml"); return "" } catch { return error.description }
    }

    @Test func defaults_chooseOnTheVerifyData_andSayWhyThatIsWeak() throws {
        let watch = try Configuration.parse(Self.tuned, path: "/etc/retaind/retaind.toml").watches[0]
        let tune = try #require(watch.restore.tune)
        #expect(tune.alphas == [1, 10, 100] && tune.gammas == [1, 10, 100])
        #expect(tune.evaluations == 15 && tune.tokens == 4096 && tune.retainPPLTolerance == 1.05)
        #expect(tune.choosesOnVerifyData)
        #expect(watch.warnings.contains { $0.message.contains("set tune_retain_data and tune_forget_data") })
    }

    @Test func tuningData_isReadWithItsBudget_relativeToTheFile() throws {
        let text = Self.tuned + """
            tune_retain_data = "proxies/retain.jsonl"
            tune_forget_data = "/srv/proxies/forget.jsonl"
            tune_evaluations = 21
            tune_tokens = 8192
            """
        let watch = try Configuration.parse(text, path: "/etc/retaind/retaind.toml").watches[0]
        let tune = try #require(watch.restore.tune)
        #expect(tune.retainData == "/etc/retaind/proxies/retain.jsonl" && tune.forgetData == "/srv/proxies/forget.jsonl")
        #expect(tune.evaluations == 21 && tune.tokens == 8192 && !tune.choosesOnVerifyData)
        #expect(!watch.warnings.contains { $0.message.contains("tune_retain_data") })
    }

    @Test func halfTheTuningData_aBudgetUnderTheGrid_andKeysWithoutTune_areRefused() {
        #expect(error(Self.tuned + "tune_retain_data = \"/srv/r.jsonl\"\n").contains("needs tune_retain_data and tune_forget_data together"))
        #expect(error(Self.tuned + "tune_evaluations = 8\n").contains("at least 9, the grid's size"))
        #expect(error(Self.tuned + "tune_evaluations = 9.5\n").contains("tune_evaluations"))
        #expect(error(Self.tuned + "tune_tokens = 100.5\n").contains("tune_tokens: must be an integer"))
        let untuned = Self.tuned.replacingOccurrences(of: "tune = true", with: "tune = false")
        #expect(error(untuned + "tune_evaluations = 20\n").contains("only applies with tune = true"))
        #expect(error(untuned + "tune_forget_data = \"/srv/f.jsonl\"\n").contains("only applies with tune = true"))
    }

    @Test func bigGrid_raisesTheDefaultBudgetToTheGrid() throws {
        let text = Self.tuned + "tune_alphas = [1, 3, 10, 30, 100]\ntune_gammas = [1, 3, 10, 30]\n"
        #expect(try Configuration.parse(text, path: "/etc/retaind/retaind.toml").watches[0].restore.tune?.evaluations == 20)
    }
}

import CentralHistory
import Foundation
import Retention
import TOMLKit

extension Configuration {
    /// The default location, overridden by `$RETAIND_CONFIG`.
    public static var defaultPath: String {
        ProcessInfo.processInfo.environment["RETAIND_CONFIG"].flatMap { $0.isEmpty ? nil : $0 } ?? "/etc/retaind/retaind.toml"
    }

    /// Reads and checks the file at `path`.
    ///
    /// Unknown keys and wrong types are errors naming the key and its line, so a typo
    /// (`treshold`) never silently falls back to a default. Relative paths in the file
    /// are resolved against the file's directory.
    public static func load(path: String) throws(ConfigurationError) -> Configuration {
        let source: String
        do {
            source = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(file: path, message: "cannot read: \((error as NSError).localizedDescription)")
        }
        return try parse(source, path: path)
    }

    /// Parses TOML `source` as if read from `path`.
    public static func parse(_ source: String, path: String) throws(ConfigurationError) -> Configuration {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: source)
        } catch let error as TOMLParseError {
            throw ConfigurationError(file: path, line: error.source.begin.line, message: "not valid TOML: \(error.description)")
        } catch {
            throw ConfigurationError(file: path, message: "not valid TOML: \(error)")
        }
        let reader = TOMLTableReader(table: root, path: "", context: .init(file: path, lines: TOMLKeyLines(source: source),
                                                                        directory: (LexicalPath.normalized(path, relativeTo: FileManager.default.currentDirectoryPath) as NSString).deletingLastPathComponent))
        return try reader.configuration(path: path)
    }
}

/// The schema: which keys each table has, their defaults and ranges, and the rules
/// between them.
extension TOMLTableReader {
    func configuration(path file: String) throws(ConfigurationError) -> Configuration {
        guard let storeTable = try table("store") else { throw error("store", "is required ([store] with database = \"…\")") }
        let store = try storeTable.store()
        let watchTables = try tables("watch")
        guard !watchTables.isEmpty else { throw error("watch", "at least one [[watch]] is required") }
        var watches: [Configuration.Watch] = []
        for reader in watchTables {
            let watch = try reader.watch()
            if watches.contains(where: { $0.name == watch.name }) {
                throw reader.error("name", "“\(watch.name)” is used by another watch; names key the history and output paths")
            }
            watches.append(watch)
        }
        let metrics = try table("metrics")?.metrics() ?? Configuration.Metrics()
        try rejectUnknownKeys()
        return Configuration(path: file, store: store, watches: watches, metrics: metrics)
    }

    fileprivate func metrics() throws(ConfigurationError) -> Configuration.Metrics {
        let textfile = try path("textfile", required: false)
        if let textfile, !textfile.hasSuffix(".prom") || textfile.hasSuffix("/.prom") {
            throw error("textfile", "must name a file ending in .prom (node_exporter's textfile collector reads only those)")
        }
        try rejectUnknownKeys()
        return Configuration.Metrics(textfile: textfile)
    }

    fileprivate func store() throws(ConfigurationError) -> Configuration.Store {
        let database = try path("database", required: false) ?? "/var/lib/retaind/history.sqlite"
        let outputRoot = try path("output_root", required: false)
            ?? ((database as NSString).deletingLastPathComponent as NSString).appendingPathComponent("restored")
        let keepDays = try number("keep_days", default: 90, minimum: 0)!
        let attempts = try number("retry_attempts", default: 5, minimum: 1)!
        guard attempts == attempts.rounded() else { throw error("retry_attempts", "must be an integer") }
        let retrySeconds = try number("retry_seconds", default: 60, positive: true)!
        let central = try table("central")?.central()
        try rejectUnknownKeys()
        return Configuration.Store(database: database, outputRoot: outputRoot, keepDays: keepDays, retryAttempts: Int(attempts),
                                   retrySeconds: retrySeconds, central: central)
    }

    fileprivate func central() throws(ConfigurationError) -> CentralSettings {
        if value("password") != nil {
            throw error("password", "is not read from the configuration: put the password in a file and name it with password_file (systemd LoadCredential=)")
        }
        let url = try requiredString("url")
        let passwordFile = try path("password_file", required: false)
        let tlsName = try string("tls") ?? CentralSettings.TLSMode.verifyFull.rawValue
        guard let tls = CentralSettings.TLSMode(rawValue: tlsName) else {
            throw error("tls", "must be one of \(CentralSettings.TLSMode.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))")
        }
        let caFile = try path("ca_file", required: false)
        let timeout = try number("timeout_seconds", default: 30, positive: true)!
        let host = try string("host")
        if let host, host.isEmpty || host.contains(where: { $0.isNewline || $0.asciiValue.map { $0 < 32 } == true }) {
            throw error("host", "must be a non-empty name without control characters")
        }
        try rejectUnknownKeys()
        do {
            var settings = try CentralSettings(url: url, passwordFile: passwordFile, tls: tls, caFile: caFile, host: host)
            settings.timeoutSeconds = timeout
            return settings
        } catch {
            throw self.error("url", error.message)
        }
    }

    fileprivate func watch() throws(ConfigurationError) -> Configuration.Watch {
        let name = try requiredString("name")
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }), name != ".", name != ".." else {
            throw error("name", "may hold only letters, digits, “-”, “_” and “.” (it names a directory under output_root)")
        }
        var dirs: [String] = []
        for dir in try strings("dirs") {
            dirs.append(LexicalPath.normalized(dir, relativeTo: context.directory))
        }
        let pattern = try string("pattern") ?? "checkpoint-*"
        guard !pattern.isEmpty, !pattern.hasPrefix("/"), !pattern.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) else {
            throw error("pattern", "must be a relative glob such as \"checkpoint-*\" or \"*/checkpoint-*\"")
        }
        let base = try path("base", required: true)!
        let retain = try path("retain_profile", required: true)!
        let forget = try path("forget_profile", required: false)
        let settle = try number("settle_seconds", default: 10, minimum: 0)!
        let rescan = try number("rescan_seconds", default: 60, positive: true)!
        let stalled = try number("stalled_seconds", default: 600, positive: true)!
        let marker: Configuration.CompletionMarker
        switch try string("completion_marker") {
        case nil, "auto": marker = .auto
        case "": marker = .none
        case let name?:
            guard !name.contains("/") else { throw error("completion_marker", "must be a file name inside the checkpoint") }
            marker = .file(name)
        }
        guard let gateReader = try table("gate") else { throw error("gate", "is required ([watch.gate] with threshold = …)") }
        let gate = try gateReader.gate()
        var restore = try table("restore")?.restore() ?? Configuration.RestoreSettings(enabled: true, options: RestoreOptions())
        if forget == nil, var tune = restore.tune {
            tune.gammas = [0]  // γ only matters with a forget profile
            restore.tune = tune
        }
        let verify = try table("verify")?.verify()
        if restore.tune != nil, verify?.retainEval == nil || verify?.forgetEval == nil {
            throw error("restore.tune", "needs [watch.verify] with retain_eval and forget_eval: the chosen setting is verified on them")
        }
        if gate.retainPPLRatio != nil, verify?.retainEval == nil {
            throw gateReader.error("retain_ppl_ratio", "needs [watch.verify] retain_eval: the data the perplexity is measured on")
        }
        try rejectUnknownKeys()
        return Configuration.Watch(name: name, dirs: dirs, pattern: pattern, base: base, retainProfile: retain, forgetProfile: forget,
                                   settleSeconds: settle, rescanSeconds: rescan, stalledSeconds: stalled, completionMarker: marker,
                                   gate: gate, restore: restore, verify: verify)
    }

    fileprivate func gate() throws(ConfigurationError) -> Configuration.Gate {
        let threshold = try number("threshold", default: nil, minimum: 0)
        guard let threshold else { throw error("threshold", "is required (the drift of docs/spec.md §3, around 1e-3 for LLMs)") }
        let thresholdMax = try number("threshold_max", default: nil, minimum: 0)
        let ratio = try number("retain_ppl_ratio", default: nil, positive: true)
        try rejectUnknownKeys()
        return Configuration.Gate(threshold: threshold, thresholdMax: thresholdMax, retainPPLRatio: ratio)
    }

    fileprivate func verify() throws(ConfigurationError) -> Configuration.Verify {
        let retain = try path("retain_eval", required: false)
        let forget = try path("forget_eval", required: false)
        guard retain != nil || forget != nil else { throw error(nil, "names neither retain_eval nor forget_eval") }
        let seqLength = try number("seq_len", default: 128, minimum: 2)!
        guard seqLength == seqLength.rounded() else { throw error("seq_len", "must be an integer") }
        try rejectUnknownKeys()
        return Configuration.Verify(retainEval: retain, forgetEval: forget, seqLength: Int(seqLength))
    }

    fileprivate func restore() throws(ConfigurationError) -> Configuration.RestoreSettings {
        let enabled = try bool("enabled", default: true)
        var options = RestoreOptions()
        let alpha = try number("alpha", default: nil, positive: true)
        let target = try number("target_drift", default: nil, minimum: 0)
        if alpha != nil, target != nil { throw error("target_drift", "set either alpha or target_drift, not both") }
        if let alpha { options.alpha = alpha }
        options.targetDrift = target
        options.gamma = try number("gamma", default: options.gamma, minimum: 0)!
        if let dtype = try string("output_dtype") {
            guard let parsed = RestoreOptions.OutputDType(rawValue: dtype) else {
                throw error("output_dtype", "must be \"auto\", \"source\" or \"float32\", not \"\(dtype)\"")
            }
            options.outputDType = parsed
        }
        var tune: Configuration.Tune? = nil
        if try bool("tune", default: false) {
            if target != nil { throw error("tune", "tunes α itself; remove target_drift") }
            var settings = Configuration.Tune(alphas: try numbers("tune_alphas", default: [1, 10, 100]),
                                              gammas: try numbers("tune_gammas", default: [1, 10, 100]),
                                              retainPPLTolerance: try number("retain_ppl_tolerance", default: 1.05, minimum: 1)!)
            settings.retainData = try path("tune_retain_data", required: false)
            settings.forgetData = try path("tune_forget_data", required: false)
            if (settings.retainData == nil) != (settings.forgetData == nil) {
                throw error(settings.retainData == nil ? "tune_forget_data" : "tune_retain_data",
                            "needs tune_retain_data and tune_forget_data together: the retain and forget proxies choose")
            }
            let grid = settings.alphas.count * settings.gammas.count
            let evaluations = try number("tune_evaluations", default: Double(max(15, grid)), minimum: 1)!
            guard evaluations == evaluations.rounded(), Int(evaluations) >= grid else {
                throw error("tune_evaluations", "must be an integer of at least \(grid), the grid's size (tune_alphas × tune_gammas)")
            }
            settings.evaluations = Int(evaluations)
            let tokens = try number("tune_tokens", default: 4096, minimum: 2)!
            guard tokens == tokens.rounded() else { throw error("tune_tokens", "must be an integer") }
            settings.tokens = Int(tokens)
            tune = settings
        } else {
            for key in ["tune_alphas", "tune_gammas", "retain_ppl_tolerance", "tune_retain_data", "tune_forget_data",
                        "tune_evaluations", "tune_tokens"] where table[key] != nil {
                throw error(key, "only applies with tune = true")
            }
        }
        let minForgetKept = try number("min_forget_kept", default: 0.9, minimum: 0)!
        try rejectUnknownKeys()
        var settings = Configuration.RestoreSettings(enabled: enabled, options: options, tune: tune)
        settings.minForgetKept = minForgetKept
        return settings
    }
}

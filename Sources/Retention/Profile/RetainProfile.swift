import Linalg
import SafeTensors

/// A retain (or forget) profile: per-site statistics of a proxy's activations on the
/// base model, and which weights read which site (docs/spec.md §2).
///
/// It names the base it was captured on (`baseFingerprint`), so a daemon handed a
/// profile of another base refuses it instead of computing nonsense.
public struct RetainProfile: Sendable {
    public static let format = "retain-profile"
    /// The version written: 2 when the file stores the base's reference figures
    /// (docs/spec.md §2.4), else 1, which every reader understands.
    public static let version = "1"
    /// Versions read: 1, and 2 (1 plus optional per-module reference tensors).
    public static let readableVersions: Set<String> = ["1", "2"]

    /// Profiled modules by weight name.
    public let modules: [String: ProfiledModule]
    /// Sites by name.
    public let sites: [String: SiteProfile]
    /// `n`: activation rows the statistics were computed from.
    public let tokens: Int
    /// docs/spec.md §6 fingerprint of the base the activations came from.
    public let baseFingerprint: String
    /// sha256 of the proxy's bytes as read.
    public let proxyFingerprint: String
    /// `R = ‖W0 Fᵀ‖²` and `‖W0 μ‖` of every profiled module, stored at build time
    /// (version 2), so a drift pass computes only `ΔFᵀ`; empty when the file has none
    /// (or not for every module).
    let references: [String: ModuleReference]

    public init(modules: [ProfiledModule], sites: [SiteProfile], tokens: Int, baseFingerprint: String, proxyFingerprint: String) {
        self.init(modules: modules, sites: sites, tokens: tokens, baseFingerprint: baseFingerprint,
                  proxyFingerprint: proxyFingerprint, references: [:])
    }

    init(modules: [ProfiledModule], sites: [SiteProfile], tokens: Int, baseFingerprint: String, proxyFingerprint: String,
         references: [String: ModuleReference]) {
        self.modules = Dictionary(uniqueKeysWithValues: modules.map { ($0.weight, $0) })
        self.sites = Dictionary(uniqueKeysWithValues: sites.map { ($0.name, $0) })
        self.tokens = tokens
        self.baseFingerprint = baseFingerprint
        self.proxyFingerprint = proxyFingerprint
        self.references = modules.allSatisfy { references[$0.weight] != nil } ? references : [:]
    }

    /// Whether the file stores every module's reference figures (a version 2 profile
    /// written by `retaind profile build` or tools/capture_profile.py).
    public var hasReferences: Bool { !references.isEmpty }

    /// This profile with `reference`'s figures stored, to be written as version 2, so
    /// that drift against its base computes only `ΔFᵀ`. `reference` must be of the base
    /// the profile names (``Drift/computeReference(base:profile:)`` checks that).
    public func storingReferences(_ reference: BaseReference) -> RetainProfile {
        precondition(reference.fingerprint == baseFingerprint, "references of another base")
        return RetainProfile(modules: Array(modules.values), sites: Array(sites.values), tokens: tokens, baseFingerprint: baseFingerprint,
                             proxyFingerprint: proxyFingerprint, references: reference.modules)
    }

    /// The stored reference figures as a ``BaseReference`` for the base whose fingerprint
    /// is `baseFingerprint`, or nil when the file has none.
    func storedReference() -> BaseReference? {
        hasReferences ? BaseReference(fingerprint: baseFingerprint, modules: references) : nil
    }

    /// Suffixes of a module's reference tensors in a version 2 file.
    static let referenceEnergySuffix = ".reference_energy", referenceMeanNormSuffix = ".reference_mean_norm"

    /// Module weight names in byte-wise order (the order every report lists them in).
    public var moduleNames: [String] {
        modules.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// The site module `weight` reads.
    public func site(of weight: String) -> SiteProfile? {
        modules[weight].flatMap { sites[$0.site] }
    }
}

extension RetainProfile {
    /// Reads and validates a `*.profile.safetensors` file.
    public static func read(_ path: String) throws(ProfileError) -> RetainProfile {
        func fail(_ reason: ProfileError.Reason) -> ProfileError { ProfileError(path: path, reason: reason) }
        let file: SafeTensorsFile
        do { file = try SafeTensorsFile(path: path) } catch { throw fail(.file(error)) }
        let meta = file.metadata
        guard meta["format"] == format else { throw fail(.notAProfile(format: meta["format"])) }
        guard let fileVersion = meta["version"], readableVersions.contains(fileVersion) else {
            throw fail(.unsupportedVersion(meta["version"] ?? "(missing)"))
        }
        guard let modulesText = meta["modules"] else { throw fail(.invalidMetadata(key: "modules", detail: "missing")) }
        let modulesJSON: JSONValue
        do { modulesJSON = try JSONParser.parse(Array(modulesText.utf8)) } catch {
            throw fail(.invalidMetadata(key: "modules", detail: "not valid JSON: \(error)"))
        }
        guard let moduleMap = modulesJSON.object, moduleMap.count > 0 else {
            throw fail(.invalidMetadata(key: "modules", detail: "must be a non-empty JSON object"))
        }
        var modules: [ProfiledModule] = []
        for (weight, value) in moduleMap.members {
            guard let entry = value.object, let site = entry["site"]?.string else {
                throw fail(.invalidMetadata(key: "modules", detail: "entry \"\(weight)\" needs a \"site\" string"))
            }
            let layoutText = entry["layout"]?.string ?? WeightLayout.outIn.rawValue
            guard let layout = WeightLayout(rawValue: layoutText) else {
                throw fail(.invalidMetadata(key: "modules", detail: "entry \"\(weight)\" has layout \"\(layoutText)\"; expected out_in or in_out"))
            }
            modules.append(ProfiledModule(weight: weight, site: site, layout: layout))
        }
        guard let tokens = meta["tokens"].flatMap({ Int($0) }), tokens > 0 else {
            throw fail(.invalidMetadata(key: "tokens", detail: "must be a positive integer"))
        }
        guard let base = meta["base_fingerprint"], base.count == 64 else {
            throw fail(.invalidMetadata(key: "base_fingerprint", detail: "must be a 64-digit sha256"))
        }
        let proxy = meta["proxy_fingerprint"] ?? ""

        var sites: [String: SiteProfile] = [:]
        for module in modules where sites[module.site] == nil {
            sites[module.site] = try readSite(module.site, module: module.weight, from: file, fail: fail)
        }
        var references: [String: ModuleReference] = [:]
        if fileVersion != "1" {
            for module in modules {
                if let reference = try readReference(module.weight, from: file, fail: fail) { references[module.weight] = reference }
            }
        }
        return RetainProfile(modules: modules, sites: Array(sites.values), tokens: tokens,
                             baseFingerprint: base, proxyFingerprint: proxy, references: references)
    }

    /// A module's `M.reference_energy` and `M.reference_mean_norm` (F64 `[1]`, finite,
    /// ≥ 0), nil when it has neither; one without the other is an error.
    private static func readReference(_ weight: String, from file: SafeTensorsFile,
                                      fail: (ProfileError.Reason) -> ProfileError) throws(ProfileError) -> ModuleReference? {
        let energyName = weight + referenceEnergySuffix, meanName = weight + referenceMeanNormSuffix
        let energyInfo = file.tensor(named: energyName), meanInfo = file.tensor(named: meanName)
        guard energyInfo != nil || meanInfo != nil else { return nil }
        guard let energyInfo else { throw fail(.missingTensor(energyName)) }
        guard let meanInfo else { throw fail(.missingTensor(meanName)) }
        func scalar(_ t: TensorInfo) throws(ProfileError) -> Double {
            guard t.elementCount == 1 else { throw fail(.invalidShape(tensor: t.name, detail: "shape [\(t.shapeText)] is not [1]")) }
            let value: Double
            do {
                value = t.dtype == .f64 ? try file.bytes(of: t).withUnsafeBytes { $0.loadUnaligned(as: Double.self) }
                                        : Double(try file.float32Array(t)[0])
            } catch { throw fail(.file(error)) }
            guard value.isFinite else { throw fail(.nonFinite(tensor: t.name)) }
            guard value >= 0 else { throw fail(.negativeReference(tensor: t.name)) }
            return value
        }
        return ModuleReference(energy: try scalar(energyInfo), meanOutputNorm: try scalar(meanInfo))
    }

    private static func readSite(_ site: String, module: String, from file: SafeTensorsFile,
                                 fail: (ProfileError.Reason) -> ProfileError) throws(ProfileError) -> SiteProfile {
        guard let factorsInfo = file.tensor(named: site + ".factors") else { throw fail(.missingSite(site: site, module: module)) }
        func tensor(_ suffix: String) throws(ProfileError) -> TensorInfo {
            guard let t = file.tensor(named: site + suffix) else { throw fail(.missingTensor(site + suffix)) }
            return t
        }
        func values(_ t: TensorInfo) throws(ProfileError) -> [Float] {
            let v: [Float]
            do { v = try file.float32Array(t) } catch { throw fail(.file(error)) }
            guard v.allSatisfy(\.isFinite) else { throw fail(.nonFinite(tensor: t.name)) }
            return v
        }
        let meanInfo = try tensor(".mean"), traceInfo = try tensor(".trace"), tailInfo = try tensor(".tail")
        guard factorsInfo.shape.count == 2 else {
            throw fail(.invalidShape(tensor: factorsInfo.name, detail: "shape [\(factorsInfo.shapeText)] is not [k, d]"))
        }
        let (k, d) = (factorsInfo.shape[0], factorsInfo.shape[1])
        guard k >= 1, d >= 1 else { throw fail(.emptySite(site: site)) }
        guard k <= d else { throw fail(.invalidShape(tensor: factorsInfo.name, detail: "k = \(k) exceeds d = \(d)")) }
        guard meanInfo.shape == [d] else {
            throw fail(.invalidShape(tensor: meanInfo.name, detail: "shape [\(meanInfo.shapeText)] does not match d = \(d)"))
        }
        for t in [traceInfo, tailInfo] where t.elementCount != 1 {
            throw fail(.invalidShape(tensor: t.name, detail: "shape [\(t.shapeText)] is not [1]"))
        }
        let factors = Matrix<Float>(rows: k, cols: d, storage: try values(factorsInfo))
        // The trace is F64 in the file; read it without narrowing.
        let trace: Double
        if traceInfo.dtype == .f64 {
            do { trace = try file.bytes(of: traceInfo).withUnsafeBytes { $0.loadUnaligned(as: Double.self) } } catch { throw fail(.file(error)) }
        } else {
            trace = Double(try values(traceInfo)[0])
        }
        guard trace.isFinite, trace >= 0 else { throw fail(.nonFinite(tensor: traceInfo.name)) }
        let profile = SiteProfile(name: site, factors: factors, mean: try values(meanInfo), trace: trace, tail: try values(tailInfo)[0])
        let energies = profile.eigenvalues
        for i in 1..<max(1, energies.count) where energies[i] > energies[i - 1] * (1 + 1e-4) + 1e-30 {
            throw fail(.unsorted(site: site))
        }
        return profile
    }

    /// Writes the profile as `*.profile.safetensors` (atomically).
    public func write(to path: String) throws {
        let moduleJSON = "{" + moduleNames.map { name -> String in
            let m = modules[name]!
            return JSONWriter.quote(name) + ":{\"site\":" + JSONWriter.quote(m.site) + ",\"layout\":\"" + m.layout.rawValue + "\"}"
        }.joined(separator: ",") + "}"
        let metadata = [
            "format": Self.format, "version": hasReferences ? "2" : Self.version, "modules": moduleJSON, "tokens": String(tokens),
            "base_fingerprint": baseFingerprint, "proxy_fingerprint": proxyFingerprint,
        ]
        let siteNames = sites.keys.sorted()
        var specs: [TensorSpec] = []
        for name in siteNames {
            let s = sites[name]!
            specs += [TensorSpec(name: name + ".factors", dtype: .f32, shape: [s.rank, s.dimension]),
                      TensorSpec(name: name + ".mean", dtype: .f32, shape: [s.dimension]),
                      TensorSpec(name: name + ".trace", dtype: .f64, shape: [1]),
                      TensorSpec(name: name + ".tail", dtype: .f32, shape: [1])]
        }
        let referenced = hasReferences ? moduleNames : []
        for name in referenced {
            specs += [TensorSpec(name: name + Self.referenceEnergySuffix, dtype: .f64, shape: [1]),
                      TensorSpec(name: name + Self.referenceMeanNormSuffix, dtype: .f64, shape: [1])]
        }
        try SafeTensorsWriter.writeAtomically(path: path, tensors: specs, metadata: metadata) { writer in
            for name in siteNames {
                let s = sites[name]!
                try s.factors.storage.withUnsafeBufferPointer { try writer.append($0) }
                try s.mean.withUnsafeBufferPointer { try writer.append($0) }
                try withUnsafeBytes(of: s.trace) { try writer.append($0) }
                try [s.tail].withUnsafeBufferPointer { try writer.append($0) }
            }
            for name in referenced {
                try withUnsafeBytes(of: references[name]!.energy) { try writer.append($0) }
                try withUnsafeBytes(of: references[name]!.meanOutputNorm) { try writer.append($0) }
            }
        }
    }
}

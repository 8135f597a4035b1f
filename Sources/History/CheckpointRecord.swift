import Foundation
import GRDB

/// One checkpoint outcome: a row of `checkpoint`. Column names are docs/spec.md §7's.
///
/// `fingerprint` is nil while processing and for checkpoints that could not be read far
/// enough to hash; `signature` (sizes, mtimes, inodes of the weight files) lets a restart
/// skip what is done without reading the weights again.
public struct CheckpointRecord: Sendable, Codable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "checkpoint"

    public var id: Int64?
    public var path: String
    public var watch: String
    public var signature: String
    public var status: CheckpointStatus
    public var fingerprint: String?
    public var baseFingerprint: String?
    public var drift: Double?
    public var driftMax: Double?
    public var driftMaxModule: String?
    public var threshold: Double?
    public var restoredPath: String?
    public var driftAfter: Double?
    public var forgetKept: Double?
    public var updateKept: Double?
    public var alpha: Double?
    public var gamma: Double?
    public var outputDType: String?
    /// When the watcher found the checkpoint complete.
    public var detectedAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// Seconds spent in the drift pass (which also fingerprints).
    public var driftSeconds: Double?
    /// Seconds spent writing the restored checkpoint.
    public var restoreSeconds: Double?
    /// Why a checkpoint was rejected or failed.
    public var error: String?
    /// Perplexities of `[watch.verify]`: the base's on the retain data, and the
    /// candidate's (before) and restored checkpoint's (after) on retain and forget data.
    public var retainPPLBase: Double?
    public var retainPPLBefore: Double?
    public var retainPPLAfter: Double?
    public var forgetPPLBefore: Double?
    public var forgetPPLAfter: Double?
    /// Why verification could not run (the outcome stands without it).
    public var verifyError: String?
    /// How many times this checkpoint has been attempted (retries of `error` outcomes count).
    public var attempts: Int = 1
    /// When this outcome is to be tried again: set for an `error` with attempts left, or
    /// by `retaind retry`; nil for a final outcome.
    public var retryAt: Date?
    /// With `restore.tune`: the data that chose `α` and `γ` (`retain <path> (<n> tokens);
    /// forget …`), so an operator sees the choice was not made on the data that verified.
    public var tuneData: String?
    /// The `[watch.verify]` data the perplexities were measured on, in the same form.
    public var verifyData: String?
    /// With `restore.tune`: how many settings were evaluated.
    public var tuneEvaluations: Int?
    /// The base's perplexity on `[watch.verify] forget_eval`.
    public var forgetPPLBase: Double?
    /// The share of the candidate's forget effect (log perplexity gain over the base on
    /// `forget_eval`) the restore kept; under `restore.min_forget_kept` the outcome is `flagged`.
    public var forgetEffectKept: Double?

    /// A row for a checkpoint the daemon is about to process.
    public init(path: String, watch: String, signature: String, detectedAt: Date) {
        self.path = path
        self.watch = watch
        self.signature = signature
        self.status = .processing
        self.detectedAt = detectedAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    enum CodingKeys: String, CodingKey {
        case id, path, watch, signature, status, fingerprint
        case baseFingerprint = "base_fingerprint"
        case drift
        case driftMax = "drift_max"
        case driftMaxModule = "drift_max_module"
        case threshold
        case restoredPath = "restored_path"
        case driftAfter = "drift_after"
        case forgetKept = "forget_kept"
        case updateKept = "update_kept"
        case alpha, gamma
        case outputDType = "output_dtype"
        case detectedAt = "detected_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case driftSeconds = "drift_seconds"
        case restoreSeconds = "restore_seconds"
        case error
        case retainPPLBase = "retain_ppl_base"
        case retainPPLBefore = "retain_ppl_before"
        case retainPPLAfter = "retain_ppl_after"
        case forgetPPLBefore = "forget_ppl_before"
        case forgetPPLAfter = "forget_ppl_after"
        case verifyError = "verify_error"
        case attempts
        case retryAt = "retry_at"
        case tuneData = "tune_data"
        case verifyData = "verify_data"
        case tuneEvaluations = "tune_evaluations"
        case forgetPPLBase = "forget_ppl_base"
        case forgetEffectKept = "forget_effect_kept"
    }
}

/// One module's figures for one checkpoint: a row of `module`.
public struct ModuleRecord: Sendable, Codable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "module"

    public var checkpointID: Int64
    public var name: String
    public var site: String
    public var rho: Double
    public var beta: Double
    public var energy: Double
    public var referenceEnergy: Double
    public var energyUpper: Double
    /// After restoration (nil when the checkpoint was not restored).
    public var rhoAfter: Double?
    public var updateKept: Double?
    public var forgetKept: Double?

    /// A module's figures; the after-figures only for restored checkpoints.
    public init(checkpointID: Int64, name: String, site: String, rho: Double, beta: Double, energy: Double,
                referenceEnergy: Double, energyUpper: Double, rhoAfter: Double? = nil, updateKept: Double? = nil,
                forgetKept: Double? = nil) {
        self.checkpointID = checkpointID
        self.name = name
        self.site = site
        self.rho = rho
        self.beta = beta
        self.energy = energy
        self.referenceEnergy = referenceEnergy
        self.energyUpper = energyUpper
        self.rhoAfter = rhoAfter
        self.updateKept = updateKept
        self.forgetKept = forgetKept
    }

    enum CodingKeys: String, CodingKey {
        case checkpointID = "checkpoint_id"
        case name, site, rho, beta, energy
        case referenceEnergy = "reference_energy"
        case energyUpper = "energy_upper"
        case rhoAfter = "rho_after"
        case updateKept = "update_kept"
        case forgetKept = "forget_kept"
    }
}

/// One `(α, γ)` setting tried by `restore.tune` for a checkpoint: a row of `tune_trial`.
public struct TuneTrialRecord: Sendable, Codable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "tune_trial"

    public var checkpointID: Int64
    public var alpha: Double
    public var gamma: Double
    public var driftAfter: Double
    public var forgetKept: Double?
    public var retainPPL: Double
    /// Nil for a setting outside the retain tolerance (not measured: the rule never needs it).
    public var forgetPPL: Double?
    /// The setting that was written.
    public var chosen: Bool
    /// `update_kept` of the setting (nil in rows older than the search).
    public var updateKept: Double?
    /// `grid` or `refine`: which part of the search tried it (nil in older rows).
    public var stage: String?

    /// One tried setting and its measured outcome.
    public init(checkpointID: Int64, alpha: Double, gamma: Double, driftAfter: Double, forgetKept: Double?, retainPPL: Double,
                forgetPPL: Double?, chosen: Bool, updateKept: Double? = nil, stage: String? = nil) {
        self.checkpointID = checkpointID
        self.alpha = alpha
        self.gamma = gamma
        self.driftAfter = driftAfter
        self.forgetKept = forgetKept
        self.retainPPL = retainPPL
        self.forgetPPL = forgetPPL
        self.chosen = chosen
        self.updateKept = updateKept
        self.stage = stage
    }

    enum CodingKeys: String, CodingKey {
        case checkpointID = "checkpoint_id"
        case alpha, gamma
        case driftAfter = "drift_after"
        case forgetKept = "forget_kept"
        case retainPPL = "retain_ppl"
        case forgetPPL = "forget_ppl"
        case chosen
        case updateKept = "update_kept"
        case stage
    }
}

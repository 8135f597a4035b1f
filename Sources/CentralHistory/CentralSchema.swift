import Foundation

/// The central history's tables, by named migrations applied in order, as the local
/// history's are (`retaind_migrations` records which ran).
///
/// Rows are keyed by host, the local history's id and the local row id, so a delivery
/// repeated after a crash or an outage inserts nothing twice. Module and trial rows have
/// no foreign key to their checkpoint row: they arrive in the same transaction, and a
/// foreign-key check planned while the table was empty (a long-lived connection keeps
/// that plan) scanned the whole table for every module row — measured, delivery slowed
/// from 0.9 s to 4 s a batch within 1000 outcomes. The daemon's role needs only
/// INSERT and SELECT; `retaind central migrate` runs as the tables' owner.
public enum CentralSchema {
    /// One named step.
    public struct Migration: Sendable {
        public let name: String
        public let sql: String

        /// The statements of `sql` (each ends with `;` at the end of a line).
        var statements: [String] {
            sql.components(separatedBy: ";\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                .filter { !$0.isEmpty && !$0.split(separator: "\n").allSatisfy { $0.trimmingCharacters(in: .whitespaces).hasPrefix("--") } }
        }
    }

    /// Every step, oldest first; names never change once released.
    public static let migrations: [Migration] = [
        Migration(name: "v1: checkpoints, module figures, tuning trials", sql: """
            CREATE TABLE checkpoint (
                host TEXT NOT NULL,
                history_id TEXT NOT NULL,
                local_id BIGINT NOT NULL,
                -- The order outcomes arrived in; per host it follows the local outbox.
                arrival BIGSERIAL NOT NULL,
                delivered_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                path TEXT NOT NULL,
                watch TEXT NOT NULL,
                signature TEXT NOT NULL,
                status TEXT NOT NULL,
                fingerprint TEXT,
                base_fingerprint TEXT,
                drift DOUBLE PRECISION,
                drift_max DOUBLE PRECISION,
                drift_max_module TEXT,
                threshold DOUBLE PRECISION,
                restored_path TEXT,
                drift_after DOUBLE PRECISION,
                forget_kept DOUBLE PRECISION,
                update_kept DOUBLE PRECISION,
                alpha DOUBLE PRECISION,
                gamma DOUBLE PRECISION,
                output_dtype TEXT,
                detected_at TIMESTAMPTZ NOT NULL,
                started_at TIMESTAMPTZ,
                finished_at TIMESTAMPTZ,
                drift_seconds DOUBLE PRECISION,
                restore_seconds DOUBLE PRECISION,
                error TEXT,
                retain_ppl_base DOUBLE PRECISION,
                retain_ppl_before DOUBLE PRECISION,
                retain_ppl_after DOUBLE PRECISION,
                forget_ppl_before DOUBLE PRECISION,
                forget_ppl_after DOUBLE PRECISION,
                verify_error TEXT,
                attempts INTEGER NOT NULL,
                retry_at TIMESTAMPTZ,
                PRIMARY KEY (host, history_id, local_id)
            );
            CREATE INDEX checkpoint_detected ON checkpoint (detected_at);
            CREATE INDEX checkpoint_host_detected ON checkpoint (host, detected_at);
            CREATE INDEX checkpoint_fingerprint ON checkpoint (fingerprint);
            CREATE TABLE module (
                host TEXT NOT NULL,
                history_id TEXT NOT NULL,
                local_id BIGINT NOT NULL,
                name TEXT NOT NULL,
                site TEXT NOT NULL,
                rho DOUBLE PRECISION NOT NULL,
                beta DOUBLE PRECISION NOT NULL,
                energy DOUBLE PRECISION NOT NULL,
                reference_energy DOUBLE PRECISION NOT NULL,
                energy_upper DOUBLE PRECISION NOT NULL,
                rho_after DOUBLE PRECISION,
                update_kept DOUBLE PRECISION,
                forget_kept DOUBLE PRECISION,
                PRIMARY KEY (host, history_id, local_id, name)
            );
            CREATE TABLE tune_trial (
                host TEXT NOT NULL,
                history_id TEXT NOT NULL,
                local_id BIGINT NOT NULL,
                alpha DOUBLE PRECISION NOT NULL,
                gamma DOUBLE PRECISION NOT NULL,
                drift_after DOUBLE PRECISION NOT NULL,
                forget_kept DOUBLE PRECISION,
                retain_ppl DOUBLE PRECISION NOT NULL,
                forget_ppl DOUBLE PRECISION NOT NULL,
                chosen BOOLEAN NOT NULL,
                PRIMARY KEY (host, history_id, local_id, alpha, gamma)
            );
            """),
        Migration(name: "v2: tuning data and search, forgetting guard", sql: """
            ALTER TABLE checkpoint ADD COLUMN forget_ppl_base DOUBLE PRECISION;
            ALTER TABLE checkpoint ADD COLUMN forget_effect_kept DOUBLE PRECISION;
            ALTER TABLE checkpoint ADD COLUMN tune_data TEXT;
            ALTER TABLE checkpoint ADD COLUMN verify_data TEXT;
            ALTER TABLE checkpoint ADD COLUMN tune_evaluations INTEGER;
            ALTER TABLE tune_trial ADD COLUMN update_kept DOUBLE PRECISION;
            ALTER TABLE tune_trial ADD COLUMN stage TEXT;
            ALTER TABLE tune_trial ALTER COLUMN forget_ppl DROP NOT NULL;
            """),
    ]

    /// The tables and sequences a daemon's role is granted INSERT and SELECT on.
    static let grants = """
        GRANT SELECT, INSERT ON checkpoint, module, tune_trial TO %ROLE%;
        GRANT SELECT ON retaind_migrations TO %ROLE%;
        GRANT USAGE ON SEQUENCE checkpoint_arrival_seq TO %ROLE%;
        """
}

import GRDB

/// The schema's history: every migration by name, applied in order, never edited once
/// released (add a new one instead).
enum HistoryMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: checkpoints and module figures") { db in
            try db.execute(sql: """
                CREATE TABLE checkpoint (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    path TEXT NOT NULL,
                    watch TEXT NOT NULL,
                    signature TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('processing','passed','restored','flagged','rejected','vanished','error')),
                    fingerprint TEXT,
                    base_fingerprint TEXT,
                    drift REAL,
                    drift_max REAL,
                    drift_max_module TEXT,
                    threshold REAL,
                    restored_path TEXT,
                    drift_after REAL,
                    forget_kept REAL,
                    update_kept REAL,
                    alpha REAL,
                    gamma REAL,
                    output_dtype TEXT,
                    detected_at DATETIME NOT NULL,
                    started_at DATETIME,
                    finished_at DATETIME,
                    drift_seconds REAL,
                    restore_seconds REAL,
                    error TEXT
                );
                -- Exactly once: one outcome per path and weights.
                CREATE UNIQUE INDEX checkpoint_path_fingerprint ON checkpoint(path, fingerprint) WHERE fingerprint IS NOT NULL;
                CREATE INDEX checkpoint_path_signature ON checkpoint(path, signature);
                CREATE INDEX checkpoint_fingerprint ON checkpoint(fingerprint);
                CREATE INDEX checkpoint_detected ON checkpoint(detected_at);
                CREATE INDEX checkpoint_watch_status ON checkpoint(watch, status, detected_at);
                CREATE TABLE module (
                    checkpoint_id INTEGER NOT NULL REFERENCES checkpoint(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    site TEXT NOT NULL,
                    rho REAL NOT NULL,
                    beta REAL NOT NULL,
                    energy REAL NOT NULL,
                    reference_energy REAL NOT NULL,
                    energy_upper REAL NOT NULL,
                    rho_after REAL,
                    update_kept REAL,
                    forget_kept REAL,
                    PRIMARY KEY (checkpoint_id, name)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v2: verification perplexities") { db in
            try db.execute(sql: """
                ALTER TABLE checkpoint ADD COLUMN retain_ppl_base REAL;
                ALTER TABLE checkpoint ADD COLUMN retain_ppl_before REAL;
                ALTER TABLE checkpoint ADD COLUMN retain_ppl_after REAL;
                ALTER TABLE checkpoint ADD COLUMN forget_ppl_before REAL;
                ALTER TABLE checkpoint ADD COLUMN forget_ppl_after REAL;
                ALTER TABLE checkpoint ADD COLUMN verify_error TEXT;
                """)
        }
        migrator.registerMigration("v3: tuning trials") { db in
            try db.execute(sql: """
                CREATE TABLE tune_trial (
                    checkpoint_id INTEGER NOT NULL REFERENCES checkpoint(id) ON DELETE CASCADE,
                    alpha REAL NOT NULL,
                    gamma REAL NOT NULL,
                    drift_after REAL NOT NULL,
                    forget_kept REAL,
                    retain_ppl REAL NOT NULL,
                    forget_ppl REAL NOT NULL,
                    chosen INTEGER NOT NULL,
                    PRIMARY KEY (checkpoint_id, alpha, gamma)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v4: unchanged status, pending checkpoints, retries") { db in
            // SQLite cannot alter a CHECK constraint: rebuild the table (its documented
            // procedure; foreign keys are off while the migrator runs), same columns, same order.
            try db.execute(sql: """
                CREATE TABLE checkpoint_v4 (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    path TEXT NOT NULL,
                    watch TEXT NOT NULL,
                    signature TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('processing','passed','restored','flagged','unchanged','rejected','vanished','error')),
                    fingerprint TEXT,
                    base_fingerprint TEXT,
                    drift REAL,
                    drift_max REAL,
                    drift_max_module TEXT,
                    threshold REAL,
                    restored_path TEXT,
                    drift_after REAL,
                    forget_kept REAL,
                    update_kept REAL,
                    alpha REAL,
                    gamma REAL,
                    output_dtype TEXT,
                    detected_at DATETIME NOT NULL,
                    started_at DATETIME,
                    finished_at DATETIME,
                    drift_seconds REAL,
                    restore_seconds REAL,
                    error TEXT,
                    retain_ppl_base REAL,
                    retain_ppl_before REAL,
                    retain_ppl_after REAL,
                    forget_ppl_before REAL,
                    forget_ppl_after REAL,
                    verify_error TEXT
                );
                INSERT INTO checkpoint_v4 SELECT * FROM checkpoint;
                DROP TABLE checkpoint;
                ALTER TABLE checkpoint_v4 RENAME TO checkpoint;
                CREATE UNIQUE INDEX checkpoint_path_fingerprint ON checkpoint(path, fingerprint) WHERE fingerprint IS NOT NULL;
                CREATE INDEX checkpoint_path_signature ON checkpoint(path, signature);
                CREATE INDEX checkpoint_fingerprint ON checkpoint(fingerprint);
                CREATE INDEX checkpoint_detected ON checkpoint(detected_at);
                CREATE INDEX checkpoint_watch_status ON checkpoint(watch, status, detected_at);
                -- Retries: how many times a checkpoint was attempted, and when a retryable
                -- outcome (an `error`, or one an operator asked to redo) is tried again.
                ALTER TABLE checkpoint ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;
                ALTER TABLE checkpoint ADD COLUMN retry_at DATETIME;
                -- Directories that match a watch but are not ready yet, and why: not outcomes,
                -- so not in checkpoint; a row goes when the checkpoint gets one or goes away.
                CREATE TABLE pending (
                    path TEXT PRIMARY KEY,
                    watch TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    first_seen DATETIME NOT NULL,
                    updated_at DATETIME NOT NULL
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v5: outbox for the central history") { db in
            try db.execute(sql: """
                -- Names this database in a central history, with the host: a history file
                -- created anew (its ids restart at 1) never collides with the old one's rows.
                CREATE TABLE replica (history_id TEXT NOT NULL);
                INSERT INTO replica VALUES (lower(hex(randomblob(16))));
                -- Finished outcomes not yet delivered to [store.central], in the order they
                -- were recorded. A row goes when delivered, or with its checkpoint row (an
                -- error outcome replaced by its retry's before delivery is not delivered).
                CREATE TABLE outbox (
                    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                    checkpoint_id INTEGER NOT NULL UNIQUE REFERENCES checkpoint(id) ON DELETE CASCADE,
                    enqueued_at DATETIME NOT NULL
                );
                -- What is already recorded goes out first, once a central history is set.
                INSERT INTO outbox (checkpoint_id, enqueued_at)
                    SELECT id, COALESCE(finished_at, detected_at) FROM checkpoint WHERE status != 'processing' ORDER BY id;
                """)
        }
        migrator.registerMigration("v6: tuning data and search, forgetting guard") { db in
            try db.execute(sql: """
                ALTER TABLE checkpoint ADD COLUMN forget_ppl_base REAL;
                ALTER TABLE checkpoint ADD COLUMN forget_effect_kept REAL;
                ALTER TABLE checkpoint ADD COLUMN tune_data TEXT;
                ALTER TABLE checkpoint ADD COLUMN verify_data TEXT;
                ALTER TABLE checkpoint ADD COLUMN tune_evaluations INTEGER;
                -- forget_ppl becomes optional (settings outside the retain tolerance skip
                -- it): SQLite rebuilds the table for that.
                CREATE TABLE tune_trial_v6 (
                    checkpoint_id INTEGER NOT NULL REFERENCES checkpoint(id) ON DELETE CASCADE,
                    alpha REAL NOT NULL,
                    gamma REAL NOT NULL,
                    drift_after REAL NOT NULL,
                    forget_kept REAL,
                    retain_ppl REAL NOT NULL,
                    forget_ppl REAL,
                    chosen INTEGER NOT NULL,
                    update_kept REAL,
                    stage TEXT,
                    PRIMARY KEY (checkpoint_id, alpha, gamma)
                ) WITHOUT ROWID;
                INSERT INTO tune_trial_v6 (checkpoint_id, alpha, gamma, drift_after, forget_kept, retain_ppl, forget_ppl, chosen)
                    SELECT checkpoint_id, alpha, gamma, drift_after, forget_kept, retain_ppl, forget_ppl, chosen FROM tune_trial;
                DROP TABLE tune_trial;
                ALTER TABLE tune_trial_v6 RENAME TO tune_trial;
                """)
        }
        return migrator
    }
}

//! The embedded SQLite store: one file (WAL mode), schema migrations versioned in code.

use std::path::Path;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use hearth_rules::protocol::PlayerId;
use hearth_rules::{DynLogEntry, Outcome, Payload, Seat};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::store::{
    Account, DeviceSignIn, LogAppend, Role, Standing, Store, StoreError, StoredMatch,
};

/// Marks a SQLite file as Hearth's (`PRAGMA application_id`, "HRTH").
const APPLICATION_ID: i64 = 0x4852_5448;

/// Schema migrations; the database's `user_version` says how many have run.
const MIGRATIONS: &[&str] = &[
    // 1: accounts, tokens, matches with their logs, leaderboards.
    "CREATE TABLE accounts (
        id INTEGER PRIMARY KEY,
        username TEXT UNIQUE COLLATE NOCASE,
        display_name TEXT NOT NULL,
        password_hash TEXT,
        device_id TEXT UNIQUE,
        role TEXT NOT NULL DEFAULT 'player',
        banned INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        last_seen INTEGER NOT NULL
    );
    CREATE TABLE tokens (
        hash BLOB PRIMARY KEY,
        account INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        expires_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE INDEX tokens_account ON tokens(account);
    CREATE TABLE matches (
        id INTEGER PRIMARY KEY,
        room TEXT NOT NULL,
        game TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        config BLOB NOT NULL,
        seed INTEGER NOT NULL,
        seats INTEGER NOT NULL,
        started_at INTEGER NOT NULL,
        ended_at INTEGER,
        status TEXT NOT NULL DEFAULT 'running',
        outcome TEXT,
        hash TEXT,
        ticks INTEGER NOT NULL DEFAULT 0,
        rated INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX matches_status ON matches(status);
    CREATE TABLE match_seats (
        match_id INTEGER NOT NULL REFERENCES matches(id) ON DELETE CASCADE,
        seat INTEGER NOT NULL,
        account INTEGER NOT NULL,
        name TEXT NOT NULL,
        PRIMARY KEY (match_id, seat)
    );
    CREATE INDEX match_seats_account ON match_seats(account);
    CREATE TABLE match_log (
        match_id INTEGER NOT NULL REFERENCES matches(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        tick INTEGER NOT NULL,
        seat INTEGER NOT NULL,
        action BLOB NOT NULL,
        PRIMARY KEY (match_id, idx)
    ) WITHOUT ROWID;
    CREATE TABLE ratings (
        game TEXT NOT NULL,
        account INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        wins INTEGER NOT NULL DEFAULT 0,
        losses INTEGER NOT NULL DEFAULT 0,
        draws INTEGER NOT NULL DEFAULT 0,
        rating INTEGER NOT NULL DEFAULT 1200,
        PRIMARY KEY (game, account)
    );
    CREATE INDEX ratings_rank ON ratings(game, rating DESC);",
    // 2: expired tokens are purged at every sign-in; without an index that scanned the whole
    // table each time (the load generator found it: a third of a device login's cost).
    "CREATE INDEX tokens_expiry ON tokens(expires_at);",
    // 3: the state hash after each append, so a match rebuilt from its log is checked.
    "ALTER TABLE matches ADD COLUMN log_hash TEXT;
    ALTER TABLE matches ADD COLUMN log_ticks INTEGER NOT NULL DEFAULT 0;",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// SQLite behind one connection (writes are serialised anyway; reads are short), and for a
/// file a checkpointer thread with a connection of its own.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    /// Declared after `conn`: dropped (and joined) last, so the file is closed when the store
    /// is gone.
    _checkpointer: Option<Checkpointer>,
}

/// WAL pages (16 MB) after which a commit asks the checkpointer to copy them into the
/// database file. SQLite's own automatic checkpoint runs at 1,000; four times that copies a
/// page written again and again (an index's last page) once instead of four times, and was
/// measured faster (BENCHMARKS.md, "Checkpoints off the writer").
const CHECKPOINT_PAGES: i32 = 4000;

/// WAL pages (64 MB) after which a commit checkpoints itself whatever the checkpointer is
/// doing, as SQLite's automatic checkpoint would: the bound on the log if the thread falls
/// behind.
const BEHIND_PAGES: i32 = 16000;

/// The checkpointer's phases: nothing asked, a checkpoint asked for (and not yet done), one
/// done that the next commit finishes.
const IDLE: u8 = 0;
const ASKED: u8 = 1;
const COPIED: u8 = 2;

/// Copies the WAL into the database file on its own thread and connection, so no commit
/// waits for a checkpoint's writes and syncs: on disk the commits that did were what put a
/// device sign-in's p99 above 10 ms (BENCHMARKS.md, "Checkpoints off the writer").
struct Checkpointer {
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the thread over its own connection to `path` and hands the writer `conn` a WAL
    /// hook that wakes it, replacing SQLite's checkpoint inside the commit. `None` (and
    /// SQLite's own checkpoints kept) when the thread or its connection cannot start.
    fn start(conn: &mut Connection, path: &Path) -> Option<Checkpointer> {
        let own = Connection::open(path)
            .and_then(|c| {
                c.busy_timeout(std::time::Duration::from_secs(5))?;
                Ok(c)
            })
            .map_err(|e| tracing::warn!("checkpoints stay inside commits: {e}"))
            .ok()?;
        // One pending wake-up is enough: the checkpoint copies whatever is there by then.
        let (wake, woken) = mpsc::sync_channel(1);
        let phase = Arc::new(AtomicU8::new(IDLE));
        let thread_phase = phase.clone();
        let thread = std::thread::Builder::new()
            .name("hearth-checkpoints".into())
            .spawn(move || checkpoints(&own, &woken, &thread_phase))
            .map_err(|e| tracing::warn!("checkpoints stay inside commits: {e}"))
            .ok()?;
        let hook_phase = phase;
        let hooked = conn.wal_hook(Some(move |wal: &mut rusqlite::hooks::Wal, pages| {
            if pages < CHECKPOINT_PAGES {
                return Ok(());
            }
            // When the thread has copied most of the log, this commit copies the few pages
            // written since: the file is then caught up, and SQLite starts the log over at
            // the next commit (which it never does while a stream of commits keeps the
            // thread's checkpoints one step behind).
            let copied = hook_phase
                .compare_exchange(COPIED, IDLE, Ordering::AcqRel, Ordering::Acquire)
                .is_ok();
            if copied || pages >= BEHIND_PAGES {
                // The commit has happened; a failed checkpoint only means the log is
                // copied later, so it is not the commit's error.
                if let Err(e) = wal.checkpoint() {
                    tracing::warn!("a checkpoint failed (the WAL is copied later): {e}");
                }
            } else if hook_phase
                .compare_exchange(IDLE, ASKED, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                let _ = wake.try_send(());
            }
            Ok(())
        }));
        let checkpointer = Checkpointer {
            thread: Some(thread),
        };
        match hooked {
            Ok(()) => Some(checkpointer),
            Err(e) => {
                tracing::warn!("checkpoints stay inside commits: {e}");
                None
            }
        }
    }
}

/// The checkpointer's loop: a passive checkpoint (it never blocks a writer) per wake-up,
/// until the store is dropped.
fn checkpoints(conn: &Connection, woken: &Receiver<()>, phase: &AtomicU8) {
    while woken.recv().is_ok() {
        match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            Ok(()) => phase.store(COPIED, Ordering::Release),
            Err(e) => {
                tracing::warn!("a checkpoint failed (the WAL is copied later): {e}");
                phase.store(IDLE, Ordering::Release);
            }
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        // The writer's hook holds the only sender; it went with the writer's connection,
        // which the store drops first, and that ended the loop.
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl SqliteStore {
    /// Appends in one transaction (see [`Store::append_logs`]). With `crash_after`, it stops
    /// after that many rows without committing, as a process killed in the middle of the
    /// transaction would: the fault simulator's crash point inside a write.
    fn write_logs(
        &self,
        batch: &[LogAppend<'_>],
        crash_after: Option<usize>,
    ) -> Result<(), StoreError> {
        let conn = self.db();
        let tx = Tx::begin(&conn)?;
        {
            let mut insert = tx
                .prepare_cached("INSERT INTO match_log (match_id, idx, tick, seat, action) VALUES (?1, ?2, ?3, ?4, ?5)")
                .map_err(backend)?;
            let mut ticked = tx
                .prepare_cached(
                    "UPDATE matches SET ticks = ?2, log_ticks = ?2, log_hash = ?3 WHERE id = ?1",
                )
                .map_err(backend)?;
            let mut rows = 0;
            for a in batch {
                for e in a.entries {
                    if crash_after == Some(rows) {
                        // Dropping the transaction uncommitted is what the killed process
                        // leaves: SQLite rolls it back.
                        return Err(StoreError::Backend(
                            "killed in the middle of a write".into(),
                        ));
                    }
                    insert
                        .execute(params![
                            a.match_id as i64,
                            e.index as i64,
                            e.tick as i64,
                            i64::from(e.seat.0),
                            e.action.to_bytes()
                        ])
                        .map_err(backend)?;
                    rows += 1;
                }
                ticked
                    .execute(params![
                        a.match_id as i64,
                        a.ticks as i64,
                        hearth_rules::hash_hex(a.hash)
                    ])
                    .map_err(backend)?;
            }
        }
        if crash_after.is_some() {
            return Err(StoreError::Backend("killed before the commit".into()));
        }
        tx.commit()
    }

    #[allow(clippy::too_many_arguments)]
    fn write_finish(
        &self,
        match_id: u64,
        outcome: Option<&Outcome>,
        hash: u64,
        ticks: u64,
        now: i64,
        rated: Option<&[PlayerId]>,
        crash: bool,
    ) -> Result<(), StoreError> {
        let status = super::store::end_status(outcome);
        let conn = self.db();
        // The end and the rating in one transaction: whoever sees the match over sees the
        // leaderboard moved.
        let tx = Tx::begin(&conn)?;
        if let (Some(outcome), Some(players)) = (outcome, rated) {
            rate(&tx, match_id, players, outcome)?;
        }
        let outcome = outcome.map(|o| serde_json::to_string(o).unwrap_or_default());
        cached(
            &tx,
            "UPDATE matches SET status = ?2, outcome = ?3, hash = ?4, ticks = ?5, ended_at = ?6 WHERE id = ?1",
            params![
                match_id as i64,
                status,
                outcome,
                hearth_rules::hash_hex(hash),
                ticks as i64,
                now
            ],
        )?;
        if crash {
            // As in `write_logs`: the killed process leaves the transaction uncommitted.
            return Err(StoreError::Backend("killed before the commit".into()));
        }
        tx.commit()
    }

    /// [`Store::match_finished`] (unrated), killed after its update, before the commit.
    #[cfg(test)]
    pub(crate) fn match_finished_crashing(
        &self,
        match_id: u64,
        outcome: Option<&Outcome>,
        hash: u64,
        ticks: u64,
    ) -> Result<(), StoreError> {
        self.write_finish(match_id, outcome, hash, ticks, 0, None, true)
    }

    /// [`Store::append_logs`], killed after `rows` rows, before the commit.
    #[cfg(test)]
    pub(crate) fn append_logs_crashing(
        &self,
        batch: &[LogAppend<'_>],
        rows: usize,
    ) -> Result<(), StoreError> {
        self.write_logs(batch, Some(rows))
    }
}

impl SqliteStore {
    /// Opens (or creates) the database file, checks it is Hearth's and migrates it.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let shown = path.display().to_string();
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Backend(format!(
                    "cannot create the directory {}: {e}",
                    dir.display()
                ))
            })?;
        }
        let conn = Connection::open(path)
            .map_err(|e| StoreError::Backend(format!("cannot open {shown}: {e}")))?;
        let mut store = Self::prepare(conn, &shown)?;
        let conn = store.conn.get_mut().unwrap_or_else(|e| e.into_inner());
        store._checkpointer = Checkpointer::start(conn, path);
        Ok(store)
    }

    /// A database in memory only (`hearth serve --memory`, tests).
    pub fn memory() -> Result<SqliteStore, StoreError> {
        let conn = Connection::open_in_memory().map_err(backend)?;
        Self::prepare(conn, ":memory:")
    }

    fn prepare(mut conn: Connection, shown: &str) -> Result<SqliteStore, StoreError> {
        let not_hearth = |what: &str| StoreError::NotHearth {
            path: shown.to_string(),
            what: what.to_string(),
        };
        // Reading a pragma is the first thing that touches the file: a non-SQLite file fails here.
        let app_id: i64 = conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .map_err(|_| not_hearth("not a SQLite database"))?;
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(|_| not_hearth("not a SQLite database"))?;
        if app_id != APPLICATION_ID && (app_id != 0 || tables > 0) {
            return Err(not_hearth("a SQLite database of another program"));
        }
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(backend)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path: shown.to_string(),
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(backend)?;
        // Room for every statement of the hot paths (sign-ins, tokens, logs, match starts and
        // ends, ratings: about 20); rusqlite keeps 16, and a full cache parses again.
        conn.set_prepared_statement_cache_capacity(64);
        // The query planner's stability guarantee. Without it SQLite (built with STAT4) plans
        // a statement with ORDER BY, LIMIT or a join for the values bound to it, and so
        // prepares it again on every run: the cache saved nothing for a match's seats at
        // every end or the token lookup of every `hello` (7 % of the server's time in the
        // turns benchmark). Their plans do not depend on the values anyway.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
            .map_err(backend)?;
        // WAL: readers do not block the writer; synchronous=NORMAL is durable against a
        // killed process (the WAL is in the OS before a commit returns).
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(backend)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(backend)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(backend)?;
        // All pending migrations in one transaction: a failure leaves the file as it was.
        let tx = conn.transaction().map_err(backend)?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(sql)
                .map_err(|e| StoreError::Backend(format!("migration {} failed: {e}", i + 1)))?;
        }
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(backend)?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(backend)?;
        tx.commit().map_err(backend)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            _checkpointer: None,
        })
    }

    fn db(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the connection leaves SQLite itself consistent (transactions
        // roll back on drop), so the connection stays usable.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }
}

const ACCOUNT_COLS: &str =
    "id, username, display_name, role, password_hash IS NULL, banned, created_at";

fn account_row(r: &Row<'_>) -> rusqlite::Result<Account> {
    Ok(Account {
        id: r.get::<_, i64>(0)? as PlayerId,
        username: r.get(1)?,
        display_name: r.get(2)?,
        role: Role::parse(&r.get::<_, String>(3)?),
        guest: r.get(4)?,
        banned: r.get(5)?,
        created_at: r.get(6)?,
    })
}

/// A match's players, by seat.
const SEATS_SQL: &str = "SELECT account, name FROM match_seats WHERE match_id = ?1 ORDER BY seat";

/// The account a token signs in, if the token is current.
static TOKEN_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {} FROM tokens t JOIN accounts a ON a.id = t.account WHERE t.hash = ?1 AND t.expires_at > ?2",
        ACCOUNT_COLS
            .split(", ")
            .map(|c| format!("a.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    )
});

const MATCH_COLS: &str = "id, room, game, fingerprint, config, seed, seats, started_at, ended_at, status, outcome, hash, ticks, log_hash, log_ticks";

fn match_row(r: &Row<'_>) -> rusqlite::Result<StoredMatch> {
    let outcome: Option<String> = r.get(10)?;
    Ok(StoredMatch {
        id: r.get::<_, i64>(0)? as u64,
        room: r.get(1)?,
        game: r.get(2)?,
        fingerprint: r.get(3)?,
        config: Payload::Postcard(r.get(4)?),
        seed: r.get::<_, i64>(5)? as u64,
        seats: r.get::<_, i64>(6)? as u8,
        players: Vec::new(),
        started_at: r.get(7)?,
        ended_at: r.get(8)?,
        status: r.get(9)?,
        outcome: outcome.and_then(|o| serde_json::from_str(&o).ok()),
        hash: r.get(11)?,
        ticks: r.get::<_, i64>(12)? as u64,
        log_hash: r.get(13)?,
        log_ticks: r.get::<_, i64>(14)? as u64,
    })
}

impl SqliteStore {
    /// A device's account, made on first use; its `last_seen` is `now`.
    fn device_account_in(
        conn: &Connection,
        device_id: &str,
        display_name: &str,
        now: i64,
    ) -> Result<Account, StoreError> {
        // Cached statements: a device sign-in is the hottest write path there is.
        cached(
            conn,
            "INSERT INTO accounts (display_name, device_id, created_at, last_seen) VALUES (?1, ?2, ?3, ?3)
             ON CONFLICT(device_id) DO UPDATE SET last_seen = excluded.last_seen",
            params![display_name, device_id, now],
        )?;
        conn.prepare_cached(&format!(
            "SELECT {ACCOUNT_COLS} FROM accounts WHERE device_id = ?1"
        ))
        .and_then(|mut s| s.query_row(params![device_id], account_row))
        .map_err(backend)
    }

    /// Purges expired tokens (an index range scan: `tokens_expiry`), so the table does not
    /// grow forever; run whenever tokens are issued.
    fn purge_tokens_in(conn: &Connection, now: i64) -> Result<(), StoreError> {
        cached(
            conn,
            "DELETE FROM tokens WHERE expires_at <= ?1",
            params![now],
        )?;
        Ok(())
    }

    fn insert_token_in(
        conn: &Connection,
        token_hash: &[u8],
        account: PlayerId,
        expires_at: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        cached(
            conn,
            "INSERT INTO tokens (hash, account, expires_at, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![token_hash, account as i64, expires_at, now],
        )?;
        Ok(())
    }

    fn account_in(conn: &Connection, id: PlayerId) -> Result<Option<Account>, StoreError> {
        conn.prepare_cached(&format!(
            "SELECT {ACCOUNT_COLS} FROM accounts WHERE id = ?1"
        ))
        .and_then(|mut s| s.query_row(params![id as i64], account_row).optional())
        .map_err(backend)
    }

    fn with_players(conn: &Connection, mut m: StoredMatch) -> Result<StoredMatch, StoreError> {
        let mut stmt = conn.prepare_cached(SEATS_SQL).map_err(backend)?;
        m.players = stmt
            .query_map(params![m.id as i64], |r| {
                Ok((r.get::<_, i64>(0)? as PlayerId, r.get::<_, String>(1)?))
            })
            .map_err(backend)?
            .collect::<Result<_, _>>()
            .map_err(backend)?;
        Ok(m)
    }

    fn matches_where(
        &self,
        sql: &str,
        args: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<StoredMatch>, StoreError> {
        let conn = self.db();
        let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
        let rows: Vec<StoredMatch> = stmt
            .query_map(args, match_row)
            .map_err(backend)?
            .collect::<Result<_, _>>()
            .map_err(backend)?;
        rows.into_iter()
            .map(|m| Self::with_players(&conn, m))
            .collect()
    }
}

/// A transaction whose `BEGIN` and `COMMIT` come from the connection's statement cache:
/// rusqlite's `Transaction` parses both again on every call (`execute_batch`: 4 % of the
/// server's samples in the turns benchmark, where games start, append and end thousands of
/// times a second). Rolled back when dropped uncommitted or when its commit failed.
struct Tx<'c> {
    conn: &'c Connection,
}

impl<'c> Tx<'c> {
    fn begin(conn: &'c Connection) -> Result<Tx<'c>, StoreError> {
        cached(conn, "BEGIN", [])?;
        Ok(Tx { conn })
    }

    fn commit(self) -> Result<(), StoreError> {
        cached(self.conn, "COMMIT", []).map(drop)
    }
}

impl std::ops::Deref for Tx<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if !self.conn.is_autocommit() {
            // Nothing to report to: the caller already has the error that got here.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

/// Runs a statement from the connection's cache: parsing it again on every call was 6 % of
/// the server's time when games start and end a thousand times a second.
fn cached(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<usize, StoreError> {
    conn.prepare_cached(sql)
        .and_then(|mut s| s.execute(params))
        .map_err(backend)
}

fn taken(e: rusqlite::Error, what: &str) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            StoreError::Conflict(what.to_string())
        }
        e => backend(e),
    }
}

impl Store for SqliteStore {
    fn device_account(
        &self,
        device_id: &str,
        display_name: &str,
        now: i64,
    ) -> Result<Account, StoreError> {
        Self::device_account_in(&self.db(), device_id, display_name, now)
    }

    fn create_user(
        &self,
        username: &str,
        display_name: &str,
        password_hash: &str,
        role: Role,
        now: i64,
    ) -> Result<Account, StoreError> {
        let conn = self.db();
        conn.execute(
            "INSERT INTO accounts (username, display_name, password_hash, role, created_at, last_seen)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            params![username, display_name, password_hash, role.as_str(), now],
        )
        .map_err(|e| taken(e, &format!("the username `{username}` is taken; pick another")))?;
        let id = conn.last_insert_rowid() as PlayerId;
        Self::account_in(&conn, id)?
            .ok_or_else(|| StoreError::NotFound("the new account vanished".into()))
    }

    fn user_by_name(
        &self,
        username: &str,
    ) -> Result<Option<(Account, Option<String>)>, StoreError> {
        let conn = self.db();
        conn.query_row(
            &format!("SELECT {ACCOUNT_COLS}, password_hash FROM accounts WHERE username = ?1"),
            params![username],
            |r| Ok((account_row(r)?, r.get::<_, Option<String>>(7)?)),
        )
        .optional()
        .map_err(backend)
    }

    fn account(&self, id: PlayerId) -> Result<Option<Account>, StoreError> {
        Self::account_in(&self.db(), id)
    }

    fn upgrade_guest(
        &self,
        id: PlayerId,
        username: &str,
        password_hash: &str,
    ) -> Result<Account, StoreError> {
        let conn = self.db();
        let n = conn
            .execute(
                "UPDATE accounts SET username = ?2, password_hash = ?3 WHERE id = ?1 AND password_hash IS NULL",
                params![id as i64, username, password_hash],
            )
            .map_err(|e| taken(e, &format!("the username `{username}` is taken; pick another")))?;
        if n == 0 {
            return Err(StoreError::Conflict(
                "this account has a password already".into(),
            ));
        }
        Self::account_in(&conn, id)?.ok_or_else(|| StoreError::NotFound(format!("no account {id}")))
    }

    fn set_role(&self, id: PlayerId, role: Role) -> Result<Account, StoreError> {
        let conn = self.db();
        conn.execute(
            "UPDATE accounts SET role = ?2 WHERE id = ?1",
            params![id as i64, role.as_str()],
        )
        .map_err(backend)?;
        Self::account_in(&conn, id)?.ok_or_else(|| StoreError::NotFound(format!("no account {id}")))
    }

    fn set_banned(&self, id: PlayerId, banned: bool) -> Result<Account, StoreError> {
        let mut conn = self.db();
        let tx = conn.transaction().map_err(backend)?;
        tx.execute(
            "UPDATE accounts SET banned = ?2 WHERE id = ?1",
            params![id as i64, banned],
        )
        .map_err(backend)?;
        if banned {
            tx.execute("DELETE FROM tokens WHERE account = ?1", params![id as i64])
                .map_err(backend)?;
        }
        tx.commit().map_err(backend)?;
        Self::account_in(&conn, id)?.ok_or_else(|| StoreError::NotFound(format!("no account {id}")))
    }

    fn search_accounts(&self, query: &str, limit: u32) -> Result<Vec<Account>, StoreError> {
        let conn = self.db();
        let pattern = format!(
            "%{}%",
            query
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {ACCOUNT_COLS} FROM accounts
                 WHERE username LIKE ?1 ESCAPE '\\' OR display_name LIKE ?1 ESCAPE '\\'
                 ORDER BY id LIMIT ?2"
            ))
            .map_err(backend)?;
        stmt.query_map(params![pattern, limit], account_row)
            .map_err(backend)?
            .collect::<Result<_, _>>()
            .map_err(backend)
    }

    fn delete_stale_guests(&self, before: i64) -> Result<u64, StoreError> {
        let conn = self.db();
        let n = conn
            .execute(
                "DELETE FROM accounts WHERE password_hash IS NULL AND role = 'player' AND last_seen < ?1
                 AND NOT EXISTS (SELECT 1 FROM match_seats WHERE account = accounts.id)",
                params![before],
            )
            .map_err(backend)?;
        Ok(n as u64)
    }

    fn touch(&self, id: PlayerId, now: i64) -> Result<(), StoreError> {
        self.db()
            .execute(
                "UPDATE accounts SET last_seen = ?2 WHERE id = ?1",
                params![id as i64, now],
            )
            .map_err(backend)?;
        Ok(())
    }

    fn add_token(
        &self,
        token_hash: &[u8],
        account: PlayerId,
        expires_at: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        let conn = self.db();
        // One transaction, so one commit (one WAL write on disk) for the purge and the insert.
        let tx = Tx::begin(&conn)?;
        Self::purge_tokens_in(&tx, now)?;
        Self::insert_token_in(&tx, token_hash, account, expires_at, now)?;
        tx.commit()
    }

    fn device_sign_ins(
        &self,
        batch: &[DeviceSignIn],
        now: i64,
    ) -> Result<Vec<Account>, StoreError> {
        let conn = self.db();
        // The whole batch is one transaction: one WAL write and one commit for every sign-in
        // that queued meanwhile, instead of two commits each.
        let tx = Tx::begin(&conn)?;
        Self::purge_tokens_in(&tx, now)?;
        let mut accounts = Vec::with_capacity(batch.len());
        for s in batch {
            let account = Self::device_account_in(&tx, &s.device_id, &s.display_name, now)?;
            if !account.banned {
                Self::insert_token_in(&tx, &s.token_hash, account.id, s.expires_at, now)?;
            }
            accounts.push(account);
        }
        tx.commit()?;
        Ok(accounts)
    }

    fn token_account(&self, token_hash: &[u8], now: i64) -> Result<Option<Account>, StoreError> {
        let conn = self.db();
        // Every socket's `hello` asks this: cached, not parsed per call.
        conn.prepare_cached(&TOKEN_SQL)
            .and_then(|mut s| {
                s.query_row(params![token_hash, now], account_row)
                    .optional()
            })
            .map_err(backend)
    }

    fn revoke_token(&self, token_hash: &[u8]) -> Result<(), StoreError> {
        self.db()
            .execute("DELETE FROM tokens WHERE hash = ?1", params![token_hash])
            .map_err(backend)?;
        Ok(())
    }

    fn match_started(&self, start: &crate::MatchStart, now: i64) -> Result<u64, StoreError> {
        let players = &start.players;
        let conn = self.db();
        let tx = Tx::begin(&conn)?;
        cached(
            &tx,
            "INSERT INTO matches (room, game, fingerprint, config, seed, seats, started_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                start.room,
                start.game,
                start.fingerprint.to_string(),
                start.config.to_bytes(),
                start.seed as i64,
                players.len() as i64,
                now
            ],
        )?;
        let id = tx.last_insert_rowid();
        for (seat, (account, name)) in players.iter().enumerate() {
            cached(
                &tx,
                "INSERT INTO match_seats (match_id, seat, account, name) VALUES (?1, ?2, ?3, ?4)",
                params![id, seat as i64, *account as i64, name],
            )?;
        }
        tx.commit()?;
        Ok(id as u64)
    }

    fn append_logs(&self, batch: &[LogAppend<'_>]) -> Result<(), StoreError> {
        self.write_logs(batch, None)
    }

    fn match_finished(
        &self,
        match_id: u64,
        outcome: Option<&Outcome>,
        hash: u64,
        ticks: u64,
        now: i64,
        rated: Option<&[PlayerId]>,
    ) -> Result<(), StoreError> {
        self.write_finish(match_id, outcome, hash, ticks, now, rated, false)
    }

    fn get_match(&self, id: u64) -> Result<Option<StoredMatch>, StoreError> {
        Ok(self
            .matches_where(
                &format!("SELECT {MATCH_COLS} FROM matches WHERE id = ?1"),
                &[&(id as i64)],
            )?
            .pop())
    }

    fn match_log(&self, id: u64) -> Result<Vec<DynLogEntry>, StoreError> {
        let conn = self.db();
        let mut stmt = conn
            .prepare_cached(
                "SELECT idx, tick, seat, action FROM match_log WHERE match_id = ?1 ORDER BY idx",
            )
            .map_err(backend)?;
        stmt.query_map(params![id as i64], |r| {
            Ok(DynLogEntry {
                index: r.get::<_, i64>(0)? as u64,
                tick: r.get::<_, i64>(1)? as u64,
                seat: Seat(r.get::<_, i64>(2)? as u8),
                action: Payload::Postcard(r.get(3)?),
            })
        })
        .map_err(backend)?
        .collect::<Result<_, _>>()
        .map_err(backend)
    }

    fn list_matches(
        &self,
        account: Option<PlayerId>,
        limit: u32,
    ) -> Result<Vec<StoredMatch>, StoreError> {
        match account {
            Some(a) => self.matches_where(
                &format!(
                    "SELECT {MATCH_COLS} FROM matches WHERE id IN (SELECT match_id FROM match_seats WHERE account = ?1)
                     ORDER BY id DESC LIMIT ?2"
                ),
                &[&(a as i64), &limit],
            ),
            None => self.matches_where(
                &format!("SELECT {MATCH_COLS} FROM matches ORDER BY id DESC LIMIT ?1"),
                &[&limit],
            ),
        }
    }

    fn running_matches(&self) -> Result<Vec<StoredMatch>, StoreError> {
        self.matches_where(
            &format!("SELECT {MATCH_COLS} FROM matches WHERE status = 'running' ORDER BY id"),
            &[],
        )
    }

    fn leaderboard(&self, game: &str, limit: u32) -> Result<Vec<Standing>, StoreError> {
        let conn = self.db();
        let mut stmt = conn
            .prepare_cached(
                "SELECT r.account, a.display_name, r.wins, r.losses, r.draws, r.rating
                 FROM ratings r JOIN accounts a ON a.id = r.account
                 WHERE r.game = ?1 AND a.banned = 0
                 ORDER BY r.rating DESC, r.wins DESC, r.account LIMIT ?2",
            )
            .map_err(backend)?;
        stmt.query_map(params![game, limit], |r| {
            Ok(Standing {
                account: r.get::<_, i64>(0)? as PlayerId,
                name: r.get(1)?,
                wins: r.get(2)?,
                losses: r.get(3)?,
                draws: r.get(4)?,
                rating: r.get(5)?,
            })
        })
        .map_err(backend)?
        .collect::<Result<_, _>>()
        .map_err(backend)
    }
}

/// Applies a finished match to its game's standings inside `tx`, once per match (a match
/// finished again after a recovery is not rated twice).
fn rate(
    tx: &Connection,
    match_id: u64,
    players: &[PlayerId],
    outcome: &Outcome,
) -> Result<(), StoreError> {
    // Once per match, even if the end is reported twice (e.g. after a recovery).
    let fresh = cached(
        tx,
        "UPDATE matches SET rated = 1 WHERE id = ?1 AND rated = 0",
        params![match_id as i64],
    )?;
    if fresh == 0 {
        return Ok(());
    }
    let game: String = tx
        .prepare_cached("SELECT game FROM matches WHERE id = ?1")
        .and_then(|mut s| s.query_row(params![match_id as i64], |r| r.get(0)))
        .map_err(backend)?;
    let game = game.as_str();
    let mut ratings = Vec::with_capacity(players.len());
    for p in players {
        cached(
            tx,
            "INSERT INTO ratings (game, account) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![game, *p as i64],
        )?;
        let r: i64 = tx
            .prepare_cached("SELECT rating FROM ratings WHERE game = ?1 AND account = ?2")
            .and_then(|mut s| s.query_row(params![game, *p as i64], |r| r.get(0)))
            .map_err(backend)?;
        ratings.push(r as i32);
    }
    for (p, c) in players
        .iter()
        .zip(super::leaderboard::changes(&ratings, outcome))
    {
        cached(
            tx,
            "UPDATE ratings SET wins = wins + ?3, losses = losses + ?4, draws = draws + ?5, rating = ?6
             WHERE game = ?1 AND account = ?2",
            params![game, *p as i64, c.wins, c.losses, c.draws, c.rating],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hot paths' statements with ORDER BY or a join run from the statement cache as
    /// prepared: SQLite does not prepare them again for each value bound.
    #[test]
    fn statements_with_order_by_or_a_join_are_not_prepared_again_per_run() {
        let store = SqliteStore::memory().unwrap();
        let account = store.device_account("device-1", "Ada", 10).unwrap();
        store
            .add_token(b"token-hash", account.id, 1_000, 10)
            .unwrap();
        let start = crate::MatchStart {
            room: "r".into(),
            game: "connect-four".into(),
            fingerprint: hearth_rules::Fingerprint {
                game: "connect-four".into(),
                version: 1,
                schema: 1,
            },
            seats: 2,
            config: hearth_rules::Payload::Postcard(vec![0]),
            seed: 7,
            players: vec![(account.id, "Ada".into()), (0, "Bot".into())],
        };
        for _ in 0..3 {
            let id = store.match_started(&start, 10).unwrap();
            assert_eq!(store.get_match(id).unwrap().unwrap().players.len(), 2);
            assert!(store.token_account(b"token-hash", 20).unwrap().is_some());
        }
        let conn = store.db();
        for sql in [SEATS_SQL, TOKEN_SQL.as_str()] {
            let stmt = conn.prepare_cached(sql).unwrap();
            assert_eq!(
                stmt.get_status(rusqlite::StatementStatus::RePrepare),
                0,
                "{sql}"
            );
        }
    }
}

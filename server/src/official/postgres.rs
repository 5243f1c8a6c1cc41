//! The PostgreSQL store: the same [`Store`] semantics as SQLite, for servers whose database
//! lives outside the process (`hearth serve --db postgres://…`).
//!
//! [`Store`] is a blocking trait, called from the blocking pool and from the log and sign-in
//! writer threads, so this store uses the `postgres` crate — tokio-postgres behind a blocking
//! face, each connection driven by its own small runtime — over a fixed pool of connections.
//! Making `Store` async would touch every caller for no gain here: the callers that batch
//! (log appends, sign-ins) already run on their own threads, and the rest are rare.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use hearth_rules::protocol::PlayerId;
use hearth_rules::{DynLogEntry, Outcome, Payload, Seat};
use postgres::error::SqlState;
use postgres::{Client, GenericClient, NoTls, Row};

use super::store::{
    Account, DeviceSignIn, LogAppend, Role, Standing, Store, StoreError, StoredMatch,
};

/// Marks a database as Hearth's: the `hearth_meta` row `application_id` ("HRTH").
const APPLICATION_ID: i64 = 0x4852_5448;

/// Schema migrations, PostgreSQL's dialect of SQLite's (same tables, same meaning); the
/// `hearth_meta` row `schema_version` says how many have run.
const MIGRATIONS: &[&str] = &[
    // 1: accounts, tokens, matches with their logs, leaderboards.
    "CREATE TABLE accounts (
        id BIGSERIAL PRIMARY KEY,
        username TEXT,
        display_name TEXT NOT NULL,
        password_hash TEXT,
        device_id TEXT UNIQUE,
        role TEXT NOT NULL DEFAULT 'player',
        banned BOOLEAN NOT NULL DEFAULT FALSE,
        created_at BIGINT NOT NULL,
        last_seen BIGINT NOT NULL
    );
    CREATE UNIQUE INDEX accounts_username ON accounts (lower(username));
    CREATE TABLE tokens (
        hash BYTEA PRIMARY KEY,
        account BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        expires_at BIGINT NOT NULL,
        created_at BIGINT NOT NULL
    );
    CREATE INDEX tokens_account ON tokens(account);
    CREATE INDEX tokens_expiry ON tokens(expires_at);
    CREATE TABLE matches (
        id BIGSERIAL PRIMARY KEY,
        room TEXT NOT NULL,
        game TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        config BYTEA NOT NULL,
        seed BIGINT NOT NULL,
        seats INTEGER NOT NULL,
        started_at BIGINT NOT NULL,
        ended_at BIGINT,
        status TEXT NOT NULL DEFAULT 'running',
        outcome TEXT,
        hash TEXT,
        ticks BIGINT NOT NULL DEFAULT 0,
        rated BOOLEAN NOT NULL DEFAULT FALSE
    );
    CREATE INDEX matches_status ON matches(status);
    CREATE TABLE match_seats (
        match_id BIGINT NOT NULL REFERENCES matches(id) ON DELETE CASCADE,
        seat INTEGER NOT NULL,
        account BIGINT NOT NULL,
        name TEXT NOT NULL,
        PRIMARY KEY (match_id, seat)
    );
    CREATE INDEX match_seats_account ON match_seats(account);
    CREATE TABLE match_log (
        match_id BIGINT NOT NULL REFERENCES matches(id) ON DELETE CASCADE,
        idx BIGINT NOT NULL,
        tick BIGINT NOT NULL,
        seat INTEGER NOT NULL,
        action BYTEA NOT NULL,
        PRIMARY KEY (match_id, idx)
    );
    CREATE TABLE ratings (
        game TEXT NOT NULL,
        account BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        wins INTEGER NOT NULL DEFAULT 0,
        losses INTEGER NOT NULL DEFAULT 0,
        draws INTEGER NOT NULL DEFAULT 0,
        rating INTEGER NOT NULL DEFAULT 1200,
        PRIMARY KEY (game, account)
    );
    CREATE INDEX ratings_rank ON ratings(game, rating DESC);",
    // 2: several nodes on one database (`official::cluster`): nodes and their leases, the
    // room directory, the seat-token secret, and each match's owner and epoch (fencing).
    "CREATE TABLE hearth_nodes (
        id BIGSERIAL PRIMARY KEY,
        url TEXT NOT NULL,
        lease_until TIMESTAMPTZ NOT NULL,
        draining BOOLEAN NOT NULL DEFAULT FALSE,
        started_at TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    CREATE INDEX hearth_nodes_url ON hearth_nodes(url);
    CREATE TABLE hearth_rooms (
        key TEXT PRIMARY KEY,
        node BIGINT,
        epoch BIGINT NOT NULL DEFAULT 1,
        match_id BIGINT,
        public BOOLEAN NOT NULL,
        summary TEXT NOT NULL
    );
    CREATE TABLE hearth_secrets (name TEXT PRIMARY KEY, value BYTEA NOT NULL);
    ALTER TABLE matches ADD COLUMN owner BIGINT, ADD COLUMN epoch BIGINT NOT NULL DEFAULT 0;",
    // 3: the state hash after each append, so a match rebuilt from its log is checked.
    "ALTER TABLE matches ADD COLUMN log_hash TEXT, ADD COLUMN log_ticks BIGINT NOT NULL DEFAULT 0;",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Connections in the pool: the log writer, the sign-in writer and requests each get one
/// without waiting for the others.
const POOL: usize = 4;

/// PostgreSQL behind a small pool of connections.
pub struct PgStore {
    pool: Vec<Mutex<Client>>,
    next: AtomicUsize,
    /// Set when this process is a node of a cluster: which matches it owns, at which epoch.
    pub(super) fence: Mutex<Option<Fence>>,
    /// The URL it was opened with (the cluster's event listener opens its own connection).
    pub(super) url: String,
}

/// A cluster node's claim on its matches: log writes and ends are refused for a match whose
/// owner or epoch in the database is no longer this node's (another node took it over).
#[derive(Debug, Default)]
pub(super) struct Fence {
    /// This node's id in `hearth_nodes`.
    pub node: i64,
    /// Owned matches and the epoch each was claimed at.
    pub epochs: std::collections::HashMap<u64, i64>,
}

pub(super) fn backend(e: postgres::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn taken(e: postgres::Error, what: &str) -> StoreError {
    if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
        StoreError::Conflict(what.to_string())
    } else {
        backend(e)
    }
}

/// The URL without its password, for messages.
fn shown(url: &str) -> String {
    match url.parse::<postgres::Config>() {
        Ok(c) => format!(
            "PostgreSQL database `{}` on {}",
            c.get_dbname().unwrap_or("(default)"),
            c.get_hosts()
                .iter()
                .map(|h| match h {
                    postgres::config::Host::Tcp(h) => h.clone(),
                    postgres::config::Host::Unix(p) => p.display().to_string(),
                })
                .collect::<Vec<_>>()
                .join(",")
        ),
        Err(_) => "the PostgreSQL database".into(),
    }
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db`, or key=value pairs), checks the
    /// database is Hearth's (or empty) and not newer than this build, and migrates it.
    pub fn open(url: &str) -> Result<PgStore, StoreError> {
        let where_ = shown(url);
        let config: postgres::Config = url.parse().map_err(|e| {
            StoreError::Backend(format!(
                "`{}` is not a PostgreSQL URL ({e}); use postgres://USER@HOST:PORT/DATABASE",
                redact(url)
            ))
        })?;
        let connect = || {
            config.connect(NoTls).map_err(|e| {
                StoreError::Backend(format!(
                    "cannot connect to {where_}: {e}; check the URL and that the server runs"
                ))
            })
        };
        let mut first = connect()?;
        Self::prepare(&mut first, &where_)?;
        let mut pool = vec![Mutex::new(first)];
        for _ in 1..POOL {
            pool.push(Mutex::new(connect()?));
        }
        Ok(PgStore {
            pool,
            next: AtomicUsize::new(0),
            fence: Mutex::new(None),
            url: url.to_string(),
        })
    }

    fn prepare(client: &mut Client, shown: &str) -> Result<(), StoreError> {
        let not_hearth = |what: &str| StoreError::NotHearth {
            path: shown.to_string(),
            what: what.to_string(),
        };
        let mut tx = client.transaction().map_err(backend)?;
        // Several nodes may start at once against one database: one migrates, the others
        // wait here and then find it done.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&APPLICATION_ID])
            .map_err(backend)?;
        let has_meta: bool = tx
            .query_one("SELECT to_regclass('hearth_meta') IS NOT NULL", &[])
            .map_err(backend)?
            .get(0);
        let version = if has_meta {
            let rows = tx
                .query("SELECT key, value FROM hearth_meta", &[])
                .map_err(backend)?;
            let get = |k: &str| {
                rows.iter()
                    .find(|r| r.get::<_, String>(0) == k)
                    .map(|r| r.get::<_, i64>(1))
            };
            if get("application_id") != Some(APPLICATION_ID) {
                return Err(not_hearth("a database of another program"));
            }
            get("schema_version").unwrap_or(0)
        } else {
            let tables: i64 = tx
                .query_one(
                    "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()",
                    &[],
                )
                .map_err(backend)?
                .get(0);
            if tables > 0 {
                return Err(not_hearth("a database of another program"));
            }
            tx.batch_execute(
                "CREATE TABLE hearth_meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL)",
            )
            .map_err(backend)?;
            tx.execute(
                "INSERT INTO hearth_meta (key, value) VALUES ('application_id', $1), ('schema_version', 0)",
                &[&APPLICATION_ID],
            )
            .map_err(backend)?;
            0
        };
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path: shown.to_string(),
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        // All pending migrations in one transaction: a failure leaves the database as it was.
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.batch_execute(sql)
                .map_err(|e| StoreError::Backend(format!("migration {} failed: {e}", i + 1)))?;
        }
        tx.execute(
            "UPDATE hearth_meta SET value = $1 WHERE key = 'schema_version'",
            &[&SCHEMA_VERSION],
        )
        .map_err(backend)?;
        tx.commit().map_err(backend)
    }

    /// A connection: a free one if there is, else the next in turn.
    pub(super) fn db(&self) -> MutexGuard<'_, Client> {
        for c in &self.pool {
            if let Ok(guard) = c.try_lock() {
                return guard;
            }
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.pool.len();
        // A panic while holding a connection leaves PostgreSQL consistent (an open
        // transaction is rolled back when its handle drops), so the connection stays usable.
        self.pool[i].lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl PgStore {
    pub(super) fn fence_lock(&self) -> MutexGuard<'_, Option<Fence>> {
        self.fence.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// On a cluster node: refuses (with [`StoreError::Fenced`]) when any of `matches` is no
    /// longer this node's at the epoch it claimed it with. The rows are locked for the
    /// transaction (`FOR SHARE`), so a takeover waits for a write under way and every write
    /// after a takeover sees it: a stale owner cannot append.
    fn check_fence(
        &self,
        tx: &mut postgres::Transaction<'_>,
        matches: &[i64],
    ) -> Result<(), StoreError> {
        let Some((node, mine)) = self.fence_lock().as_ref().map(|f| {
            let mine: Vec<(i64, i64)> = matches
                .iter()
                .map(|m| (*m, f.epochs.get(&(*m as u64)).copied().unwrap_or(-1)))
                .collect();
            (f.node, mine)
        }) else {
            return Ok(());
        };
        let rows = tx
            .query(
                "SELECT id, owner, epoch FROM matches WHERE id = ANY($1) FOR SHARE",
                &[&matches],
            )
            .map_err(backend)?;
        let mut fenced = Vec::new();
        for (id, epoch) in mine {
            let ok = rows.iter().any(|r| {
                r.get::<_, i64>(0) == id
                    && r.get::<_, Option<i64>>(1) == Some(node)
                    && r.get::<_, i64>(2) == epoch
            });
            if !ok {
                fenced.push(id as u64);
            }
        }
        if fenced.is_empty() {
            Ok(())
        } else {
            Err(StoreError::Fenced { matches: fenced })
        }
    }
}

/// `url` with any password replaced, for error messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

const ACCOUNT_COLS: &str =
    "id, username, display_name, role, password_hash IS NULL, banned, created_at";

fn account_row(r: &Row) -> Account {
    Account {
        id: r.get::<_, i64>(0) as PlayerId,
        username: r.get(1),
        display_name: r.get(2),
        role: Role::parse(r.get::<_, &str>(3)),
        guest: r.get(4),
        banned: r.get(5),
        created_at: r.get(6),
    }
}

const MATCH_COLS: &str = "id, room, game, fingerprint, config, seed, seats, started_at, ended_at, status, outcome, hash, ticks, log_hash, log_ticks";

fn match_row(r: &Row) -> StoredMatch {
    let outcome: Option<String> = r.get(10);
    StoredMatch {
        id: r.get::<_, i64>(0) as u64,
        room: r.get(1),
        game: r.get(2),
        fingerprint: r.get(3),
        config: Payload::Postcard(r.get(4)),
        seed: r.get::<_, i64>(5) as u64,
        seats: r.get::<_, i32>(6) as u8,
        players: Vec::new(),
        started_at: r.get(7),
        ended_at: r.get(8),
        status: r.get(9),
        outcome: outcome.and_then(|o| serde_json::from_str(&o).ok()),
        hash: r.get(11),
        ticks: r.get::<_, i64>(12) as u64,
        log_hash: r.get(13),
        log_ticks: r.get::<_, i64>(14) as u64,
    }
}

fn account_in(c: &mut impl GenericClient, id: PlayerId) -> Result<Option<Account>, StoreError> {
    Ok(c.query_opt(
        &format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE id = $1"),
        &[&(id as i64)],
    )
    .map_err(backend)?
    .map(|r| account_row(&r)))
}

fn device_account_in(
    c: &mut impl GenericClient,
    device_id: &str,
    display_name: &str,
    now: i64,
) -> Result<Account, StoreError> {
    let row = c
        .query_one(
            &format!(
                "INSERT INTO accounts (display_name, device_id, created_at, last_seen) VALUES ($1, $2, $3, $3)
                 ON CONFLICT (device_id) DO UPDATE SET last_seen = EXCLUDED.last_seen
                 RETURNING {ACCOUNT_COLS}"
            ),
            &[&display_name, &device_id, &now],
        )
        .map_err(backend)?;
    Ok(account_row(&row))
}

fn add_token_in(
    c: &mut impl GenericClient,
    token_hash: &[u8],
    account: PlayerId,
    expires_at: i64,
    now: i64,
) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO tokens (hash, account, expires_at, created_at) VALUES ($1, $2, $3, $4)",
        &[&token_hash, &(account as i64), &expires_at, &now],
    )
    .map_err(backend)?;
    Ok(())
}

fn purge_tokens_in(c: &mut impl GenericClient, now: i64) -> Result<(), StoreError> {
    c.execute("DELETE FROM tokens WHERE expires_at <= $1", &[&now])
        .map_err(backend)?;
    Ok(())
}

fn matches_where(
    c: &mut impl GenericClient,
    sql: &str,
    args: &[&(dyn postgres::types::ToSql + Sync)],
) -> Result<Vec<StoredMatch>, StoreError> {
    let rows = c.query(sql, args).map_err(backend)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let mut m = match_row(r);
        m.players = c
            .query(
                "SELECT account, name FROM match_seats WHERE match_id = $1 ORDER BY seat",
                &[&(m.id as i64)],
            )
            .map_err(backend)?
            .iter()
            .map(|r| (r.get::<_, i64>(0) as PlayerId, r.get::<_, String>(1)))
            .collect();
        out.push(m);
    }
    Ok(out)
}

impl Store for PgStore {
    fn device_account(
        &self,
        device_id: &str,
        display_name: &str,
        now: i64,
    ) -> Result<Account, StoreError> {
        device_account_in(&mut *self.db(), device_id, display_name, now)
    }

    fn create_user(
        &self,
        username: &str,
        display_name: &str,
        password_hash: &str,
        role: Role,
        now: i64,
    ) -> Result<Account, StoreError> {
        let row = self
            .db()
            .query_one(
                &format!(
                    "INSERT INTO accounts (username, display_name, password_hash, role, created_at, last_seen)
                     VALUES ($1, $2, $3, $4, $5, $5) RETURNING {ACCOUNT_COLS}"
                ),
                &[&username, &display_name, &password_hash, &role.as_str(), &now],
            )
            .map_err(|e| taken(e, &format!("the username `{username}` is taken; pick another")))?;
        Ok(account_row(&row))
    }

    fn user_by_name(
        &self,
        username: &str,
    ) -> Result<Option<(Account, Option<String>)>, StoreError> {
        Ok(self
            .db()
            .query_opt(
                &format!(
                    "SELECT {ACCOUNT_COLS}, password_hash FROM accounts WHERE lower(username) = lower($1)"
                ),
                &[&username],
            )
            .map_err(backend)?
            .map(|r| (account_row(&r), r.get::<_, Option<String>>(7))))
    }

    fn account(&self, id: PlayerId) -> Result<Option<Account>, StoreError> {
        account_in(&mut *self.db(), id)
    }

    fn upgrade_guest(
        &self,
        id: PlayerId,
        username: &str,
        password_hash: &str,
    ) -> Result<Account, StoreError> {
        let row = self
            .db()
            .query_opt(
                &format!(
                    "UPDATE accounts SET username = $2, password_hash = $3
                     WHERE id = $1 AND password_hash IS NULL RETURNING {ACCOUNT_COLS}"
                ),
                &[&(id as i64), &username, &password_hash],
            )
            .map_err(|e| {
                taken(
                    e,
                    &format!("the username `{username}` is taken; pick another"),
                )
            })?;
        row.map(|r| account_row(&r))
            .ok_or_else(|| StoreError::Conflict("this account has a password already".into()))
    }

    fn set_role(&self, id: PlayerId, role: Role) -> Result<Account, StoreError> {
        let row = self
            .db()
            .query_opt(
                &format!("UPDATE accounts SET role = $2 WHERE id = $1 RETURNING {ACCOUNT_COLS}"),
                &[&(id as i64), &role.as_str()],
            )
            .map_err(backend)?;
        row.map(|r| account_row(&r))
            .ok_or_else(|| StoreError::NotFound(format!("no account {id}")))
    }

    fn set_banned(&self, id: PlayerId, banned: bool) -> Result<Account, StoreError> {
        let mut db = self.db();
        let mut tx = db.transaction().map_err(backend)?;
        let row = tx
            .query_opt(
                &format!("UPDATE accounts SET banned = $2 WHERE id = $1 RETURNING {ACCOUNT_COLS}"),
                &[&(id as i64), &banned],
            )
            .map_err(backend)?;
        if banned {
            tx.execute("DELETE FROM tokens WHERE account = $1", &[&(id as i64)])
                .map_err(backend)?;
        }
        tx.commit().map_err(backend)?;
        row.map(|r| account_row(&r))
            .ok_or_else(|| StoreError::NotFound(format!("no account {id}")))
    }

    fn search_accounts(&self, query: &str, limit: u32) -> Result<Vec<Account>, StoreError> {
        let pattern = format!(
            "%{}%",
            query
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        Ok(self
            .db()
            .query(
                &format!(
                    "SELECT {ACCOUNT_COLS} FROM accounts
                     WHERE username ILIKE $1 ESCAPE '\\' OR display_name ILIKE $1 ESCAPE '\\'
                     ORDER BY id LIMIT $2"
                ),
                &[&pattern, &i64::from(limit)],
            )
            .map_err(backend)?
            .iter()
            .map(account_row)
            .collect())
    }

    fn delete_stale_guests(&self, before: i64) -> Result<u64, StoreError> {
        self.db()
            .execute(
                "DELETE FROM accounts WHERE password_hash IS NULL AND role = 'player' AND last_seen < $1
                 AND NOT EXISTS (SELECT 1 FROM match_seats WHERE account = accounts.id)",
                &[&before],
            )
            .map_err(backend)
    }

    fn touch(&self, id: PlayerId, now: i64) -> Result<(), StoreError> {
        self.db()
            .execute(
                "UPDATE accounts SET last_seen = $2 WHERE id = $1",
                &[&(id as i64), &now],
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
        let mut db = self.db();
        let mut tx = db.transaction().map_err(backend)?;
        purge_tokens_in(&mut tx, now)?;
        add_token_in(&mut tx, token_hash, account, expires_at, now)?;
        tx.commit().map_err(backend)
    }

    fn device_sign_ins(
        &self,
        batch: &[DeviceSignIn],
        now: i64,
    ) -> Result<Vec<Account>, StoreError> {
        let mut db = self.db();
        // One transaction, one commit (one WAL flush) for the whole batch.
        let mut tx = db.transaction().map_err(backend)?;
        purge_tokens_in(&mut tx, now)?;
        let mut accounts = Vec::with_capacity(batch.len());
        for s in batch {
            let account = device_account_in(&mut tx, &s.device_id, &s.display_name, now)?;
            if !account.banned {
                add_token_in(&mut tx, &s.token_hash, account.id, s.expires_at, now)?;
            }
            accounts.push(account);
        }
        tx.commit().map_err(backend)?;
        Ok(accounts)
    }

    fn token_account(&self, token_hash: &[u8], now: i64) -> Result<Option<Account>, StoreError> {
        // Every socket's `hello` asks this: the SQL is a constant, not built per call.
        const SQL: &str = "SELECT a.id, a.username, a.display_name, a.role, a.password_hash IS NULL, a.banned, a.created_at
             FROM tokens t JOIN accounts a ON a.id = t.account WHERE t.hash = $1 AND t.expires_at > $2";
        Ok(self
            .db()
            .query_opt(SQL, &[&token_hash, &now])
            .map_err(backend)?
            .map(|r| account_row(&r)))
    }

    fn revoke_token(&self, token_hash: &[u8]) -> Result<(), StoreError> {
        self.db()
            .execute("DELETE FROM tokens WHERE hash = $1", &[&token_hash])
            .map_err(backend)?;
        Ok(())
    }

    fn match_started(&self, start: &crate::MatchStart, now: i64) -> Result<u64, StoreError> {
        let players = &start.players;
        let mut db = self.db();
        let mut tx = db.transaction().map_err(backend)?;
        let id: i64 = tx
            .query_one(
                "INSERT INTO matches (room, game, fingerprint, config, seed, seats, started_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                &[
                    &start.room,
                    &start.game,
                    &start.fingerprint.to_string(),
                    &start.config.to_bytes(),
                    &(start.seed as i64),
                    &(players.len() as i32),
                    &now,
                ],
            )
            .map_err(backend)?
            .get(0);
        for (seat, (account, name)) in players.iter().enumerate() {
            tx.execute(
                "INSERT INTO match_seats (match_id, seat, account, name) VALUES ($1, $2, $3, $4)",
                &[&id, &(seat as i32), &(*account as i64), name],
            )
            .map_err(backend)?;
        }
        // A cluster node owns what it starts, at epoch 1, and its room's directory row says
        // which match runs there (what a survivor claims if this node dies).
        let node = self.fence_lock().as_ref().map(|f| f.node);
        if let Some(node) = node {
            tx.execute(
                "UPDATE matches SET owner = $2, epoch = 1 WHERE id = $1",
                &[&id, &node],
            )
            .map_err(backend)?;
            let key = crate::names::room_name(&start.room)
                .map_or_else(|_| start.room.to_lowercase(), |(_, k)| k);
            tx.execute(
                "UPDATE hearth_rooms SET match_id = $1 WHERE key = $2 AND node = $3",
                &[&id, &key, &node],
            )
            .map_err(backend)?;
        }
        tx.commit().map_err(backend)?;
        if let Some(f) = self.fence_lock().as_mut() {
            f.epochs.insert(id as u64, 1);
        }
        Ok(id as u64)
    }

    fn append_logs(&self, batch: &[LogAppend<'_>]) -> Result<(), StoreError> {
        // Every row in one statement (arrays unnested server-side) and one commit: a round
        // trip per row would cost more than the rows.
        let (mut ids, mut idx, mut ticks, mut seats, mut actions) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut ticked: BTreeMap<i64, (i64, String)> = BTreeMap::new();
        for a in batch {
            for e in a.entries {
                ids.push(a.match_id as i64);
                idx.push(e.index as i64);
                ticks.push(e.tick as i64);
                seats.push(i32::from(e.seat.0));
                actions.push(e.action.to_bytes());
            }
            // A batch may hold one match twice; its later count and hash are the newer.
            ticked.insert(
                a.match_id as i64,
                (a.ticks as i64, hearth_rules::hash_hex(a.hash)),
            );
        }
        let (tick_ids, (tick_counts, hashes)): (Vec<i64>, (Vec<i64>, Vec<String>)) =
            ticked.into_iter().unzip();
        let mut db = self.db();
        let mut tx = db.transaction().map_err(backend)?;
        self.check_fence(&mut tx, &tick_ids)?;
        if !ids.is_empty() {
            tx.execute(
                "INSERT INTO match_log (match_id, idx, tick, seat, action)
                 SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], $3::BIGINT[], $4::INTEGER[], $5::BYTEA[])",
                &[&ids, &idx, &ticks, &seats, &actions],
            )
            .map_err(backend)?;
        }
        if !tick_ids.is_empty() {
            tx.execute(
                "UPDATE matches m SET ticks = v.ticks, log_ticks = v.ticks, log_hash = v.hash
                 FROM unnest($1::BIGINT[], $2::BIGINT[], $3::TEXT[]) AS v(id, ticks, hash)
                 WHERE m.id = v.id",
                &[&tick_ids, &tick_counts, &hashes],
            )
            .map_err(backend)?;
        }
        tx.commit().map_err(backend)
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
        let status = super::store::end_status(outcome);
        let mut db = self.db();
        // The end and the rating in one transaction: whoever sees the match over sees the
        // leaderboard moved.
        let mut tx = db.transaction().map_err(backend)?;
        self.check_fence(&mut tx, &[match_id as i64])?;
        if let (Some(outcome), Some(players)) = (outcome, rated) {
            rate(&mut tx, match_id, players, outcome)?;
        }
        let outcome = outcome.map(|o| serde_json::to_string(o).unwrap_or_default());
        tx.execute(
            "UPDATE matches SET status = $2, outcome = $3, hash = $4, ticks = $5, ended_at = $6 WHERE id = $1",
            &[
                &(match_id as i64),
                &status,
                &outcome,
                &hearth_rules::hash_hex(hash),
                &(ticks as i64),
                &now,
            ],
        )
        .map_err(backend)?;
        if self.fence_lock().is_some() {
            // The room stays (a rematch may follow); it runs no match a survivor must claim.
            tx.execute(
                "UPDATE hearth_rooms SET match_id = NULL WHERE match_id = $1",
                &[&(match_id as i64)],
            )
            .map_err(backend)?;
        }
        tx.commit().map_err(backend)
    }

    fn get_match(&self, id: u64) -> Result<Option<StoredMatch>, StoreError> {
        Ok(matches_where(
            &mut *self.db(),
            &format!("SELECT {MATCH_COLS} FROM matches WHERE id = $1"),
            &[&(id as i64)],
        )?
        .pop())
    }

    fn match_log(&self, id: u64) -> Result<Vec<DynLogEntry>, StoreError> {
        Ok(self
            .db()
            .query(
                "SELECT idx, tick, seat, action FROM match_log WHERE match_id = $1 ORDER BY idx",
                &[&(id as i64)],
            )
            .map_err(backend)?
            .iter()
            .map(|r| DynLogEntry {
                index: r.get::<_, i64>(0) as u64,
                tick: r.get::<_, i64>(1) as u64,
                seat: Seat(r.get::<_, i32>(2) as u8),
                action: Payload::Postcard(r.get(3)),
            })
            .collect())
    }

    fn list_matches(
        &self,
        account: Option<PlayerId>,
        limit: u32,
    ) -> Result<Vec<StoredMatch>, StoreError> {
        let limit = i64::from(limit);
        match account {
            Some(a) => matches_where(
                &mut *self.db(),
                &format!(
                    "SELECT {MATCH_COLS} FROM matches WHERE id IN (SELECT match_id FROM match_seats WHERE account = $1)
                     ORDER BY id DESC LIMIT $2"
                ),
                &[&(a as i64), &limit],
            ),
            None => matches_where(
                &mut *self.db(),
                &format!("SELECT {MATCH_COLS} FROM matches ORDER BY id DESC LIMIT $1"),
                &[&limit],
            ),
        }
    }

    fn running_matches(&self) -> Result<Vec<StoredMatch>, StoreError> {
        matches_where(
            &mut *self.db(),
            &format!("SELECT {MATCH_COLS} FROM matches WHERE status = 'running' ORDER BY id"),
            &[],
        )
    }

    fn leaderboard(&self, game: &str, limit: u32) -> Result<Vec<Standing>, StoreError> {
        Ok(self
            .db()
            .query(
                "SELECT r.account, a.display_name, r.wins, r.losses, r.draws, r.rating
                 FROM ratings r JOIN accounts a ON a.id = r.account
                 WHERE r.game = $1 AND NOT a.banned
                 ORDER BY r.rating DESC, r.wins DESC, r.account LIMIT $2",
                &[&game, &i64::from(limit)],
            )
            .map_err(backend)?
            .iter()
            .map(|r| Standing {
                account: r.get::<_, i64>(0) as PlayerId,
                name: r.get(1),
                wins: r.get::<_, i32>(2) as u32,
                losses: r.get::<_, i32>(3) as u32,
                draws: r.get::<_, i32>(4) as u32,
                rating: r.get(5),
            })
            .collect())
    }
}

/// Applies a finished match to its game's standings inside `tx`, once per match (a match
/// finished again after a recovery is not rated twice).
fn rate(
    tx: &mut postgres::Transaction<'_>,
    match_id: u64,
    players: &[PlayerId],
    outcome: &Outcome,
) -> Result<(), StoreError> {
    let fresh = tx
        .query_opt(
            "UPDATE matches SET rated = TRUE WHERE id = $1 AND NOT rated RETURNING game",
            &[&(match_id as i64)],
        )
        .map_err(backend)?;
    let Some(fresh) = fresh else {
        return Ok(());
    };
    let game: String = fresh.get(0);
    let mut ratings = Vec::with_capacity(players.len());
    for p in players {
        tx.execute(
            "INSERT INTO ratings (game, account) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&game, &(*p as i64)],
        )
        .map_err(backend)?;
        let r: i32 = tx
            .query_one(
                "SELECT rating FROM ratings WHERE game = $1 AND account = $2",
                &[&game, &(*p as i64)],
            )
            .map_err(backend)?
            .get(0);
        ratings.push(r);
    }
    for (p, c) in players
        .iter()
        .zip(super::leaderboard::changes(&ratings, outcome))
    {
        tx.execute(
            "UPDATE ratings SET wins = wins + $3, losses = losses + $4, draws = draws + $5, rating = $6
             WHERE game = $1 AND account = $2",
            &[&game, &(*p as i64), &c.wins, &c.losses, &c.draws, &c.rating],
        )
        .map_err(backend)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://hearth:s3cret@db.example:5433/hearth"),
            "postgres://hearth:***@db.example:5433/hearth"
        );
        assert_eq!(
            redact("postgres://hearth@localhost/hearth"),
            "postgres://hearth@localhost/hearth"
        );
    }
}

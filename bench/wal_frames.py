#!/usr/bin/env python3
"""WAL frames per commit of 16 device sign-ins, with the tokens' key random or in issue order.

Hearth's accounts and tokens schema (server/src/official/sqlite.rs) in a fresh WAL file,
automatic checkpoints off so the log only grows; each commit does what
`SqliteStore::device_sign_ins` does for 16 new devices. Prints the frames (pages) one commit
added to the WAL, every 500 commits.

    python3 bench/wal_frames.py random   # the key is a 32-byte hash (before 2026-12-01)
    python3 bench/wal_frames.py ordered  # the key starts with the issue time (now)
"""
import os
import sqlite3
import sys
import tempfile
import time

ordered = sys.argv[1:] == ["ordered"]
if sys.argv[1:] not in (["random"], ["ordered"]):
    sys.exit(__doc__)
path = os.path.join(tempfile.mkdtemp(), "frames.db")
db = sqlite3.connect(path, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=NORMAL")
db.execute("PRAGMA foreign_keys=ON")
db.execute("PRAGMA wal_autocheckpoint=0")
db.executescript(
    """
    CREATE TABLE accounts (
        id INTEGER PRIMARY KEY, username TEXT UNIQUE COLLATE NOCASE,
        display_name TEXT NOT NULL, password_hash TEXT, device_id TEXT UNIQUE,
        role TEXT NOT NULL DEFAULT 'player', banned INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL, last_seen INTEGER NOT NULL);
    CREATE TABLE tokens (
        hash BLOB PRIMARY KEY,
        account INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        expires_at INTEGER NOT NULL, created_at INTEGER NOT NULL);
    CREATE INDEX tokens_account ON tokens(account);
    CREATE INDEX tokens_expiry ON tokens(expires_at);
    """
)


def frames():
    return os.path.getsize(path + "-wal") // (4096 + 24)


for commit in range(3000):
    now = int(time.time())
    before = frames()
    db.execute("BEGIN")
    db.execute("DELETE FROM tokens WHERE expires_at <= ?", (now,))
    for client in range(16):
        device = f"bench-{client}-{commit}-1234"
        db.execute(
            "INSERT INTO accounts (display_name, device_id, created_at, last_seen) VALUES (?1, ?2, ?3, ?3)"
            " ON CONFLICT(device_id) DO UPDATE SET last_seen = excluded.last_seen",
            ("Bench", device, now),
        )
        account = db.execute("SELECT id FROM accounts WHERE device_id = ?", (device,)).fetchone()[0]
        key = os.urandom(32)
        if ordered:
            key = (time.time_ns() // 1000).to_bytes(8, "big") + key
        db.execute(
            "INSERT INTO tokens (hash, account, expires_at, created_at) VALUES (?, ?, ?, ?)",
            (key, account, now + 30 * 86400, now),
        )
    db.execute("COMMIT")
    if commit % 500 == 499:
        print(f"commit {commit + 1}: {frames() - before} frames")

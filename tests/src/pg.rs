//! A private PostgreSQL server for tests: `initdb` into a fresh temporary directory, listening
//! on 127.0.0.1 (a free port) and a Unix socket in that directory only, stopped and removed
//! when dropped. PostgreSQL refuses to run as root, so as root its programs run as the
//! `postgres` user (Debian's package makes it). Shared by the server's tests and the
//! cross-mode suite (included by path: it needs only the standard library).

use std::path::{Path, PathBuf};
use std::process::Command;

/// A private PostgreSQL server, stopped and removed when dropped.
pub struct PrivatePostgres {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
}

/// The newest installed PostgreSQL's binaries (Debian: /usr/lib/postgresql/N/bin).
fn pg_bin() -> Result<PathBuf, String> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((v, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, b)| b).ok_or_else(|| {
        "PostgreSQL is not installed (scripts/test.sh installs Debian's `postgresql`)".to_string()
    })
}

/// Runs a PostgreSQL program as the `postgres` user when we are root (it refuses to run as
/// root), as ourselves otherwise.
fn as_postgres(program: &Path) -> Command {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn run(mut c: Command, what: &str) -> Result<(), String> {
    let out = c.output().map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

impl PrivatePostgres {
    /// Starts one (about 2 s); panics with the reason if it cannot.
    pub fn start(name: &str) -> PrivatePostgres {
        PrivatePostgres::try_start(name).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Starts one, or says why not.
    pub fn try_start(name: &str) -> Result<PrivatePostgres, String> {
        let bin = pg_bin()?;
        let dir = std::env::temp_dir().join(format!("hearth-pg-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut chown = Command::new("chown");
        chown.arg("postgres").arg(&dir);
        // Only root can (and must) hand the directory to `postgres`.
        let _ = chown.output();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let pg = PrivatePostgres { dir, bin, port };
        let data = pg.dir.join("data");
        let mut initdb = as_postgres(&pg.bin.join("initdb"));
        initdb
            .arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", "hearth", "--no-sync"]);
        run(initdb, "initdb")?;
        let mut ctl = as_postgres(&pg.bin.join("pg_ctl"));
        ctl.arg("-D")
            .arg(&data)
            .arg("-o")
            .arg(format!(
                "-c listen_addresses=127.0.0.1 -p {port} -k {}",
                pg.dir.display()
            ))
            .arg("-l")
            .arg(pg.dir.join("log"))
            .args(["-w", "start"]);
        run(ctl, "pg_ctl start")?;
        Ok(pg)
    }

    /// A new empty database `name`, and its URL.
    pub fn database(&self, name: &str) -> String {
        let mut createdb = Command::new(self.bin.join("createdb"));
        createdb.args([
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-U",
            "hearth",
            name,
        ]);
        run(createdb, "createdb").unwrap_or_else(|e| panic!("{e}"));
        self.url(name)
    }

    /// The URL of database `db` over TCP on loopback.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://hearth@127.0.0.1:{}/{db}", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let mut ctl = as_postgres(&self.bin.join("pg_ctl"));
        ctl.arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "stop"]);
        let _ = ctl.output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

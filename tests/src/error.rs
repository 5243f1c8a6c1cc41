//! Why a harness check could not run or did not hold: the one error type of the harness's
//! public functions (vectors, the C player, Godot, the canary). Every message names the file,
//! vector or tool concerned.

use std::path::PathBuf;

use hearth_rules::RuleError;

/// Why a harness check failed.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// A file or directory could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// A file is not what it should be (a golden vector, a `.gdextension`).
    #[error("{}: {reason}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong and what to do.
        reason: String,
    },
    /// The rules refused to set something up.
    #[error("{context}: {source}")]
    Rules {
        /// What was being set up (a vector's name, a catalog).
        context: String,
        /// The rules' error.
        #[source]
        source: RuleError,
    },
    /// The rules (or a build) do not do what was recorded or expected.
    #[error("{subject}: {what}")]
    Differs {
        /// The vector, library or file concerned.
        subject: String,
        /// The first difference found.
        what: String,
    },
    /// Golden vectors are missing.
    #[error("{}", missing_vectors(dir, game.as_deref()))]
    NoVectors {
        /// Where they should be.
        dir: PathBuf,
        /// The game without any (`None`: there are none at all and this is a CI run).
        game: Option<String>,
    },
    /// A tool the check needs does not run.
    #[error("cannot run {tool}: {source}; install it (the README's test command does)")]
    Tool {
        /// The program.
        tool: String,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// A tool ran and failed.
    #[error("{tool} failed:\n{output}")]
    ToolFailed {
        /// The program.
        tool: String,
        /// Its exit status and output.
        output: String,
    },
    /// A server for the check could not be started.
    #[error("cannot start the server for this check: {0}")]
    Server(String),
}

fn missing_vectors(dir: &std::path::Path, game: Option<&str>) -> String {
    match game {
        Some(game) => format!(
            "{} has no golden vector for {game}; delete the directory to record a fresh set",
            dir.display()
        ),
        None => format!(
            "{} has no golden vectors; run `cargo test` once outside CI and commit the files it writes",
            dir.display()
        ),
    }
}

/// `HarnessError::Io` for `path`.
pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> HarnessError {
    let path = path.into();
    move |source| HarnessError::Io { path, source }
}

/// `HarnessError::Rules` in `context`.
pub(crate) fn rules(context: impl Into<String>) -> impl FnOnce(RuleError) -> HarnessError {
    let context = context.into();
    move |source| HarnessError::Rules { context, source }
}

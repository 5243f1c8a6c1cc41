//! `hearth`: Hearth's command line with its three example games. A game of your own gets the
//! same command from one call with its rules crate's `games` (see `hearth new`).

fn main() -> std::process::ExitCode {
    // Fingerprints traced by build.rs: this binary carries no type tracer.
    hearth_cli::run_fingerprinted(
        hearth_games::games,
        include!(concat!(env!("OUT_DIR"), "/fingerprints.rs")),
    )
}

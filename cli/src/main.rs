//! `hearth`: Hearth's command line with its three example games. A game of your own gets the
//! same command from one call with its rules crate's `games` (see `hearth new`).

fn main() -> std::process::ExitCode {
    hearth_cli::run(hearth_games::games)
}

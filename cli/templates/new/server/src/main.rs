//! `__name__ serve` (the official server), `lan`, `play`, `browse`, `replay`, `games` and
//! `admin`: Hearth's command line over this game. `__name__ --help` lists everything.

fn main() -> std::process::ExitCode {
    hearth_cli::run(__crate___rules::games)
}

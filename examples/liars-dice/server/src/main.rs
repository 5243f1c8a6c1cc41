//! `liars-dice serve` (the official server), `lan`, `play`, `browse`, `replay`, `games` and
//! `admin`: Hearth's command line over this game. `liars-dice --help` lists everything.

fn main() -> std::process::ExitCode {
    hearth_cli::run(liars_dice_rules::games)
}

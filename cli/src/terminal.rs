//! Playing from the terminal, line by line: offline against bots or hot-seat, or online on
//! a LAN host or the official server. The same lines a person types can come from a script
//! (`--script FILE` or a pipe), which is how the tests drive it.
//!
//! Moves: connect-four `4` (a column, 1–7); chameleon `clue WORDS`, `vote SEAT`, `guess WORD`
//! (or `guess N` for the card's N-th word);
//! tanks `w`/`s` (forward/back), `a`/`d` (turn), `f` (fire) combined, e.g. `wdf`, optionally
//! followed by how many ticks to hold it (`wdf 10`), or `.` to coast. Any line starting with
//! `{` or `"` is sent as the action's JSON. Online also: `ready`, `start`, `bot LEVEL`,
//! `chat TEXT`, `wait` (for the next update). `quit` leaves.
//!
//! Any other game gets the **generic player**: the view is printed as readable data and the
//! legal actions as a numbered list; type a number to play that action, or the action as
//! JSON. Offline the list comes from the session; online from the host (`legal`), so it works
//! for hidden-information games too.

use std::io::Write;

use hearth_rules::drive;
use hearth_rules::protocol::{JoinAs, RoomPhase, RoomState};
use hearth_rules::{Catalog, Encoding, Payload, Seat, SyncMode, ValueKind, Viewer};
use serde_json::{Value, json};
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

use hearth_client::{Client, ClientConfig, ClientError, Event};

/// Where input lines come from and where text goes.
pub struct Terminal<R, W> {
    lines: tokio::io::Lines<R>,
    out: W,
}

impl<R: AsyncBufRead + Unpin, W: Write> Terminal<R, W> {
    /// A terminal over a line source and an output.
    pub fn new(input: R, out: W) -> Self {
        Terminal {
            lines: input.lines(),
            out,
        }
    }

    fn say(&mut self, text: impl AsRef<str>) {
        let _ = writeln!(self.out, "{}", text.as_ref());
        let _ = self.out.flush();
    }

    async fn line(&mut self, prompt: &str) -> Option<String> {
        let _ = write!(self.out, "{prompt}");
        let _ = self.out.flush();
        match self.lines.next_line().await {
            Ok(Some(l)) => Some(l.trim().to_string()),
            _ => None,
        }
    }
}

/// The games with a renderer and move syntax of their own here; every other game gets the
/// generic player.
pub const RENDERED: &[&str] = &["connect-four", "chameleon", "tanks"];

/// Whether `game` has its own renderer (else the generic player is used).
pub fn has_renderer(game: &str) -> bool {
    RENDERED.contains(&game)
}

/// A typed line that is not a move: what to type instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{hint}")]
pub struct BadMove {
    /// What to type instead, for the player.
    pub hint: String,
}

impl BadMove {
    fn new(hint: impl Into<String>) -> Self {
        BadMove { hint: hint.into() }
    }
}

/// Why a terminal game could not go on; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum TerminalError {
    /// The rules refused or failed (an unknown game, a bad configuration).
    #[error(transparent)]
    Rules(#[from] hearth_rules::RuleError),
    /// Reaching or talking to the host failed.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The host closed the connection.
    #[error("the host closed the connection; run `hearth play` again to take your seat back")]
    Closed,
    /// Nobody may move in a game that is not over.
    #[error(
        "nobody can move, but the game is not over: a bug in the game's rules (`legal_actions` or `is_over`)"
    )]
    Stuck,
    /// The game ended without an outcome.
    #[error("the game ended without an outcome: a bug in the game's rules (`outcome`)")]
    NoOutcome,
}

/// Turns a typed line into the game's action (JSON) and how many ticks to hold it, or
/// explains what to type. `legal` is the acting seat's legal actions (JSON), which a generic
/// game's numbers pick from.
pub fn parse_move(game: &str, line: &str, legal: &[Value]) -> Result<(Value, u32), BadMove> {
    if line.starts_with('{') || line.starts_with('"') {
        return serde_json::from_str(line)
            .map(|v| (v, 1))
            .map_err(|e| BadMove::new(format!("that JSON does not parse: {e}")));
    }
    match game {
        "connect-four" => match line.parse::<u8>() {
            Ok(c @ 1..=7) => Ok((json!({"column": c - 1}), 1)),
            _ => Err(BadMove::new("type a column number from 1 to 7")),
        },
        "chameleon" => {
            let (verb, rest) = line.split_once(' ').unwrap_or((line, ""));
            let rest = rest.trim();
            match verb {
                "clue" if !rest.is_empty() => Ok((json!({"clue": rest}), 1)),
                "guess" if !rest.is_empty() => Ok((json!({"guess": rest}), 1)),
                "vote" => rest
                    .parse::<u8>()
                    .map(|s| (json!({"vote": s}), 1))
                    .map_err(|_| BadMove::new("type `vote SEAT` with a seat number")),
                _ => Err(BadMove::new(
                    "type `clue WORDS`, `vote SEAT` or `guess WORD`",
                )),
            }
        }
        "tanks" => {
            let (keys, count) = line.split_once(' ').unwrap_or((line, "1"));
            let ticks: u32 = count
                .trim()
                .parse()
                .map_err(|_| BadMove::new("hold for a number of ticks, e.g. `wd 10`"))?;
            if !keys.chars().all(|c| "wsadf.".contains(c)) {
                return Err(BadMove::new(
                    "use w/s to drive, a/d to turn, f to fire (e.g. `wdf 5`), or `.` to coast",
                ));
            }
            let has = |c| keys.contains(c);
            let thrust = i8::from(has('w')) - i8::from(has('s'));
            let turn = i8::from(has('d')) - i8::from(has('a'));
            Ok((
                json!({"turn": turn, "thrust": thrust, "fire": has('f')}),
                ticks.clamp(1, 200),
            ))
        }
        _ => match line.parse::<usize>() {
            Ok(n @ 1..) if n <= legal.len() => Ok((legal[n - 1].clone(), 1)),
            _ if legal.is_empty() => Err(BadMove::new(
                "no legal actions are known here; type the action as JSON",
            )),
            _ => Err(BadMove::new(format!(
                "type the number of a legal action (1–{}) or the action as JSON",
                legal.len()
            ))),
        },
    }
}

/// A value as indented, readable lines (the generic player's view): objects as `key: value`,
/// lists as `- item`, `null` as `—`.
pub fn readable(value: &Value) -> String {
    fn scalar(v: &Value) -> Option<String> {
        match v {
            Value::Null => Some("—".into()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Number(n) => Some(n.to_string()),
            Value::String(s) => Some(s.clone()),
            Value::Array(a) if a.is_empty() => Some("[]".into()),
            Value::Object(o) if o.is_empty() => Some("{}".into()),
            // Short lists of scalars read best on one line: dice, scores, a board row.
            Value::Array(a)
                if a.len() <= 16 && a.iter().all(|x| !x.is_array() && !x.is_object()) =>
            {
                Some(format!(
                    "[{}]",
                    a.iter().filter_map(scalar).collect::<Vec<_>>().join(", ")
                ))
            }
            _ => None,
        }
    }
    fn walk(v: &Value, indent: usize, out: &mut String) {
        let pad = "  ".repeat(indent);
        match v {
            Value::Object(o) => {
                for (k, x) in o {
                    match scalar(x) {
                        Some(s) => out.push_str(&format!("{pad}{k}: {s}\n")),
                        None => {
                            out.push_str(&format!("{pad}{k}:\n"));
                            walk(x, indent + 1, out);
                        }
                    }
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    match scalar(x) {
                        Some(s) => out.push_str(&format!("{pad}{i}: {s}\n")),
                        None => {
                            out.push_str(&format!("{pad}{i}:\n"));
                            walk(x, indent + 1, out);
                        }
                    }
                }
            }
            other => out.push_str(&format!("{pad}{}\n", scalar(other).unwrap_or_default())),
        }
    }
    let mut out = String::new();
    walk(value, 0, &mut out);
    out
}

/// An action on one line: `challenge`, `bid {count: 3, face: 4}`.
pub fn compact(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Object(o) if o.len() == 1 => match o.iter().next() {
            Some((k, v)) => format!("{k} {}", compact(v)),
            None => "{}".into(),
        },
        Value::Object(o) => format!(
            "{{{}}}",
            o.iter()
                .map(|(k, v)| format!("{k}: {}", compact(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Array(a) => format!("[{}]", a.iter().map(compact).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}

/// The generic player's menu: one numbered line per legal action.
pub fn numbered(legal: &[Value]) -> String {
    legal
        .iter()
        .enumerate()
        .map(|(i, a)| format!("  {}) {}\n", i + 1, compact(a)))
        .collect()
}

/// Fills in what needs the view: a chameleon guess by number (`guess 3`) names the third
/// word on the card.
pub fn resolve(game: &str, action: Value, view: &Value) -> Value {
    if game == "chameleon"
        && let Some(n) = action["guess"]
            .as_str()
            .and_then(|g| g.parse::<usize>().ok())
        && let Some(word) = view["words"]
            .get(n.wrapping_sub(1))
            .and_then(|w| w.as_str())
    {
        return json!({"guess": word});
    }
    action
}

/// Renders a view (JSON) for people.
pub fn render(game: &str, view: &Value) -> String {
    match game {
        "connect-four" => {
            let mut s = String::new();
            for row in view["board"].as_array().into_iter().flatten() {
                s.push('|');
                for cell in row.as_array().into_iter().flatten() {
                    s.push_str(match cell.as_u64() {
                        Some(0) => " X",
                        Some(1) => " O",
                        _ => " .",
                    });
                }
                s.push_str(" |\n");
            }
            s.push_str("  1 2 3 4 5 6 7\n");
            if let Some(w) = view["winner"].as_u64() {
                s.push_str(&format!(
                    "Winner: seat {w} ({})\n",
                    if w == 0 { "X" } else { "O" }
                ));
            } else if view["draw"] == true {
                s.push_str("Draw: the board is full\n");
            } else if let Some(t) = view["to_move"].as_u64() {
                s.push_str(&format!(
                    "Seat {t} ({}) to move\n",
                    if t == 0 { "X" } else { "O" }
                ));
            }
            s
        }
        "chameleon" => {
            let mut s = format!(
                "Round {}/{} — {} — topic: {}\nWords: {}\n",
                view["round"],
                view["rounds"],
                view["phase"].as_str().unwrap_or("?"),
                view["topic"].as_str().unwrap_or("?"),
                view["words"]
                    .as_array()
                    .map(|w| w
                        .iter()
                        .filter_map(|x| x.as_str())
                        .collect::<Vec<_>>()
                        .join(", "))
                    .unwrap_or_default()
            );
            match (
                view["you_are_chameleon"].as_bool(),
                view["secret_word"].as_str(),
            ) {
                (Some(true), _) => s.push_str("You are the CHAMELEON: blend in.\n"),
                (_, Some(w)) => s.push_str(&format!("The secret word is: {w}\n")),
                _ => {}
            }
            let clues: Vec<String> = view["clues"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
                .map(|(i, c)| format!("seat {i}: {}", c.as_str().unwrap_or("…")))
                .collect();
            s.push_str(&format!("Clues: {}\n", clues.join("; ")));
            if let Some(t) = view["to_clue"].as_u64() {
                s.push_str(&format!("Seat {t} gives a clue next\n"));
            }
            s.push_str(&format!("Scores: {}\n", view["scores"]));
            if let Some(last) = view.get("last_round").filter(|l| !l.is_null()) {
                s.push_str(&format!(
                    "Last round: the word was {}, the chameleon was seat {}\n",
                    last["word"], last["chameleon"]
                ));
            }
            s
        }
        "tanks" => {
            let mut s = format!("tick {} ({} left)\n", view["tick"], view["ticks_left"]);
            for (i, t) in view["tanks"].as_array().into_iter().flatten().enumerate() {
                s.push_str(&format!(
                    "  seat {i}: at ({}, {}) hp {} score {}\n",
                    t["x"].as_i64().unwrap_or(0) / 1024,
                    t["y"].as_i64().unwrap_or(0) / 1024,
                    t["hp"],
                    t["score"]
                ));
            }
            s
        }
        _ => readable(view),
    }
}

fn json_of(p: Payload) -> Value {
    p.into_json()
}

/// A view of `game` from the wire, as JSON (null if it does not decode).
fn view_json(catalog: &Catalog, game: &str, view: &Payload) -> Value {
    catalog
        .convert(game, ValueKind::View, view, Encoding::Json)
        .map(json_of)
        .unwrap_or(Value::Null)
}

/// Options for [`play_offline`].
pub struct Offline {
    /// Catalog name.
    pub game: String,
    /// Seats (0 for the game's minimum).
    pub seats: u8,
    /// Every seat is a person at this keyboard.
    pub hot_seat: bool,
    /// Bot strength.
    pub level: u8,
    /// Seed for the game.
    pub seed: u64,
}

/// Plays a game entirely on this machine: seat 0 is you (or every seat, hot-seat), bots
/// play the rest. Returns the outcome line.
pub async fn play_offline<R: AsyncBufRead + Unpin, W: Write>(
    term: &mut Terminal<R, W>,
    catalog: &Catalog,
    opts: Offline,
) -> Result<String, TerminalError> {
    let meta = catalog.get(&opts.game)?.clone();
    let seats = if opts.seats == 0 {
        meta.min_seats.max(2)
    } else {
        opts.seats
    };
    let mut s = catalog.create(&opts.game, &Payload::Json(Value::Null), seats, opts.seed)?;
    let human = |seat: u8| opts.hot_seat || seat == 0;
    term.say(format!(
        "{} offline, {seats} seats; you are seat 0{}. `quit` leaves.",
        meta.name,
        if opts.hot_seat {
            " and every other seat"
        } else {
            ", bots play the rest"
        }
    ));
    let real_time = meta.sync_mode() == SyncMode::RealTime;
    let bots: Vec<drive::Bot> = (0..seats)
        .filter(|&seat| !human(seat))
        .map(|seat| drive::Bot {
            seat: Seat(seat),
            level: opts.level,
        })
        .collect();
    while !s.is_over() {
        if real_time {
            let view = json_of(s.view(Viewer::Seat(Seat(0)), Encoding::Json)?);
            term.say(render(&meta.name, &view));
            let Some(line) = term.line("your input> ").await else {
                return Ok("bye".into());
            };
            if line == "quit" {
                return Ok("bye".into());
            }
            let legal = json_of(s.legal_actions(Seat(0), Encoding::Json)?);
            let legal = legal.as_array().map(Vec::as_slice).unwrap_or_default();
            let (action, ticks) = match parse_move(&meta.name, &line, legal) {
                Ok(x) => x,
                Err(why) => {
                    term.say(why.hint);
                    continue;
                }
            };
            for _ in 0..ticks {
                if s.is_over() {
                    break;
                }
                // The room's tick driver: bots decide, inputs apply in seat order, the game
                // ticks. A refused input of yours just does nothing this tick.
                let input = drive::Input {
                    seat: Seat(0),
                    order: 0,
                    action: Payload::Json(action.clone()),
                    tag: (),
                };
                drive::tick(&mut s, vec![input], &bots, Encoding::Json)?;
            }
            continue;
        }
        // Bots move first when one may (the room's bot driver), then the first human seat.
        if let Some((seat, a)) = drive::bot_turn(&s, &bots, Encoding::Json)? {
            s.apply(seat, &a)?;
            term.say(format!(
                "seat {} (bot) played {}",
                seat.0,
                compact(&json_of(a))
            ));
            continue;
        }
        let mut acted = false;
        for seat in 0..seats {
            let legal = json_of(s.legal_actions(Seat(seat), Encoding::Json)?);
            if legal.as_array().is_none_or(|a| a.is_empty()) {
                continue;
            }
            if human(seat) {
                let view = json_of(s.view(Viewer::Seat(Seat(seat)), Encoding::Json)?);
                term.say(render(&meta.name, &view));
                let legal = legal.as_array().map(Vec::as_slice).unwrap_or_default();
                if !has_renderer(&meta.name) {
                    term.say(format!("legal actions:\n{}", numbered(legal)));
                }
                loop {
                    let Some(line) = term.line(&format!("seat {seat}> ")).await else {
                        return Ok("bye".into());
                    };
                    if line == "quit" {
                        return Ok("bye".into());
                    }
                    let action = match parse_move(&meta.name, &line, legal) {
                        Ok((a, _)) => resolve(&meta.name, a, &view),
                        Err(why) => {
                            term.say(why.hint);
                            continue;
                        }
                    };
                    match s.apply(Seat(seat), &Payload::Json(action)) {
                        Ok(_) => break,
                        Err(e) => term.say(format!("not allowed: {e}")),
                    }
                }
                acted = true;
                break;
            }
        }
        if !acted {
            return Err(TerminalError::Stuck);
        }
    }
    let view = json_of(s.view(Viewer::Seat(Seat(0)), Encoding::Json)?);
    term.say(render(&meta.name, &view));
    let outcome = s.outcome().ok_or(TerminalError::NoOutcome)?;
    let line = outcome_line(&outcome);
    term.say(&line);
    Ok(line)
}

/// "Winner: seat 0 — scores [1, 0]" or "Draw. Scores […]".
fn outcome_line(outcome: &hearth_rules::Outcome) -> String {
    if outcome.is_draw() {
        return format!("Draw. Scores {:?}", outcome.scores);
    }
    let winners: Vec<String> = outcome.winners.iter().map(|w| w.0.to_string()).collect();
    format!(
        "Winner: seat {} — scores {:?}",
        winners.join(", "),
        outcome.scores
    )
}

/// Options for [`play_online`].
pub struct Online {
    /// Catalog name.
    pub game: String,
    /// Room to join or create.
    pub room: String,
    /// Connection settings.
    pub config: ClientConfig,
}

/// Plays in a room on a LAN host or the official server. Returns the outcome line.
pub async fn play_online<R: AsyncBufRead + Unpin, W: Write>(
    term: &mut Terminal<R, W>,
    opts: Online,
) -> Result<String, TerminalError> {
    let mut client = Client::connect(opts.config.clone()).await?;
    let me = client.welcome().map(|w| w.name).unwrap_or_default();
    let state = client
        .join_or_create(&opts.room, &opts.game, Value::Null, JoinAs::Player)
        .await?;
    term.say(format!(
        "{me} in room `{}` ({}), seat {:?}. Commands: ready, start, bot LEVEL, chat TEXT, wait, turn, quit, or a move.",
        state.name,
        state.game,
        state.members.iter().find(|m| m.player == state.you).and_then(|m| m.seat)
    ));
    let game = state.game.clone();
    let catalog = opts.config.catalog.clone();
    let min_seats = catalog.get(&game).map(|m| m.min_seats).unwrap_or(1);
    let mut room = state;
    loop {
        // Show what happened since the last line; of many real-time snapshots only the newest.
        let mut newest_snapshot = None;
        while let Some(ev) = client.try_event() {
            if let Event::Snapshot { .. } = ev {
                newest_snapshot = Some(ev);
                continue;
            }
            if let Event::Room(state) = &ev {
                room = state.clone();
            }
            if let Some(done) = show(term, &client, &catalog, &game, ev).await {
                return Ok(done);
            }
        }
        if let Some(ev) = newest_snapshot {
            show(term, &client, &catalog, &game, ev).await;
        }
        let Some(line) = term.line("> ").await else {
            return Ok("bye".into());
        };
        let result = match line.as_str() {
            "" => continue,
            "quit" => {
                let _ = client.leave().await;
                return Ok("bye".into());
            }
            "ready" => client.ready(true).await.map(|_| "ready".to_string()),
            "turn" => {
                match wait_turn(term, &mut client, &catalog, &game, &mut room, min_seats).await {
                    Ok(Some(done)) => return Ok(done),
                    Ok(None) => continue,
                    Err(e) => return Err(e),
                }
            }
            "start" => client.start().await.map(|_| "started".to_string()),
            "wait" => {
                match tokio::time::timeout(std::time::Duration::from_secs(30), client.next_event())
                    .await
                {
                    Ok(Some(ev)) => {
                        if let Some(done) = show(term, &client, &catalog, &game, ev).await {
                            return Ok(done);
                        }
                    }
                    Ok(None) => return Err(TerminalError::Closed),
                    Err(_) => term.say("nothing happened for 30 s"),
                }
                continue;
            }
            l if l.starts_with("bot") => {
                let level = l[3..].trim().parse().unwrap_or(2);
                client
                    .add_bot(level)
                    .await
                    .map(|_| format!("bot (level {level}) seated"))
            }
            l if l.starts_with("chat ") => client
                .request(hearth_rules::protocol::Request::Chat {
                    text: l[5..].into(),
                })
                .await
                .map(|_| String::new()),
            l => match parse_move(&game, l, &online_legal(&client, &game, l).await) {
                Ok((action, ticks)) => {
                    let view = client
                        .latest_view()
                        .map(|v| view_json(&catalog, &game, &v))
                        .unwrap_or(Value::Null);
                    let action = resolve(&game, action, &view);
                    // Real-time inputs apply at the next tick the host simulates.
                    let tick = None;
                    let mut r = Ok(String::new());
                    for _ in 0..ticks {
                        r = client
                            .act(Payload::Json(action.clone()), tick)
                            .await
                            .map(|i| format!("accepted as move {i}"));
                        if r.is_err() {
                            break;
                        }
                    }
                    r
                }
                Err(why) => {
                    term.say(why.hint);
                    continue;
                }
            },
        };
        match result {
            Ok(msg) if !msg.is_empty() => term.say(msg),
            Ok(_) => {}
            Err(e) => term.say(format!("refused: {e}")),
        }
    }
}

/// The legal actions a generic game's typed number picks from, asked of the host (only
/// when the line is a number, so built-in games and JSON lines cost no round trip).
async fn online_legal(client: &Client, game: &str, line: &str) -> Vec<Value> {
    if has_renderer(game) || line.parse::<usize>().is_err() {
        return Vec::new();
    }
    match client.legal_actions().await {
        Ok(Value::Array(a)) => a,
        _ => Vec::new(),
    }
}

/// The `turn` command, for scripted players: waits (at most a minute) until this seat may
/// act or the game ends, showing what happens meanwhile; a room host starts the game as soon
/// as every member is ready and enough seats are taken. `Ok(Some(line))` when the game ended.
async fn wait_turn<R: AsyncBufRead + Unpin, W: Write>(
    term: &mut Terminal<R, W>,
    client: &mut Client,
    catalog: &Catalog,
    game: &str,
    room: &mut RoomState,
    min_seats: u8,
) -> Result<Option<String>, TerminalError> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        match room.phase {
            RoomPhase::Lobby => {
                let seated = room.members.iter().filter(|m| m.seat.is_some()).count();
                if room.host == room.you
                    && seated >= usize::from(min_seats)
                    && room.members.iter().all(|m| m.ready || m.seat.is_none())
                {
                    // Someone may have started meanwhile; the next event says so.
                    let _ = client.start().await;
                }
            }
            RoomPhase::Playing => {
                if let Ok(Value::Array(legal)) = client.legal_actions().await
                    && !legal.is_empty()
                {
                    return Ok(None);
                }
            }
            _ => {}
        }
        let ev = match tokio::time::timeout_at(deadline, client.next_event()).await {
            Ok(Some(ev)) => ev,
            Ok(None) => return Err(TerminalError::Closed),
            Err(_) => {
                term.say("still not your turn after a minute");
                return Ok(None);
            }
        };
        if let Event::Room(state) = &ev {
            *room = state.clone();
        }
        if let Some(done) = show(term, client, catalog, game, ev).await {
            return Ok(Some(done));
        }
    }
}

/// After a view of a generic game: the numbered legal actions, if this seat has any.
async fn show_legal<R: AsyncBufRead + Unpin, W: Write>(
    term: &mut Terminal<R, W>,
    client: &Client,
    game: &str,
) {
    if has_renderer(game) {
        return;
    }
    if let Ok(Value::Array(legal)) = client.legal_actions().await
        && !legal.is_empty()
    {
        term.say(format!("your legal actions:\n{}", numbered(&legal)));
    }
}

/// Prints an event; returns the final line when the game is over.
async fn show<R: AsyncBufRead + Unpin, W: Write>(
    term: &mut Terminal<R, W>,
    client: &Client,
    catalog: &Catalog,
    game: &str,
    ev: Event,
) -> Option<String> {
    let to_json = |p: &Payload| view_json(catalog, game, p);
    match ev {
        Event::Room(state) => {
            if let RoomPhase::Over { outcome, hash } = &state.phase {
                let line = format!("{} (hash {hash})", outcome_line(outcome));
                term.say(&line);
                return Some(line);
            }
            let who: Vec<String> = state
                .members
                .iter()
                .map(|m| {
                    format!(
                        "{}{}{}",
                        m.name,
                        m.seat.map(|s| format!("@{s}")).unwrap_or_default(),
                        if m.ready { "✓" } else { "" }
                    )
                })
                .collect();
            term.say(format!("room: {}", who.join(", ")));
        }
        Event::Started(s) => term.say(format!("game started: you are seat {:?}", s.seat)),
        Event::Entry { seat, .. } => {
            if let Some(m) = client.mirror() {
                let view = m.view(Viewer::Spectator, Encoding::Json).ok().map(json_of);
                term.say(format!("seat {seat} moved"));
                if let Some(v) = view {
                    term.say(render(game, &v));
                }
                show_legal(term, client, game).await;
            }
        }
        Event::View { view, .. } => {
            let v = to_json(&view);
            term.say(render(game, &v));
            show_legal(term, client, game).await;
        }
        Event::Snapshot { view, .. } => {
            let v = to_json(&view);
            term.say(render(game, &v));
        }
        Event::Chat { name, text, .. } => term.say(format!("{name}: {text}")),
        Event::Left(reason) => term.say(format!("you left the room ({reason})")),
        Event::Error(e) => term.say(format!("host: {e}")),
        Event::Desync(i) => term.say(format!(
            "warning: this client disagrees with the host at move {i}"
        )),
        Event::Disconnected(why) => term.say(format!("connection lost ({why}); reconnecting…")),
        Event::Reconnected => term.say("reconnected"),
        Event::Closed(why) => term.say(format!("closed: {why}")),
        Event::Leaderboard { game, standings } => {
            term.say(format!("leaderboard {game}: {} rows", standings.len()))
        }
    }
    None
}

//! The floor: a minimal server that does only what the arena scenario needs on the wire — the
//! same WebSocket frames at the same sizes and rates — and nothing else: no accounts, no game,
//! no room logic, no store. Every room of 8 ticks at 20 Hz and sends each member, per tick,
//! the `accepted` replies to its inputs and one snapshot of a real 8-tank view's size, in one
//! write. One task per connection, one per room, a single-threaded runtime. Hearth's arena CPU
//! per player divided by the floor's says how far Hearth is from what this machine allows.
//! The same server answers device sign-ins (`POST`) with a response of Hearth's size and
//! nothing behind it: the most sign-ins a second this machine serves over HTTP/1.1. And it
//! plays the `turns` scenario's connect-four rooms with the frames Hearth sends (replies,
//! `started`, entries, room states) but no store, no room task and a bot that takes the
//! first legal column, everything one request causes in one write: the most acknowledged
//! turns a second this machine serves over WebSocket.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hearth_games::connect_four::{ConnectFour, ConnectFourConfig, Move};
use hearth_games::tanks::{MapId, TankInput, Tanks, TanksConfig};
use hearth_rules::protocol::{
    ClientMsg, Member, PROTOCOL_VERSION, Reply, Request, RoomPhase, RoomState, ServerMsg, Started,
    Welcome, WireBytes, WireError, from_postcard, to_postcard,
};
use hearth_rules::{Game, Seat, Session, SyncMode, Viewer, hash_hex};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::{BenchError, content_length, err};

/// A room's latest tick: its number and its snapshot, encoded once for every member.
#[derive(Clone)]
struct Tick {
    tick: u64,
    snapshot: tokio_tungstenite::tungstenite::Bytes,
}

struct Room {
    seats: usize,
    /// Ready flags of the members so far.
    ready: Mutex<Vec<bool>>,
    ticks: watch::Sender<Option<Tick>>,
}

struct Floor {
    rooms: Mutex<HashMap<String, Arc<Room>>>,
    /// A real view of an 8-tank arena game in play, postcard: what each snapshot carries.
    view: Vec<u8>,
    next_player: std::sync::atomic::AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A seat's view of an 8-tank game after a few seconds of play (the arena's snapshot size).
fn arena_view() -> Result<Vec<u8>, BenchError> {
    let config = TanksConfig {
        map: MapId::Open,
        duration_secs: 600,
        score_limit: 0,
    };
    let mut s = Session::<Tanks>::new(config, 8, 1).map_err(err)?;
    for t in 0..100u64 {
        for seat in 0..8u8 {
            let input = TankInput {
                turn: ((t + u64::from(seat)) % 3) as i8 - 1,
                thrust: 1,
                fire: (t + u64::from(seat)) % 4 == 0,
            };
            s.apply(Seat(seat), input).map_err(err)?;
        }
        s.tick().map_err(err)?;
    }
    let view = <Tanks as Game>::view(s.state(), Viewer::Seat(Seat(0)));
    Ok(to_postcard(&view))
}

/// Serves the floor on `listener` until the process is stopped.
pub async fn serve_floor(listener: TcpListener) -> Result<(), BenchError> {
    let floor = Arc::new(Floor {
        rooms: Mutex::new(HashMap::new()),
        view: arena_view()?,
        next_player: std::sync::atomic::AtomicU64::new(1),
    });
    let response = Arc::new(sign_in_response());
    loop {
        let (tcp, _) = listener.accept().await.map_err(err)?;
        let _ = tcp.set_nodelay(true);
        let floor = floor.clone();
        let response = response.clone();
        tokio::spawn(async move {
            // Device sign-ins are plain POSTs; everything else is the arena's WebSocket.
            let mut first = [0u8; 5];
            match tcp.peek(&mut first).await {
                Ok(5) if &first == b"POST " => sign_ins(tcp, response).await,
                _ => connection(tcp, floor).await,
            }
        });
    }
}

/// What `hearth serve` answers a device sign-in (`POST /v1/auth/device`), the same size: its
/// headers and a body with a token, an expiry and the account (the shape of a running
/// server's answer; only the values differ).
fn sign_in_response() -> Vec<u8> {
    let body = serde_json::json!({
        "account": {
            "banned": false, "created_at": 1_796_084_156u64, "display_name": "Bench",
            "guest": true, "id": 12_345, "role": "player", "username": null,
        },
        "expires_at": 1_798_676_156u64,
        "token": "hth_00064a1b2c3d4e5fa8162ce626583b0d54cde2029bc1bd3c",
    })
    .to_string();
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\ndate: Tue, 01 Dec 2026 00:00:00 GMT\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The floor's HTTP side: every request on a kept-alive connection is read whole (head and
/// body) and answered with `response` (see [`sign_in_response`]), in one write; no parsing
/// beyond the lengths.
async fn sign_ins(mut tcp: TcpStream, response: Arc<Vec<u8>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        // A whole request: the head, then as many body bytes as it says.
        let whole = buf
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|end| end + 4 + content_length(&buf[..end]));
        match whole {
            Some(len) if buf.len() >= len => {
                buf.drain(..len);
                if tcp.write_all(&response).await.is_err() {
                    return;
                }
            }
            _ => match tcp.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            },
        }
    }
}

fn encode(msg: &ServerMsg<WireBytes>) -> Message {
    Message::Binary(to_postcard(msg).into())
}

fn reply(id: u32, reply: Reply<WireBytes>) -> Message {
    encode(&ServerMsg::Reply { id, reply })
}

async fn connection(tcp: TcpStream, floor: Arc<Floor>) {
    // The buffer sizes `hearth serve` uses.
    let config = WebSocketConfig::default()
        .read_buffer_size(1024)
        .write_buffer_size(4 * 1024);
    let Ok(mut ws) = tokio_tungstenite::accept_async_with_config(tcp, Some(config)).await else {
        return;
    };
    let player = floor
        .next_player
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut room: Option<(Arc<Room>, usize, watch::Receiver<Option<Tick>>)> = None;
    let mut started = false;
    // Inputs since the last tick: acknowledged with the next snapshot, as Hearth does.
    let mut inputs: Vec<u32> = Vec::new();
    // A connect-four room of this player and a bot (the `turns` scenario).
    let mut turns: Option<TurnRoom> = None;
    loop {
        tokio::select! {
            msg = ws.next() => {
                let bytes = match msg {
                    Some(Ok(Message::Binary(b))) => b,
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => continue,
                };
                let Ok(ClientMsg { id, req }) = from_postcard::<ClientMsg<WireBytes>>(&bytes) else {
                    break;
                };
                if let Some(room) = turns.as_mut() {
                    let frames = room.answer(id, req);
                    // Everything the request causes, the bot's move included, in one write.
                    let mut ok = true;
                    for m in frames {
                        ok &= ws.feed(m).await.is_ok();
                    }
                    if !ok || ws.flush().await.is_err() {
                        break;
                    }
                    continue;
                }
                let answer = match req {
                    Request::Action { .. } => {
                        inputs.push(id);
                        continue;
                    }
                    Request::Join { room: name, create: Some(c), .. } if c.game == "connect-four" => {
                        let config = from_postcard::<ConnectFourConfig>(&c.config.0).unwrap_or_default();
                        let room = TurnRoom::new(name, player, config);
                        let joined = reply(id, Reply::Joined(room.state()));
                        turns = Some(room);
                        joined
                    }
                    Request::Hello(hello) => reply(id, Reply::Welcome(Welcome {
                        player,
                        name: hello.name,
                        protocol: PROTOCOL_VERSION,
                        server_version: "floor".into(),
                        games: vec![],
                    })),
                    Request::Join { room: name, create, .. } => {
                        let seats = create.and_then(|c| c.max_seats).unwrap_or(8) as usize;
                        let r = lock(&floor.rooms)
                            .entry(name.clone())
                            .or_insert_with(|| Arc::new(Room {
                                seats,
                                ready: Mutex::new(Vec::new()),
                                ticks: watch::channel(None).0,
                            }))
                            .clone();
                        let seat = {
                            let mut ready = lock(&r.ready);
                            ready.push(false);
                            ready.len() - 1
                        };
                        let state = RoomState {
                            name,
                            game: "tanks".into(),
                            host: 0,
                            you: player,
                            max_seats: r.seats as u8,
                            public: false,
                            has_password: false,
                            members: vec![Member {
                                player,
                                name: String::new(),
                                seat: Some(seat as u8),
                                ready: false,
                                connected: true,
                                bot: false,
                            }],
                            phase: RoomPhase::Lobby,
                        };
                        let rx = r.ticks.subscribe();
                        room = Some((r, seat, rx));
                        reply(id, Reply::Joined(state))
                    }
                    Request::Ready { ready } => {
                        if let Some((r, seat, _)) = &room {
                            let all = {
                                let mut flags = lock(&r.ready);
                                if let Some(f) = flags.get_mut(*seat) {
                                    *f = ready;
                                }
                                flags.len() == r.seats && flags.iter().all(|f| *f)
                            };
                            if all {
                                tokio::spawn(run_room(r.clone(), floor.view.clone()));
                            }
                        }
                        reply(id, Reply::Ok)
                    }
                    _ => reply(id, Reply::Ok),
                };
                if ws.send(answer).await.is_err() {
                    break;
                }
            }
            changed = async {
                match room.as_mut() {
                    Some((_, _, rx)) => rx.changed().await,
                    None => std::future::pending().await,
                }
            } => {
                if changed.is_err() {
                    break;
                }
                let Some((r, seat, rx)) = room.as_mut() else { break };
                let Some(tick) = rx.borrow_and_update().clone() else { continue };
                let mut write = Vec::with_capacity(inputs.len() + 2);
                if !started {
                    started = true;
                    write.push(encode(&ServerMsg::Started(Started {
                        game: "tanks".into(),
                        sync: SyncMode::RealTime,
                        seats: r.seats as u8,
                        players: vec![],
                        seat: Some(*seat as u8),
                        seed: None,
                        config: WireBytes(vec![]),
                        tick_rate: Some(20),
                        resume: None,
                    })));
                }
                for id in inputs.drain(..) {
                    write.push(reply(id, Reply::Accepted { index: 0, tick: tick.tick - 1 }));
                }
                write.push(Message::Binary(tick.snapshot));
                // One write per tick: feed everything, flush once.
                let mut ok = true;
                for m in write {
                    ok &= ws.feed(m).await.is_ok();
                }
                if !ok || ws.flush().await.is_err() {
                    break;
                }
            }
        }
    }
}

/// The player's side of a `turns` room: one member, the bot in seat 1, a game at a time.
struct TurnRoom {
    name: String,
    player: u64,
    config: ConnectFourConfig,
    bot: bool,
    ready: bool,
    game: Option<Session<ConnectFour>>,
    /// Seeds for the games, in turn.
    games: u64,
}

impl TurnRoom {
    fn new(name: String, player: u64, config: ConnectFourConfig) -> TurnRoom {
        TurnRoom {
            name,
            player,
            config,
            bot: false,
            ready: false,
            game: None,
            games: 0,
        }
    }

    /// The room as its member sees it (the shape of Hearth's `room` push).
    fn state(&self) -> RoomState {
        let member = |player, name: &str, seat, ready, bot| Member {
            player,
            name: name.into(),
            seat: Some(seat),
            ready,
            connected: true,
            bot,
        };
        let mut members = vec![member(self.player, "Bench", 0, self.ready, false)];
        if self.bot {
            members.push(member(0, "Bot 1", 1, true, true));
        }
        let phase = match &self.game {
            Some(g) => match g.outcome() {
                Some(outcome) => RoomPhase::Over {
                    outcome,
                    hash: hash_hex(g.hash()),
                },
                None => RoomPhase::Playing,
            },
            None => RoomPhase::Lobby,
        };
        RoomState {
            name: self.name.clone(),
            game: "connect-four".into(),
            host: self.player,
            you: self.player,
            max_seats: 2,
            public: false,
            has_password: false,
            members,
            phase,
        }
    }

    /// The frames answering request `id`, pushes included, in the order Hearth sends them.
    fn answer(&mut self, id: u32, req: Request<WireBytes>) -> Vec<Message> {
        let mut out = Vec::with_capacity(4);
        match req {
            Request::AddBot { .. } => {
                self.bot = true;
                out.push(reply(id, Reply::Ok));
                out.push(encode(&ServerMsg::Room(self.state())));
            }
            Request::Ready { ready } => {
                self.ready = ready;
                out.push(reply(id, Reply::Ok));
                out.push(encode(&ServerMsg::Room(self.state())));
            }
            Request::Start => {
                self.games += 1;
                match Session::<ConnectFour>::new(self.config.clone(), 2, self.games) {
                    Ok(game) => self.game = Some(game),
                    Err(e) => {
                        out.push(refuse(id, e.code(), e.to_string()));
                        return out;
                    }
                }
                self.ready = false;
                out.push(reply(id, Reply::Ok));
                out.push(encode(&ServerMsg::Started(Started {
                    game: "connect-four".into(),
                    sync: SyncMode::PerfectInformation,
                    seats: 2,
                    players: vec![self.player, 0],
                    seat: Some(0),
                    seed: Some(self.games),
                    config: WireBytes(to_postcard(&self.config)),
                    tick_rate: None,
                    resume: None,
                })));
                out.push(encode(&ServerMsg::Room(self.state())));
                self.bot_moves(&mut out);
            }
            Request::Action { action, .. } => {
                let Some(game) = self.game.as_mut() else {
                    out.push(refuse(id, "not_playing", "no game is running".into()));
                    return out;
                };
                let applied = from_postcard::<Move>(&action.0)
                    .map_err(|e| ("bad_action", e.to_string()))
                    .and_then(|mv| {
                        game.apply(Seat(0), mv)
                            .map(|events| to_postcard(&events))
                            .map_err(|e| (e.code(), e.to_string()))
                    });
                match applied {
                    Ok(events) => {
                        let index = game.log().len() as u64 - 1;
                        let tick = game.tick_count();
                        out.push(reply(id, Reply::Accepted { index, tick }));
                        out.push(entry(index, tick, 0, action.0, events));
                        self.bot_moves(&mut out);
                    }
                    Err((code, message)) => out.push(refuse(id, code, message)),
                }
            }
            _ => out.push(reply(id, Reply::Ok)),
        }
        out
    }

    /// The bot's moves while it is its turn (the first legal column: no search), then the
    /// room's state if the game ended.
    fn bot_moves(&mut self, out: &mut Vec<Message>) {
        let Some(game) = self.game.as_mut() else {
            return;
        };
        while let Some(mv) = game
            .legal_actions(Seat(1))
            .ok()
            .and_then(|l| l.into_iter().next())
        {
            let action = to_postcard(&mv);
            let Ok(events) = game.apply(Seat(1), mv).map(|e| to_postcard(&e)) else {
                break;
            };
            let index = game.log().len() as u64 - 1;
            out.push(entry(index, game.tick_count(), 1, action, events));
        }
        if game.is_over() {
            out.push(encode(&ServerMsg::Room(self.state())));
        }
    }
}

fn entry(seq: u64, tick: u64, seat: u8, action: Vec<u8>, events: Vec<u8>) -> Message {
    encode(&ServerMsg::Entry {
        seq,
        tick,
        seat,
        action: WireBytes(action),
        events: WireBytes(events),
    })
}

fn refuse(id: u32, code: &str, message: String) -> Message {
    encode(&ServerMsg::Error {
        id: Some(id),
        error: WireError::new(code, message),
    })
}

/// A room's clock: 20 ticks a second, one snapshot encoded per tick for all its members,
/// until every member has gone.
async fn run_room(room: Arc<Room>, view: Vec<u8>) {
    let mut every = tokio::time::interval(Duration::from_millis(50));
    let mut tick = 0u64;
    loop {
        every.tick().await;
        tick += 1;
        let snapshot = to_postcard(&ServerMsg::Snapshot {
            tick,
            index: tick,
            view: WireBytes(view.clone()),
            events: WireBytes(vec![0]),
        });
        if room
            .ticks
            .send(Some(Tick {
                tick,
                snapshot: snapshot.into(),
            }))
            .is_err()
        {
            return;
        }
    }
}

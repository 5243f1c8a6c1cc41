//! One WebSocket connection: a reader (this task) that decodes requests, answers the
//! host-level ones and forwards room requests to the room, and a writer task that drains the
//! connection's bounded queue and its newest-snapshot slot.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, Utf8Bytes, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use hearth_rules::protocol::{
    ClientMsg, Hello, JoinAs, PROTOCOL_VERSION, Reply, Request, ServerMsg, Welcome, WireBytes,
    WireError, codes, from_json, from_postcard,
};
use hearth_rules::{Encoding, GameMeta, Payload};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::hub::{Hub, RoomRef};
use crate::room::RoomCmd;
use crate::wire::{Ctl, Frame, Latest, Outbox};

/// How long a closing connection may take to flush its last frames.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(2);

struct Link {
    id: u64,
    tx: mpsc::Sender<RoomCmd>,
}

struct Session {
    player: u64,
    name: String,
    offered: Vec<GameMeta>,
}

struct Conn {
    id: u64,
    hub: Arc<Hub>,
    tx: mpsc::Sender<Frame>,
    latest: Arc<Latest>,
    ctl: mpsc::UnboundedSender<Ctl>,
    encoding: Option<Encoding>,
    session: Option<Session>,
    link: Option<Link>,
    bad_frames: u32,
    tokens: f64,
    refilled: Instant,
    limited: u32,
}

/// Why the reader stopped.
enum Exit {
    /// The peer closed or the socket failed.
    Gone,
    /// We close with this code and message.
    Close(&'static str, String),
    /// The peer cannot keep up; drop the socket without waiting for it.
    Abort,
}

/// Serves one upgraded WebSocket until it closes.
pub(crate) async fn serve(socket: WebSocket, hub: Arc<Hub>) {
    hub.metrics.connections.inc();
    let limits = hub.config.limits.clone();
    let (sink, mut stream) = socket.split();
    let (tx, rx) = mpsc::channel(limits.outbound_queue);
    let latest = Arc::new(Latest::default());
    let (ctl_tx, ctl_rx) = mpsc::unbounded_channel();
    let (last_words, last_words_rx) = oneshot::channel();
    let mut writer = tokio::spawn(write_loop(sink, rx, latest.clone(), last_words_rx));
    let mut conn = Conn {
        id: hub.next_id(),
        hub: hub.clone(),
        tx,
        latest,
        ctl: ctl_tx,
        encoding: None,
        session: None,
        link: None,
        bad_frames: 0,
        tokens: f64::from(limits.rate_burst),
        refilled: Instant::now(),
        limited: 0,
    };
    let exit = conn.read_loop(&mut stream, ctl_rx).await;
    hub.set_offline(conn.id);
    if let Some(link) = conn.link.take() {
        let _ = link.tx.send(RoomCmd::Gone { link: link.id }).await;
    }
    match exit {
        Exit::Abort => {
            // The queue is full, so the reason cannot wait its turn: the writer drops what is
            // queued and sends only these, if the peer takes them within the flush timeout.
            let closing = Frame::encode(
                &ServerMsg::Closing {
                    code: codes::SLOW_CONSUMER.to_string(),
                    message: "this connection did not read fast enough and was dropped; reconnect and resume your seat".into(),
                },
                conn.encoding.unwrap_or(Encoding::Json),
            );
            let _ = last_words.send([
                closing,
                Frame::Close(1008, Utf8Bytes::from_static("slow consumer")),
            ]);
            drop(conn);
        }
        Exit::Close(code, message) => {
            conn.send(&ServerMsg::Closing {
                code: code.to_string(),
                message: message.clone(),
            });
            let reason: String = message.chars().take(100).collect();
            let _ = conn
                .tx
                .try_send(Frame::Close(1000, Utf8Bytes::from(reason)));
            drop(conn);
            // Finish the closing handshake: keep reading (and discarding) until the peer's
            // close arrives, so its pongs and last frames do not meet a reset socket that
            // would destroy the message telling it why.
            let _ = tokio::time::timeout(FLUSH_TIMEOUT, async {
                while let Some(Ok(msg)) = stream.next().await {
                    if matches!(msg, Message::Close(_)) {
                        break;
                    }
                }
            })
            .await;
        }
        Exit::Gone => drop(conn),
    }
    if tokio::time::timeout(FLUSH_TIMEOUT, &mut writer)
        .await
        .is_err()
    {
        writer.abort();
    }
    hub.metrics.connections.dec();
}

async fn write_loop(
    mut sink: SplitSink<WebSocket, Message>,
    mut rx: mpsc::Receiver<Frame>,
    latest: Arc<Latest>,
    mut last_words: oneshot::Receiver<[Frame; 2]>,
) {
    loop {
        let frame = tokio::select! {
            biased;
            words = &mut last_words => {
                if let Ok(words) = words {
                    drop(rx);
                    for frame in words {
                        if sink.send(frame.into_message()).await.is_err() {
                            break;
                        }
                    }
                }
                return;
            }
            f = rx.recv() => match f {
                Some(f) => f,
                None => break,
            },
            _ = latest.notify.notified() => match latest.take() {
                Some(f) => f,
                None => continue,
            },
        };
        let close = matches!(frame, Frame::Close(..));
        // Frames queued together go out in one write: a real-time tick queues the replies to
        // its inputs and then the snapshot, and a write (a syscall) per frame was the larger
        // part of a tick's cost per player. Flush once nothing else waits.
        let flush = close || (rx.is_empty() && !latest.waiting());
        let write = async {
            sink.feed(frame.into_message()).await?;
            if flush {
                sink.flush().await?;
            }
            Ok::<(), axum::Error>(())
        };
        // A send blocked on a peer that does not read gives way to the last words (the frame
        // stays buffered in the sink and goes first, so nothing is cut in half).
        let sent = tokio::select! {
            r = write => r.is_ok(),
            words = &mut last_words => {
                if let Ok(words) = words {
                    drop(rx);
                    for frame in words {
                        if sink.send(frame.into_message()).await.is_err() {
                            break;
                        }
                    }
                }
                return;
            }
        };
        if !sent || close {
            break;
        }
    }
    let _ = sink.close().await;
}

impl Conn {
    async fn read_loop(
        &mut self,
        stream: &mut SplitStream<WebSocket>,
        mut ctl: mpsc::UnboundedReceiver<Ctl>,
    ) -> Exit {
        let idle = self.hub.config.limits.idle_timeout;
        let mut ping = tokio::time::interval(idle / 3);
        ping.tick().await;
        let mut last_seen = Instant::now();
        // A socket that upgrades and never says `hello` must not hold its place for the
        // whole idle timeout (pings would keep it alive forever).
        let handshake = self.hub.config.limits.handshake_timeout;
        let hello_by = tokio::time::sleep(handshake);
        tokio::pin!(hello_by);
        let mut shutdown = self.hub.shutdown.clone();
        if *shutdown.borrow() {
            return Exit::Close(codes::SERVER_SHUTDOWN, "the host is shutting down".into());
        }
        loop {
            tokio::select! {
                msg = stream.next() => {
                    let msg = match msg {
                        None => return Exit::Gone,
                        Some(Err(e)) => {
                            if too_large(&e) {
                                return Exit::Close(
                                    codes::FRAME_TOO_LARGE,
                                    format!("messages are limited to {} bytes; send smaller ones",
                                        self.hub.config.limits.max_frame_bytes),
                                );
                            }
                            return Exit::Close(
                                codes::BAD_FRAME,
                                format!("the connection broke the WebSocket rules or the {}-byte message limit ({e})",
                                    self.hub.config.limits.max_frame_bytes),
                            );
                        }
                        Some(Ok(msg)) => msg,
                    };
                    last_seen = Instant::now();
                    let parsed = match msg {
                        Message::Text(text) => {
                            self.encoding.get_or_insert(Encoding::Json);
                            from_json::<ClientMsg<serde_json::Value>>(&text)
                                .map(|m| (m.id, m.req.map_payload(Payload::Json)))
                        }
                        Message::Binary(bytes) => {
                            self.encoding.get_or_insert(Encoding::Postcard);
                            from_postcard::<ClientMsg<WireBytes>>(&bytes)
                                .map(|m| (m.id, m.req.map_payload(Payload::from)))
                        }
                        Message::Close(_) => return Exit::Gone,
                        Message::Ping(_) | Message::Pong(_) => continue,
                    };
                    if let Some(exit) = self.on_frame(parsed).await {
                        return exit;
                    }
                }
                () = &mut hello_by, if self.session.is_none() => {
                    self.hub.metrics.handshake_timeouts.inc();
                    return Exit::Close(
                        codes::IDLE_TIMEOUT,
                        format!("no `hello` within {} s of connecting; send it first", handshake.as_secs_f32()),
                    );
                }
                c = ctl.recv() => match c {
                    Some(Ctl::Close { code, message }) => return Exit::Close(code, message),
                    Some(Ctl::Overflow) => {
                        tracing::info!("disconnecting a client that does not read fast enough");
                        return Exit::Abort;
                    }
                    Some(Ctl::Left { link }) if self.link.as_ref().is_some_and(|l| l.id == link) => {
                        self.link = None;
                    }
                    Some(Ctl::Left { .. }) | None => {}
                },
                _ = ping.tick() => {
                    if last_seen.elapsed() >= idle {
                        return Exit::Close(
                            codes::IDLE_TIMEOUT,
                            format!("nothing arrived for {} s; reconnect (and resume your seat) to go on", idle.as_secs()),
                        );
                    }
                    let _ = self.tx.try_send(Frame::Ping);
                }
                _ = shutdown.changed() => {
                    return Exit::Close(
                        codes::SERVER_SHUTDOWN,
                        "the host is shutting down; try again later".into(),
                    );
                }
            }
        }
    }

    /// Handles one decoded (or undecodable) frame; `Some` ends the connection.
    async fn on_frame(
        &mut self,
        parsed: Result<(u32, Request<Payload>), WireError>,
    ) -> Option<Exit> {
        let (id, req) = match parsed {
            Ok(x) => x,
            Err(e) => {
                self.hub.metrics.bad_frames.inc();
                self.bad_frames += 1;
                if self.bad_frames > self.hub.config.limits.max_bad_frames {
                    return Some(Exit::Close(
                        codes::TOO_MANY_ERRORS,
                        format!(
                            "{} malformed frames; fix the client and reconnect",
                            self.bad_frames
                        ),
                    ));
                }
                self.send(&ServerMsg::Error { id: None, error: e });
                return None;
            }
        };
        if !self.take_token() {
            self.hub.metrics.rate_limited.inc();
            self.limited += 1;
            let limits = &self.hub.config.limits;
            if self.limited > limits.rate_burst {
                return Some(Exit::Close(
                    codes::RATE_LIMITED,
                    format!(
                        "far more than {} messages per second; slow down and reconnect",
                        limits.rate_per_sec
                    ),
                ));
            }
            self.error(
                id,
                codes::RATE_LIMITED,
                format!(
                    "more than {} messages per second; this one was dropped, slow down",
                    limits.rate_per_sec
                ),
            );
            return None;
        }
        self.limited = 0;
        if let Err(e) = self.on_request(id, req).await {
            self.send(&ServerMsg::Error {
                id: Some(id),
                error: e,
            });
        }
        None
    }

    fn take_token(&mut self) -> bool {
        let limits = &self.hub.config.limits;
        let now = Instant::now();
        let dt = now.duration_since(self.refilled).as_secs_f64();
        self.refilled = now;
        self.tokens =
            (self.tokens + dt * f64::from(limits.rate_per_sec)).min(f64::from(limits.rate_burst));
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    async fn on_request(&mut self, id: u32, req: Request<Payload>) -> Result<(), WireError> {
        let Some(session) = &self.session else {
            let Request::Hello(hello) = req else {
                return Err(WireError::new(codes::BAD_REQUEST, "send `hello` first"));
            };
            let welcome = self.hello(&hello).await?;
            self.reply(id, Reply::Welcome(welcome));
            return Ok(());
        };
        match req {
            Request::Hello(_) => Err(WireError::new(
                codes::BAD_REQUEST,
                "`hello` was sent already",
            )),
            Request::Ping => {
                self.reply(id, Reply::Pong);
                Ok(())
            }
            Request::ListGames => {
                self.reply(id, Reply::Games(session.offered.clone()));
                Ok(())
            }
            Request::ListRooms => {
                self.reply(id, Reply::Rooms(self.hub.public_rooms()));
                Ok(())
            }
            Request::SubscribeLeaderboard { game } => {
                self.hub.config.catalog.get(&game)?;
                let Some(source) = self.hub.config.leaderboards.clone() else {
                    return Err(WireError::new(
                        codes::UNAVAILABLE,
                        "this host keeps no leaderboards",
                    ));
                };
                let standings = source.standings(&game).await?;
                self.hub.subscribe_leaderboard(&game, self.outbox());
                self.reply(id, Reply::Ok);
                self.send(&ServerMsg::Leaderboard { game, standings });
                Ok(())
            }
            Request::CreateRoom { name, options } => {
                self.not_in_room()?;
                let (name, key) = crate::names::room_name(&name)?;
                self.offered(&options.game)?;
                let player = self.session.as_ref().map(|s| s.player).unwrap_or_default();
                let room = self
                    .hub
                    .find_or_create(&name, &key, Some(&options), true, player)?;
                self.enter(room, id, None, JoinAs::Player).await
            }
            Request::Join {
                room,
                password,
                join_as,
                create,
            } => {
                self.not_in_room()?;
                let (name, key) = crate::names::room_name(&room)?;
                if let Some(options) = &create {
                    self.offered(&options.game)?;
                }
                let player = self.session.as_ref().map(|s| s.player).unwrap_or_default();
                let room = self
                    .hub
                    .find_or_create(&name, &key, create.as_ref(), false, player)?;
                self.offered(&room.game)?;
                self.enter(room, id, password, join_as).await
            }
            Request::Resume { token, next } => {
                self.not_in_room()?;
                let tx = self.hub.token_room(&token).ok_or_else(|| {
                    WireError::new(
                        codes::BAD_RESUME,
                        "that resume token is unknown or expired; join the room again",
                    )
                })?;
                let link = self.hub.next_id();
                let cmd = RoomCmd::Resume {
                    link,
                    player: session.player,
                    outbox: self.outbox(),
                    id,
                    token,
                    next,
                };
                self.link = Some(Link {
                    id: link,
                    tx: tx.clone(),
                });
                self.forward(&tx, cmd).await
            }
            req => {
                let Some(link) = &self.link else {
                    return Err(WireError::new(
                        codes::NOT_IN_ROOM,
                        "join or create a room first",
                    ));
                };
                let tx = link.tx.clone();
                let cmd = RoomCmd::Request {
                    link: link.id,
                    id,
                    req,
                };
                self.forward(&tx, cmd).await
            }
        }
    }

    async fn hello(&mut self, hello: &Hello) -> Result<Welcome, WireError> {
        if hello.protocol != PROTOCOL_VERSION {
            return Err(WireError::new(
                codes::PROTOCOL_MISMATCH,
                format!(
                    "this host speaks Hearth protocol {PROTOCOL_VERSION}, the client {}; update the {}",
                    hello.protocol,
                    if hello.protocol < PROTOCOL_VERSION {
                        "client"
                    } else {
                        "host"
                    }
                ),
            ));
        }
        let catalog = &self.hub.config.catalog;
        let mut mismatched = Vec::new();
        for theirs in &hello.fingerprints {
            if let Ok(ours) = catalog.get(&theirs.game)
                && ours.fingerprint != *theirs
            {
                mismatched.push(format!(
                    "{} (host {}, client {theirs})",
                    theirs.game, ours.fingerprint
                ));
            }
        }
        if !mismatched.is_empty() {
            return Err(WireError::new(
                codes::RULES_MISMATCH,
                format!(
                    "the client's rules differ from the host's for {}; update whichever is older",
                    mismatched.join(", ")
                ),
            ));
        }
        let offered: Vec<GameMeta> = catalog
            .games()
            .filter(|g| {
                hello.fingerprints.is_empty() || hello.fingerprints.contains(&g.fingerprint)
            })
            .cloned()
            .collect();
        let identity = self.hub.config.auth.authenticate(hello).await?;
        let player = identity.player.unwrap_or_else(|| self.hub.next_id());
        self.hub.set_online(
            self.id,
            crate::hub::Online {
                player,
                name: identity.name.clone(),
            },
            identity.session,
            self.ctl.clone(),
        );
        self.session = Some(Session {
            player,
            name: identity.name.clone(),
            offered: offered.clone(),
        });
        Ok(Welcome {
            player,
            name: identity.name,
            protocol: PROTOCOL_VERSION,
            server_version: self.hub.config.server_version.clone(),
            games: offered,
        })
    }

    fn offered(&self, game: &str) -> Result<(), WireError> {
        let session = self.session.as_ref();
        if session.is_some_and(|s| s.offered.iter().any(|g| g.name == game)) {
            return Ok(());
        }
        // Name the game only if it exists, so the catalog's own error explains unknown ones.
        self.hub.config.catalog.get(game)?;
        Err(WireError::new(
            codes::GAME_NOT_OFFERED,
            format!(
                "`{game}` is not among the games your handshake matched; send its fingerprint in hello"
            ),
        ))
    }

    fn not_in_room(&self) -> Result<(), WireError> {
        if self.link.is_some() {
            return Err(WireError::new(
                codes::ALREADY_IN_ROOM,
                "leave your room first",
            ));
        }
        Ok(())
    }

    async fn enter(
        &mut self,
        room: RoomRef,
        id: u32,
        password: Option<String>,
        join_as: JoinAs,
    ) -> Result<(), WireError> {
        let Some(session) = &self.session else {
            return Err(WireError::new(codes::BAD_REQUEST, "send `hello` first"));
        };
        let link = self.hub.next_id();
        let cmd = RoomCmd::Join {
            link,
            player: session.player,
            name: session.name.clone(),
            outbox: self.outbox(),
            id,
            password,
            join_as,
            creator: room.created,
        };
        self.link = Some(Link {
            id: link,
            tx: room.tx.clone(),
        });
        self.forward(&room.tx, cmd).await
    }

    async fn forward(&mut self, tx: &mpsc::Sender<RoomCmd>, cmd: RoomCmd) -> Result<(), WireError> {
        if tx.send(cmd).await.is_err() {
            self.link = None;
            return Err(WireError::new(
                codes::UNKNOWN_ROOM,
                "that room has just closed",
            ));
        }
        Ok(())
    }

    fn outbox(&self) -> Outbox {
        Outbox::new(
            self.encoding.unwrap_or(Encoding::Json),
            self.tx.clone(),
            self.latest.clone(),
            self.ctl.clone(),
            self.hub.metrics.clone(),
        )
    }

    fn send(&self, msg: &ServerMsg<Payload>) {
        self.outbox().send_msg(msg);
    }

    fn reply(&self, id: u32, reply: Reply<Payload>) {
        self.send(&ServerMsg::Reply { id, reply });
    }

    fn error(&self, id: u32, code: &str, message: String) {
        self.send(&ServerMsg::Error {
            id: Some(id),
            error: WireError::new(code, message),
        });
    }
}

/// Whether a socket error is the message-size limit.
fn too_large(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(tungstenite::Error::Capacity(_)) = err.downcast_ref::<tungstenite::Error>() {
            return true;
        }
        source = err.source();
    }
    false
}

//! One WebSocket connection, one task: it decodes requests, answers the host-level ones and
//! forwards room requests to the room, and writes what rooms queue for it — the bounded
//! queue of reliable frames and the newest-snapshot slot — all frames ready at once in one
//! write. (A reader and a writer task joined by a lock cost a wake-up, a lock and a task
//! each per player per tick; see BENCHMARKS.md.) While a write waits for a peer that does
//! not read, only what can end the connection is heeded: the room's overflow signal, a
//! close (shutdown is one), and the idle timeout.
//!
//! An idle connection's task waits on its mailbox and its socket and nothing else: the
//! handshake deadline, the idle timeout and pings run on the host's one clock (`hub::clock`,
//! which ticks every mailbox), so no socket carries a timer, and the WebSocket framing keeps
//! no buffer between messages (`ws`). See BENCHMARKS.md, *Held sockets*.

use std::sync::Arc;
use std::time::Duration;

use std::future::poll_fn;
use std::task::Poll;

use hearth_rules::protocol::{
    ClientMsg, Hello, JoinAs, PROTOCOL_VERSION, Reply, Request, ServerMsg, Welcome, WireBytes,
    WireError, codes, from_json, from_postcard,
};
use hearth_rules::{Encoding, GameMeta, Payload};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::hub::{Hub, RoomRef};
use crate::room::RoomCmd;
use crate::wire::{Ctl, Frame, Mailbox, Outbox};
use crate::ws::{FrameError, Message, WebSocket, WsError};

/// How long a closing connection may take to flush its last frames.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(2);

struct Link {
    id: u64,
    tx: mpsc::Sender<RoomCmd>,
}

struct Session {
    player: u64,
    name: String,
    /// The games the handshake matched, by name; `None` for all of the catalog's (the usual
    /// case, kept without a copy of the catalog per connection).
    offered: Option<Box<[String]>>,
}

impl Session {
    fn offers(&self, game: &str) -> bool {
        self.offered
            .as_ref()
            .is_none_or(|names| names.iter().any(|n| n == game))
    }
}

/// What a connection of a cluster node keeps to enter rooms other nodes run (see
/// `proxy`): the client's `hello` and the frame being handled, to repeat them there.
#[cfg(feature = "cluster")]
#[derive(Default)]
struct Routing {
    hello: Option<Message>,
    frame: Option<Message>,
    /// Set when the request just handled goes to another node from now on.
    upstream: Option<(crate::proxy::Upstream, Message)>,
    /// Set when the room's node could not be found in time for a resume: the socket is
    /// dropped so the client tries again (an error would make it give its seat up).
    give_up: bool,
}

/// Where a room request goes.
enum Route {
    /// To a room of this host (`claimed`: this host just took the name in the cluster).
    Local { claimed: bool },
    /// To another node (the connection is handed to the proxy), or nowhere for now.
    #[cfg_attr(not(feature = "cluster"), allow(dead_code))]
    Away,
}

/// How long entering a room waits for a cluster to move it off a dead node.
#[cfg(feature = "cluster")]
const ROUTE_WAIT: Duration = Duration::from_secs(10);

struct Conn {
    id: u64,
    hub: Arc<Hub>,
    mailbox: Arc<Mailbox>,
    encoding: Option<Encoding>,
    /// Boxed: an idle socket's task carries the connection, and the box is a pointer.
    session: Option<Box<Session>>,
    link: Option<Link>,
    bad_frames: u32,
    tokens: f64,
    refilled: Instant,
    limited: u32,
    /// Only on cluster nodes (boxed: most hosts have none, and idle sockets pay for size).
    #[cfg(feature = "cluster")]
    routing: Option<Box<Routing>>,
}

/// Why the connection stopped.
enum Exit {
    /// The peer closed or the socket failed.
    Gone,
    /// We close with this code and message.
    Close(&'static str, String),
    /// The peer cannot keep up; drop the socket without waiting for it.
    Abort,
    /// From now on the connection is passed to another node of the cluster.
    #[cfg(feature = "cluster")]
    Proxy,
}

/// How far handling a frame got without waiting.
enum Step {
    /// Handled; `Some` ends the connection.
    Done(Option<Exit>),
    /// A request that waits for something (the handshake's sign-in check, a room).
    Later(u32, Request<Payload>),
    /// A room request whose room's queue is full: wait for room in it.
    QueueFull(u32, mpsc::Sender<RoomCmd>, RoomCmd),
}

/// The receiving end of the connection's mailbox: once it is dropped, the mailbox drops
/// whatever arrives and rooms see the connection as gone.
struct Inbound(Arc<Mailbox>);

impl Drop for Inbound {
    fn drop(&mut self) {
        self.0.close();
    }
}

#[cfg(feature = "cluster")]
fn conn_routing(cluster: &bool) -> Option<Box<Routing>> {
    cluster.then(Box::default)
}

/// Serves one upgraded WebSocket until it closes.
///
/// Not an `async fn`: its arguments would be stored twice in the future (once as captured,
/// once as locals), and every idle socket's task pays for its future's size
/// (BENCHMARKS.md, *Held sockets*). The block below uses what it captures in place.
pub(crate) fn serve(socket: WebSocket, hub: Arc<Hub>) -> impl Future<Output = ()> + Send {
    hub.metrics.connections.inc();
    let mailbox = Mailbox::new(hub.config.limits.outbound_queue, hub.metrics.clone());
    let inbound = Inbound(mailbox.clone());
    let tokens = f64::from(hub.config.limits.rate_burst);
    #[cfg(feature = "cluster")]
    let hub_cluster = hub.config.cluster.is_some();
    let mut conn = Conn {
        id: hub.next_id(),
        hub,
        mailbox,
        encoding: None,
        session: None,
        link: None,
        bad_frames: 0,
        tokens,
        refilled: Instant::now(),
        limited: 0,
        #[cfg(feature = "cluster")]
        routing: conn_routing(&hub_cluster),
    };
    let mut socket = socket;
    async move {
        #[allow(unused_mut)]
        let mut exit = conn.run(&mut socket).await;
        #[cfg(feature = "cluster")]
        if let Exit::Proxy = exit {
            let proxy = Box::pin(conn.proxy(&mut socket));
            exit = proxy.await;
        }
        // Boxed: the goodbye's waits are large and happen once, and a task is as large as
        // its largest wait, which every idle socket would pay for.
        let goodbye = Box::pin(farewell(socket, conn, inbound, exit));
        goodbye.await;
    }
}

/// Refuses an upgraded socket before its `hello`: `closing` with `code` and `message` (JSON,
/// the encoding before a `hello`), then a close frame (1008), within the flush timeout.
pub(crate) async fn refuse(mut socket: WebSocket, code: &'static str, message: String) {
    let reason: String = message.chars().take(100).collect();
    Frame::encode(
        &ServerMsg::Closing {
            code: code.to_string(),
            message,
        },
        Encoding::Json,
    )
    .queue_on(&mut socket);
    socket.queue_close(1008, &reason);
    let _ = tokio::time::timeout(FLUSH_TIMEOUT, socket.flush()).await;
}

/// Tells the room and the peer that the connection ends, and why.
async fn farewell(mut socket: WebSocket, mut conn: Conn, inbound: Inbound, exit: Exit) {
    let hub = conn.hub.clone();
    hub.unregister(conn.id);
    hub.set_offline(conn.id);
    if let Some(link) = conn.link.take() {
        let _ = link.tx.send(RoomCmd::Gone { link: link.id }).await;
    }
    let encoding = conn.encoding.unwrap_or(Encoding::Json);
    drop(conn);
    let closing = |code: &str, message: String| {
        Frame::encode(
            &ServerMsg::Closing {
                code: code.to_string(),
                message,
            },
            encoding,
        )
    };
    match exit {
        Exit::Abort => {
            // The queue is full, so the reason cannot wait its turn: what is queued is
            // dropped and only these go, if the peer takes them within the flush timeout
            // (a frame half-written before stays buffered and goes first, so nothing is cut
            // in half).
            drop(inbound);
            closing(codes::SLOW_CONSUMER, "this connection did not read fast enough and was dropped; reconnect and resume your seat".into())
                .queue_on(&mut socket);
            socket.queue_close(1008, "slow consumer");
            let _ = tokio::time::timeout(FLUSH_TIMEOUT, socket.flush()).await;
        }
        Exit::Close(code, message) => {
            // What was queued goes first, then why, then the close frame.
            let reason: String = message.chars().take(100).collect();
            while let Some(frame) = inbound.0.next_reliable() {
                frame.queue_on(&mut socket);
            }
            closing(code, message).queue_on(&mut socket);
            socket.queue_close(1000, &reason);
            let _ = tokio::time::timeout(FLUSH_TIMEOUT, socket.flush()).await;
            drop(inbound);
            // Finish the closing handshake: keep reading (and discarding) until the peer's
            // close arrives, so its pongs and last frames do not meet a reset socket that
            // would destroy the message telling it why.
            let _ = tokio::time::timeout(FLUSH_TIMEOUT, async {
                while let Some(Ok(msg)) = socket.recv().await {
                    if msg == Message::Close {
                        break;
                    }
                }
            })
            .await;
        }
        Exit::Gone => {
            // A peer that closed gets its close frame echoed, if it still reads.
            if socket.closed_by_peer() && socket.has_output() {
                let _ = tokio::time::timeout(FLUSH_TIMEOUT, socket.flush()).await;
            }
        }
        #[cfg(feature = "cluster")]
        Exit::Proxy => {}
    }
    hub.metrics.connections.dec();
}

impl Conn {
    async fn run(&mut self, socket: &mut WebSocket) -> Exit {
        // Times as milliseconds on the hub's clock, 8 bytes each instead of an `Instant`'s 16:
        // they are carried by every idle socket's task.
        let opened = self.hub.millis();
        let mut last_seen = opened;
        let mut last_ping = opened;
        if !self.hub.register(self.id, &self.mailbox) {
            return Exit::Close(codes::SERVER_SHUTDOWN, crate::hub::SHUTTING_DOWN.into());
        }
        let mailbox = self.mailbox.clone();
        loop {
            // The mailbox is looked at after every wake-up, whatever woke the task, so
            // nothing put in it while a write was under way waits for the next one.
            if let Some(exit) = self.heed_ctl() {
                return exit;
            }
            // The host's clock (no timer per socket: see `Hub::tick`).
            if mailbox.take_tick() {
                let now = self.hub.millis();
                let limits = &self.hub.config.limits;
                let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
                let (idle, handshake) = (limits.idle_timeout, limits.handshake_timeout);
                // A socket that upgrades and never says `hello` must not hold its place for
                // the whole idle timeout (pings would keep it alive forever).
                if self.session.is_none() && now >= opened.saturating_add(ms(handshake)) {
                    self.hub.metrics.handshake_timeouts.inc();
                    return Exit::Close(
                        codes::IDLE_TIMEOUT,
                        format!(
                            "no `hello` within {} s of connecting; send it first",
                            handshake.as_secs_f32()
                        ),
                    );
                }
                if now >= last_seen.saturating_add(ms(idle)) {
                    return Exit::Close(
                        codes::IDLE_TIMEOUT,
                        format!(
                            "nothing arrived for {} s; reconnect (and resume your seat) to go on",
                            idle.as_secs()
                        ),
                    );
                }
                if now >= last_ping.saturating_add(ms(idle / 3)) {
                    last_ping = now;
                    Frame::Ping.queue_on(socket);
                }
            }
            // Everything ready goes in one write: a real-time tick queues the replies to its
            // inputs and then the snapshot, and a write (a system call) per frame was the
            // larger part of a tick's cost per player.
            while let Some(frame) = mailbox.next_frame() {
                frame.queue_on(socket);
            }
            if socket.has_output() {
                // Almost every write completes at once; only a peer that does not read makes
                // the connection wait, in a boxed future (an idle socket does not carry it).
                match poll_fn(|cx| Poll::Ready(socket.poll_flush(cx))).await {
                    Poll::Ready(Ok(())) => {}
                    Poll::Ready(Err(_)) => return Exit::Gone,
                    Poll::Pending => {
                        let deadline =
                            self.hub.instant_at(last_seen) + self.hub.config.limits.idle_timeout;
                        let wait = Box::pin(self.write(socket, &mailbox, deadline));
                        if let Some(exit) = wait.await {
                            return exit;
                        }
                        continue;
                    }
                }
            }
            // Wait for the mailbox (first: what rooms sent goes before reading more) or the
            // socket. The wait holds nothing but references: its future is as small as an
            // idle socket's task can be (BENCHMARKS.md, *Held sockets*).
            let msg = poll_fn(|cx| {
                if mailbox.poll_ready(cx).is_ready() {
                    return Poll::Ready(None);
                }
                socket.poll_recv(cx).map(Some)
            })
            .await;
            let Some(read) = msg else {
                continue;
            };
            let step = match self.on_read(read) {
                Ok(step) => step,
                Err(exit) => return exit,
            };
            last_seen = self.hub.millis();
            // Boxed, and the step gone before the wait: it holds a whole request, and an
            // idle socket's task would carry room for it (a `match` keeps its scrutinee
            // until its end, across an `.await` in an arm).
            let wait = match step {
                Step::Done(None) => continue,
                Step::Done(Some(exit)) => return exit,
                step => Box::pin(self.finish(step)),
            };
            if let Some(exit) = wait.await {
                return exit;
            }
        }
    }

    /// Waits until the peer takes what is queued. Meanwhile only the room's overflow
    /// signal, a close (shutdown among them) or the idle `deadline` (nothing read meanwhile)
    /// end the wait.
    async fn write(
        &mut self,
        socket: &mut WebSocket,
        mailbox: &Mailbox,
        deadline: Instant,
    ) -> Option<Exit> {
        let mut sleep = std::pin::pin!(tokio::time::sleep_until(deadline));
        loop {
            tokio::select! {
                // A write that can finish does, even if the idle deadline has just passed.
                biased;
                written = socket.flush() => return written.err().map(|_| Exit::Gone),
                () = poll_fn(|cx| mailbox.poll_ctl(cx)) => {
                    if let Some(exit) = self.heed_ctl() {
                        return Some(exit);
                    }
                }
                () = &mut sleep => {
                    tracing::info!("disconnecting a client that has not read for the idle timeout");
                    return Some(Exit::Abort);
                }
            }
        }
    }

    /// Carries out every control waiting in the mailbox; `Some` ends the connection.
    fn heed_ctl(&mut self) -> Option<Exit> {
        while let Some(ctl) = self.mailbox.take_ctl() {
            if let Some(exit) = self.on_ctl(ctl) {
                return Some(exit);
            }
        }
        None
    }

    /// What a room or the hub told the connection; `Some` ends it.
    fn on_ctl(&mut self, ctl: Ctl) -> Option<Exit> {
        match ctl {
            Ctl::Close { code, message } => Some(Exit::Close(code, message)),
            Ctl::Overflow => {
                tracing::info!("disconnecting a client that does not read fast enough");
                Some(Exit::Abort)
            }
            Ctl::Drop => Some(Exit::Gone),
            Ctl::Left { link } => {
                if self.link.as_ref().is_some_and(|l| l.id == link) {
                    self.link = None;
                }
                None
            }
        }
    }

    /// Handles one decoded (or undecodable) frame, at once if it can: `Step::Done(Some(_))`
    /// ends the connection, the other steps are waits for [`Conn::finish`].
    /// What a read from the socket asks for: a step, or the end of the connection.
    ///
    /// Not inline in `run`: the message would stay in `run`'s future across the request's
    /// wait (a `match` that moves out of a value keeps its storage and a drop flag), and
    /// every idle socket's task would carry room for it (BENCHMARKS.md, *Held sockets*).
    fn on_read(&mut self, read: Option<Result<Message, WsError>>) -> Result<Step, Exit> {
        let msg = match read {
            None => return Err(Exit::Gone),
            Some(Err(WsError::Frame(FrameError::TooLarge(_)))) => {
                return Err(Exit::Close(
                    codes::FRAME_TOO_LARGE,
                    format!(
                        "messages are limited to {} bytes; send smaller ones",
                        self.hub.config.limits.max_frame_bytes
                    ),
                ));
            }
            Some(Err(WsError::Io(_))) => return Err(Exit::Gone),
            Some(Err(e)) => {
                return Err(Exit::Close(
                    codes::BAD_FRAME,
                    format!(
                        "the connection broke the WebSocket rules ({e}); fix the client and reconnect"
                    ),
                ));
            }
            Some(Ok(msg)) => msg,
        };
        #[cfg(feature = "cluster")]
        if let Some(r) = self.routing.as_mut() {
            // A clone is a reference count: the frame may go to another node.
            r.frame = Some(msg.clone());
        }
        let parsed = match msg {
            Message::Text(text) => {
                self.encoding.get_or_insert(Encoding::Json);
                from_json::<ClientMsg<serde_json::Value>>(text.as_str())
                    .map(|m| (m.id, m.req.map_payload(Payload::Json)))
            }
            Message::Binary(bytes) => {
                self.encoding.get_or_insert(Encoding::Postcard);
                from_postcard::<ClientMsg<WireBytes>>(&bytes)
                    .map(|m| (m.id, m.req.map_payload(Payload::from)))
            }
            Message::Close => return Err(Exit::Gone),
            // A ping's pong was queued and goes at the top of the loop.
            Message::Ping | Message::Pong => return Ok(Step::Done(None)),
        };
        Ok(self.on_frame(parsed))
    }

    fn on_frame(&mut self, parsed: Result<(u32, Request<Payload>), WireError>) -> Step {
        let (id, req) = match parsed {
            Ok(x) => x,
            Err(e) => {
                self.hub.metrics.bad_frames.inc();
                self.bad_frames += 1;
                if self.bad_frames > self.hub.config.limits.max_bad_frames {
                    return Step::Done(Some(Exit::Close(
                        codes::TOO_MANY_ERRORS,
                        format!(
                            "{} malformed frames; fix the client and reconnect",
                            self.bad_frames
                        ),
                    )));
                }
                self.send(&ServerMsg::Error { id: None, error: e });
                return Step::Done(None);
            }
        };
        if !self.take_token() {
            self.hub.metrics.rate_limited.inc();
            self.limited += 1;
            let limits = &self.hub.config.limits;
            if self.limited > limits.rate_burst {
                return Step::Done(Some(Exit::Close(
                    codes::RATE_LIMITED,
                    format!(
                        "far more than {} messages per second; slow down and reconnect",
                        limits.rate_per_sec
                    ),
                )));
            }
            self.error(
                id,
                codes::RATE_LIMITED,
                format!(
                    "more than {} messages per second; this one was dropped, slow down",
                    limits.rate_per_sec
                ),
            );
            return Step::Done(None);
        }
        self.limited = 0;
        self.on_request_now(id, req)
    }

    /// What [`Conn::on_frame`] left to wait for, boxed: a connection's task is as large as
    /// its largest wait, and every idle socket pays for it (BENCHMARKS.md, *Held sockets*),
    /// while these waits are rare — a handshake, joining a room, a room's full queue.
    async fn finish(&mut self, step: Step) -> Option<Exit> {
        match step {
            Step::Done(exit) => exit,
            Step::Later(id, req) => {
                if let Err(e) = Box::pin(self.on_request(id, req)).await {
                    self.send(&ServerMsg::Error {
                        id: Some(id),
                        error: e,
                    });
                }
                #[cfg(feature = "cluster")]
                if let Some(r) = &self.routing {
                    if r.upstream.is_some() {
                        return Some(Exit::Proxy);
                    }
                    if r.give_up {
                        return Some(Exit::Gone);
                    }
                }
                None
            }
            Step::QueueFull(id, tx, cmd) => {
                if Box::pin(tx.send(cmd)).await.is_err() {
                    self.room_closed(id);
                }
                None
            }
        }
    }

    /// A request answered or forwarded without waiting, if it can be: everything but the
    /// handshake, entering a room and subscribing to a leaderboard.
    fn on_request_now(&mut self, id: u32, req: Request<Payload>) -> Step {
        let Some(session) = &self.session else {
            return Step::Later(id, req);
        };
        match req {
            Request::Hello(_) => {
                self.error(id, codes::BAD_REQUEST, "`hello` was sent already".into())
            }
            Request::Ping => self.reply(id, Reply::Pong),
            Request::ListGames => {
                let games = self
                    .hub
                    .config
                    .catalog
                    .games()
                    .filter(|g| session.offers(&g.name))
                    .cloned()
                    .collect();
                self.reply(id, Reply::Games(games));
            }
            // A cluster's list is every node's, from the shared directory.
            Request::ListRooms if self.hub.config.cluster.is_some() => {
                return Step::Later(id, Request::ListRooms);
            }
            Request::ListRooms => self.reply(id, Reply::Rooms(self.hub.public_rooms())),
            req @ (Request::SubscribeLeaderboard { .. }
            | Request::CreateRoom { .. }
            | Request::Join { .. }
            | Request::Resume { .. }) => return Step::Later(id, req),
            req => {
                let Some(link) = &self.link else {
                    self.error(id, codes::NOT_IN_ROOM, "join or create a room first".into());
                    return Step::Done(None);
                };
                let tx = link.tx.clone();
                let cmd = RoomCmd::Request {
                    link: link.id,
                    id,
                    req,
                };
                return self.forward_now(id, tx, cmd);
            }
        }
        Step::Done(None)
    }

    /// Hands `cmd` to the room if its queue has room (it almost always has).
    fn forward_now(&mut self, id: u32, tx: mpsc::Sender<RoomCmd>, cmd: RoomCmd) -> Step {
        match tx.try_send(cmd) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(cmd)) => return Step::QueueFull(id, tx, cmd),
            Err(mpsc::error::TrySendError::Closed(_)) => self.room_closed(id),
        }
        Step::Done(None)
    }

    /// The room went away under request `id`.
    fn room_closed(&mut self, id: u32) {
        self.link = None;
        self.error(id, codes::UNKNOWN_ROOM, "that room has just closed".into());
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

    /// The requests that wait (see [`Conn::on_request_now`] for the others).
    async fn on_request(&mut self, id: u32, req: Request<Payload>) -> Result<(), WireError> {
        let Some(session) = &self.session else {
            let Request::Hello(hello) = req else {
                return Err(WireError::new(codes::BAD_REQUEST, "send `hello` first"));
            };
            let welcome = Box::pin(self.hello(&hello)).await?;
            self.reply(id, Reply::Welcome(welcome));
            #[cfg(feature = "cluster")]
            if let Some(r) = self.routing.as_mut() {
                r.hello = r.frame.take();
            }
            return Ok(());
        };
        match req {
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
            Request::ListRooms => {
                let Some(cluster) = self.hub.config.cluster.clone() else {
                    self.reply(id, Reply::Rooms(self.hub.public_rooms()));
                    return Ok(());
                };
                let rooms = cluster.list().await?;
                self.reply(id, Reply::Rooms(rooms));
                Ok(())
            }
            Request::CreateRoom { name, options } => {
                self.not_in_room()?;
                let (name, key) = crate::names::room_name(&name)?;
                self.offered(&options.game)?;
                let player = session.player;
                let Route::Local { claimed } =
                    self.route(&name, &key, Some(&options), true, false).await?
                else {
                    return Ok(());
                };
                let room = self
                    .hub
                    .find_or_create(&name, &key, Some(&options), true, player)
                    .inspect_err(|_| self.unclaim(claimed, &key))?;
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
                let player = session.player;
                let Route::Local { claimed } = self
                    .route(&name, &key, create.as_ref(), false, false)
                    .await?
                else {
                    return Ok(());
                };
                let room = self
                    .hub
                    .find_or_create(&name, &key, create.as_ref(), false, player)
                    .inspect_err(|_| self.unclaim(claimed, &key))?;
                self.offered(&room.game)?;
                self.enter(room, id, password, join_as).await
            }
            Request::Resume { token, next } => {
                self.not_in_room()?;
                let player = session.player;
                // A seat of a room another node runs (or will, once it takes a dead node's
                // match over) resumes there.
                if self.hub.token_room(&token).is_none()
                    && let Some(key) = self
                        .hub
                        .config
                        .cluster
                        .as_ref()
                        .and_then(|c| c.token_room(&token))
                    && let Route::Away = self.route(&key, &key, None, false, true).await?
                {
                    return Ok(());
                }
                let tx = self.hub.token_room(&token).ok_or_else(|| {
                    WireError::new(
                        codes::BAD_RESUME,
                        "that resume token is unknown or expired; join the room again",
                    )
                })?;
                let link = self.hub.next_id();
                let cmd = RoomCmd::Resume {
                    link,
                    player,
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
            // Everything else is answered without waiting.
            req => match self.on_request_now(id, req) {
                Step::QueueFull(_, tx, cmd) => self.forward(&tx, cmd).await,
                _ => Ok(()),
            },
        }
    }

    /// Where a request for room `key` goes: to this host, or (in a cluster) through the
    /// proxy to the node that runs it. With `create`, a room that is nowhere is claimed for
    /// this host. A room on a dead node is waited for while a survivor takes it over.
    #[cfg(feature = "cluster")]
    async fn route(
        &mut self,
        name: &str,
        key: &str,
        create: Option<&hearth_rules::protocol::RoomOptions<Payload>>,
        must_be_new: bool,
        resuming: bool,
    ) -> Result<Route, WireError> {
        let Some(cluster) = self.hub.config.cluster.clone() else {
            return Ok(Route::Local { claimed: false });
        };
        if self.hub.room_tx(key).is_some() {
            return Ok(Route::Local { claimed: false });
        }
        let summary = match create {
            Some(options) => Some((self.hub.new_summary(name, key, options)?, options.public)),
            None => None,
        };
        let deadline = Instant::now() + ROUTE_WAIT;
        loop {
            let placed = cluster
                .place(key, summary.as_ref().map(|(s, p)| (s, *p)))
                .await?;
            match placed {
                // A resume waits for a room this host has just claimed to be rebuilt.
                crate::services::Placement::Here if resuming && self.hub.room_tx(key).is_none() => {
                }
                crate::services::Placement::Here => {
                    return Ok(Route::Local {
                        claimed: summary.is_some(),
                    });
                }
                crate::services::Placement::Nowhere => return Ok(Route::Local { claimed: false }),
                crate::services::Placement::At(_) if must_be_new => {
                    return Err(WireError::new(
                        codes::NAME_TAKEN,
                        format!(
                            "a room called `{name}` exists already; join it or pick another name"
                        ),
                    ));
                }
                crate::services::Placement::At(url) => {
                    let Some(routing) = self.routing.as_mut() else {
                        return Ok(Route::Local { claimed: false });
                    };
                    let (Some(hello), Some(frame)) = (routing.hello.clone(), routing.frame.clone())
                    else {
                        return Ok(Route::Local { claimed: false });
                    };
                    match crate::proxy::connect(&url, &hello).await {
                        Ok(up) => {
                            routing.upstream = Some((up, frame));
                            return Ok(Route::Away);
                        }
                        Err(crate::proxy::ConnectError::Refused(e)) => return Err(e),
                        Err(crate::proxy::ConnectError::Unreachable(why)) => {
                            tracing::info!(room = %name, %url, "the room's node is unreachable ({why}); waiting for the cluster to move it");
                        }
                    }
                }
                crate::services::Placement::Moving => {}
            }
            if Instant::now() >= deadline {
                if resuming && let Some(r) = self.routing.as_mut() {
                    r.give_up = true;
                    return Ok(Route::Away);
                }
                return Err(WireError::new(
                    codes::UNAVAILABLE,
                    format!("room `{name}` is moving to another node; try again in a moment"),
                ));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Without clusters every room is this host's.
    #[cfg(not(feature = "cluster"))]
    async fn route(
        &mut self,
        _: &str,
        _: &str,
        _: Option<&hearth_rules::protocol::RoomOptions<Payload>>,
        _: bool,
        _: bool,
    ) -> Result<Route, WireError> {
        Ok(Route::Local { claimed: false })
    }

    /// Gives back a name this host claimed in the cluster but could not make a room of.
    fn unclaim(&self, claimed: bool, key: &str) {
        if claimed && let Some(cluster) = &self.hub.config.cluster {
            cluster.removed(key);
        }
    }

    /// Passes the connection to the room's node until either side ends (see `proxy`).
    #[cfg(feature = "cluster")]
    async fn proxy(&mut self, socket: &mut WebSocket) -> Exit {
        let Some((up, request)) = self.routing.as_mut().and_then(|r| r.upstream.take()) else {
            return Exit::Gone;
        };
        let mailbox = self.mailbox.clone();
        match crate::proxy::pipe(socket, up, request, &mailbox).await {
            crate::proxy::Ended::Client | crate::proxy::Ended::Upstream => Exit::Gone,
            crate::proxy::Ended::Close(code, message) => Exit::Close(code, message),
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
            self.mailbox.clone(),
        );
        let everything = offered.len() == catalog.games().count();
        self.session = Some(Box::new(Session {
            player,
            name: identity.name.clone(),
            offered: (!everything).then(|| offered.iter().map(|g| g.name.clone()).collect()),
        }));
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
        if session.is_some_and(|s| s.offers(game)) && self.hub.config.catalog.get(game).is_ok() {
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
            self.mailbox.clone(),
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

//! The browser's network client: a `WebSocket` (web-sys) speaking postcard to a LAN host or
//! the official server, device login over the server's REST endpoint, events as JS callbacks.
//!
//! Like the native client it keeps, for perfect-information games, a *mirror*: the game
//! replayed from the log with the shared rules, whose hash it reports after every entry so a
//! desync surfaces at once. A dropped connection is re-opened and the seat resumed by itself.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::{Rc, Weak};

use hearth_client_core::{Config, Core, Event, Io, RequestError};
use hearth_rules::protocol::{JoinAs, Reply, Request, RoomOptions, Started, codes};
use hearth_rules::{Encoding, Payload};
use js_sys::{Function, Promise, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};

use crate::js::{Kind, from_payload, object, to_payload};
use crate::objects::{self, ToJs};
use crate::{catalog, game_index, js, small, whole};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &JsValue, ms: i32) -> JsValue;
    #[wasm_bindgen(js_name = fetch)]
    fn fetch(url: &str, init: &JsValue) -> Promise;
    type FetchResponse;
    #[wasm_bindgen(method)]
    fn text(this: &FetchResponse) -> Promise;
}

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** What a `Client` reports, in order, to its `onEvent` callback. */
export type ClientEvent =
  | { type: 'room'; room: RoomState }
  | { type: 'chat'; from: number; name: string; text: string }
  | { type: 'started'; started: Started }
  | { type: 'entry'; seq: number; seat: number; action: any; events: any[] }
  | { type: 'view'; seq: number; view: any; events: any[] }
  | { type: 'snapshot'; tick: number; index: number; view: any; events: any[] }
  | { type: 'leaderboard'; game: string; standings: Standing[] }
  | { type: 'left'; reason: string }
  | { type: 'error'; code: string; message: string }
  | { type: 'desync'; index: number }
  | { type: 'disconnected'; reason: string }
  | { type: 'reconnected' }
  | { type: 'closed'; reason: string };
/** A room as its members see it (protocol `room`). */
export interface RoomState {
  name: string; game: string; host: number; you: number; max_seats: number; public: boolean;
  has_password: boolean; members: Member[];
  phase: 'lobby' | 'playing' | { over: { outcome: Outcome; hash: string } } | { aborted: { error: { code: string; message: string } } };
}
/** One member of a room. */
export interface Member {
  player: number; name: string; seat: number | null; ready: boolean; connected: boolean; bot: boolean;
}
/** A room in the public list. */
export interface RoomSummary {
  name: string; game: string; players: number; max_seats: number; spectators: number;
  phase: 'lobby' | 'playing' | 'over' | 'aborted'; has_password: boolean;
}
/** One row of a leaderboard, best first. */
export interface Standing {
  account: number; name: string; wins: number; losses: number; draws: number; rating: number;
}
/** The host's answer to the handshake. */
export interface Welcome {
  player: number; name: string; protocol: number; server_version: string; games: GameMeta[];
}
/** A game starting (or, after a resume, still running). `config` is the game's JSON config. */
export interface Started {
  game: string; sync: 'perfect_information' | 'hidden_information' | 'real_time';
  seats: number; players: number[]; seat: number | null; seed: number | null; config: any;
  tick_rate: number | null; resume: string | null;
}
"#;

/// Signs in to the official server at `base` (e.g. `location.origin`) with a device id and
/// resolves to the account token for `Client.connect`. The same device id is the same account.
#[wasm_bindgen(js_name = deviceLogin)]
pub async fn device_login(
    base: &str,
    device_id: &str,
    display_name: &str,
) -> Result<String, JsValue> {
    let url = format!("{}/v1/auth/device", base.trim_end_matches('/'));
    let body = object(&[
        ("device_id", JsValue::from_str(device_id)),
        ("display_name", JsValue::from_str(display_name)),
    ]);
    let body =
        js_sys::JSON::stringify(&body).map_err(|e| js::error("bad_request", &describe(&e)))?;
    let init = object(&[
        ("method", JsValue::from_str("POST")),
        (
            "headers",
            object(&[("content-type", JsValue::from_str("application/json"))]),
        ),
        ("body", body.into()),
    ]);
    let unreachable = |why: String| {
        js::error(
            "unreachable",
            &format!(
                "cannot sign in at {base}: {why}; check the address and that the server runs, then retry"
            ),
        )
    };
    let response = JsFuture::from(fetch(&url, &init))
        .await
        .map_err(|e| unreachable(describe(&e)))?;
    let response: FetchResponse = response.unchecked_into();
    let text = JsFuture::from(response.text())
        .await
        .map_err(|e| unreachable(describe(&e)))?
        .as_string()
        .unwrap_or_default();
    let answer = js_sys::JSON::parse(&text)
        .ok()
        .filter(JsValue::is_object)
        .ok_or_else(|| unreachable("the answer is not a Hearth server's".into()))?;
    match js::get(&answer, "token").as_string() {
        Some(token) => Ok(token),
        None => Err(js::error(
            &js::get(&answer, "code")
                .as_string()
                .unwrap_or_else(|| codes::UNAUTHORIZED.to_string()),
            &js::get(&answer, "message")
                .as_string()
                .unwrap_or_else(|| "the server refused the sign-in".to_string()),
        )),
    }
}

/// A JS error's message, or its text.
fn describe(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "unknown error".into())
}

/// What a reply resolves to in JS.
#[derive(Clone, Copy)]
enum Shape {
    /// Nothing (`undefined`).
    Unit,
    /// The value under this key of the reply (`{"rooms": [...]}` → the array).
    Key(&'static str),
    /// The list of a `legal` reply (`{"legal": {"actions": [...]}}` → the array).
    Legal,
}

struct Pending {
    resolve: Function,
    reject: Function,
    shape: Shape,
}

/// A JS call to make once the client's state is no longer borrowed (a callback may call back
/// into the client).
enum Call {
    Event(JsValue),
    Resolve(Function, JsValue),
    Reject(Function, JsValue),
}

type Handlers = (
    Closure<dyn FnMut(MessageEvent)>,
    Closure<dyn FnMut(CloseEvent)>,
);

/// The transport around the client core: a web-sys `WebSocket`, `setTimeout` for the core's
/// deadlines, promises for replies and a JS callback for events.
struct Inner {
    /// The protocol itself: ids, handshake, stream positions, mirror, reconnect policy.
    core: Core,
    url: String,
    ws: Option<WebSocket>,
    /// Bumped for every socket so that a late callback of an old one is ignored.
    generation: u32,
    /// The current socket's handlers. Kept after the socket closes (a handler may be what
    /// closed it) and replaced with the next socket's.
    handlers: Option<Handlers>,
    pending: BTreeMap<u32, Pending>,
    listener: Option<Function>,
    /// `connect`'s promise, settled by the first handshake.
    handshake: Option<(Function, Function)>,
    /// When the armed timer fires, if one is armed.
    timer_at: Option<u64>,
    /// The catalog index of the game of the room you are in (the codec's key for its
    /// values), from the last room state or `started` seen.
    game: Option<u32>,
}

/// A connection to a Hearth host (LAN host or official server).
#[wasm_bindgen]
pub struct Client {
    inner: Rc<RefCell<Inner>>,
}

/// The core's time: milliseconds of the wall clock (a deadline moved by a clock change only
/// comes early or late).
fn now() -> u64 {
    js_sys::Date::now().max(0.0) as u64
}

fn run(calls: Vec<Call>, listener: Option<Function>) {
    for call in calls {
        match call {
            Call::Event(e) => {
                if let Some(f) = &listener {
                    // A throwing callback must not break the connection.
                    let _ = f.call1(&JsValue::NULL, &e);
                }
            }
            Call::Resolve(f, v) | Call::Reject(f, v) => {
                let _ = f.call1(&JsValue::NULL, &v);
            }
        }
    }
}

/// Opens a socket and waits until it is open.
async fn open(url: &str) -> Result<WebSocket, JsValue> {
    let unreachable = |why: &str| {
        js::error(
            "unreachable",
            &format!(
                "cannot reach {url}: {why}; check the address and that the host is running, then retry"
            ),
        )
    };
    let ws = WebSocket::new(url).map_err(|e| unreachable(&describe(&e)))?;
    ws.set_binary_type(BinaryType::Arraybuffer);
    let opened = Promise::new(&mut |resolve, reject| {
        ws.set_onopen(Some(&resolve));
        ws.set_onerror(Some(&reject));
        ws.set_onclose(Some(&reject));
    });
    let result = JsFuture::from(opened).await;
    ws.set_onopen(None);
    ws.set_onerror(None);
    ws.set_onclose(None);
    match result {
        Ok(_) => Ok(ws),
        Err(_) => Err(unreachable("the connection was refused or dropped")),
    }
}

/// A game value of the room's game (postcard, as this client asks the core) for JS.
fn value(game: Option<u32>, kind: Kind, p: &Payload) -> Result<JsValue, JsValue> {
    match game {
        Some(g) => from_payload(g, kind, p),
        None => Err(no_game()),
    }
}

fn no_game() -> JsValue {
    js::error(
        codes::NOT_IN_ROOM,
        "you are in no room with a game of this module; join or create one first",
    )
}

/// The catalog index of a game the host names (`None` for a game this module lacks).
fn index_of(game: &str) -> Option<u32> {
    game_index(game).ok()
}

/// A `started` for JS: the protocol's fields, the config as the game's JSON form.
fn started_js(game: Option<u32>, s: &Started<Payload>) -> Result<JsValue, JsValue> {
    let config = value(game, Kind::Config, &s.config)?;
    Ok(objects::started(s, config))
}

/// A core event as the JS `ClientEvent`; `game` is the room's game, updated by room states
/// and `started`. A game value that does not decode becomes an `error` event.
fn event_js(game: &mut Option<u32>, e: Event) -> JsValue {
    let ty = |t: &str| ("type", JsValue::from_str(t));
    let num = |n: u64| JsValue::from(n as f64);
    let made = match e {
        Event::Room(state) => {
            *game = index_of(&state.game);
            Ok(object(&[ty("room"), ("room", state.to_js())]))
        }
        Event::Chat { from, name, text } => Ok(object(&[
            ty("chat"),
            ("from", num(from)),
            ("name", JsValue::from_str(&name)),
            ("text", JsValue::from_str(&text)),
        ])),
        Event::Started(s) => {
            *game = index_of(&s.game);
            started_js(*game, &s).map(|s| object(&[ty("started"), ("started", s)]))
        }
        Event::Entry {
            seq,
            seat,
            action,
            events,
        } => (|| {
            Ok(object(&[
                ty("entry"),
                ("seq", num(seq)),
                ("seat", JsValue::from(seat)),
                ("action", value(*game, Kind::Action, &action)?),
                ("events", value(*game, Kind::Events, &events)?),
            ]))
        })(),
        Event::View { seq, view, events } => (|| {
            Ok(object(&[
                ty("view"),
                ("seq", num(seq)),
                ("view", value(*game, Kind::View, &view)?),
                ("events", value(*game, Kind::Events, &events)?),
            ]))
        })(),
        Event::Snapshot {
            tick,
            index,
            view,
            events,
        } => (|| {
            Ok(object(&[
                ty("snapshot"),
                ("tick", num(tick)),
                ("index", num(index)),
                ("view", value(*game, Kind::View, &view)?),
                ("events", value(*game, Kind::Events, &events)?),
            ]))
        })(),
        Event::Leaderboard { game, standings } => Ok(object(&[
            ty("leaderboard"),
            ("game", JsValue::from_str(&game)),
            ("standings", standings.to_js()),
        ])),
        Event::Left(reason) => Ok(object(&[ty("left"), ("reason", reason.to_js())])),
        Event::Error(e) => Ok(object(&[
            ty("error"),
            ("code", JsValue::from_str(&e.code)),
            ("message", JsValue::from_str(&e.message)),
        ])),
        Event::Desync(index) => Ok(object(&[ty("desync"), ("index", num(index))])),
        Event::Disconnected(reason) => Ok(object(&[
            ty("disconnected"),
            (
                "reason",
                JsValue::from_str(&format!("{reason}; reconnecting")),
            ),
        ])),
        Event::Reconnected => Ok(object(&[ty("reconnected")])),
        Event::Closed(reason) => Ok(object(&[ty("closed"), ("reason", reason.to_js())])),
    };
    made.unwrap_or_else(|e| {
        let field = |k: &str| js::get(&e, k).as_string().unwrap_or_default();
        object(&[
            ty("error"),
            ("code", JsValue::from_str(&field("code"))),
            ("message", JsValue::from_str(&field("message"))),
        ])
    })
}

/// A reply for JS, unwrapped by `shape`; a joined room's state also names the room's game.
fn reply_js(
    reply: Reply<Payload>,
    shape: Shape,
    game: &mut Option<u32>,
) -> Result<JsValue, JsValue> {
    if let Reply::Joined(state) = &reply {
        *game = index_of(&state.game);
    }
    match (shape, reply) {
        (Shape::Unit, _) => Ok(JsValue::UNDEFINED),
        (Shape::Legal, Reply::Legal { actions }) => value(*game, Kind::Actions, &actions),
        (Shape::Legal, _) => Ok(js_sys::Array::new().into()),
        (Shape::Key("rooms"), Reply::Rooms(rooms)) => Ok(rooms.to_js()),
        (Shape::Key("joined"), Reply::Joined(state)) => Ok(state.to_js()),
        (Shape::Key("accepted"), Reply::Accepted { index, tick }) => {
            Ok(object(&[("index", index.to_js()), ("tick", tick.to_js())]))
        }
        // Another reply than the request's (a host bug): nothing to hand over.
        (Shape::Key(_), _) => Ok(JsValue::UNDEFINED),
    }
}

fn request_error(e: &RequestError) -> JsValue {
    match e {
        RequestError::Refused(e) => js::wire_error(e),
        other => js::error(other.code(), &other.to_string()),
    }
}

/// Carries out what the core asked for, settles promises, reports events and arms the timer
/// for the core's next deadline.
fn flush(inner: &Rc<RefCell<Inner>>) {
    let mut calls = Vec::new();
    let mut opens = 0;
    let listener = {
        let mut guard = inner.borrow_mut();
        let i = &mut *guard;
        while let Some(io) = i.core.poll_io() {
            match io {
                Io::Send(frame) => {
                    if let Some(ws) = &i.ws
                        && ws.ready_state() == WebSocket::OPEN
                    {
                        // A failed send shows up as the socket's close.
                        let _ = ws.send_with_u8_array(&frame);
                    }
                }
                Io::Close => {
                    i.generation = i.generation.wrapping_add(1);
                    if let Some(ws) = i.ws.take() {
                        detach(&ws);
                    }
                }
                Io::Open => opens += 1,
            }
        }
        while let Some(c) = i.core.poll_completion() {
            if let Some(p) = i.pending.remove(&c.id) {
                calls.push(match c.result.map(|r| reply_js(r, p.shape, &mut i.game)) {
                    Ok(Ok(value)) => Call::Resolve(p.resolve, value),
                    Ok(Err(e)) => Call::Reject(p.reject, e),
                    Err(e) => Call::Reject(p.reject, request_error(&e)),
                });
            }
        }
        while let Some(e) = i.core.poll_event() {
            calls.push(Call::Event(event_js(&mut i.game, e)));
        }
        if i.handshake.is_some() {
            let settled = if i.core.is_open() {
                Some(Ok(JsValue::UNDEFINED))
            } else if let Some(e) = i.core.refusal() {
                Some(Err(js::wire_error(e)))
            } else if i.core.is_closed() {
                Some(Err(js::error(
                    "disconnected",
                    "the host closed the connection during the handshake; retry",
                )))
            } else {
                None
            };
            if let Some(settled) = settled
                && let Some((resolve, reject)) = i.handshake.take()
            {
                calls.push(match settled {
                    Ok(v) => Call::Resolve(resolve, v),
                    Err(e) => Call::Reject(reject, e),
                });
            }
        }
        if let Some(at) = i.core.next_deadline()
            && i.timer_at.is_none_or(|armed| at < armed)
        {
            i.timer_at = Some(at);
            let weak = Rc::downgrade(inner);
            let fire = Closure::once_into_js(move || {
                let Some(inner) = weak.upgrade() else { return };
                {
                    let mut i = inner.borrow_mut();
                    i.timer_at = None;
                    i.core.handle_timeout(now());
                }
                flush(&inner);
            });
            let wait = at.saturating_sub(now()).min(i32::MAX as u64) as i32;
            set_timeout(&fire, wait);
        }
        i.listener.clone()
    };
    run(calls, listener);
    for _ in 0..opens {
        wasm_bindgen_futures::spawn_local(reopen(Rc::downgrade(inner)));
    }
}

/// Opens the socket the core asked for and tells it how that went.
async fn reopen(weak: Weak<RefCell<Inner>>) {
    let Some(url) = weak.upgrade().map(|i| i.borrow().url.clone()) else {
        return;
    };
    let opened = open(&url).await;
    let Some(inner) = weak.upgrade() else { return };
    match opened {
        Ok(ws) if !inner.borrow().core.is_closed() => {
            attach(&inner, ws);
            inner.borrow_mut().core.opened(now());
        }
        Ok(ws) => detach(&ws),
        Err(e) => inner.borrow_mut().core.open_failed(&describe(&e), now()),
    }
    flush(&inner);
}

/// Installs the message and close handlers of socket number `generation`.
fn attach(inner: &Rc<RefCell<Inner>>, ws: WebSocket) {
    let weak = Rc::downgrade(inner);
    let generation = {
        let mut i = inner.borrow_mut();
        i.generation = i.generation.wrapping_add(1);
        i.generation
    };
    let on_message = {
        let weak = weak.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let Some(inner) = weak.upgrade() else { return };
            let Ok(buffer) = e.data().dyn_into::<js_sys::ArrayBuffer>() else {
                return;
            };
            let bytes = Uint8Array::new(&buffer).to_vec();
            {
                let mut i = inner.borrow_mut();
                if i.generation != generation {
                    return;
                }
                // An undecodable frame is ignored (the core changes nothing).
                let _ = i.core.receive(&bytes, now());
            }
            flush(&inner);
        })
    };
    let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
        let Some(inner) = weak.upgrade() else { return };
        {
            let mut i = inner.borrow_mut();
            if i.generation != generation {
                return;
            }
            i.ws = None;
            let reason = match e.reason() {
                r if r.is_empty() => "the connection to the host dropped".to_string(),
                r => format!("the host closed the connection: {r}"),
            };
            i.core.disconnected(&reason, now());
        }
        flush(&inner);
    });
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    let mut i = inner.borrow_mut();
    if let Some(old) = i.ws.take() {
        detach(&old);
    }
    i.ws = Some(ws);
    i.handlers = Some((on_message, on_close));
}

/// Unhooks and closes a socket, so that none of its late events reaches a handler that is
/// about to be dropped.
fn detach(ws: &WebSocket) {
    ws.set_onmessage(None);
    ws.set_onclose(None);
    let _ = ws.close();
}

/// Sends `req`; the promise settles with its reply in `shape`, a refusal, a drop or a
/// timeout.
fn request(inner: &Rc<RefCell<Inner>>, req: Request<Payload>, shape: Shape) -> Promise {
    let mut req = Some(req);
    let promise = Promise::new(&mut |resolve, reject| {
        let Some(req) = req.take() else { return };
        let mut i = inner.borrow_mut();
        match i.core.request(req, now()) {
            Ok(id) => {
                i.pending.insert(
                    id,
                    Pending {
                        resolve,
                        reject,
                        shape,
                    },
                );
            }
            Err(e) => {
                drop(i);
                let _ = reject.call1(&JsValue::NULL, &request_error(&e));
            }
        }
    });
    flush(inner);
    promise
}

impl Client {
    fn request(&self, req: Request<Payload>, shape: Shape) -> Promise {
        request(&self.inner, req, shape)
    }

    /// [`Client::request`], or a rejected promise when the request could not be made (so a
    /// bad argument rejects like a refusal instead of throwing).
    fn try_request(
        &self,
        req: impl FnOnce() -> Result<Request<Payload>, JsValue>,
        shape: Shape,
    ) -> Promise {
        match req() {
            Ok(req) => self.request(req, shape),
            Err(e) => Promise::reject(&e),
        }
    }
}

fn options(
    game: String,
    config: &JsValue,
    password: Option<String>,
    public: bool,
) -> Result<RoomOptions<Payload>, JsValue> {
    Ok(RoomOptions {
        config: to_payload(game_index(&game)?, Kind::Config, config)?,
        game,
        max_seats: None,
        public,
        password: password.filter(|p| !p.is_empty()),
    })
}

#[wasm_bindgen]
impl Client {
    /// Connects to `url` (`ws://host:port/ws`) and shakes hands: with an account `token`
    /// (official server, from `deviceLogin`) or none and a display `name` (LAN hosts).
    /// Rejects with the host's reason (`protocol_mismatch`, `rules_mismatch`, `unauthorized`).
    pub async fn connect(
        url: String,
        token: Option<String>,
        name: String,
    ) -> Result<Client, JsValue> {
        let catalog = catalog()?.clone();
        let ws = open(&url).await?;
        let mut config = Config::lan(name, catalog);
        config.token = token;
        config.values = Encoding::Postcard;
        let client = Client {
            inner: Rc::new(RefCell::new(Inner {
                core: Core::new(config),
                url,
                ws: None,
                generation: 0,
                handlers: None,
                pending: BTreeMap::new(),
                listener: None,
                handshake: None,
                timer_at: None,
                game: None,
            })),
        };
        attach(&client.inner, ws);
        let handshake = Promise::new(&mut |resolve, reject| {
            client.inner.borrow_mut().handshake = Some((resolve, reject));
        });
        client.inner.borrow_mut().core.opened(now());
        flush(&client.inner);
        match JsFuture::from(handshake).await {
            Ok(_) => Ok(client),
            Err(e) => {
                client.close();
                Err(e)
            }
        }
    }

    /// The host's welcome: `{player, name, protocol, server_version, games}`.
    #[wasm_bindgen(getter, unchecked_return_type = "Welcome")]
    pub fn welcome(&self) -> JsValue {
        match self.inner.borrow().core.welcome() {
            Some(w) => w.to_js(),
            None => JsValue::NULL,
        }
    }

    /// Calls `callback(event)` for everything that happens from now on (see `ClientEvent`).
    #[wasm_bindgen(js_name = onEvent)]
    pub fn on_event(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(event: ClientEvent) => void")] callback: Function,
    ) {
        self.inner.borrow_mut().listener = Some(callback);
    }

    /// The public rooms (protocol `room_summary` objects).
    #[wasm_bindgen(js_name = listRooms, unchecked_return_type = "Promise<RoomSummary[]>")]
    pub fn list_rooms(&self) -> Promise {
        self.request(Request::ListRooms, Shape::Key("rooms"))
    }

    /// Makes a room named `name` for `game` (config `null` for the defaults) and sits you in
    /// seat 0 as its host; resolves to the room state.
    // Promises made here, not `async fn`s: each of those costs the module a future's code.
    #[wasm_bindgen(js_name = createRoom, unchecked_return_type = "Promise<RoomState>")]
    pub fn create_room(
        &self,
        name: String,
        game: String,
        config: JsValue,
        password: Option<String>,
        listed: bool,
    ) -> Promise {
        self.try_request(
            || {
                let options = options(game, &config, password, listed)?;
                Ok(Request::CreateRoom { name, options })
            },
            Shape::Key("joined"),
        )
    }

    /// Joins the room `room` (seated, or watching with `spectate`); resolves to its state.
    #[wasm_bindgen(unchecked_return_type = "Promise<RoomState>")]
    pub fn join(&self, room: String, password: Option<String>, spectate: bool) -> Promise {
        let req = Request::Join {
            room,
            password: password.filter(|p| !p.is_empty()),
            join_as: if spectate {
                JoinAs::Spectator
            } else {
                JoinAs::Player
            },
            create: None,
        };
        self.request(req, Shape::Key("joined"))
    }

    /// Takes a seat back with the `resume` token of its `started` (after a reload use
    /// `next = 0`: the whole game stream is sent again). Resolves to the room state.
    #[wasm_bindgen(unchecked_return_type = "Promise<RoomState>")]
    pub fn resume(&self, token: String, next: f64) -> Promise {
        self.try_request(
            || {
                Ok(Request::Resume {
                    token,
                    next: whole(next, "next")?,
                })
            },
            Shape::Key("joined"),
        )
    }

    /// Says whether you are ready to start.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn ready(&self, ready: bool) -> Promise {
        self.request(Request::Ready { ready }, Shape::Unit)
    }

    /// Starts the game (room host only; everyone seated must be ready).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn start(&self) -> Promise {
        self.request(Request::Start, Shape::Unit)
    }

    /// Adds a bot of strength `level` (0–3) to a free seat (room host only).
    #[wasm_bindgen(js_name = addBot, unchecked_return_type = "Promise<void>")]
    pub fn add_bot(&self, level: f64) -> Result<Promise, JsValue> {
        let level = small(level, "bot level", codes::BAD_REQUEST)?;
        Ok(self.request(Request::AddBot { level }, Shape::Unit))
    }

    /// Leaves the room.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn leave(&self) -> Promise {
        self.request(Request::Leave, Shape::Unit)
    }

    /// Says something to the room.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn chat(&self, text: String) -> Promise {
        self.request(Request::Chat { text }, Shape::Unit)
    }

    /// Plays `action` (the game's JSON); for real-time games `tick` is the tick the input is
    /// meant for (or `null`: the next). Resolves to `{index, tick}` once accepted.
    #[wasm_bindgen(unchecked_return_type = "Promise<{index: number, tick: number}>")]
    pub fn act(&self, action: JsValue, tick: Option<f64>) -> Result<Promise, JsValue> {
        let game = self.inner.borrow().game.ok_or_else(no_game)?;
        let action = to_payload(game, Kind::Action, &action)?;
        let tick = tick.map(|t| whole(t, "tick")).transpose()?;
        Ok(self.request(Request::Action { action, tick }, Shape::Key("accepted")))
    }

    /// Sends `leaderboard` events for `game`: the current standings at once, then every change.
    #[wasm_bindgen(js_name = subscribeLeaderboard, unchecked_return_type = "Promise<void>")]
    pub fn subscribe_leaderboard(&self, game: String) -> Promise {
        self.request(Request::SubscribeLeaderboard { game }, Shape::Unit)
    }

    /// Your view now: from the mirror in perfect-information games, else the latest view or
    /// snapshot the host sent; `null` before any.
    pub fn view(&self) -> Result<JsValue, JsValue> {
        let inner = self.inner.borrow();
        match inner.core.view() {
            Some(v) => value(inner.game, Kind::View, &v),
            None => Ok(JsValue::NULL),
        }
    }

    /// Your legal actions now, as the host computes them from the authoritative game (so
    /// hidden-information games too); `[]` when it is not your turn or you have no seat.
    #[wasm_bindgen(js_name = legalActions, unchecked_return_type = "Promise<any[]>")]
    pub fn legal_actions(&self) -> Promise {
        self.request(Request::Legal, Shape::Legal)
    }

    /// The running game's `started` (your seat, the config, the resume token), or `null`.
    #[wasm_bindgen(getter, unchecked_return_type = "Started | null")]
    pub fn started(&self) -> Result<JsValue, JsValue> {
        let inner = self.inner.borrow();
        match inner.core.started() {
            Some(s) => started_js(index_of(&s.game), s),
            None => Ok(JsValue::NULL),
        }
    }

    /// The token to `resume` your seat with after a reload, while a game runs.
    #[wasm_bindgen(getter, js_name = resumeToken)]
    pub fn resume_token(&self) -> Option<String> {
        self.inner.borrow().core.resume_token().map(str::to_string)
    }

    /// The mirror's state hash (perfect-information games), to compare with a host.
    #[wasm_bindgen(getter, js_name = mirrorHash)]
    pub fn mirror_hash(&self) -> Option<String> {
        self.inner.borrow().core.mirror_hash()
    }

    /// Closes the connection for good (no reconnecting); pending requests are rejected.
    pub fn close(&self) {
        self.inner.borrow_mut().core.close();
        flush(&self.inner);
        self.inner.borrow_mut().handlers = None;
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if let Ok(mut i) = self.inner.try_borrow_mut() {
            i.core.close();
            if let Some(ws) = i.ws.take() {
                detach(&ws);
            }
        }
    }
}

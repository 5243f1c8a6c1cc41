//! The browser's network client: a `WebSocket` (web-sys) speaking postcard to a LAN host or
//! the official server, device login over the server's REST endpoint, events as JS callbacks.
//!
//! Like the native client it keeps, for perfect-information games, a *mirror*: the game
//! replayed from the log with the shared rules, whose hash it reports after every entry so a
//! desync surfaces at once. A dropped connection is re-opened and the seat resumed by itself.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::{Rc, Weak};

use hearth_rules::protocol::{
    ClientMsg, Hello, JoinAs, PROTOCOL_VERSION, Reply, Request, RoomOptions, ServerMsg, Started,
    WireBytes, codes, from_postcard, request_to_wire, to_postcard,
};
use hearth_rules::{DynSession, Encoding, Payload, Seat, SyncMode, ValueKind, Viewer, hash_hex};
use js_sys::{Function, Promise, Uint8Array};
use serde_json::{Value, json};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};

use hearth_rules::Catalog;

use crate::{catalog, js, small, whole};

/// How long a request may wait for its reply.
const REPLY_TIMEOUT_MS: i32 = 15_000;
/// Reconnection attempts after a drop, with doubling delays from 200 ms up to 5 s.
const RECONNECT_ATTEMPTS: u32 = 8;

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

async fn sleep(ms: i32) {
    let wait = Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, ms);
    });
    let _ = JsFuture::from(wait).await;
}

/// Signs in to the official server at `base` (e.g. `location.origin`) with a device id and
/// resolves to the account token for `Client.connect`. The same device id is the same account.
#[wasm_bindgen(js_name = deviceLogin)]
pub async fn device_login(
    base: &str,
    device_id: &str,
    display_name: &str,
) -> Result<String, JsValue> {
    let url = format!("{}/v1/auth/device", base.trim_end_matches('/'));
    let body = json!({"device_id": device_id, "display_name": display_name}).to_string();
    let init = js::from_serde(&json!({
        "method": "POST",
        "headers": {"content-type": "application/json"},
        "body": body,
    }));
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
    let answer: Value = serde_json::from_str(&text)
        .map_err(|_| unreachable("the answer is not a Hearth server's".into()))?;
    match answer["token"].as_str() {
        Some(token) => Ok(token.to_string()),
        None => Err(js::error(
            answer["code"].as_str().unwrap_or(codes::UNAUTHORIZED),
            answer["message"]
                .as_str()
                .unwrap_or("the server refused the sign-in"),
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

struct Inner {
    /// The module's games (installed before any client can connect).
    catalog: &'static Catalog,
    url: String,
    token: Option<String>,
    name: String,
    ws: Option<WebSocket>,
    /// Bumped for every socket so that a late callback of an old one is ignored.
    generation: u32,
    handlers: Option<Handlers>,
    next_id: u32,
    pending: BTreeMap<u32, Pending>,
    listener: Option<Function>,
    welcome: Value,
    /// The game of the room we are in (known before its `started`).
    game: Option<String>,
    started: Option<Started<Value>>,
    started_token: Option<String>,
    /// Stream position to resume from.
    next: u64,
    mirror: Option<DynSession>,
    view: Option<Value>,
    /// `close()` was called or the host said `closing`: no reconnecting.
    done: bool,
    /// A reconnection loop runs (drops meanwhile are its business).
    reconnecting: bool,
}

/// A connection to a Hearth host (LAN host or official server).
#[wasm_bindgen]
pub struct Client {
    inner: Rc<RefCell<Inner>>,
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

impl Inner {
    fn emit(&self, calls: &mut Vec<Call>, event: Value) {
        calls.push(Call::Event(js::from_serde(&event)));
    }

    /// A game value of the current game as JSON (`null` if it cannot be read).
    fn convert(&self, bytes: WireBytes, kind: ValueKind) -> Value {
        let Some(game) = &self.game else {
            return Value::Null;
        };
        match self
            .catalog
            .convert(game, kind, &Payload::Postcard(bytes.0), Encoding::Json)
        {
            Ok(Payload::Json(v)) => v,
            _ => Value::Null,
        }
    }

    fn send_frame(&self, req: Request<WireBytes>, id: u32) -> bool {
        let frame = to_postcard(&ClientMsg { id, req });
        match &self.ws {
            Some(ws) if ws.ready_state() == WebSocket::OPEN => {
                ws.send_with_u8_array(&frame).is_ok()
            }
            _ => false,
        }
    }

    fn take_id(&mut self) -> u32 {
        self.next_id = self.next_id.wrapping_add(1).max(1);
        self.next_id
    }

    fn hello(&self) -> Hello {
        Hello {
            protocol: PROTOCOL_VERSION,
            fingerprints: self.catalog.fingerprints(),
            name: self.name.clone(),
            token: self.token.clone(),
        }
    }

    /// Everyone waiting for a reply learns the connection dropped.
    fn fail_pending(&mut self, calls: &mut Vec<Call>, reason: &str) {
        for (_, p) in std::mem::take(&mut self.pending) {
            calls.push(Call::Reject(
                p.reject,
                js::error(
                    "disconnected",
                    &format!("{reason}; the request may not have reached the host, retry it"),
                ),
            ));
        }
    }

    fn handle(&mut self, msg: ServerMsg<WireBytes>, calls: &mut Vec<Call>) {
        match msg {
            ServerMsg::Reply { id, reply } => {
                if let Some(p) = self.pending.remove(&id) {
                    if let Reply::Joined(state) = &reply {
                        self.game = Some(state.game.clone());
                    }
                    let value = match (reply, p.shape) {
                        (_, Shape::Unit) => JsValue::UNDEFINED,
                        // The host's list is in the game's postcard form.
                        (Reply::Legal { actions }, _) => {
                            js::from_serde(&self.convert(actions, ValueKind::Actions))
                        }
                        (reply, Shape::Key(k)) => js::from_serde(&reply_json(reply)[k]),
                    };
                    calls.push(Call::Resolve(p.resolve, value));
                } else if let Reply::HashChecked {
                    index,
                    matches: false,
                    host: Some(_),
                } = reply
                {
                    self.emit(calls, json!({"type": "desync", "index": index}));
                }
            }
            ServerMsg::Error { id, error } => match id.and_then(|id| self.pending.remove(&id)) {
                Some(p) => calls.push(Call::Reject(p.reject, js::wire_error(&error))),
                None => self.emit(
                    calls,
                    json!({"type": "error", "code": error.code, "message": error.message}),
                ),
            },
            ServerMsg::Room(state) => {
                self.game = Some(state.game.clone());
                self.emit(calls, json!({"type": "room", "room": state}));
            }
            ServerMsg::Chat { from, name, text } => self.emit(
                calls,
                json!({"type": "chat", "from": from, "name": name, "text": text}),
            ),
            ServerMsg::Started(s) => self.started(s, calls),
            ServerMsg::Entry {
                seq,
                seat,
                action,
                events,
                ..
            } => self.entry(seq, seat, action, events, calls),
            ServerMsg::View {
                seq, view, events, ..
            } => {
                self.next = self.next.max(seq + 1);
                let view = self.convert(view, ValueKind::View);
                let events = self.convert(events, ValueKind::Events);
                self.view = Some(view.clone());
                self.emit(
                    calls,
                    json!({"type": "view", "seq": seq, "view": view, "events": events}),
                );
            }
            ServerMsg::Snapshot {
                tick,
                index,
                view,
                events,
            } => {
                let view = self.convert(view, ValueKind::View);
                let events = self.convert(events, ValueKind::Events);
                self.view = Some(view.clone());
                self.emit(
                    calls,
                    json!({"type": "snapshot", "tick": tick, "index": index, "view": view, "events": events}),
                );
            }
            ServerMsg::Leaderboard { game, standings } => self.emit(
                calls,
                json!({"type": "leaderboard", "game": game, "standings": standings}),
            ),
            ServerMsg::Left { reason } => {
                self.started_token = None;
                self.emit(calls, json!({"type": "left", "reason": reason}));
            }
            ServerMsg::Closing { code, message } => {
                self.done = true;
                self.emit(
                    calls,
                    json!({"type": "closed", "reason": format!("{message} ({code})")}),
                );
            }
        }
    }

    fn started(&mut self, s: Started<WireBytes>, calls: &mut Vec<Call>) {
        self.game = Some(s.game.clone());
        let config_bytes = Payload::Postcard(s.config.0.clone());
        let config = self
            .catalog
            .create(&s.game, &config_bytes, s.seats, 0)
            .map(|p| p.header(Encoding::Json).config)
            .ok()
            .and_then(|p| match p {
                Payload::Json(v) => Some(v),
                Payload::Postcard(_) => None,
            })
            .unwrap_or(Value::Null);
        // A new game (not a resume of this one) restarts the stream and the mirror.
        let same = s.resume.is_some() && self.started_token == s.resume;
        if !same {
            self.next = 0;
            self.view = None;
            self.mirror = match (s.sync, s.seed) {
                (SyncMode::PerfectInformation, Some(seed)) => self
                    .catalog
                    .create(&s.game, &config_bytes, s.seats, seed)
                    .ok(),
                _ => None,
            };
        }
        if s.resume.is_some() {
            self.started_token = s.resume.clone();
        }
        let started = s.map_config(|_| config);
        self.emit(calls, json!({"type": "started", "started": started}));
        self.started = Some(started);
    }

    fn entry(
        &mut self,
        seq: u64,
        seat: u8,
        action: WireBytes,
        events: WireBytes,
        calls: &mut Vec<Call>,
    ) {
        let action_bytes = Payload::Postcard(action.0.clone());
        let mut report = None;
        if let Some(m) = self.mirror.as_mut()
            && seq == m.log_len()
        {
            if m.apply(Seat(seat), &action_bytes).is_err() {
                report = None;
                calls.push(Call::Event(js::from_serde(
                    &json!({"type": "desync", "index": seq}),
                )));
            } else {
                report = Some((m.log_len(), m.hash()));
            }
        }
        self.next = self.next.max(seq + 1);
        // The host answers with `hash_checked`; a mismatch becomes a `desync` event.
        if let Some((index, hash)) = report {
            let id = self.take_id();
            self.send_frame(
                Request::Hash {
                    index,
                    hash: hash_hex(hash),
                },
                id,
            );
        }
        let action = self.convert(action, ValueKind::Action);
        let events = self.convert(events, ValueKind::Events);
        self.emit(
            calls,
            json!({"type": "entry", "seq": seq, "seat": seat, "action": action, "events": events}),
        );
    }
}

/// A reply as the protocol's JSON; game values inside (`view`) are not asked for by this
/// client's methods and come out as `null` (`legal` is converted in `Inner::handle`).
fn reply_json(reply: Reply<WireBytes>) -> Value {
    serde_json::to_value(reply.map_payload(|_| Value::Null)).unwrap_or(Value::Null)
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
            // An undecodable frame is ignored, as the native client does.
            let Ok(msg) = from_postcard::<ServerMsg<WireBytes>>(&bytes) else {
                return;
            };
            let mut calls = Vec::new();
            let listener = {
                let mut i = inner.borrow_mut();
                if i.generation != generation {
                    return;
                }
                i.handle(msg, &mut calls);
                i.listener.clone()
            };
            run(calls, listener);
        })
    };
    let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
        let Some(inner) = weak.upgrade() else { return };
        dropped(&inner, generation, &e.reason());
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

/// Socket `generation` closed: fail what waits, then reconnect and resume unless done.
fn dropped(inner: &Rc<RefCell<Inner>>, generation: u32, reason: &str) {
    let mut calls = Vec::new();
    let (listener, start) = {
        let mut i = inner.borrow_mut();
        if i.generation != generation {
            return;
        }
        i.ws = None;
        let reason = if reason.is_empty() {
            "the connection to the host dropped".to_string()
        } else {
            format!("the host closed the connection: {reason}")
        };
        i.fail_pending(&mut calls, &reason);
        let start = !i.done && !i.reconnecting;
        if start {
            i.reconnecting = true;
            i.emit(
                &mut calls,
                json!({"type": "disconnected", "reason": format!("{reason}; reconnecting")}),
            );
        }
        (i.listener.clone(), start)
    };
    run(calls, listener);
    if start {
        wasm_bindgen_futures::spawn_local(reconnect(Rc::downgrade(inner)));
    }
}

/// The `code` of a JS error.
fn code_of(e: &JsValue) -> String {
    js_sys::Reflect::get(e, &"code".into())
        .ok()
        .and_then(|c| c.as_string())
        .unwrap_or_default()
}

/// Re-opens the connection with backoff, says hello and resumes the seat where the stream
/// stopped. An attempt counts as done only once the host has answered both, so a host that
/// accepts and drops at once is given up on like one that refuses.
async fn reconnect(weak: Weak<RefCell<Inner>>) {
    let mut delay = 200;
    for _ in 0..RECONNECT_ATTEMPTS {
        sleep(delay).await;
        delay = (delay * 2).min(5_000);
        let Some(inner) = weak.upgrade() else { return };
        let url = {
            let i = inner.borrow();
            if i.done {
                return;
            }
            i.url.clone()
        };
        let Ok(ws) = open(&url).await else { continue };
        attach(&inner, ws);
        let hello = Request::Hello(inner.borrow().hello());
        if JsFuture::from(request(&inner, hello, Shape::Key("welcome")))
            .await
            .is_err()
        {
            continue;
        }
        let mut calls = Vec::new();
        let seat = {
            let i = inner.borrow();
            i.started_token.clone().map(|token| (token, i.next))
        };
        if let Some((token, next)) = seat {
            let resumed = JsFuture::from(request(
                &inner,
                Request::Resume { token, next },
                Shape::Key("joined"),
            ))
            .await;
            match resumed {
                Ok(_) => {}
                Err(e) if matches!(code_of(&e).as_str(), "disconnected" | "timeout") => continue,
                // The seat is gone (grace period over, room closed): say so, stay connected.
                Err(e) => {
                    let mut i = inner.borrow_mut();
                    i.started_token = None;
                    i.emit(
                        &mut calls,
                        json!({"type": "error", "code": code_of(&e), "message": describe(&e)}),
                    );
                }
            }
        }
        let listener = {
            let mut i = inner.borrow_mut();
            i.reconnecting = false;
            i.emit(&mut calls, json!({"type": "reconnected"}));
            i.listener.clone()
        };
        run(calls, listener);
        return;
    }
    if let Some(inner) = weak.upgrade() {
        let mut calls = Vec::new();
        let listener = {
            let mut i = inner.borrow_mut();
            i.done = true;
            i.reconnecting = false;
            i.emit(
                &mut calls,
                json!({"type": "closed", "reason": "the host cannot be reached; sign in again when it is back"}),
            );
            i.listener.clone()
        };
        run(calls, listener);
    }
}

/// Sends `req`; the promise settles with its reply in `shape`, a refusal, a drop or a
/// timeout.
fn request(inner: &Rc<RefCell<Inner>>, req: Request<Payload>, shape: Shape) -> Promise {
    let mut req = Some(req);
    Promise::new(&mut |resolve, reject| {
        let Some(req) = req.take() else { return };
        let mut i = inner.borrow_mut();
        let wire = match request_to_wire(i.catalog, i.game.as_deref(), req) {
            Ok(w) => w,
            Err(e) => {
                drop(i);
                let _ = reject.call1(&JsValue::NULL, &js::wire_error(&e));
                return;
            }
        };
        let id = i.take_id();
        if !i.send_frame(wire, id) {
            drop(i);
            let _ = reject.call1(
                &JsValue::NULL,
                &js::error(
                    "disconnected",
                    "not connected to the host right now; wait for `reconnected` (or sign in again) and retry",
                ),
            );
            return;
        }
        i.pending.insert(
            id,
            Pending {
                resolve,
                reject,
                shape,
            },
        );
        drop(i);
        let weak = Rc::downgrade(inner);
        let timeout = Closure::once_into_js(move || {
            let Some(inner) = weak.upgrade() else { return };
            let waiting = inner.borrow_mut().pending.remove(&id);
            if let Some(p) = waiting {
                let _ = p.reject.call1(
                    &JsValue::NULL,
                    &js::error("timeout", "the host did not answer in time; retry"),
                );
            }
        });
        set_timeout(&timeout, REPLY_TIMEOUT_MS);
    })
}

impl Client {
    fn request(&self, req: Request<Payload>, shape: Shape) -> Promise {
        request(&self.inner, req, shape)
    }

    async fn call(&self, req: Request<Payload>, shape: Shape) -> Result<JsValue, JsValue> {
        JsFuture::from(self.request(req, shape)).await
    }
}

fn options(
    game: String,
    config: &JsValue,
    password: Option<String>,
    public: bool,
) -> Result<RoomOptions<Payload>, JsValue> {
    Ok(RoomOptions {
        game,
        config: Payload::Json(js::to_json(config)?),
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
        let catalog = catalog()?;
        let ws = open(&url).await?;
        let client = Client {
            inner: Rc::new(RefCell::new(Inner {
                catalog,
                url,
                token,
                name,
                ws: None,
                generation: 0,
                handlers: None,
                next_id: 0,
                pending: BTreeMap::new(),
                listener: None,
                welcome: Value::Null,
                game: None,
                started: None,
                started_token: None,
                next: 0,
                mirror: None,
                view: None,
                done: false,
                reconnecting: false,
            })),
        };
        attach(&client.inner, ws);
        let hello = Request::Hello(client.inner.borrow().hello());
        match client.call(hello, Shape::Key("welcome")).await {
            Ok(welcome) => {
                client.inner.borrow_mut().welcome = js::to_json(&welcome)?;
                Ok(client)
            }
            Err(e) => {
                client.close();
                Err(e)
            }
        }
    }

    /// The host's welcome: `{player, name, protocol, server_version, games}`.
    #[wasm_bindgen(getter, unchecked_return_type = "Welcome")]
    pub fn welcome(&self) -> JsValue {
        js::from_serde(&self.inner.borrow().welcome)
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
    #[wasm_bindgen(js_name = createRoom, unchecked_return_type = "RoomState")]
    pub async fn create_room(
        &self,
        name: String,
        game: String,
        config: JsValue,
        password: Option<String>,
        listed: bool,
    ) -> Result<JsValue, JsValue> {
        let options = options(game, &config, password, listed)?;
        self.call(Request::CreateRoom { name, options }, Shape::Key("joined"))
            .await
    }

    /// Joins the room `room` (seated, or watching with `spectate`); resolves to its state.
    #[wasm_bindgen(unchecked_return_type = "RoomState")]
    pub async fn join(
        &self,
        room: String,
        password: Option<String>,
        spectate: bool,
    ) -> Result<JsValue, JsValue> {
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
        self.call(req, Shape::Key("joined")).await
    }

    /// Takes a seat back with the `resume` token of its `started` (after a reload use
    /// `next = 0`: the whole game stream is sent again). Resolves to the room state.
    #[wasm_bindgen(unchecked_return_type = "RoomState")]
    pub async fn resume(&self, token: String, next: f64) -> Result<JsValue, JsValue> {
        let next = whole(next, "next")?;
        self.call(Request::Resume { token, next }, Shape::Key("joined"))
            .await
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
        let p = self.request(Request::Leave, Shape::Unit);
        let mut i = self.inner.borrow_mut();
        i.started_token = None;
        i.started = None;
        i.mirror = None;
        p
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
        let action = Payload::Json(js::to_json(&action)?);
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
    pub fn view(&self) -> JsValue {
        let i = self.inner.borrow();
        let viewer = match i.started.as_ref().and_then(|s| s.seat) {
            Some(s) => Viewer::Seat(Seat(s)),
            None => Viewer::Spectator,
        };
        if let Some(m) = &i.mirror
            && let Ok(Payload::Json(v)) = m.view(viewer, Encoding::Json)
        {
            return js::from_serde(&v);
        }
        i.view.as_ref().map(js::from_serde).unwrap_or(JsValue::NULL)
    }

    /// Your legal actions now, as the host computes them from the authoritative game (so
    /// hidden-information games too); `[]` when it is not your turn or you have no seat.
    #[wasm_bindgen(js_name = legalActions, unchecked_return_type = "Promise<any[]>")]
    pub fn legal_actions(&self) -> Promise {
        self.request(Request::Legal, Shape::Key("actions"))
    }

    /// The running game's `started` (your seat, the config, the resume token), or `null`.
    #[wasm_bindgen(getter, unchecked_return_type = "Started | null")]
    pub fn started(&self) -> JsValue {
        match &self.inner.borrow().started {
            Some(s) => js::from_serde(s),
            None => JsValue::NULL,
        }
    }

    /// The token to `resume` your seat with after a reload, while a game runs.
    #[wasm_bindgen(getter, js_name = resumeToken)]
    pub fn resume_token(&self) -> Option<String> {
        self.inner.borrow().started_token.clone()
    }

    /// The mirror's state hash (perfect-information games), to compare with a host.
    #[wasm_bindgen(getter, js_name = mirrorHash)]
    pub fn mirror_hash(&self) -> Option<String> {
        self.inner
            .borrow()
            .mirror
            .as_ref()
            .map(|m| hash_hex(m.hash()))
    }

    /// Closes the connection for good (no reconnecting); pending requests are rejected.
    pub fn close(&self) {
        let mut calls = Vec::new();
        let listener = {
            let mut i = self.inner.borrow_mut();
            i.done = true;
            i.generation = i.generation.wrapping_add(1);
            if let Some(ws) = i.ws.take() {
                detach(&ws);
            }
            i.handlers = None;
            i.fail_pending(&mut calls, "the client was closed");
            i.listener.clone()
        };
        run(calls, listener);
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if let Ok(mut i) = self.inner.try_borrow_mut() {
            i.done = true;
            if let Some(ws) = i.ws.take() {
                detach(&ws);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_unwrap_by_key() {
        let v = reply_json(Reply::Accepted { index: 3, tick: 7 });
        assert_eq!(v["accepted"], json!({"index": 3, "tick": 7}));
        assert_eq!(reply_json(Reply::Ok), json!("ok"));
    }
}

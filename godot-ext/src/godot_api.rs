//! The Godot-facing classes: thin shells over [`crate::session`], [`crate::driver`] and
//! [`crate::value`]. Nothing here decides anything; it converts and forwards.

use std::sync::{Arc, OnceLock};

use godot::classes::{INode, IRefCounted, Node, RefCounted};
use godot::prelude::*;
use hearth_client::lan::Interfaces;
use hearth_rules::{Catalog, Games};

use crate::driver::{
    BrowserOut, ClientCmd, ClientDriver, ClientOut, LanBrowserDriver, LanHostDriver,
};
use crate::session::{Failure, SessionCore};
use crate::value::{ConvertError, GdValue, MAX_DEPTH, to_json};

/// The games of this extension: set by [`install`], which [`crate::extension!`] calls when
/// Godot loads the library.
static CATALOG: OnceLock<Arc<Catalog>> = OnceLock::new();

/// Makes `games` the extension's catalog (the first call wins). A catalog that does not
/// build is reported to Godot's log, naming the game, and leaves the catalog empty.
pub fn install(games: Games) {
    CATALOG.get_or_init(|| match Catalog::of(games) {
        Ok(c) => Arc::new(c),
        Err(e) => {
            godot_error!("Hearth: the games do not register: {e}");
            Arc::new(Catalog::new())
        }
    });
}

/// The installed catalog (empty, with an error in Godot's log, if none was installed).
fn catalog() -> Arc<Catalog> {
    match CATALOG.get() {
        Some(c) => c.clone(),
        None => {
            godot_error!(
                "Hearth: no games are installed; declare the extension with hearth_godot::extension!"
            );
            Arc::new(Catalog::new())
        }
    }
}

// ---- Variant <-> GdValue: one to one; the rules-facing work is in `value`.

fn to_variant(v: &GdValue) -> Variant {
    match v {
        GdValue::Nil => Variant::nil(),
        GdValue::Bool(b) => b.to_variant(),
        GdValue::Int(i) => i.to_variant(),
        GdValue::Float(f) => f.to_variant(),
        GdValue::String(s) => GString::from(s.as_str()).to_variant(),
        GdValue::Bytes(b) => PackedByteArray::from(b.as_slice()).to_variant(),
        GdValue::Array(items) => {
            let mut a = VarArray::new();
            for x in items {
                a.push(&to_variant(x));
            }
            a.to_variant()
        }
        GdValue::Dict(pairs) => dict(pairs).to_variant(),
    }
}

fn dict(pairs: &[(GdValue, GdValue)]) -> VarDictionary {
    let mut d = VarDictionary::new();
    for (k, x) in pairs {
        d.set(&to_variant(k), &to_variant(x));
    }
    d
}

fn from_variant(v: &Variant, at: &str, depth: usize) -> Result<GdValue, ConvertError> {
    if depth > MAX_DEPTH {
        return Err(ConvertError::TooDeep { at: at.into() });
    }
    let t = v.get_type();
    let unsupported = || ConvertError::Unsupported {
        at: at.into(),
        found: format!("{t:?}"),
    };
    Ok(if t == VariantType::NIL {
        GdValue::Nil
    } else if t == VariantType::BOOL {
        GdValue::Bool(v.try_to::<bool>().map_err(|_| unsupported())?)
    } else if t == VariantType::INT {
        GdValue::Int(v.try_to::<i64>().map_err(|_| unsupported())?)
    } else if t == VariantType::FLOAT {
        GdValue::Float(v.try_to::<f64>().map_err(|_| unsupported())?)
    } else if t == VariantType::STRING || t == VariantType::STRING_NAME {
        GdValue::String(v.to_string())
    } else if t == VariantType::PACKED_BYTE_ARRAY {
        let bytes = v.try_to::<PackedByteArray>().map_err(|_| unsupported())?;
        GdValue::Bytes(bytes.to_vec())
    } else if t == VariantType::ARRAY {
        let a = v.try_to::<VarArray>().map_err(|_| unsupported())?;
        GdValue::Array(
            a.iter_shared()
                .enumerate()
                .map(|(i, x)| from_variant(&x, &format!("{at}[{i}]"), depth + 1))
                .collect::<Result<_, _>>()?,
        )
    } else if t == VariantType::DICTIONARY {
        let d = v.try_to::<VarDictionary>().map_err(|_| unsupported())?;
        let mut pairs = Vec::new();
        for (k, x) in d.iter_shared() {
            let key = from_variant(&k, at, depth + 1)?;
            let value = from_variant(&x, &format!("{at}.{k}"), depth + 1)?;
            pairs.push((key, value));
        }
        GdValue::Dict(pairs)
    } else {
        return Err(unsupported());
    })
}

fn gd(v: &Variant) -> Result<GdValue, Failure> {
    from_variant(v, "value", 0).map_err(Failure::from)
}

fn json(v: &Variant) -> Result<serde_json::Value, Failure> {
    Ok(to_json(&gd(v)?)?)
}

/// `{ok: true, <key>: value}` or `{ok: false, error: {code, message}}`.
fn answer(result: Result<Option<(&str, GdValue)>, Failure>) -> VarDictionary {
    let mut d = VarDictionary::new();
    match result {
        Ok(extra) => {
            d.set("ok", true);
            if let Some((key, value)) = extra {
                d.set(key, &to_variant(&value));
            }
        }
        Err(f) => {
            d.set("ok", false);
            d.set("error", &to_variant(&f.to_value()));
        }
    }
    d
}

fn or_nil(result: Result<GdValue, Failure>) -> Variant {
    match result {
        Ok(v) => to_variant(&v),
        Err(f) => {
            godot_error!("Hearth: {} ({})", f.message, f.code);
            Variant::nil()
        }
    }
}

// ---- HearthSession

/// One offline game with the rules the server runs.
#[derive(GodotClass)]
#[class(base=RefCounted)]
pub(crate) struct HearthSession {
    core: SessionCore,
    base: Base<RefCounted>,
}

#[godot_api]
impl IRefCounted for HearthSession {
    fn init(base: Base<RefCounted>) -> Self {
        HearthSession {
            core: SessionCore::default(),
            base,
        }
    }
}

#[godot_api]
impl HearthSession {
    /// Starts a game: `{ok: true}` or `{ok: false, error: {code, message}}`.
    #[func]
    fn create(
        &mut self,
        game: GString,
        config: VarDictionary,
        seats: i64,
        seed: i64,
    ) -> VarDictionary {
        let result = gd(&config.to_variant()).and_then(|config| {
            self.core
                .create(&catalog(), &game.to_string(), &config, seats, seed)
        });
        answer(result.map(|()| None))
    }

    /// Client-side prediction in a real-time game: continues `game` from a host's `view` at
    /// `tick` (from `game_started` and `view_changed`), so you can apply your own input and
    /// `tick()` ahead of the next snapshot. `{ok: true}` or `{ok: false, error}`.
    #[func]
    fn predict(
        &mut self,
        game: GString,
        config: Variant,
        seats: i64,
        view: Variant,
        tick: i64,
    ) -> VarDictionary {
        let result = gd(&config).and_then(|config| {
            let view = gd(&view)?;
            self.core
                .predict(&catalog(), &game.to_string(), &config, seats, &view, tick)
        });
        answer(result.map(|()| None))
    }

    /// Applies `seat`'s action: `{ok: true, events: [...]}` or `{ok: false, error}`.
    #[func]
    fn apply(&mut self, seat: i64, action: Variant) -> VarDictionary {
        let result = gd(&action).and_then(|a| self.core.apply(seat, &a));
        answer(result.map(|events| Some(("events", events))))
    }

    /// One tick of a real-time game: `{ok: true, events}` or `{ok: false, error}`.
    #[func]
    fn tick(&mut self) -> VarDictionary {
        answer(self.core.tick().map(|events| Some(("events", events))))
    }

    /// What `seat` sees (`-1` for a spectator).
    #[func]
    fn view(&self, seat: i64) -> Variant {
        or_nil(self.core.view(seat))
    }

    /// What `seat` may do now.
    #[func]
    fn legal_actions(&self, seat: i64) -> Variant {
        or_nil(self.core.legal_actions(seat))
    }

    /// A bot's action for `seat` (at `bot_level`), or `null`.
    #[func]
    fn bot_action(&self, seat: i64) -> Variant {
        or_nil(self.core.bot_action(seat))
    }

    /// The next bot turn, played with the driver a host's room uses: the first of
    /// `bot_seats` whose bot wants to act now. `{ok: true, turn: {seat, action, events}}`,
    /// with `turn` null when no bot wants to; or `{ok: false, error}`.
    #[func]
    fn bot_turn(&mut self, bot_seats: Variant) -> VarDictionary {
        let result = gd(&bot_seats).and_then(|seats| self.core.bot_turn(&seats));
        answer(result.map(|turn| Some(("turn", turn))))
    }

    /// One real-time tick as a host's room runs it: `inputs` is an Array of `{seat,
    /// action}`; the bots of `bot_seats` play too. `{ok: true, result: {events, refused}}` or
    /// `{ok: false, error}`.
    #[func]
    fn step(&mut self, inputs: Variant, bot_seats: Variant) -> VarDictionary {
        let result = gd(&inputs).and_then(|inputs| {
            let seats = gd(&bot_seats)?;
            self.core.step(&inputs, &seats)
        });
        answer(result.map(|r| Some(("result", r))))
    }

    /// Bot strength for `bot_action` (0 = weakest; default 2).
    #[func]
    fn set_bot_level(&mut self, level: i64) {
        self.core.bot_level = level.clamp(0, 255) as u8;
    }

    /// The state hash, 16 hex digits: equal to the host's for the same game.
    #[func]
    fn state_hash(&self) -> GString {
        GString::from(self.core.state_hash().unwrap_or_default().as_str())
    }

    /// Whether the game has ended.
    #[func]
    fn is_over(&self) -> bool {
        self.core.is_over()
    }

    /// `{winners, scores}` once over, else `null`.
    #[func]
    fn outcome(&self) -> Variant {
        or_nil(self.core.outcome())
    }

    /// The game as bytes (save it, send it).
    #[func]
    fn snapshot(&self) -> PackedByteArray {
        PackedByteArray::from(self.core.snapshot().unwrap_or_default().as_slice())
    }

    /// Continues from `snapshot()` bytes: `{ok}` or `{ok: false, error}`.
    #[func]
    fn restore(&mut self, bytes: PackedByteArray) -> VarDictionary {
        answer(
            self.core
                .restore(&catalog(), bytes.as_slice())
                .map(|()| None),
        )
    }
}

// ---- HearthClient

/// A connection to the official server or a LAN host. Signals fire on the main thread.
#[derive(GodotClass)]
#[class(base=Node)]
pub(crate) struct HearthClient {
    driver: Option<ClientDriver>,
    base: Base<Node>,
}

#[godot_api]
impl INode for HearthClient {
    fn init(base: Base<Node>) -> Self {
        let driver = ClientDriver::new(catalog())
            .map_err(|e| godot_error!("Hearth: no network runtime: {e}"))
            .ok();
        HearthClient { driver, base }
    }

    fn process(&mut self, _delta: f64) {
        let outs = self
            .driver
            .as_ref()
            .map(ClientDriver::poll)
            .unwrap_or_default();
        for o in outs {
            self.emit(o);
        }
    }
}

#[godot_api]
impl HearthClient {
    /// Connected: the welcome `{player, name, server_version, games}`.
    #[signal]
    fn connected(welcome: Variant);
    /// The room you are in changed.
    #[signal]
    fn room_changed(state: Variant);
    /// The public rooms (answer to `list_rooms`).
    #[signal]
    fn rooms_listed(rooms: Variant);
    /// A game started: `{game, sync, seats, players, seat, tick_rate, config}`.
    #[signal]
    fn game_started(info: Variant);
    /// Perfect information: an accepted action `{seq, seat, action, events}`.
    #[signal]
    fn log_entry(entry: Variant);
    /// Your view changed (after an action, or every tick in real time).
    #[signal]
    fn view_changed(view: Variant, events: Variant, tick: i64);
    /// A leaderboard you subscribed to changed.
    #[signal]
    fn leaderboard_changed(game: GString, standings: Variant);
    /// Someone in the room spoke.
    #[signal]
    fn chat(name: GString, text: GString);
    /// Your legal actions (an Array), answering `request_legal_actions`.
    #[signal]
    fn legal_actions(actions: Variant);
    /// You left the room (kicked, closed, ...).
    #[signal]
    fn left_room(reason: GString);
    /// A request was refused or something failed.
    #[signal]
    fn error(code: GString, message: GString);
    /// The connection dropped (`reconnecting`: it is coming back by itself).
    #[signal]
    fn disconnected(reason: GString, reconnecting: bool);

    fn send(&self, cmd: ClientCmd) {
        if let Some(d) = &self.driver {
            d.send(cmd);
        }
    }

    fn emit(&mut self, o: ClientOut) {
        let (name, args): (&str, Vec<Variant>) = match o {
            ClientOut::Connected(w) => ("connected", vec![to_variant(&w)]),
            ClientOut::RoomChanged(s) => ("room_changed", vec![to_variant(&s)]),
            ClientOut::RoomsListed(r) => ("rooms_listed", vec![to_variant(&r)]),
            ClientOut::GameStarted(i) => ("game_started", vec![to_variant(&i)]),
            ClientOut::LogEntry(e) => ("log_entry", vec![to_variant(&e)]),
            ClientOut::ViewChanged { view, events, tick } => (
                "view_changed",
                vec![to_variant(&view), to_variant(&events), tick.to_variant()],
            ),
            ClientOut::LeaderboardChanged { game, standings } => (
                "leaderboard_changed",
                vec![
                    GString::from(game.as_str()).to_variant(),
                    to_variant(&standings),
                ],
            ),
            ClientOut::Chat { name, text } => (
                "chat",
                vec![
                    GString::from(name.as_str()).to_variant(),
                    GString::from(text.as_str()).to_variant(),
                ],
            ),
            ClientOut::LegalActions(a) => ("legal_actions", vec![to_variant(&a)]),
            ClientOut::Left(r) => ("left_room", vec![GString::from(r.as_str()).to_variant()]),
            ClientOut::Error { code, message } => (
                "error",
                vec![
                    GString::from(code.as_str()).to_variant(),
                    GString::from(message.as_str()).to_variant(),
                ],
            ),
            ClientOut::Disconnected {
                reason,
                reconnecting,
            } => (
                "disconnected",
                vec![
                    GString::from(reason.as_str()).to_variant(),
                    reconnecting.to_variant(),
                ],
            ),
        };
        self.base_mut().emit_signal(name, &args);
    }

    /// Signs in at an official server (`http://host:port`) as this device and connects.
    #[func]
    fn connect_to_server(&self, url: GString, device_id: GString) {
        self.send(ClientCmd::ConnectServer {
            url: url.to_string(),
            device_id: device_id.to_string(),
            name: "Player".into(),
        });
    }

    /// Connects to a LAN host (from `HearthLanBrowser.host_found`) under `display_name`.
    #[func]
    fn connect_to_host(&self, address: GString, port: i64, display_name: GString) {
        self.send(ClientCmd::ConnectHost {
            address: address.to_string(),
            port: u16::try_from(port).unwrap_or(0),
            name: display_name.to_string(),
        });
    }

    /// Asks for the public rooms (`rooms_listed` answers).
    #[func]
    fn list_rooms(&self) {
        self.send(ClientCmd::ListRooms);
    }

    /// Joins the room `room` (any case), creating it for `game` with `config` if there is
    /// none; `password` may be "".
    #[func]
    fn join_room(&self, room: GString, game: GString, config: VarDictionary, password: GString) {
        match json(&config.to_variant()) {
            Ok(config) => self.send(ClientCmd::Join {
                room: room.to_string(),
                password: password.to_string(),
                game: game.to_string(),
                config,
                spectate: false,
            }),
            Err(f) => godot_error!("Hearth: config: {}", f.message),
        }
    }

    /// Watches the room `room`.
    #[func]
    fn watch_room(&self, room: GString, password: GString) {
        self.send(ClientCmd::Join {
            room: room.to_string(),
            password: password.to_string(),
            game: String::new(),
            config: serde_json::Value::Null,
            spectate: true,
        });
    }

    /// Marks you ready (or not).
    #[func]
    fn set_ready(&self, ready: bool) {
        self.send(ClientCmd::Ready(ready));
    }

    /// Starts the game (room host only).
    #[func]
    fn start_game(&self) {
        self.send(ClientCmd::Start);
    }

    /// Fills an empty seat with a bot of `level`.
    #[func]
    fn add_bot(&self, level: i64) {
        self.send(ClientCmd::AddBot(level.clamp(0, 255) as u8));
    }

    /// Says something to the room.
    #[func]
    fn say(&self, text: GString) {
        self.send(ClientCmd::Chat(text.to_string()));
    }

    /// Leaves the room.
    #[func]
    fn leave_room(&self) {
        self.send(ClientCmd::Leave);
    }

    /// Plays an action; a refusal arrives as `error`.
    #[func]
    fn send_action(&self, action: Variant) {
        match json(&action) {
            Ok(action) => self.send(ClientCmd::Action(action)),
            Err(f) => godot_error!("Hearth: action: {}", f.message),
        }
    }

    /// Asks the host for your legal actions now; they arrive as `legal_actions` (for
    /// hidden-information games too, where the client cannot compute them itself).
    #[func]
    fn request_legal_actions(&self) {
        self.send(ClientCmd::Legal);
    }

    /// Has `game`'s leaderboard pushed through `leaderboard_changed` (official server).
    #[func]
    fn subscribe_leaderboard(&self, game: GString) {
        self.send(ClientCmd::SubscribeLeaderboard(game.to_string()));
    }

    /// Closes the connection.
    #[func]
    fn disconnect_from_host(&self) {
        self.send(ClientCmd::Disconnect);
    }
}

// ---- HearthLanHost

/// Hosts games for the local network from inside your game, announced over mDNS.
#[derive(GodotClass)]
#[class(base=Node)]
pub(crate) struct HearthLanHost {
    runtime: Option<tokio::runtime::Runtime>,
    host: Option<LanHostDriver>,
    /// See `set_web_folder`.
    web_folder: GString,
    base: Base<Node>,
}

#[godot_api]
impl INode for HearthLanHost {
    fn init(base: Base<Node>) -> Self {
        HearthLanHost {
            runtime: crate::driver::background_runtime().ok(),
            host: None,
            web_folder: GString::new(),
            base,
        }
    }

    fn exit_tree(&mut self) {
        self.stop();
    }
}

#[godot_api]
impl HearthLanHost {
    /// Starts hosting as `name` on `port` (0 picks a free one); returns the port, or -1 with
    /// the reason in Godot's error log.
    #[func]
    fn start(&mut self, name: GString, port: i64) -> i64 {
        self.stop();
        let Some(rt) = &self.runtime else {
            godot_error!("Hearth: no network runtime");
            return -1;
        };
        let port = u16::try_from(port).unwrap_or(0);
        let web = Some(self.web_folder.to_string())
            .filter(|f| !f.is_empty())
            .map(std::path::PathBuf::from);
        match LanHostDriver::start(rt, &name.to_string(), port, Interfaces::All, catalog(), web) {
            Ok((host, port)) => {
                self.host = Some(host);
                i64::from(port)
            }
            Err(e) => {
                godot_error!("Hearth: cannot host: {e}");
                -1
            }
        }
    }

    /// Stops hosting (players are told; the announcement is withdrawn).
    #[func]
    fn stop(&mut self) {
        if let (Some(rt), Some(mut host)) = (&self.runtime, self.host.take()) {
            host.stop(rt);
        }
    }

    /// Whether it is hosting.
    #[func]
    fn is_hosting(&self) -> bool {
        self.host.is_some()
    }

    /// A folder on disk with the browser client (index.html and pkg/) to serve to phones,
    /// used by the next `start` (empty: none). An exported game ships it beside its
    /// executable: `res://` is not a folder on disk.
    #[func]
    fn set_web_folder(&mut self, folder: GString) {
        self.web_folder = folder;
    }

    /// The folder `set_web_folder` gave.
    #[func]
    fn get_web_folder(&self) -> GString {
        self.web_folder.clone()
    }

    /// The page's URL on each of this machine's addresses (`http://192.168.1.20:7777/`), for
    /// phones in the room: show one, or its `qr_image`. Empty when not hosting. The page is
    /// there only with a `web_folder`.
    #[func]
    fn page_urls(&self) -> PackedStringArray {
        self.host
            .as_ref()
            .map(LanHostDriver::page_urls)
            .unwrap_or_default()
            .iter()
            .map(GString::from)
            .collect()
    }

    /// A QR code of `text` (e.g. a `page_urls` entry) as a greyscale `Image`, `scale` pixels a
    /// module, quiet zone included: put it in a `TextureRect` with
    /// `ImageTexture.create_from_image`. Null, with the reason in Godot's error log, if the
    /// text is too long for a QR code.
    #[func]
    fn qr_image(&self, text: GString, scale: i64) -> Option<Gd<godot::classes::Image>> {
        let scale = usize::try_from(scale).unwrap_or(1);
        match crate::driver::qr_luma(&text.to_string(), scale) {
            Ok((side, pixels)) => {
                let side = i32::try_from(side).unwrap_or(0);
                godot::classes::Image::create_from_data(
                    side,
                    side,
                    false,
                    godot::classes::image::Format::L8,
                    &PackedByteArray::from(pixels),
                )
            }
            Err(e) => {
                godot_error!("Hearth: {e}");
                None
            }
        }
    }
}

// ---- HearthLanBrowser

/// Finds Hearth hosts on the local network.
#[derive(GodotClass)]
#[class(base=Node)]
pub(crate) struct HearthLanBrowser {
    runtime: Option<tokio::runtime::Runtime>,
    browser: Option<LanBrowserDriver>,
    base: Base<Node>,
}

#[godot_api]
impl INode for HearthLanBrowser {
    fn init(base: Base<Node>) -> Self {
        HearthLanBrowser {
            runtime: crate::driver::background_runtime().ok(),
            browser: None,
            base,
        }
    }

    fn ready(&mut self) {
        self.start();
    }

    fn process(&mut self, _delta: f64) {
        let outs = self
            .browser
            .as_ref()
            .map(LanBrowserDriver::poll)
            .unwrap_or_default();
        for o in outs {
            match o {
                BrowserOut::Found(info) => {
                    let info = to_variant(&info);
                    self.base_mut().emit_signal("host_found", &[info]);
                }
                BrowserOut::Lost(name) => {
                    let name = GString::from(name.as_str()).to_variant();
                    self.base_mut().emit_signal("host_lost", &[name]);
                }
                BrowserOut::Error(e) => godot_error!("Hearth: LAN browsing failed: {e}"),
            }
        }
    }
}

#[godot_api]
impl HearthLanBrowser {
    /// A host appeared: `{name, fullname, address, port, games, compatible, reason}`.
    #[signal]
    fn host_found(info: Variant);
    /// A host went away (its `fullname`).
    #[signal]
    fn host_lost(name: GString);

    /// Starts browsing (done when the node enters the tree).
    #[func]
    fn start(&mut self) {
        if self.browser.is_none()
            && let Some(rt) = &self.runtime
        {
            self.browser = Some(LanBrowserDriver::start(rt, Interfaces::All, catalog()));
        }
    }

    /// Stops browsing.
    #[func]
    fn stop(&mut self) {
        self.browser = None;
    }
}

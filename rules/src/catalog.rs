//! The type-erased catalog: games by name, driven with postcard or JSON.

use std::any::Any;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::codec::{Encoding, Payload};
use crate::schema::Fingerprint;
#[cfg(feature = "schema")]
use crate::schema::{fingerprint, shapes};
use crate::session::{LogEntry, SessionHeader, SnapshotPrefix};
use crate::{Game, GameInfo, Outcome, RuleError, Seat, Session, Viewer};

/// How a host keeps clients in step with a game, chosen from its metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncMode {
    /// Stream accepted log entries; clients replay them with the shared rules.
    PerfectInformation,
    /// Send each seat its own view after every accepted action.
    HiddenInformation,
    /// Tick at the game's rate and send each seat a view every tick.
    RealTime,
}

/// A catalog entry as clients see it (JSON-friendly, owned).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GameMeta {
    /// Unique name.
    pub name: String,
    /// Rules version.
    pub version: u32,
    /// Fewest seats.
    pub min_seats: u8,
    /// Most seats.
    pub max_seats: u8,
    /// Ticks per second for real-time games.
    pub tick_rate: Option<u16>,
    /// Whether views differ between seats.
    pub hidden_information: bool,
    /// One sentence for menus.
    pub description: String,
    /// The rules fingerprint to compare at handshakes.
    pub fingerprint: Fingerprint,
}

impl GameMeta {
    /// How hosts sync this game.
    pub fn sync_mode(&self) -> SyncMode {
        if self.tick_rate.is_some() {
            SyncMode::RealTime
        } else if self.hidden_information {
            SyncMode::HiddenInformation
        } else {
            SyncMode::PerfectInformation
        }
    }

    fn new(info: &GameInfo, fingerprint: Fingerprint) -> GameMeta {
        GameMeta {
            name: info.name.into(),
            version: info.version,
            min_seats: info.min_seats,
            max_seats: info.max_seats,
            tick_rate: info.tick_rate,
            hidden_information: info.hidden_information,
            description: info.description.into(),
            fingerprint,
        }
    }
}

/// A type-erased session header: which game, and how it was set up.
#[derive(Debug, Clone, PartialEq)]
pub struct DynHeader {
    /// Catalog name of the game.
    pub game: String,
    /// Number of seats.
    pub seats: u8,
    /// Generator seed.
    pub seed: u64,
    /// The config (JSON `null` or empty postcard for the defaults).
    pub config: Payload,
}

/// A type-erased log entry.
#[derive(Debug, Clone, PartialEq)]
pub struct DynLogEntry {
    /// Position in the log.
    pub index: u64,
    /// Tick count when applied.
    pub tick: u64,
    /// Who acted.
    pub seat: Seat,
    /// The action.
    pub action: Payload,
}

/// Several viewers' views, each distinct one encoded once: what a host sends a table every
/// tick, where seats that see the same thing (every seat, in a game without secrets) share
/// one encoding.
#[derive(Debug, Clone, PartialEq)]
pub struct Views {
    /// The distinct views, in the order their first viewer was asked for.
    pub distinct: Vec<Payload>,
    /// For each viewer asked for, in order, the index of its view in `distinct`.
    pub of: Vec<usize>,
}

/// The object-safe face of `Session<G>`.
trait ErasedSession: Send + Sync {
    fn apply(&mut self, seat: Seat, action: &Payload) -> Result<Payload, RuleError>;
    fn apply_bytes(
        &mut self,
        seat: Seat,
        action: &[u8],
        events: Vec<u8>,
    ) -> Result<Vec<u8>, RuleError>;
    fn tick(&mut self, encoding: Encoding) -> Result<Payload, RuleError>;
    fn tick_bytes(&mut self, events: Vec<u8>) -> Result<Vec<u8>, RuleError>;
    fn view(&self, viewer: Viewer, encoding: Encoding) -> Result<Payload, RuleError>;
    fn views(&self, viewers: &[Viewer], encoding: Encoding) -> Result<Views, RuleError>;
    fn legal_actions(&self, seat: Seat, encoding: Encoding) -> Result<Payload, RuleError>;
    fn bot_action(
        &self,
        seat: Seat,
        level: u8,
        encoding: Encoding,
    ) -> Result<Option<Payload>, RuleError>;
    fn is_over(&self) -> bool;
    fn outcome(&self) -> Option<Outcome>;
    fn hash(&self) -> u64;
    fn tick_count(&self) -> u64;
    fn header(&self, encoding: Encoding) -> (u8, u64, Payload);
    fn log_len(&self) -> u64;
    fn log(&self, from: u64, encoding: Encoding) -> Vec<DynLogEntry>;
    fn snapshot(&self) -> Vec<u8>;
    fn convert_action(&self, action: &Payload, to: Encoding) -> Result<Payload, RuleError>;
    fn convert_events(&self, events: &Payload, to: Encoding) -> Result<Payload, RuleError>;
    fn convert_actions(&self, actions: &Payload, to: Encoding) -> Result<Payload, RuleError>;
    fn convert_view(&self, view: &Payload, to: Encoding) -> Result<Payload, RuleError>;
    fn clone_box(&self) -> Box<dyn ErasedSession>;
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<G: Game> ErasedSession for Session<G> {
    fn apply(&mut self, seat: Seat, action: &Payload) -> Result<Payload, RuleError> {
        let decoded: G::Action = action.decode("action")?;
        let events = Session::apply(self, seat, decoded)?;
        Ok(Payload::encode(events, action.encoding()))
    }
    fn apply_bytes(
        &mut self,
        seat: Seat,
        action: &[u8],
        events: Vec<u8>,
    ) -> Result<Vec<u8>, RuleError> {
        let decoded: G::Action = crate::codec::decode_postcard(action, "action")?;
        let out = Session::apply(self, seat, decoded)?;
        Ok(crate::codec::to_postcard_in(out, events))
    }
    fn tick(&mut self, encoding: Encoding) -> Result<Payload, RuleError> {
        let events = Session::tick(self)?;
        Ok(Payload::encode(events, encoding))
    }
    fn tick_bytes(&mut self, events: Vec<u8>) -> Result<Vec<u8>, RuleError> {
        let out = Session::tick(self)?;
        Ok(crate::codec::to_postcard_in(out, events))
    }
    fn view(&self, viewer: Viewer, encoding: Encoding) -> Result<Payload, RuleError> {
        Ok(Payload::encode(&Session::view(self, viewer)?, encoding))
    }
    fn views(&self, viewers: &[Viewer], encoding: Encoding) -> Result<Views, RuleError> {
        // Views are compared as values, before encoding: a linear scan is cheapest for the
        // handful of seats a table has.
        let mut distinct: Vec<G::View> = Vec::new();
        let mut of = Vec::with_capacity(viewers.len());
        for viewer in viewers {
            let view = Session::view(self, *viewer)?;
            match distinct.iter().position(|d| *d == view) {
                Some(i) => of.push(i),
                None => {
                    of.push(distinct.len());
                    distinct.push(view);
                }
            }
        }
        Ok(Views {
            distinct: distinct
                .iter()
                .map(|v| Payload::encode(v, encoding))
                .collect(),
            of,
        })
    }
    fn legal_actions(&self, seat: Seat, encoding: Encoding) -> Result<Payload, RuleError> {
        Ok(Payload::encode(
            &Session::legal_actions(self, seat)?,
            encoding,
        ))
    }
    fn bot_action(
        &self,
        seat: Seat,
        level: u8,
        encoding: Encoding,
    ) -> Result<Option<Payload>, RuleError> {
        Ok(Session::bot_action(self, seat, level)?.map(|a| Payload::encode(&a, encoding)))
    }
    fn is_over(&self) -> bool {
        Session::is_over(self)
    }
    fn outcome(&self) -> Option<Outcome> {
        Session::outcome(self)
    }
    fn hash(&self) -> u64 {
        Session::hash(self)
    }
    fn tick_count(&self) -> u64 {
        Session::tick_count(self)
    }
    fn header(&self, encoding: Encoding) -> (u8, u64, Payload) {
        let h = Session::header(self);
        (h.seats, h.seed, Payload::encode(&h.config, encoding))
    }
    fn log_len(&self) -> u64 {
        Session::log(self).len() as u64
    }
    fn log(&self, from: u64, encoding: Encoding) -> Vec<DynLogEntry> {
        let log = Session::log(self);
        let from = usize::try_from(from).unwrap_or(usize::MAX).min(log.len());
        log[from..]
            .iter()
            .map(|e| DynLogEntry {
                index: e.index,
                tick: e.tick,
                seat: e.seat,
                action: Payload::encode(&e.action, encoding),
            })
            .collect()
    }
    fn snapshot(&self) -> Vec<u8> {
        Session::snapshot(self)
    }
    fn convert_action(&self, action: &Payload, to: Encoding) -> Result<Payload, RuleError> {
        let action: G::Action = action.decode("action")?;
        Ok(Payload::encode(&action, to))
    }
    fn convert_events(&self, events: &Payload, to: Encoding) -> Result<Payload, RuleError> {
        let events: Vec<G::Event> = events.decode("events")?;
        Ok(Payload::encode(&events, to))
    }
    fn convert_actions(&self, actions: &Payload, to: Encoding) -> Result<Payload, RuleError> {
        let actions: Vec<G::Action> = actions.decode("actions")?;
        Ok(Payload::encode(&actions, to))
    }
    fn convert_view(&self, view: &Payload, to: Encoding) -> Result<Payload, RuleError> {
        let view: G::View = view.decode("view")?;
        Ok(Payload::encode(&view, to))
    }
    fn clone_box(&self) -> Box<dyn ErasedSession> {
        Box::new(self.clone())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

type CreateFn = fn(&Payload, u8, u64) -> Result<Box<dyn ErasedSession>, RuleError>;
type ConvertFn = fn(ValueKind, &Payload, Encoding) -> Result<Payload, RuleError>;

/// Which of a game's values a payload holds, for [`Catalog::convert`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// A config (`null` or empty bytes mean the defaults).
    Config,
    /// One action.
    Action,
    /// A list of actions (legal actions).
    Actions,
    /// A list of events (what an action or a tick produced).
    Events,
    /// A view.
    View,
}

fn convert_erased<G: Game>(
    kind: ValueKind,
    value: &Payload,
    to: Encoding,
) -> Result<Payload, RuleError> {
    Ok(match kind {
        ValueKind::Config => Payload::encode(&value.decode_or_default::<G::Config>("config")?, to),
        ValueKind::Action => Payload::encode(&value.decode::<G::Action>("action")?, to),
        ValueKind::Actions => Payload::encode(&value.decode::<Vec<G::Action>>("actions")?, to),
        ValueKind::Events => Payload::encode(&value.decode::<Vec<G::Event>>("events")?, to),
        ValueKind::View => Payload::encode(&value.decode::<G::View>("view")?, to),
    })
}
type RestoreFn = fn(&[u8]) -> Result<Box<dyn ErasedSession>, RuleError>;
type ReplayFn = fn(&DynHeader, &[DynLogEntry]) -> Result<Box<dyn ErasedSession>, RuleError>;
type PredictFn = fn(&Payload, u8, u64, &Payload) -> Result<Box<dyn ErasedSession>, RuleError>;

fn create_erased<G: Game>(
    config: &Payload,
    seats: u8,
    seed: u64,
) -> Result<Box<dyn ErasedSession>, RuleError> {
    let config: G::Config = config.decode_or_default("config")?;
    Ok(Box::new(Session::<G>::new(config, seats, seed)?))
}

fn predict_erased<G: Game>(
    config: &Payload,
    seats: u8,
    tick: u64,
    view: &Payload,
) -> Result<Box<dyn ErasedSession>, RuleError> {
    let config: G::Config = config.decode_or_default("config")?;
    let view: G::View = view.decode("view")?;
    let header = SessionHeader {
        seats,
        seed: 0,
        config,
    };
    Ok(Box::new(Session::<G>::predict(header, tick, &view)?))
}

fn restore_erased<G: Game>(bytes: &[u8]) -> Result<Box<dyn ErasedSession>, RuleError> {
    Ok(Box::new(Session::<G>::restore(bytes)?))
}

fn replay_erased<G: Game>(
    header: &DynHeader,
    log: &[DynLogEntry],
) -> Result<Box<dyn ErasedSession>, RuleError> {
    let config: G::Config = header.config.decode_or_default("config")?;
    let mut session = Session::<G>::from_header(SessionHeader {
        seats: header.seats,
        seed: header.seed,
        config,
    })?;
    for entry in log {
        let action: G::Action = entry
            .action
            .decode("action")
            .map_err(|e| RuleError::Replay {
                index: entry.index,
                reason: e.to_string(),
            })?;
        session.replay_entry(&LogEntry {
            index: entry.index,
            tick: entry.tick,
            seat: entry.seat,
            action,
        })?;
    }
    Ok(Box::new(session))
}

struct Entry {
    meta: Arc<GameMeta>,
    create: CreateFn,
    restore: RestoreFn,
    replay: ReplayFn,
    predict: PredictFn,
    convert: ConvertFn,
    #[cfg(feature = "schema")]
    shapes: fn() -> Result<serde_json::Value, RuleError>,
}

/// Games by name. The server, the C ABI, Wasm and Godot all drive games through this, so
/// any registered game works everywhere.
///
/// ```
/// use hearth_rules::{Catalog, Payload, Seat, Viewer, Encoding};
/// let catalog = Catalog::of(hearth_games::games)?;
/// let mut game = catalog.create("connect-four", &Payload::Json(serde_json::json!({"first_seat": 0})), 2, 7)?;
/// let events = game.apply(Seat(0), &Payload::Json(serde_json::json!({"column": 3})))?;
/// assert_eq!(events, Payload::Json(serde_json::json!([{"dropped": {"seat": 0, "column": 3, "row": 0}}])));
/// let view = game.view(Viewer::Spectator, Encoding::Json)?;
/// # let _ = view;
/// # Ok::<(), hearth_rules::RuleError>(())
/// ```
#[derive(Default)]
pub struct Catalog {
    entries: Vec<Entry>,
    /// Fingerprints to use instead of tracing, while [`Catalog::of_fingerprinted`] runs.
    given: Option<Vec<Fingerprint>>,
}

/// A rules crate's registration function: it registers that crate's games into a catalog.
/// Every Hearth product takes one (`hearth_cli::run(my_rules::games)`), so one function
/// names the games everywhere.
///
/// ```
/// use hearth_rules::{Catalog, RuleError};
/// # use hearth_games::connect_four::ConnectFour as MyGame;
/// pub fn games(catalog: &mut Catalog) -> Result<(), RuleError> {
///     catalog.register::<MyGame>()?;
///     Ok(())
/// }
/// let catalog = Catalog::of(games)?;
/// assert_eq!(catalog.games().count(), 1);
/// # Ok::<(), RuleError>(())
/// ```
pub type Games = fn(&mut Catalog) -> Result<(), RuleError>;

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(|e| &e.meta.name))
            .finish()
    }
}

impl Catalog {
    /// An empty catalog.
    pub fn new() -> Self {
        Catalog::default()
    }

    /// A catalog of the games that `games` registers (a rules crate's registration
    /// function): `Catalog::of(my_rules::games)`. Fails, naming the game, if two games share
    /// a name or a game's types cannot be traced or hold floats in the state.
    pub fn of(games: Games) -> Result<Self, RuleError> {
        let mut catalog = Catalog::new();
        games(&mut catalog)?;
        Ok(catalog)
    }

    /// Like [`Catalog::of`], with every game's fingerprint given instead of traced: for
    /// builds without the `schema` feature (the Wasm module), whose fingerprints a native
    /// build computed (`Catalog::of(games)?.fingerprints()`, typically in `build.rs`). Fails
    /// unless every game registered has its fingerprint among `fingerprints`.
    pub fn of_fingerprinted(games: Games, fingerprints: &[Fingerprint]) -> Result<Self, RuleError> {
        let mut catalog = Catalog {
            entries: Vec::new(),
            given: Some(fingerprints.to_vec()),
        };
        games(&mut catalog)?;
        catalog.given = None;
        Ok(catalog)
    }

    /// Registers a game. Fails if the name is taken, or the game's types cannot be traced or
    /// hold floats in the state. In a catalog made by [`Catalog::of_fingerprinted`] the
    /// game's fingerprint is taken from the given ones instead of being traced.
    pub fn register<G: Game>(&mut self) -> Result<&GameMeta, RuleError> {
        if let Some(given) = &self.given {
            let fingerprint = given
                .iter()
                .find(|f| f.game == G::INFO.name)
                .cloned()
                .ok_or_else(|| RuleError::InvalidGame {
                    name: G::INFO.name.into(),
                    reason: "no fingerprint was given for it; compute the fingerprints with a native build of the same rules (Catalog::of(games)?.fingerprints())".into(),
                })?;
            return self.register_fingerprinted::<G>(fingerprint);
        }
        #[cfg(feature = "schema")]
        {
            let fingerprint = fingerprint::<G>()?;
            self.register_fingerprinted::<G>(fingerprint)
        }
        #[cfg(not(feature = "schema"))]
        Err(RuleError::InvalidGame {
            name: G::INFO.name.into(),
            reason: "this build of hearth-rules has no type tracer (feature `schema`); make the catalog with Catalog::of_fingerprinted and fingerprints from a native build".into(),
        })
    }

    /// Registers a game with a fingerprint computed elsewhere — by [`Catalog::register`] in a
    /// native build — for builds without the `schema` feature, which cannot trace types (the
    /// Wasm module leaves the tracer out for size). The fingerprint must name this game and
    /// version; a wrong schema hash is caught by every host's handshake, not here.
    pub fn register_fingerprinted<G: Game>(
        &mut self,
        fingerprint: Fingerprint,
    ) -> Result<&GameMeta, RuleError> {
        if fingerprint.game != G::INFO.name || fingerprint.version != G::INFO.version {
            return Err(RuleError::InvalidGame {
                name: G::INFO.name.into(),
                reason: format!(
                    "the fingerprint {fingerprint} is not of {}@{}",
                    G::INFO.name,
                    G::INFO.version
                ),
            });
        }
        let name = G::INFO.name;
        let at = match self
            .entries
            .binary_search_by(|e| e.meta.name.as_str().cmp(name))
        {
            Ok(_) => return Err(RuleError::DuplicateGame { name: name.into() }),
            Err(at) => at,
        };
        if G::INFO.min_seats == 0 || G::INFO.min_seats > G::INFO.max_seats {
            return Err(RuleError::InvalidGame {
                name: name.into(),
                reason: "its seat range is empty or starts at 0".into(),
            });
        }
        let meta = GameMeta::new(&G::INFO, fingerprint);
        self.entries.insert(
            at,
            Entry {
                meta: Arc::new(meta),
                create: create_erased::<G>,
                restore: restore_erased::<G>,
                replay: replay_erased::<G>,
                predict: predict_erased::<G>,
                convert: convert_erased::<G>,
                #[cfg(feature = "schema")]
                shapes: shapes::<G>,
            },
        );
        Ok(&self.entries[at].meta)
    }

    /// Every registered game, sorted by name.
    pub fn games(&self) -> impl Iterator<Item = &GameMeta> {
        self.entries.iter().map(|e| e.meta.as_ref())
    }

    /// The game of that name.
    pub fn get(&self, name: &str) -> Result<&GameMeta, RuleError> {
        self.entry(name).map(|e| e.meta.as_ref())
    }

    /// The shapes of every game's values, in catalog order (feature `schema`): what code without
    /// the games' Rust types needs to turn postcard into the values' JSON form and back. The
    /// browser module's build script writes them for its JavaScript codec
    /// (`wasm/src/codec.js`).
    ///
    /// Each game's entry is `{"game": name, "config", "action", "view", "event": T,
    /// "types": {name: C}, "default_config": <the default config as JSON>, "fill": {name:
    /// what `{}` reads as}}` (`fill`: the config and action types, when they are structs with
    /// `#[serde(default)]`, with the values their left-out fields take), where a type `T` is a string
    /// (`"unit"`, `"bool"`, `"i8"`…`"u128"`, `"f32"`, `"f64"`, `"char"`, `"str"`, `"bytes"`)
    /// or a list (`["option", T]`, `["seq", T]`, `["map", K, V]`, `["tuple", [T…]]`,
    /// `["array", T, n]`, `["type", name]`), and a named type `C` is `["unit"]`,
    /// `["newtype", T]`, `["tuple", [T…]]`, `["struct", [[field, T]…]]` or
    /// `["enum", [[variant, C]…]]` with the variants in index order.
    #[cfg(feature = "schema")]
    pub fn shapes(&self) -> Result<serde_json::Value, RuleError> {
        let mut all = Vec::with_capacity(self.entries.len());
        for e in &self.entries {
            let mut shapes = (e.shapes)()?;
            shapes["game"] = serde_json::Value::from(e.meta.name.as_str());
            all.push(shapes);
        }
        Ok(serde_json::Value::Array(all))
    }

    /// The fingerprints of every registered game, for handshakes.
    pub fn fingerprints(&self) -> Vec<Fingerprint> {
        self.games().map(|g| g.fingerprint.clone()).collect()
    }

    /// Re-encodes one of `game`'s values in another encoding, straight through the game's
    /// types (no session is made). Fails with a clear error if the value does not decode as
    /// that kind of value of that game; a config is only decoded here, not validated (the
    /// host validates it when it makes the game).
    ///
    /// ```
    /// use hearth_rules::{Catalog, Encoding, Payload, ValueKind};
    /// let catalog = Catalog::of(hearth_games::games)?;
    /// let json = Payload::Json(serde_json::json!({"column": 3}));
    /// let bytes = catalog.convert("connect-four", ValueKind::Action, &json, Encoding::Postcard)?;
    /// assert_eq!(bytes, Payload::Postcard(vec![3]));
    /// assert_eq!(catalog.convert("connect-four", ValueKind::Action, &bytes, Encoding::Json)?, json);
    /// # Ok::<(), hearth_rules::RuleError>(())
    /// ```
    pub fn convert(
        &self,
        game: &str,
        kind: ValueKind,
        value: &Payload,
        to: Encoding,
    ) -> Result<Payload, RuleError> {
        let entry = self.entry(game)?;
        if value.encoding() == to && kind != ValueKind::Config {
            return Ok(value.clone());
        }
        (entry.convert)(kind, value, to)
    }

    /// Starts a game by name. `config` in either encoding; JSON `null` means the defaults.
    pub fn create(
        &self,
        game: &str,
        config: &Payload,
        seats: u8,
        seed: u64,
    ) -> Result<DynSession, RuleError> {
        let entry = self.entry(game)?;
        Ok(DynSession {
            meta: entry.meta.clone(),
            inner: (entry.create)(config, seats, seed)?,
        })
    }

    /// Rebuilds a game by replaying its log.
    pub fn replay(&self, header: &DynHeader, log: &[DynLogEntry]) -> Result<DynSession, RuleError> {
        let entry = self.entry(&header.game)?;
        Ok(DynSession {
            meta: entry.meta.clone(),
            inner: (entry.replay)(header, log)?,
        })
    }

    /// A session continuing from a host's `view` at `tick`, for client-side prediction in
    /// real-time games (see [`crate::Game::from_view`]); `no_prediction` for games that
    /// cannot. It is a forecast: it has no log and its hash means nothing to a host.
    pub fn predict(
        &self,
        game: &str,
        config: &Payload,
        seats: u8,
        tick: u64,
        view: &Payload,
    ) -> Result<DynSession, RuleError> {
        let entry = self.entry(game)?;
        Ok(DynSession {
            meta: entry.meta.clone(),
            inner: (entry.predict)(config, seats, tick, view)?,
        })
    }

    /// Rebuilds a game from [`DynSession::snapshot`] bytes.
    pub fn restore(&self, snapshot: &[u8]) -> Result<DynSession, RuleError> {
        let prefix = SnapshotPrefix::read(snapshot)?;
        let entry = self.entry(&prefix.game)?;
        Ok(DynSession {
            meta: entry.meta.clone(),
            inner: (entry.restore)(snapshot)?,
        })
    }

    fn entry(&self, name: &str) -> Result<&Entry, RuleError> {
        self.entries
            .binary_search_by(|e| e.meta.name.as_str().cmp(name))
            .map(|i| &self.entries[i])
            .map_err(|_| RuleError::UnknownGame {
                name: name.into(),
                known: self
                    .entries
                    .iter()
                    .map(|e| e.meta.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

/// A session of any registered game, driven with [`Payload`]s. Events come back in the
/// encoding the action arrived in.
pub struct DynSession {
    meta: Arc<GameMeta>,
    inner: Box<dyn ErasedSession>,
}

impl Clone for DynSession {
    fn clone(&self) -> Self {
        DynSession {
            meta: self.meta.clone(),
            inner: self.inner.clone_box(),
        }
    }
}

impl std::fmt::Debug for DynSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynSession")
            .field("game", &self.meta.name)
            .field("hash", &format_args!("{:016x}", self.inner.hash()))
            .finish()
    }
}

impl DynSession {
    /// The game's catalog entry.
    pub fn meta(&self) -> &GameMeta {
        &self.meta
    }

    /// Validates and applies an action; returns the events (a list) in the action's encoding.
    pub fn apply(&mut self, seat: Seat, action: &Payload) -> Result<Payload, RuleError> {
        self.inner.apply(seat, action)
    }

    /// [`DynSession::apply`] for postcard without copies: `action` is borrowed, and the events
    /// are written into `events` (cleared first; pass the previous result back to reuse its
    /// allocation), which comes back on success. For hot loops (the browser's `applyBytes`).
    pub fn apply_bytes(
        &mut self,
        seat: Seat,
        action: &[u8],
        events: Vec<u8>,
    ) -> Result<Vec<u8>, RuleError> {
        self.inner.apply_bytes(seat, action, events)
    }

    /// Advances a real-time game by one tick; returns the events.
    pub fn tick(&mut self, encoding: Encoding) -> Result<Payload, RuleError> {
        self.inner.tick(encoding)
    }

    /// [`DynSession::tick`] with the events as postcard written into `events` (cleared
    /// first; pass the previous result back to reuse its allocation), as
    /// [`DynSession::apply_bytes`] does.
    pub fn tick_bytes(&mut self, events: Vec<u8>) -> Result<Vec<u8>, RuleError> {
        self.inner.tick_bytes(events)
    }

    /// What `viewer` may see.
    pub fn view(&self, viewer: Viewer, encoding: Encoding) -> Result<Payload, RuleError> {
        self.inner.view(viewer, encoding)
    }

    /// What each of `viewers` may see, every distinct view encoded once (views compared as
    /// the game's values). Errors as [`DynSession::view`] for the first viewer that has one.
    pub fn views(&self, viewers: &[Viewer], encoding: Encoding) -> Result<Views, RuleError> {
        self.inner.views(viewers, encoding)
    }

    /// The actions `seat` may take now (a list).
    pub fn legal_actions(&self, seat: Seat, encoding: Encoding) -> Result<Payload, RuleError> {
        self.inner.legal_actions(seat, encoding)
    }

    /// What a bot of strength `level` would do for `seat`, if anything.
    pub fn bot_action(
        &self,
        seat: Seat,
        level: u8,
        encoding: Encoding,
    ) -> Result<Option<Payload>, RuleError> {
        self.inner.bot_action(seat, level, encoding)
    }

    /// Whether the game has ended.
    pub fn is_over(&self) -> bool {
        self.inner.is_over()
    }

    /// The result, once the game has ended.
    pub fn outcome(&self) -> Option<Outcome> {
        self.inner.outcome()
    }

    /// The stable state hash (see [`Session::hash`]).
    pub fn hash(&self) -> u64 {
        self.inner.hash()
    }

    /// Ticks simulated so far.
    pub fn tick_count(&self) -> u64 {
        self.inner.tick_count()
    }

    /// The header, with the config in `encoding`.
    pub fn header(&self, encoding: Encoding) -> DynHeader {
        let (seats, seed, config) = self.inner.header(encoding);
        DynHeader {
            game: self.meta.name.clone(),
            seats,
            seed,
            config,
        }
    }

    /// Number of accepted actions.
    pub fn log_len(&self) -> u64 {
        self.inner.log_len()
    }

    /// The log from index `from` on, actions in `encoding`.
    pub fn log(&self, from: u64, encoding: Encoding) -> Vec<DynLogEntry> {
        self.inner.log(from, encoding)
    }

    /// The whole session as bytes, for [`Catalog::restore`].
    pub fn snapshot(&self) -> Vec<u8> {
        self.inner.snapshot()
    }

    /// Re-encodes an action of this game in another encoding (e.g. to log a JSON client's
    /// action as postcard). Fails if it does not decode as this game's action.
    pub fn convert_action(&self, action: &Payload, to: Encoding) -> Result<Payload, RuleError> {
        self.inner.convert_action(action, to)
    }

    /// Re-encodes an event list (as returned by [`DynSession::apply`] or
    /// [`DynSession::tick`]) in another encoding, so a host can apply once and tell clients
    /// of both encodings.
    pub fn convert_events(&self, events: &Payload, to: Encoding) -> Result<Payload, RuleError> {
        if events.encoding() == to {
            return Ok(events.clone());
        }
        self.inner.convert_events(events, to)
    }

    /// Re-encodes a list of actions (as [`DynSession::legal_actions`] returns, or a host's
    /// `legal` reply) in another encoding.
    pub fn convert_actions(&self, actions: &Payload, to: Encoding) -> Result<Payload, RuleError> {
        if actions.encoding() == to {
            return Ok(actions.clone());
        }
        self.inner.convert_actions(actions, to)
    }

    /// Re-encodes a view of this game in another encoding (e.g. a postcard view from the wire
    /// into JSON to show it).
    pub fn convert_view(&self, view: &Payload, to: Encoding) -> Result<Payload, RuleError> {
        if view.encoding() == to {
            return Ok(view.clone());
        }
        self.inner.convert_view(view, to)
    }

    /// The typed session, if this is a `G`.
    pub fn downcast_ref<G: Game>(&self) -> Option<&Session<G>> {
        self.inner.as_any().downcast_ref()
    }

    /// The typed session, mutably, if this is a `G`.
    pub fn downcast_mut<G: Game>(&mut self) -> Option<&mut Session<G>> {
        self.inner.as_any_mut().downcast_mut()
    }
}

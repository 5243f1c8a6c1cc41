//! `Session<G>`: one game's state, its seeded generator, its tick counter and its log.

use serde::{Deserialize, Serialize};

use crate::codec::decode_postcard;
use crate::{Game, Outcome, Rng, RuleError, Seat, Viewer, stable_hash};

/// Version of the snapshot layout and of what the state hash covers. Part of every rules
/// fingerprint, so builds that disagree on it refuse each other at the handshake.
pub const SESSION_FORMAT: u32 = 1;

const SNAPSHOT_MAGIC: &str = "hearth-snapshot";

/// Everything needed to start a session again from scratch: replaying a log needs only this.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionHeader<C> {
    /// Number of seats.
    pub seats: u8,
    /// Seed of the generator kept in the state.
    pub seed: u64,
    /// The game's config.
    pub config: C,
}

/// One accepted action, in the order it was applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry<A> {
    /// Position in the log, from 0.
    pub index: u64,
    /// The session's tick count when it was applied (0 for turn-based games); it takes
    /// effect in the following tick.
    pub tick: u64,
    /// Who acted.
    pub seat: Seat,
    /// What they did.
    pub action: A,
}

/// A game in progress. Replaying its log from its header reproduces it bit for bit; that is
/// what every Hearth mode relies on.
///
/// ```
/// use hearth_rules::{Session, Seat};
/// use hearth_games::connect_four::{ConnectFour, Move};
/// let mut s = Session::<ConnectFour>::new(Default::default(), 2, 42)?;
/// let first = s.state().to_move().expect("a game in progress has a seat to move");
/// s.apply(first, Move { column: 3 })?;
/// let again = Session::<ConnectFour>::replay(s.header().clone(), s.log())?;
/// assert_eq!(again.hash(), s.hash());
/// # Ok::<(), hearth_rules::RuleError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Session<G: Game> {
    header: SessionHeader<G::Config>,
    tick: u64,
    rng: Rng,
    state: G,
    log: Vec<LogEntry<G::Action>>,
    /// Reused for every call so applying an action allocates nothing in the common case.
    events: Vec<G::Event>,
}

/// The part of a session the hash covers.
#[derive(Serialize)]
struct HashedState<'a, G> {
    tick: u64,
    rng: &'a Rng,
    state: &'a G,
}

#[derive(Serialize)]
struct SnapshotRef<'a, G: Game> {
    magic: &'a str,
    format: u32,
    game: &'a str,
    version: u32,
    header: &'a SessionHeader<G::Config>,
    tick: u64,
    rng: &'a Rng,
    state: &'a G,
    log: &'a [LogEntry<G::Action>],
}

#[derive(Deserialize)]
#[serde(bound = "")]
struct SnapshotOwned<G: Game> {
    /// Already checked by [`SnapshotPrefix::read`]; postcard nests structs field by field.
    _prefix: SnapshotPrefix,
    header: SessionHeader<G::Config>,
    tick: u64,
    rng: Rng,
    state: G,
    log: Vec<LogEntry<G::Action>>,
}

/// The leading fields of a snapshot, enough to tell which game it holds.
#[derive(Deserialize)]
pub(crate) struct SnapshotPrefix {
    pub magic: String,
    pub format: u32,
    pub game: String,
    pub version: u32,
}

impl SnapshotPrefix {
    /// Reads the prefix of a snapshot and checks its magic and format.
    pub(crate) fn read(bytes: &[u8]) -> Result<SnapshotPrefix, RuleError> {
        let (prefix, _) = postcard::take_from_bytes::<SnapshotPrefix>(bytes).map_err(|e| {
            RuleError::Snapshot {
                reason: format!("it is not a Hearth snapshot ({e})"),
            }
        })?;
        if prefix.magic != SNAPSHOT_MAGIC {
            return Err(RuleError::Snapshot {
                reason: "it is not a Hearth snapshot".into(),
            });
        }
        if prefix.format != SESSION_FORMAT {
            return Err(RuleError::Snapshot {
                reason: format!(
                    "it has snapshot format {}, this build reads format {SESSION_FORMAT}",
                    prefix.format
                ),
            });
        }
        Ok(prefix)
    }
}

impl<G: Game> Session<G> {
    /// Starts a game. Fails if the seat count is out of the game's range or the config is
    /// invalid.
    pub fn new(config: G::Config, seats: u8, seed: u64) -> Result<Self, RuleError> {
        Self::from_header(SessionHeader {
            seats,
            seed,
            config,
        })
    }

    /// Refuses a seat count outside the game's range.
    fn check_seats(seats: u8) -> Result<(), RuleError> {
        let info = G::INFO;
        if seats < info.min_seats || seats > info.max_seats {
            return Err(RuleError::SeatCount {
                game: info.name.into(),
                seats,
                min: info.min_seats,
                max: info.max_seats,
            });
        }
        Ok(())
    }

    /// Starts a game from a header.
    pub fn from_header(header: SessionHeader<G::Config>) -> Result<Self, RuleError> {
        Self::check_seats(header.seats)?;
        let mut rng = Rng::from_seed(header.seed);
        let state = G::setup(&header.config, header.seats, &mut rng)?;
        Ok(Session {
            header,
            tick: 0,
            rng,
            state,
            log: Vec::new(),
            events: Vec::new(),
        })
    }

    /// A session continuing from `view` at `tick`, for client-side prediction (see
    /// [`Game::from_view`]). Its log starts empty and its generator is seeded from the
    /// header, so it does not replay from its header and its hash means nothing to a host:
    /// run it a few ticks ahead, draw it, and throw it away at the next snapshot.
    pub fn predict(
        header: SessionHeader<G::Config>,
        tick: u64,
        view: &G::View,
    ) -> Result<Self, RuleError> {
        Self::check_seats(header.seats)?;
        let info = G::INFO;
        let state = G::from_view(&header.config, header.seats, view).ok_or_else(|| {
            RuleError::NoPrediction {
                game: info.name.into(),
            }
        })?;
        Ok(Session {
            rng: Rng::from_seed(header.seed),
            header,
            tick,
            state,
            log: Vec::new(),
            events: Vec::new(),
        })
    }

    /// Rebuilds a session by replaying `log` from `header`. Real-time games are ticked up to
    /// each entry's tick before it is applied; call [`Session::advance_to`] afterwards to
    /// reach ticks after the last entry.
    pub fn replay(
        header: SessionHeader<G::Config>,
        log: &[LogEntry<G::Action>],
    ) -> Result<Self, RuleError> {
        let mut session = Self::from_header(header)?;
        for entry in log {
            session.replay_entry(entry)?;
        }
        Ok(session)
    }

    /// Applies one log entry as replay does (checks index and tick order).
    pub fn replay_entry(&mut self, entry: &LogEntry<G::Action>) -> Result<&[G::Event], RuleError> {
        let index = entry.index;
        let fail = |reason: String| RuleError::Replay { index, reason };
        if index != self.log.len() as u64 {
            return Err(fail(format!(
                "expected entry {}, found entry {index}",
                self.log.len()
            )));
        }
        if entry.tick < self.tick {
            return Err(fail(format!(
                "entry is stamped with tick {} but the session is already at tick {}",
                entry.tick, self.tick
            )));
        }
        self.advance_to(entry.tick)
            .map_err(|e| fail(e.to_string()))?;
        self.apply(entry.seat, entry.action.clone())
            .map_err(|e| RuleError::Replay {
                index,
                reason: e.to_string(),
            })
    }

    /// Ticks until the tick count reaches `tick` (no-op if it already has).
    pub fn advance_to(&mut self, tick: u64) -> Result<(), RuleError> {
        while self.tick < tick {
            self.tick()?;
        }
        Ok(())
    }

    /// Validates and applies `seat`'s action. On success the action is appended to the log
    /// and the events it caused are returned; on error nothing has changed.
    pub fn apply(&mut self, seat: Seat, action: G::Action) -> Result<&[G::Event], RuleError> {
        self.check_seat(seat)?;
        if self.state.is_over() {
            return Err(RuleError::GameOver);
        }
        self.events.clear();
        self.state
            .apply(seat, &action, &mut self.rng, &mut self.events)?;
        self.log.push(LogEntry {
            index: self.log.len() as u64,
            tick: self.tick,
            seat,
            action,
        });
        Ok(&self.events)
    }

    /// Advances a real-time game by one tick.
    pub fn tick(&mut self) -> Result<&[G::Event], RuleError> {
        if G::INFO.tick_rate.is_none() {
            return Err(RuleError::NotRealTime {
                game: G::INFO.name.into(),
            });
        }
        if self.state.is_over() {
            return Err(RuleError::GameOver);
        }
        self.events.clear();
        self.state.tick(&mut self.rng, &mut self.events);
        self.tick += 1;
        Ok(&self.events)
    }

    /// What `viewer` may see now.
    pub fn view(&self, viewer: Viewer) -> Result<G::View, RuleError> {
        if let Viewer::Seat(seat) = viewer {
            self.check_seat(seat)?;
        }
        Ok(self.state.view(viewer))
    }

    /// The actions `seat` may take now.
    pub fn legal_actions(&self, seat: Seat) -> Result<Vec<G::Action>, RuleError> {
        self.check_seat(seat)?;
        if self.state.is_over() {
            return Ok(Vec::new());
        }
        Ok(self.state.legal_actions(seat))
    }

    /// What a bot would do for `seat`. The bot's generator is derived from the state hash,
    /// the seat and the log length, so bots are deterministic and never touch the game's own
    /// generator.
    pub fn bot_action(&self, seat: Seat, level: u8) -> Result<Option<G::Action>, RuleError> {
        self.check_seat(seat)?;
        if self.state.is_over() {
            return Ok(None);
        }
        let seed = self.hash() ^ (u64::from(seat.0) << 56) ^ self.log.len() as u64;
        Ok(self
            .state
            .bot_action(seat, level, &mut Rng::from_seed(seed)))
    }

    /// Whether the game has ended.
    pub fn is_over(&self) -> bool {
        self.state.is_over()
    }

    /// The result, once the game has ended.
    pub fn outcome(&self) -> Option<Outcome> {
        self.state.outcome()
    }

    /// Stable 64-bit hash of the state (tick count, generator and game state): XXH3-64 of
    /// their postcard bytes. Equal on every target for equal states.
    pub fn hash(&self) -> u64 {
        stable_hash(&HashedState {
            tick: self.tick,
            rng: &self.rng,
            state: &self.state,
        })
    }

    /// Everything about the session as postcard bytes, log included.
    pub fn snapshot(&self) -> Vec<u8> {
        let snapshot = SnapshotRef::<G> {
            magic: SNAPSHOT_MAGIC,
            format: SESSION_FORMAT,
            game: G::INFO.name,
            version: G::INFO.version,
            header: &self.header,
            tick: self.tick,
            rng: &self.rng,
            state: &self.state,
            log: &self.log,
        };
        crate::codec::to_postcard(&snapshot)
    }

    /// Rebuilds a session from [`Session::snapshot`] bytes. Refuses snapshots of another game,
    /// rules version or format, and damaged or edited ones (the state is rebuilt from the
    /// header and log and must hash the same as the stored state).
    pub fn restore(bytes: &[u8]) -> Result<Self, RuleError> {
        let prefix = SnapshotPrefix::read(bytes)?;
        if prefix.game != G::INFO.name || prefix.version != G::INFO.version {
            return Err(RuleError::Snapshot {
                reason: format!(
                    "it holds {} version {}, not {} version {}",
                    prefix.game,
                    prefix.version,
                    G::INFO.name,
                    G::INFO.version
                ),
            });
        }
        let s: SnapshotOwned<G> =
            decode_postcard(bytes, "snapshot").map_err(|e| RuleError::Snapshot {
                reason: e.to_string(),
            })?;
        // A snapshot may come from a file: rather than trust its state, rebuild it from the
        // header and log and require the same hash. An edited or damaged snapshot is refused
        // here instead of misbehaving later. (Costs a replay: ~3 ms per 10,000 entries.)
        let inconsistent = |reason: String| RuleError::Snapshot {
            reason: format!("it is damaged or was edited ({reason})"),
        };
        let stored = stable_hash(&HashedState {
            tick: s.tick,
            rng: &s.rng,
            state: &s.state,
        });
        let mut rebuilt =
            Self::replay(s.header, &s.log).map_err(|e| inconsistent(e.to_string()))?;
        rebuilt
            .advance_to(s.tick)
            .map_err(|e| inconsistent(e.to_string()))?;
        if rebuilt.hash() != stored {
            return Err(inconsistent("its state does not match its log".into()));
        }
        Ok(rebuilt)
    }

    /// The header this session started from.
    pub fn header(&self) -> &SessionHeader<G::Config> {
        &self.header
    }

    /// The game state (for rendering and tests; seats should be shown views, not this).
    pub fn state(&self) -> &G {
        &self.state
    }

    /// The accepted actions so far.
    pub fn log(&self) -> &[LogEntry<G::Action>] {
        &self.log
    }

    /// Ticks simulated so far (0 for turn-based games).
    pub fn tick_count(&self) -> u64 {
        self.tick
    }

    /// Number of seats.
    pub fn seats(&self) -> u8 {
        self.header.seats
    }

    fn check_seat(&self, seat: Seat) -> Result<(), RuleError> {
        if seat.0 < self.header.seats {
            Ok(())
        } else {
            Err(RuleError::NoSuchSeat {
                seat: seat.0,
                last: self.header.seats.saturating_sub(1),
            })
        }
    }
}

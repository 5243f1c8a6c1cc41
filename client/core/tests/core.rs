//! The client core driven by a simulated host: generated sequences of pushes, duplicates,
//! drops, hosts that accept and drop, requests and time, with the core's invariants checked.

use std::sync::Arc;

use hearth_client_core::{Config, Core, Event, Io, Reconnect, RequestError};
use hearth_rules::protocol::{
    ClientMsg, Reply, Request, RoomPhase, RoomState, ServerMsg, Started, Welcome, WireBytes,
    WireError, from_postcard, to_postcard,
};
use hearth_rules::{Catalog, Encoding, Payload, Seat, SyncMode, ValueKind, hash_hex};
use proptest::prelude::*;

const GAME: &str = "connect-four";
const TOKEN: &str = "seat-token";

/// The host's side: the authoritative log of one perfect-information game and what it sent.
struct Host {
    catalog: Arc<Catalog>,
    seed: u64,
    config: Vec<u8>,
    /// (seat, action, events) per log entry, postcard.
    log: Vec<(u8, Vec<u8>, Vec<u8>)>,
    /// The hash after each prefix of the log (index = log length).
    hashes: Vec<String>,
    /// Entries the host has made (and sent, when connected) so far.
    sent: usize,
    /// Whether a socket is open.
    up: bool,
    /// The next `hello`s this host answers by dropping the socket.
    drop_hellos: u32,
}

impl Host {
    fn new(seed: u64, moves: usize) -> Host {
        let catalog = Arc::new(hearth_games::catalog());
        let config = match catalog
            .convert(
                GAME,
                ValueKind::Config,
                &Payload::Json(serde_json::Value::Null),
                Encoding::Postcard,
            )
            .expect("the default config converts")
        {
            Payload::Postcard(b) => b,
            Payload::Json(_) => unreachable!("asked for postcard"),
        };
        let mut game = catalog
            .create(GAME, &Payload::Postcard(config.clone()), 2, seed)
            .expect("connect-four starts");
        let mut log = Vec::new();
        let mut hashes = vec![hash_hex(game.hash())];
        'play: while log.len() < moves && !game.is_over() {
            for seat in 0..2u8 {
                if let Ok(Some(Payload::Postcard(action))) =
                    game.bot_action(Seat(seat), 0, Encoding::Postcard)
                {
                    let events = match game.apply(Seat(seat), &Payload::Postcard(action.clone())) {
                        Ok(Payload::Postcard(e)) => e,
                        other => panic!("the bot's action was refused: {other:?}"),
                    };
                    log.push((seat, action, events));
                    hashes.push(hash_hex(game.hash()));
                    continue 'play;
                }
            }
            break;
        }
        Host {
            catalog,
            seed,
            config,
            log,
            hashes,
            sent: 0,
            up: true,
            drop_hellos: 0,
        }
    }

    fn started(&self) -> Vec<u8> {
        to_postcard(&ServerMsg::Started(Started {
            game: GAME.into(),
            sync: SyncMode::PerfectInformation,
            seats: 2,
            players: vec![1, 2],
            seat: Some(0),
            seed: Some(self.seed),
            config: WireBytes(self.config.clone()),
            tick_rate: None,
            resume: Some(TOKEN.into()),
        }))
    }

    fn entry(&self, i: usize) -> Vec<u8> {
        let (seat, action, events) = &self.log[i];
        to_postcard(&ServerMsg::Entry {
            seq: i as u64,
            tick: 0,
            seat: *seat,
            action: WireBytes(action.clone()),
            events: WireBytes(events.clone()),
        })
    }

    fn room() -> RoomState {
        RoomState {
            name: "r".into(),
            game: GAME.into(),
            host: 1,
            you: 1,
            max_seats: 2,
            public: true,
            has_password: false,
            members: vec![],
            phase: RoomPhase::Playing,
        }
    }

    fn reply(id: u32, reply: Reply<WireBytes>) -> Vec<u8> {
        to_postcard(&ServerMsg::Reply { id, reply })
    }

    /// Answers one frame the client sent; what goes back, in order. `None`: drop the socket.
    fn answer(&mut self, frame: &[u8]) -> Option<Vec<Vec<u8>>> {
        let msg: ClientMsg<WireBytes> = from_postcard(frame).expect("the core sends valid frames");
        let id = msg.id;
        assert_ne!(id, 0, "request ids are never 0");
        Some(match msg.req {
            Request::Hello(h) => {
                assert_eq!(h.fingerprints, self.catalog.fingerprints());
                if self.drop_hellos > 0 {
                    self.drop_hellos -= 1;
                    return None;
                }
                vec![Self::reply(
                    id,
                    Reply::Welcome(Welcome {
                        player: 1,
                        name: h.name,
                        protocol: h.protocol,
                        server_version: "sim".into(),
                        games: vec![],
                    }),
                )]
            }
            Request::Resume { token, next } => {
                assert_eq!(
                    token, TOKEN,
                    "the core resumes with the token `started` gave"
                );
                let next = next as usize;
                assert!(next <= self.log.len(), "resume from {next} past the log");
                // As the host does: `started`, the stream from `next`, then the answer.
                let mut out = vec![self.started()];
                for i in next..self.sent.max(next) {
                    out.push(self.entry(i));
                }
                out.push(Self::reply(id, Reply::Joined(Self::room())));
                out
            }
            Request::Hash { index, hash } => {
                let host = self.hashes[index as usize].clone();
                assert_eq!(hash, host, "the mirror's hash at {index} is the host's");
                vec![Self::reply(
                    id,
                    Reply::HashChecked {
                        index,
                        matches: hash == host,
                        host: Some(host),
                    },
                )]
            }
            Request::Ready { .. } => vec![Self::reply(id, Reply::Ok)],
            Request::Start => vec![to_postcard(&ServerMsg::<WireBytes>::Error {
                id: Some(id),
                error: WireError::new("not_host", "only the room's host starts"),
            })],
            // Never answered: the core's timeout must fire.
            Request::Chat { .. } => vec![],
            other => panic!("unexpected request {other:?}"),
        })
    }
}

/// A generated step.
#[derive(Debug, Clone)]
enum Op {
    /// The host pushes its next log entry.
    Push,
    /// The host pushes an entry it already sent.
    Duplicate(usize),
    /// The socket drops.
    Drop,
    /// The next `n` reconnect hellos are dropped.
    FlakyHost(u32),
    /// The game asks for something (0 ready: ok, 1 start: refused, 2 chat: never answered).
    Request(u8),
    /// Time passes.
    Wait(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => Just(Op::Push),
        1 => (0usize..40).prop_map(Op::Duplicate),
        1 => Just(Op::Drop),
        1 => (1u32..4).prop_map(Op::FlakyHost),
        2 => (0u8..3).prop_map(Op::Request),
        2 => (1u64..20_000).prop_map(Op::Wait),
    ]
}

/// Runs the core against the host: carries out its `Io` and feeds back what the host says.
struct Sim {
    core: Core,
    host: Host,
    now: u64,
    entries: Vec<u64>,
    closed: bool,
    reconnected: u32,
    opens_since_welcome: u32,
    max_opens_in_a_row: u32,
    asked: Vec<(u32, u8)>,
    answered: Vec<(u32, Result<(), RequestError>)>,
}

impl Sim {
    fn new(host: Host, policy: Reconnect) -> Sim {
        let mut config = Config::lan("Ada", host.catalog.clone());
        config.reconnect = Some(policy);
        let mut sim = Sim {
            core: Core::new(config),
            host,
            now: 0,
            entries: vec![],
            closed: false,
            reconnected: 0,
            opens_since_welcome: 0,
            max_opens_in_a_row: 0,
            asked: vec![],
            answered: vec![],
        };
        sim.core.opened(0);
        sim.settle();
        assert!(sim.core.is_open(), "the first handshake succeeds");
        // The game starts.
        let started = sim.host.started();
        sim.feed(&started);
        sim
    }

    fn feed(&mut self, frame: &[u8]) {
        self.core
            .receive(frame, self.now)
            .expect("the host's frames decode");
        self.settle();
    }

    /// Carries out everything the core asked for until it has nothing left.
    fn settle(&mut self) {
        while let Some(io) = self.core.poll_io() {
            match io {
                Io::Open => {
                    self.opens_since_welcome += 1;
                    self.max_opens_in_a_row = self.max_opens_in_a_row.max(self.opens_since_welcome);
                    self.host.up = true;
                    self.core.opened(self.now);
                }
                Io::Close => self.host.up = false,
                Io::Send(frame) => {
                    if !self.host.up {
                        continue;
                    }
                    match self.host.answer(&frame) {
                        Some(frames) => {
                            for f in frames {
                                self.core.receive(&f, self.now).expect("decodes");
                            }
                        }
                        None => {
                            self.host.up = false;
                            self.core
                                .disconnected("the host dropped the socket", self.now);
                        }
                    }
                }
            }
        }
        while let Some(c) = self.core.poll_completion() {
            assert!(
                !self.answered.iter().any(|(id, _)| *id == c.id),
                "request {} answered twice",
                c.id
            );
            self.answered.push((c.id, c.result.map(drop)));
        }
        while let Some(e) = self.core.poll_event() {
            match e {
                Event::Entry { seq, .. } => self.entries.push(seq),
                Event::Desync(i) => panic!("a desync at {i} with a faithful host"),
                Event::Reconnected => {
                    self.reconnected += 1;
                    self.opens_since_welcome = 0;
                }
                Event::Closed(_) => self.closed = true,
                _ => {}
            }
        }
    }

    fn step(&mut self, op: &Op) {
        match op {
            // The host makes its next entry; it reaches the client now if connected, else
            // with the resume.
            Op::Push => {
                if self.host.sent < self.host.log.len() {
                    let f = self.host.entry(self.host.sent);
                    self.host.sent += 1;
                    if self.host.up && self.core.is_open() {
                        self.feed(&f);
                    }
                }
            }
            Op::Duplicate(i) => {
                if self.host.up && self.host.sent > 0 {
                    let f = self.host.entry(i % self.host.sent);
                    self.feed(&f);
                }
            }
            Op::Drop => {
                if self.host.up {
                    self.host.up = false;
                    self.core.disconnected("the network failed", self.now);
                    self.settle();
                }
            }
            Op::FlakyHost(n) => self.host.drop_hellos = *n,
            Op::Request(kind) => {
                let req = match kind {
                    0 => Request::Ready { ready: true },
                    1 => Request::Start,
                    _ => Request::Chat { text: "hi".into() },
                };
                match self.core.request(req, self.now) {
                    Ok(id) => self.asked.push((id, *kind)),
                    Err(e) => assert_eq!(e, RequestError::NotConnected),
                }
                self.settle();
            }
            Op::Wait(ms) => {
                self.now += ms;
                self.core.handle_timeout(self.now);
                self.settle();
            }
        }
    }

    /// Lets time pass until nothing waits (reconnects done or given up, requests answered).
    fn quiesce(&mut self) {
        let mut rounds = 0;
        while let Some(at) = self.core.next_deadline() {
            rounds += 1;
            assert!(
                rounds < 1_000,
                "the core never settles (reconnecting forever?)"
            );
            self.now = self.now.max(at);
            self.core.handle_timeout(self.now);
            self.settle();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn the_core_keeps_its_invariants(seed in 0u64..1_000, ops in proptest::collection::vec(op(), 0..120)) {
        let policy = Reconnect { attempts: 4, first_delay_ms: 100, max_delay_ms: 1_000 };
        let mut sim = Sim::new(Host::new(seed, 42), policy);
        for op in &ops {
            sim.step(op);
            if sim.closed {
                break;
            }
        }
        sim.quiesce();
        // A host that accepts and drops is given up on after the policy's attempts.
        prop_assert!(sim.max_opens_in_a_row <= policy.attempts);
        if !sim.closed {
            prop_assert!(sim.core.is_open());
            // Deliver the rest: the mirror must end where the host is.
            while sim.host.sent < sim.host.log.len() {
                sim.step(&Op::Push);
            }
            let mirror = sim.core.mirror().expect("a perfect-information game has a mirror");
            prop_assert_eq!(mirror.log_len() as usize, sim.host.log.len());
            prop_assert_eq!(sim.core.mirror_hash(), sim.host.hashes.last().cloned());
            prop_assert_eq!(sim.core.stream_position() as usize, sim.host.log.len());
        }
        // The game saw each entry once, in order, with no gap.
        let expected: Vec<u64> = (0..sim.entries.len() as u64).collect();
        prop_assert_eq!(&sim.entries, &expected);
        // Every request got exactly one answer, and the right kind.
        for (id, kind) in &sim.asked {
            let got = sim.answered.iter().find(|(a, _)| a == id);
            let Some((_, result)) = got else {
                return Err(TestCaseError::fail(format!("request {id} never answered")));
            };
            match (kind, result) {
                (_, Err(RequestError::Disconnected)) => {}
                (0, r) => prop_assert_eq!(r, &Ok(())),
                (1, Err(RequestError::Refused(e))) => prop_assert_eq!(&e.code, "not_host"),
                (2, r) => prop_assert_eq!(r, &Err(RequestError::Timeout)),
                (k, r) => return Err(TestCaseError::fail(format!("request kind {k} got {r:?}"))),
            }
        }
        prop_assert_eq!(sim.core.next_deadline(), None);
    }
}

#[test]
fn a_host_that_accepts_and_drops_is_given_up_on() {
    let policy = Reconnect::default();
    let mut sim = Sim::new(Host::new(1, 5), policy);
    sim.step(&Op::Push);
    sim.host.drop_hellos = u32::MAX;
    sim.step(&Op::Drop);
    sim.quiesce();
    assert!(sim.closed, "the core gives up");
    assert_eq!(sim.max_opens_in_a_row, policy.attempts);
    assert_eq!(sim.reconnected, 0);
}

#[test]
fn a_resume_continues_the_stream_where_it_stopped() {
    let mut sim = Sim::new(Host::new(7, 10), Reconnect::default());
    for _ in 0..4 {
        sim.step(&Op::Push);
    }
    sim.step(&Op::Drop);
    // Entries the host made while the client was away.
    sim.host.sent = 7;
    sim.quiesce();
    assert_eq!(sim.reconnected, 1);
    assert_eq!(sim.entries, (0..7).collect::<Vec<_>>());
    assert_eq!(sim.core.mirror_hash(), Some(sim.host.hashes[7].clone()));
}

#[test]
fn a_gap_in_the_stream_resumes_from_the_first_missing_entry() {
    let mut sim = Sim::new(Host::new(3, 10), Reconnect::default());
    sim.step(&Op::Push);
    // Entry 1 is lost on the way; entry 2 arrives.
    sim.host.sent = 3;
    let f = sim.host.entry(2);
    sim.feed(&f);
    sim.quiesce();
    assert_eq!(sim.reconnected, 1, "the gap made the core resume");
    assert_eq!(sim.entries, vec![0, 1, 2]);
    assert_eq!(sim.core.mirror_hash(), Some(sim.host.hashes[3].clone()));
}

#[test]
fn a_refused_handshake_closes_with_the_hosts_reason() {
    let catalog = Arc::new(hearth_games::catalog());
    let mut core = Core::new(Config::lan("Ada", catalog));
    core.opened(0);
    let Some(Io::Send(hello)) = core.poll_io() else {
        panic!("hello")
    };
    let id = from_postcard::<ClientMsg<WireBytes>>(&hello).unwrap().id;
    let refusal = to_postcard(&ServerMsg::<WireBytes>::Error {
        id: Some(id),
        error: WireError::new("rules_mismatch", "your rules differ"),
    });
    core.receive(&refusal, 1).unwrap();
    assert!(core.is_closed());
    assert_eq!(
        core.refusal().map(|e| e.code.as_str()),
        Some("rules_mismatch")
    );
    assert_eq!(core.poll_io(), Some(Io::Close));
    assert!(matches!(core.poll_event(), Some(Event::Closed(_))));
    // Nothing reconnects.
    assert_eq!(core.next_deadline(), None);
}

#[test]
fn values_come_out_as_json_when_asked() {
    let host = Host::new(5, 3);
    let mut config = Config::lan("Ada", host.catalog.clone());
    config.values = Encoding::Json;
    let mut core = Core::new(config);
    core.opened(0);
    while core.poll_io().is_some() {}
    core.receive(
        &Host::reply(
            1,
            Reply::Welcome(Welcome {
                player: 1,
                name: "Ada".into(),
                protocol: 1,
                server_version: "sim".into(),
                games: vec![],
            }),
        ),
        0,
    )
    .unwrap();
    core.receive(&host.started(), 0).unwrap();
    core.receive(&host.entry(0), 0).unwrap();
    let events: Vec<Event> = std::iter::from_fn(|| core.poll_event()).collect();
    let Some(Event::Started(s)) = events.first() else {
        panic!("started first: {events:?}")
    };
    assert!(matches!(s.config, Payload::Json(_)), "the config is JSON");
    let Some(Event::Entry { action, .. }) = events.get(1) else {
        panic!("an entry: {events:?}")
    };
    assert!(
        matches!(
            action,
            Payload::Json(serde_json::Value::Object(_) | serde_json::Value::Number(_))
        ),
        "{action:?}"
    );
    assert!(matches!(core.view(), Some(Payload::Json(_))));
    // A bad frame changes nothing.
    assert!(core.receive(&[0xff, 0xff, 0xff], 0).is_err());
    assert_eq!(core.stream_position(), 1);
}

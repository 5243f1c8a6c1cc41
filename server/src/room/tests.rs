//! The room's logic without sockets or a hub: commands in through [`Room::handle`], effects
//! performed by [`Room::flush`] (as the task does) into members' outboxes, the host around it
//! a [`TestHost`].

use std::sync::Mutex;

use hearth_rules::DynLogEntry;
use serde_json::{Value, json};
use tokio::sync::Notify;

use super::test_host::TestHost;
use super::*;
use crate::services::{Accepted, BoxFuture, MatchRecorder, RecordError};
use crate::wire::Mailbox;

/// A recorder whose appends wait until the test lets them through, counting what it kept.
#[derive(Default)]
struct GatedRecorder {
    gate: Notify,
    kept: Mutex<Vec<DynLogEntry>>,
    /// Appends fail at once (a disk that is gone).
    fail: std::sync::atomic::AtomicBool,
    /// The ends of matches it was told of.
    ends: Mutex<Vec<(u64, Option<hearth_rules::Outcome>)>>,
}

impl MatchRecorder for Arc<GatedRecorder> {
    fn started(&self, _: MatchStart) -> BoxFuture<'static, Result<u64, RecordError>> {
        Box::pin(async { Ok(1) })
    }
    fn append(&self, a: Accepted) -> BoxFuture<'static, Result<(), RecordError>> {
        let me = self.clone();
        Box::pin(async move {
            if me.fail.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(RecordError("the disk is gone".into()));
            }
            me.gate.notified().await;
            me.kept.lock().unwrap().extend(a.entries);
            Ok(())
        })
    }
    fn finished(
        &self,
        match_id: u64,
        outcome: Option<hearth_rules::Outcome>,
        _: u64,
        _: u64,
    ) -> BoxFuture<'static, Result<(), RecordError>> {
        self.ends.lock().unwrap().push((match_id, outcome));
        Box::pin(async { Ok(()) })
    }
}

/// One member's end of the room: what the room sent it, as JSON.
struct Member {
    link: u64,
    player: PlayerId,
    mailbox: Arc<Mailbox>,
}

impl Member {
    /// Everything sent so far.
    fn drain(&mut self) -> Vec<Value> {
        let mut out = Vec::new();
        while let Some(frame) = self.mailbox.next_reliable() {
            if let Frame::Text(text) = frame {
                out.push(serde_json::from_slice(&text).expect("the room sends JSON"));
            }
        }
        out
    }

    /// Everything sent so far to a member speaking postcard.
    fn drain_postcard(&mut self) -> Vec<ServerMsg<hearth_rules::protocol::WireBytes>> {
        let mut out = Vec::new();
        while let Some(frame) = self.mailbox.next_reliable() {
            if let Frame::Binary(bytes) = frame {
                out.push(hearth_rules::protocol::from_postcard(&bytes).expect("postcard frames"));
            }
        }
        out
    }
}

/// A room of `game` with `config`, in its lobby.
fn setup_of(catalog: &hearth_rules::Catalog, game: &str, config: Value) -> RoomSetup {
    let meta = catalog.get(game).unwrap().clone();
    let config_of = |e| {
        catalog
            .convert(
                game,
                hearth_rules::ValueKind::Config,
                &Payload::Json(config.clone()),
                e,
            )
            .unwrap()
    };
    RoomSetup {
        name: "Unit".into(),
        key: "unit".into(),
        config_json: config_of(Encoding::Json),
        config_postcard: config_of(Encoding::Postcard),
        max_seats: meta.max_seats,
        meta,
        public: true,
        password: None,
    }
}

fn host_with(recorder: Arc<dyn MatchRecorder>) -> Arc<TestHost> {
    let catalog = Arc::new(hearth_games::catalog());
    let mut config = HostConfig::on("127.0.0.1:0".parse().unwrap(), catalog);
    config.recorder = recorder;
    config.seeds = Some(Arc::new(|_: &str| 7));
    TestHost::new(config, 1000)
}

fn room_with(recorder: Arc<dyn MatchRecorder>) -> (Room, Arc<TestHost>) {
    let host = host_with(recorder);
    let setup = setup_of(
        &host.config.catalog,
        "connect-four",
        json!({"first_seat": 0}),
    );
    let dir: Arc<dyn Directory> = host.clone();
    (Room::new(dir, 1, setup, 1), host)
}

async fn join(room: &mut Room, player: PlayerId) -> Member {
    join_speaking(room, player, Encoding::Json, JoinAs::Player).await
}

async fn join_speaking(
    room: &mut Room,
    player: PlayerId,
    encoding: Encoding,
    join_as: JoinAs,
) -> Member {
    let mailbox = Mailbox::new(256, Arc::new(Metrics::default()));
    let outbox = Outbox::new(encoding, mailbox.clone());
    let link = player * 10;
    let work = room.handle(
        RoomCmd::Join {
            link,
            player,
            name: format!("P{player}"),
            outbox,
            id: 1,
            password: None,
            join_as,
            creator: player == 1,
        },
        Instant::now(),
    );
    room.carry_out(work).await;
    Member {
        link,
        player,
        mailbox,
    }
}

async fn ask(room: &mut Room, m: &Member, id: u32, req: Request<Payload>) {
    let work = room.handle(
        RoomCmd::Request {
            link: m.link,
            id,
            req,
        },
        Instant::now(),
    );
    room.carry_out(work).await;
}

/// Two players seated, ready and started.
async fn started(room: &mut Room) -> (Member, Member) {
    let mut a = join(room, 1).await;
    let mut b = join(room, 2).await;
    for m in [&a, &b] {
        ask(room, m, 2, Request::Ready { ready: true }).await;
    }
    ask(room, &a, 3, Request::Start).await;
    let _ = (a.drain(), b.drain());
    (a, b)
}

fn replies(frames: &[Value], id: u32) -> Vec<&Value> {
    frames.iter().filter(|f| f["reply"]["id"] == id).collect()
}

#[tokio::test]
async fn starting_seats_every_player_and_gives_each_its_own_resume_token() {
    let (mut room, host) = room_with(Arc::new(crate::NullRecorder::default()));
    let mut a = join(&mut room, 1).await;
    let mut b = join(&mut room, 2).await;
    for m in [&a, &b] {
        ask(&mut room, m, 2, Request::Ready { ready: true }).await;
    }
    ask(&mut room, &a, 3, Request::Start).await;
    let (fa, fb) = (a.drain(), b.drain());
    let started = |frames: &[Value]| -> Value {
        frames
            .iter()
            .find_map(|f| f.get("started").cloned())
            .expect("a started push")
    };
    let (sa, sb) = (started(&fa), started(&fb));
    assert_eq!(
        (sa["seat"].clone(), sb["seat"].clone()),
        (json!(0), json!(1))
    );
    assert_ne!(sa["resume"], sb["resume"]);
    // The host knows both tokens (so a resume can find the room), and nothing else.
    let tokens: Vec<String> = host.tokens().into_keys().collect();
    assert_eq!(tokens.len(), 2);
    assert!(tokens.contains(&sa["resume"].as_str().unwrap().to_string()));
    assert_eq!(replies(&fa, 3).len(), 1, "start is answered once");
    assert_eq!((a.player, b.player), (1, 2));
}

#[tokio::test]
async fn a_turn_is_acknowledged_only_after_the_recorder_kept_it() {
    let recorder = Arc::new(GatedRecorder::default());
    let (mut room, _host) = room_with(Arc::new(recorder.clone()));
    let (mut a, mut b) = started(&mut room).await;
    let action = Request::Action {
        action: Payload::Json(json!({"column": 3})),
        tick: None,
    };
    // The logic applies the move and hands back the record to make; nobody has been told
    // anything about the move yet.
    let work = room.handle(
        RoomCmd::Request {
            link: a.link,
            id: 9,
            req: action,
        },
        Instant::now(),
    );
    let Some(Work::Record { entries, .. }) = &work else {
        panic!("a turn waits for its record");
    };
    assert_eq!(entries.len(), 1, "exactly the new entry is recorded");
    // Whatever the logic queued so far goes out, as the task sends it before it waits.
    room.flush();
    assert!(
        replies(&a.drain(), 9).is_empty(),
        "acknowledged before it was kept"
    );
    assert!(!b.drain().iter().any(|f| f.get("entry").is_some()));
    // The task blocks in the recorder: still nothing is told.
    let turn = tokio::spawn(async move {
        room.carry_out(work).await;
        room
    });
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert!(recorder.kept.lock().unwrap().is_empty());
    assert!(replies(&a.drain(), 9).is_empty());
    // Once kept: the mover is acknowledged and both see the entry.
    recorder.gate.notify_one();
    let _room = turn.await.unwrap();
    assert_eq!(recorder.kept.lock().unwrap().len(), 1);
    let (fa, fb) = (a.drain(), b.drain());
    assert_eq!(replies(&fa, 9).len(), 1, "{fa:?}");
    assert!(fb.iter().any(|f| f["entry"]["seq"] == 0), "{fb:?}");
}

#[tokio::test]
async fn a_move_and_the_bots_answer_are_one_record_told_once_kept_and_a_failed_record_closes_the_room()
 {
    let recorder = Arc::new(GatedRecorder::default());
    let (mut room, _host) = room_with(Arc::new(recorder.clone()));
    let mut a = join(&mut room, 1).await;
    ask(&mut room, &a, 2, Request::AddBot { level: 0 }).await;
    ask(&mut room, &a, 3, Request::Ready { ready: true }).await;
    ask(&mut room, &a, 4, Request::Start).await;
    let _ = a.drain();
    let link = a.link;
    let action = |id: u32, column: u8| RoomCmd::Request {
        link,
        id,
        req: Request::Action {
            action: Payload::Json(json!({ "column": column })),
            tick: None,
        },
    };
    // Ada moves; the bot answers at once, and both are one record (perfect information).
    let work = room.handle(action(5, 0), Instant::now());
    let Some(Work::Record { entries, then, .. }) = work else {
        panic!("the move waits for its record");
    };
    let seats: Vec<u8> = entries.iter().map(|e| e.seat.0).collect();
    assert_eq!(seats, [0, 1], "Ada's move, then the bot's answer");
    room.flush();
    let before = a.drain();
    assert!(
        replies(&before, 5).is_empty(),
        "not acknowledged before kept"
    );
    assert!(
        !before.iter().any(|f| f.get("entry").is_some()),
        "{before:?}"
    );
    // Kept: the acknowledgement and both entries, in log order; then it is Ada's turn.
    assert!(room.recorded(then).is_none(), "no bot wants to act again");
    room.flush();
    let after = a.drain();
    assert_eq!(replies(&after, 5).len(), 1, "acknowledged once kept");
    let seqs: Vec<&Value> = after
        .iter()
        .filter_map(|f| f.get("entry"))
        .map(|e| &e["seq"])
        .collect();
    assert_eq!(seqs, [0, 1], "{after:?}");
    // The recorder fails on the next move: the room closes rather than going on unrecorded,
    // and neither the move nor the bot's answer is told.
    recorder
        .fail
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let work = room.handle(action(6, 1), Instant::now());
    room.carry_out(work).await;
    assert!(room.failed.is_some(), "a lost record closes the room");
    let lost = a.drain();
    assert!(
        replies(&lost, 6)
            .iter()
            .all(|r| r["reply"].get("accepted").is_none()),
        "{lost:?}"
    );
    assert!(
        !lost.iter().any(|f| f["entry"]["seq"].as_u64() >= Some(2)),
        "{lost:?}"
    );
}

/// An entry reaches a member speaking postcard and one speaking JSON alike (the JSON made
/// only when needed), and a member who joins later gets the stream in their encoding.
#[tokio::test]
async fn entries_reach_postcard_and_json_members_alike_and_later_ones_get_the_stream() {
    let (mut room, _host) = room_with(Arc::new(crate::NullRecorder::default()));
    let mut a = join(&mut room, 1).await;
    let mut b = join_speaking(&mut room, 2, Encoding::Postcard, JoinAs::Player).await;
    for m in [&a, &b] {
        ask(&mut room, m, 2, Request::Ready { ready: true }).await;
    }
    ask(&mut room, &a, 3, Request::Start).await;
    let _ = (a.drain(), b.drain_postcard());
    let column = |c: u8| Request::Action {
        action: Payload::Json(json!({ "column": c })),
        tick: None,
    };
    ask(&mut room, &a, 4, column(3)).await;
    let json_entry = |frames: &[Value]| -> Vec<Value> {
        frames
            .iter()
            .filter_map(|f| f.get("entry").cloned())
            .collect()
    };
    let seen = json_entry(&a.drain());
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0]["action"], json!({ "column": 3 }));
    assert_eq!(seen[0]["seat"], 0);
    let binary: Vec<_> = b
        .drain_postcard()
        .into_iter()
        .filter_map(|m| match m {
            ServerMsg::Entry {
                seq, seat, action, ..
            } => Some((seq, seat, action.0)),
            _ => None,
        })
        .collect();
    assert_eq!(binary, [(0, 0, vec![3])], "the same entry in postcard");
    // A spectator speaking JSON joins later: the stream so far, converted for them.
    let mut c = join_speaking(&mut room, 3, Encoding::Json, JoinAs::Spectator).await;
    let late = json_entry(&c.drain());
    assert_eq!(late, seen, "the same entry for a later member");
}

#[tokio::test]
async fn a_refused_action_changes_nothing_and_records_nothing() {
    let recorder = Arc::new(GatedRecorder::default());
    let (mut room, _host) = room_with(Arc::new(recorder.clone()));
    let (mut a, mut b) = started(&mut room).await;
    // Seat 1 moves out of turn; then a column that does not exist.
    for (m, column) in [(&b, 0), (&a, 99)] {
        ask(
            &mut room,
            m,
            5,
            Request::Action {
                action: Payload::Json(json!({"column": column})),
                tick: None,
            },
        )
        .await;
    }
    let (fa, fb) = (a.drain(), b.drain());
    for frames in [&fa, &fb] {
        let error = frames
            .iter()
            .find(|f| f["error"]["id"] == 5)
            .expect("an error answer");
        assert!(error["error"]["error"]["code"].is_string(), "{error}");
        assert!(!frames.iter().any(|f| f.get("entry").is_some()));
    }
    assert!(recorder.kept.lock().unwrap().is_empty());
    assert_eq!(room.game_or_err().unwrap().session.log_len(), 0);
}

#[tokio::test]
async fn the_logic_only_queues_what_it_says_and_the_task_sends_it_once() {
    let (mut room, _host) = room_with(Arc::new(crate::NullRecorder::default()));
    let mut a = join(&mut room, 1).await;
    let _ = a.drain();
    let work = room.handle(
        RoomCmd::Request {
            link: a.link,
            id: 2,
            req: Request::Ready { ready: true },
        },
        Instant::now(),
    );
    assert!(work.is_none(), "readiness waits for nothing");
    assert!(
        a.drain().is_empty(),
        "nothing reaches a connection before the task performs the effects"
    );
    room.flush();
    let frames = a.drain();
    assert_eq!(replies(&frames, 2).len(), 1, "{frames:?}");
    assert_eq!(
        frames
            .iter()
            .filter(|f| f["room"]["members"][0]["ready"] == true)
            .count(),
        1,
        "the room state that shows it: {frames:?}"
    );
    room.flush();
    assert!(a.drain().is_empty(), "each effect is performed once");
}

#[tokio::test]
async fn a_dropped_seat_is_held_for_its_grace_by_the_time_the_task_gives() {
    let (mut room, _host) = room_with(Arc::new(crate::NullRecorder::default()));
    let (a, _b) = started(&mut room).await;
    let grace = room.hub.config().limits.seat_grace;
    let t0 = Instant::now();
    let held = |room: &Room| room.members.iter().any(|m| m.player == a.player);
    assert!(room.handle(RoomCmd::Gone { link: a.link }, t0).is_none());
    // The logic reads no clock: only the times it is given decide.
    room.expire_graces(t0 + grace - Duration::from_millis(1));
    assert!(held(&room), "a seat was freed before its grace ran out");
    room.expire_graces(t0 + grace);
    assert!(!held(&room), "a seat outlived its grace");
}

/// Found by the fault simulator: the host died after a match's last move was kept but
/// before its end was, and every restart restored the finished game as running, its result
/// never recorded.
#[tokio::test]
async fn a_match_restored_after_its_last_move_is_ended_and_its_result_recorded() {
    let recorder = Arc::new(GatedRecorder::default());
    let host = host_with(Arc::new(recorder.clone()));
    let catalog = host.config.catalog.clone();
    let config = json!({"first_seat": 0});
    let setup = setup_of(&catalog, "connect-four", config.clone());
    let mut session = catalog
        .create("connect-four", &Payload::Json(config), 2, 7)
        .unwrap();
    // Four in column 0 for the first seat.
    for (seat, column) in [(0, 0), (1, 1), (0, 0), (1, 1), (0, 0), (1, 1), (0, 0)] {
        session
            .apply(Seat(seat), &Payload::Json(json!({ "column": column })))
            .unwrap();
    }
    assert!(session.is_over());
    let players = vec![(1, "P1".to_string()), (2, "P2".to_string())];
    let dir: Arc<dyn Directory> = host.clone();
    let mut room = Room::restored(dir, 1, setup, session, players, 9, Instant::now());
    assert!(
        matches!(&room.phase, RoomPhase::Over { outcome, .. } if outcome.winners == [Seat(0)]),
        "{:?}",
        room.phase
    );
    room.flush();
    tokio::task::yield_now().await;
    let ends = recorder.ends.lock().unwrap().clone();
    assert_eq!(ends.len(), 1, "{ends:?}");
    assert_eq!(ends[0].0, 9);
    assert_eq!(
        ends[0].1.as_ref().map(|o| o.winners.clone()),
        Some(vec![Seat(0)])
    );
    // A player coming back sees the end, not a game waiting for a move.
    let mut a = join(&mut room, 1).await;
    let frames = a.drain();
    assert!(
        frames
            .iter()
            .any(|f| f["room"]["phase"]["over"].is_object()),
        "{frames:?}"
    );
}

/// Found by the fault simulator: a player back in a real-time room after its game ended (the
/// host had restarted meanwhile) was told the game had started and nothing else — no tick
/// would ever send it the final world.
#[tokio::test]
async fn a_player_back_in_a_real_time_room_sees_the_world_at_once_even_after_the_end() {
    let host = host_with(Arc::new(crate::NullRecorder::default()));
    let catalog = host.config.catalog.clone();
    let config = json!({"map": "arena", "duration_secs": 10, "score_limit": 3});
    let setup = setup_of(&catalog, "tanks", config.clone());
    let mut session = catalog
        .create("tanks", &Payload::Json(config), 2, 7)
        .unwrap();
    while !session.is_over() {
        session.tick(Encoding::Postcard).unwrap();
    }
    let tick = session.tick_count();
    let expected = session.view(Viewer::Seat(Seat(0)), Encoding::Json).unwrap();
    let players = vec![(1, "P1".to_string()), (2, "P2".to_string())];
    let dir: Arc<dyn Directory> = host.clone();
    let mut room = Room::restored(dir, 1, setup, session, players, 9, Instant::now());
    room.flush();
    let mut a = join(&mut room, 1).await;
    let frames = a.drain();
    let snapshot = frames
        .iter()
        .find(|f| f.get("snapshot").is_some())
        .unwrap_or_else(|| panic!("no snapshot in {frames:?}"));
    assert_eq!(snapshot["snapshot"]["tick"], tick);
    assert_eq!(
        Payload::Json(snapshot["snapshot"]["view"].clone()),
        expected
    );
}

//! The cross-mode check for real-time games: a generated per-tick input schedule — inputs
//! on time, stamped ahead, late, stamped too far ahead, unstamped, and ticks where a seat
//! sends nothing — played offline, on a LAN host, on the official server and as a replay of
//! the server's record. See [`check_cross_mode_real_time`].
//!
//! The hosts run with [`ManualTicks`](hearth_server::ManualTicks): the test puts every input
//! of a tick in place (each one confirmed by a round trip on the sender's connection) and
//! then lets the room run exactly one tick. That makes the wall clock — the only thing that
//! differs between two honest runs — leave the game, so every mode must agree exactly. The
//! host code on that path is the production code; only what wakes the tick differs.
//!
//! The LAN host gets each tick's inputs in the generated order and the official server in
//! another interleaving (seats reversed, each seat's own order kept, as one connection keeps
//! it): identical results prove the host's log does not depend on network order.

use std::future::Future;
use std::pin::Pin;

use hearth_client::{Client, ClientError, Event};
use hearth_rules::protocol::{Reply, Request, RoomPhase};
use hearth_rules::{Catalog, Encoding, Game, Outcome, Payload, Seat, Session, stable_hash};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde::Serialize;

use crate::crossmode::{
    Modes, Target, WAIT, fail, failure_vector, first_difference, log_of, reconnect_before,
    run_generated, seat_config, start_game, view_hashes,
};
use crate::props::{GameUnderTest, Step, resolve_legal};

/// How an input is stamped, relative to the tick the sender is at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    /// No stamp: the host applies it at its next tick.
    Unstamped,
    /// For the tick `k` ahead (within the host's lead limit): applied exactly then.
    Ahead(u8),
    /// For a tick `k` in the past (a late input): applied at the next tick.
    Late(u8),
    /// `k + 1` ticks past the host's lead limit: refused with `bad_tick`.
    TooFar(u8),
}

/// One input a seat sends during a tick.
#[derive(Debug, Clone)]
pub struct Input<A> {
    /// What to send: a legal pick or a wild action (its seat wraps to a real seat).
    pub step: Step<A>,
    /// How it is stamped.
    pub stamp: Stamp,
}

/// A generated real-time game: setup plus, for each tick, the inputs sent before it runs
/// (an empty tick is one where every seat's input is missing).
#[derive(Debug, Clone)]
pub struct TickCase<G: Game> {
    /// The config.
    pub config: G::Config,
    /// Seat count.
    pub seats: u8,
    /// Seed.
    pub seed: u64,
    /// Inputs per tick, in the order they go on the network.
    pub ticks: Vec<Vec<Input<G::Action>>>,
}

/// The strategy for whole real-time cases of `G` with schedules up to `max_ticks` long.
pub fn tick_case_strategy<G: GameUnderTest>(max_ticks: usize) -> BoxedStrategy<TickCase<G>> {
    let info = G::INFO;
    let step = prop_oneof![
        5 => (any::<u8>(), any::<u16>()).prop_map(|(seat, pick)| Step::Legal { seat, pick }),
        2 => (any::<u8>(), G::wild_actions()).prop_map(|(seat, action)| Step::Wild { seat, action }),
    ];
    let stamp = prop_oneof![
        4 => Just(Stamp::Ahead(0)),
        2 => (1u8..=3).prop_map(Stamp::Ahead),
        2 => (1u8..=4).prop_map(Stamp::Late),
        1 => Just(Stamp::Unstamped),
        1 => (0u8..=3).prop_map(Stamp::TooFar),
    ];
    let input = (step, stamp).prop_map(|(step, stamp)| Input { step, stamp });
    let tick = prop_oneof![
        3 => Just(Vec::new()),
        2 => prop::collection::vec(input, 1..=4),
    ];
    (
        G::configs(),
        info.min_seats..=info.max_seats,
        any::<u64>(),
        prop::collection::vec(tick, 0..=max_ticks),
    )
        .prop_map(|(config, seats, seed, ticks)| TickCase {
            config,
            seats,
            seed,
            ticks,
        })
        .boxed()
}

/// One concrete input as sent.
#[derive(Debug, Clone)]
pub struct Sent<A> {
    /// The tick the host was at when it was sent.
    pub phase: u64,
    /// The sender's seat.
    pub seat: u8,
    /// The input.
    pub action: A,
    /// The stamp on the wire.
    pub stamp: Option<u64>,
    /// The tick it applies at by the protocol's rule (`None`: refused as too far ahead).
    pub at: Option<u64>,
}

/// What a mode saw of a real-time game.
#[derive(Debug, Clone, PartialEq)]
pub struct TickRecord {
    /// Per sent input: its (log index, tick) if accepted, else the refusal code.
    pub decisions: Vec<Result<(u64, u64), String>>,
    /// After each tick: the hash of each seat's view, then the spectator's.
    pub views: Vec<Vec<u64>>,
    /// Ticks run.
    pub ticks: u64,
    /// Final state hash.
    pub hash: u64,
    /// The outcome.
    pub outcome: Option<Outcome>,
}

/// The offline run: the concrete inputs, what the rules did with them, and the final log.
pub struct Plan<G: Game> {
    /// Every input sent, in generated order.
    pub sent: Vec<Sent<G::Action>>,
    /// What happened.
    pub record: TickRecord,
    /// The session at the end.
    pub session: Session<G>,
}

/// Plays the case offline by the protocol's rules for stamps: an input stamped for tick `s`
/// sent while the host is at tick `t` applies at `max(s, t)` unless `s > t + lead`
/// (`bad_tick`); a tick's inputs apply in seat order, each seat's in the order sent; inputs
/// for ticks after the end are refused `not_playing`. The schedule stops at the game's end;
/// after the schedule the game ticks on until it ends (at most `G::step_bound` ticks).
pub fn plan<G: GameUnderTest>(case: &TickCase<G>, lead: u64) -> Result<Plan<G>, TestCaseError> {
    let mut s = Session::<G>::new(case.config.clone(), case.seats, case.seed)
        .map_err(|e| fail(format!("setup: {e}")))?;
    let bound = G::step_bound(&case.config, case.seats) as u64 + case.ticks.len() as u64;
    let mut sent: Vec<Sent<G::Action>> = Vec::new();
    let mut decisions: Vec<Option<Result<(u64, u64), String>>> = Vec::new();
    let mut views = Vec::new();
    let mut pending: Vec<usize> = Vec::new();
    while !s.is_over() {
        let t = s.tick_count();
        if t >= bound {
            return Err(fail(format!(
                "{} did not end within {bound} ticks; real-time games under test must end by themselves",
                G::INFO.name
            )));
        }
        for input in case.ticks.get(t as usize).into_iter().flatten() {
            let (seat, action) = match &input.step {
                Step::Legal { seat, pick } => match resolve_legal(&s, *seat, *pick) {
                    Some((seat, action)) => (seat.0, action),
                    None => continue,
                },
                Step::Wild { seat, action } => (seat % case.seats, action.clone()),
                Step::Tick => continue,
            };
            let stamp = match input.stamp {
                Stamp::Unstamped => None,
                Stamp::Ahead(k) => Some(t + u64::from(k)),
                Stamp::Late(k) => Some(t.saturating_sub(u64::from(k))),
                Stamp::TooFar(k) => Some(t + lead + 1 + u64::from(k)),
            };
            let at = stamp.unwrap_or(t).max(t);
            let at = (at <= t + lead).then_some(at);
            decisions.push(match at {
                Some(_) => None,
                None => Some(Err("bad_tick".into())),
            });
            if at.is_some() {
                pending.push(sent.len());
            }
            sent.push(Sent {
                phase: t,
                seat,
                action,
                stamp,
                at,
            });
        }
        let mut due: Vec<usize> = pending
            .iter()
            .copied()
            .filter(|&i| sent[i].at <= Some(t))
            .collect();
        pending.retain(|i| !due.contains(i));
        // Seat order, each seat's inputs in the order it sent them (`sent` is in send order).
        due.sort_by_key(|&i| (sent[i].seat, i));
        for i in due {
            let index = s.log().len() as u64;
            decisions[i] = Some(match s.apply(Seat(sent[i].seat), sent[i].action.clone()) {
                Ok(_) => Ok((index, t)),
                Err(e) => Err(e.code().to_string()),
            });
        }
        s.tick().map_err(|e| fail(format!("tick: {e}")))?;
        views.push(view_hashes(&s));
    }
    for i in pending {
        decisions[i] = Some(Err("not_playing".into()));
    }
    let decisions = decisions
        .into_iter()
        .map(|d| d.unwrap_or_else(|| Err("never decided".into())))
        .collect();
    let record = TickRecord {
        decisions,
        views,
        ticks: s.tick_count(),
        hash: s.hash(),
        outcome: s.outcome(),
    };
    Ok(Plan {
        sent,
        record,
        session: s,
    })
}

/// The rules' own half of network-order independence: applying one tick's inputs from
/// different seats in another order (each seat's own order kept) gives the same decisions and
/// the same state after the tick. Hosts sort a tick's inputs by seat anyway; this makes sure
/// a game does not rely on that.
pub fn arrival_order_does_not_matter<G: GameUnderTest>(
    case: &TickCase<G>,
    lead: u64,
) -> Result<(), TestCaseError> {
    let plan = plan(case, lead)?;
    let mut a = Session::<G>::new(case.config.clone(), case.seats, case.seed).map_err(fail)?;
    let mut b = a.clone();
    for t in 0..plan.record.ticks {
        let mut due: Vec<usize> = (0..plan.sent.len())
            .filter(|&i| plan.sent[i].at == Some(t))
            .collect();
        due.sort_by_key(|&i| (plan.sent[i].seat, i));
        let mut reversed = due.clone();
        reversed.sort_by_key(|&i| (std::cmp::Reverse(plan.sent[i].seat), i));
        let decide = |s: &mut Session<G>, i: usize| {
            s.apply(Seat(plan.sent[i].seat), plan.sent[i].action.clone())
                .map(drop)
                .map_err(|e| e.code())
        };
        let mut left: Vec<_> = due.iter().map(|&i| (i, decide(&mut a, i))).collect();
        let mut right: Vec<_> = reversed.iter().map(|&i| (i, decide(&mut b, i))).collect();
        left.sort_by_key(|x| x.0);
        right.sort_by_key(|x| x.0);
        prop_assert_eq!(
            left,
            right,
            "decisions at tick {} depend on arrival order",
            t
        );
        a.tick().map_err(fail)?;
        b.tick().map_err(fail)?;
        prop_assert_eq!(
            a.hash(),
            b.hash(),
            "the state after tick {} depends on the order the inputs arrived in",
            t + 1
        );
    }
    Ok(())
}

/// Runs [`arrival_order_does_not_matter`] over generated cases (`PROPTEST_CASES` or
/// `cases_default`).
pub fn check_arrival_order<G: GameUnderTest>(cases_default: u32, max_ticks: usize) {
    let mut runner = TestRunner::new(Config {
        cases: crate::props::cases(cases_default),
        failure_persistence: None,
        ..Config::default()
    });
    let lead = hearth_server::Limits::default().max_input_lead_ticks;
    if let Err(e) = runner.run(&tick_case_strategy::<G>(max_ticks), |case| {
        arrival_order_does_not_matter(&case, lead)
    }) {
        panic!("{}: {e}", G::INFO.name);
    }
}

/// In which order a tick's inputs go on the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkOrder {
    /// As generated.
    Generated,
    /// Higher seats first, each seat's inputs in their own order.
    SeatsReversed,
}

type Outstanding = Pin<Box<dyn Future<Output = Result<Reply<Payload>, ClientError>> + Send>>;

/// Waits until `c` has the snapshot of tick `tick`, checking every snapshot it gets on the way
/// against the offline views; notes the room's end if it sees it.
async fn snapshot_of<G: Game>(
    c: &mut Client,
    viewer: usize,
    tick: u64,
    offline: &[Vec<u64>],
    over: &mut Option<(Outcome, String)>,
) -> Result<u64, TestCaseError> {
    loop {
        let event = tokio::time::timeout(WAIT, c.next_event())
            .await
            .map_err(|_| fail(format!("no snapshot of tick {tick} in time")))?
            .ok_or_else(|| fail("the connection closed"))?;
        match event {
            Event::Snapshot {
                tick: got, view, ..
            } => {
                let typed: G::View = view.decode("view").map_err(fail)?;
                let hash = stable_hash(&typed);
                let want = offline
                    .get((got as usize).wrapping_sub(1))
                    .and_then(|v| v.get(viewer))
                    .copied();
                if want != Some(hash) {
                    return Err(fail(format!(
                        "viewer {viewer}'s snapshot of tick {got} differs from the offline view"
                    )));
                }
                match got.cmp(&tick) {
                    std::cmp::Ordering::Equal => return Ok(hash),
                    std::cmp::Ordering::Greater => {
                        return Err(fail(format!(
                            "viewer {viewer} got tick {got} while waiting for tick {tick}: the room ran ahead"
                        )));
                    }
                    std::cmp::Ordering::Less => {}
                }
            }
            Event::Room(state) => {
                if let RoomPhase::Over { outcome, hash } = state.phase {
                    *over = Some((outcome, hash));
                }
            }
            _ => {}
        }
    }
}

async fn decided(fut: Outstanding) -> Result<(u64, u64), String> {
    match tokio::time::timeout(WAIT, fut).await {
        Ok(Ok(Reply::Accepted { index, tick })) => Ok((index, tick)),
        Ok(Ok(other)) => Err(format!("unexpected reply {other:?}")),
        Ok(Err(e)) => Err(e.code().unwrap_or("transport").to_string()),
        Err(_) => Err("no decision in time".into()),
    }
}

/// Plays the planned inputs on a host in lockstep with its ticks; returns what its clients saw.
pub async fn online_real_time<G: GameUnderTest>(
    target: &Target,
    room: &str,
    case: &TickCase<G>,
    plan: &Plan<G>,
    order: NetworkOrder,
) -> Result<TickRecord, TestCaseError> {
    let ticks = target
        .ticks
        .clone()
        .ok_or_else(|| fail("real-time cross-mode needs hosts with ManualTicks"))?;
    let n = usize::from(case.seats);
    let config = serde_json::to_value(&case.config).map_err(fail)?;
    let mut clients = start_game(target, room, G::INFO.name, config, case.seats).await?;
    let end = plan.record.ticks;
    let mut decisions: Vec<Option<Result<(u64, u64), String>>> = vec![None; plan.sent.len()];
    let mut outstanding: Vec<(usize, Outstanding)> = Vec::new();
    let mut views = Vec::new();
    let mut over = None;
    let mut next = 0;
    for t in 0..end {
        // Now and then a seat with nothing in flight drops and resumes on a new connection.
        if let Some(r) = reconnect_before(case.seed, t as usize, case.seats)
            && !outstanding
                .iter()
                .any(|(i, _)| plan.sent[*i].seat as usize == r)
        {
            let token = clients[r]
                .started()
                .and_then(|s| s.resume)
                .ok_or_else(|| fail("a seat without a resume token"))?;
            let fresh = Client::connect(seat_config(target, r, n))
                .await
                .map_err(fail)?;
            drop(std::mem::replace(&mut clients[r], fresh));
            clients[r]
                .request(Request::Resume { token, next: 0 })
                .await
                .map_err(fail)?;
        }
        let first = next;
        while next < plan.sent.len() && plan.sent[next].phase == t {
            next += 1;
        }
        let mut batch: Vec<usize> = (first..next).collect();
        if order == NetworkOrder::SeatsReversed {
            batch.sort_by_key(|&i| (std::cmp::Reverse(plan.sent[i].seat), i));
        }
        for i in batch {
            let sent = &plan.sent[i];
            let c = &clients[usize::from(sent.seat)];
            let action = Payload::encode(&sent.action, Encoding::Postcard);
            let fut = c
                .send(Request::Action {
                    action,
                    tick: sent.stamp,
                })
                .map_err(fail)?;
            outstanding.push((i, Box::pin(fut)));
            // A round trip on the same connection: the input is with the room before the next
            // one is sent, so the room sees them in exactly this order, all before the tick.
            c.request(Request::View).await.map_err(fail)?;
        }
        ticks.advance(room, 1);
        let mut hashes = Vec::with_capacity(n + 1);
        for (i, c) in clients.iter_mut().enumerate() {
            hashes.push(snapshot_of::<G>(c, i, t + 1, &plan.record.views, &mut over).await?);
        }
        views.push(hashes);
        let (ready, later): (Vec<_>, Vec<_>) = outstanding
            .into_iter()
            .partition(|(i, _)| plan.sent[*i].at.is_none_or(|at| at <= t));
        outstanding = later;
        for (i, fut) in ready {
            decisions[i] = Some(decided(fut).await);
        }
    }
    // Inputs stamped past the end are refused when it comes.
    for (i, fut) in outstanding {
        decisions[i] = Some(decided(fut).await);
    }
    while over.is_none() {
        let event = tokio::time::timeout(WAIT, clients[0].next_event())
            .await
            .map_err(|_| fail("the room never said the game is over"))?
            .ok_or_else(|| fail("the connection closed"))?;
        if let Event::Room(state) = event
            && let RoomPhase::Over { outcome, hash } = state.phase
        {
            over = Some((outcome, hash));
        }
    }
    let (outcome, hash) = over.ok_or_else(|| fail("no end"))?;
    for c in &clients {
        let _ = c.leave().await;
    }
    Ok(TickRecord {
        decisions: decisions
            .into_iter()
            .map(|d| d.unwrap_or_else(|| Err("never decided".into())))
            .collect(),
        views,
        ticks: end,
        hash: u64::from_str_radix(&hash, 16).map_err(fail)?,
        outcome: Some(outcome),
    })
}

fn tick_eq(offline: &TickRecord, online: &TickRecord, mode: &str) -> Result<(), TestCaseError> {
    if offline.decisions != online.decisions {
        let at = first_difference(&offline.decisions, &online.decisions);
        let show = |r: &TickRecord| at.and_then(|k| r.decisions.get(k).cloned());
        return Err(fail(format!(
            "{mode}: input {at:?} decided differently: offline {:?}, {mode} {:?}",
            show(offline),
            show(online)
        )));
    }
    if offline.views != online.views {
        let at = first_difference(&offline.views, &online.views);
        return Err(fail(format!("{mode}: views differ after tick {at:?}")));
    }
    if (offline.ticks, offline.hash, &offline.outcome)
        != (online.ticks, online.hash, &online.outcome)
    {
        return Err(fail(format!(
            "{mode}: the end differs: offline ({}, {:016x}, {:?}), {mode} ({}, {:016x}, {:?})",
            offline.ticks, offline.hash, offline.outcome, online.ticks, online.hash, online.outcome
        )));
    }
    Ok(())
}

/// Checks that `case` plays identically offline, on the LAN host (generated network order),
/// on the official server (another network order) and as a replay of the server's record,
/// and that the leaderboard moved by the outcome.
pub async fn check_tick_case<G: GameUnderTest>(
    modes: &Modes,
    case: &TickCase<G>,
    n: u64,
) -> Result<(), TestCaseError> {
    let clock = std::time::Instant::now();
    let plan = plan(case, modes.lead)?;
    let offline_log = log_of(&plan.session);
    let t_offline = clock.elapsed();
    let room = modes.room_for(G::INFO.name, case.seed, n);
    let clock = std::time::Instant::now();
    let lan = online_real_time(&modes.lan, &room, case, &plan, NetworkOrder::Generated).await?;
    tick_eq(&plan.record, &lan, "LAN host")?;
    let t_lan = clock.elapsed();
    let clock = std::time::Instant::now();
    let official = modes.official_with_accounts(case.seats).await?;
    let server =
        online_real_time(&official, &room, case, &plan, NetworkOrder::SeatsReversed).await?;
    tick_eq(&plan.record, &server, "official server")?;
    let t_official = clock.elapsed();
    let clock = std::time::Instant::now();
    if let Some(cluster) = modes.cluster_with_accounts(case.seats).await? {
        let nodes = online_real_time(&cluster, &room, case, &plan, NetworkOrder::Generated).await?;
        tick_eq(&plan.record, &nodes, "cluster")?;
    }
    let t_cluster = clock.elapsed();
    let clock = std::time::Instant::now();
    let off = &plan.record;
    modes
        .check_stored(
            G::INFO.name,
            &room,
            &offline_log,
            Some(off.ticks),
            off.hash,
            &off.outcome,
        )
        .await?;
    modes.add_times(
        G::INFO.name,
        [t_offline, t_lan, t_official, t_cluster, clock.elapsed()],
    );
    Ok(())
}

/// Runs the real-time cross-mode check for `G` over generated cases (`PROPTEST_CASES` or
/// `cases_default`), each with a schedule of up to `max_ticks` ticks. A failure is shrunk to
/// a minimal case and written as a vector file, whose path the panic message gives.
pub fn check_cross_mode_real_time<G: GameUnderTest>(
    rt: &tokio::runtime::Runtime,
    modes: &Modes,
    cases_default: u32,
    max_ticks: usize,
) where
    G::Config: Serialize,
    G::Action: Serialize,
{
    run_generated(
        G::INFO.name,
        tick_case_strategy::<G>(max_ticks),
        cases_default,
        |case, n| rt.block_on(check_tick_case::<G>(modes, case, n)),
        |case| write_tick_vector::<G>(&modes.catalog, case, modes.lead),
    );
}

/// Writes the offline run of `case` as a golden-vector file: each tick's inputs at the tick
/// they apply, in the order they apply (inputs refused for their stamp are not rules steps).
pub fn write_tick_vector<G: GameUnderTest>(
    catalog: &Catalog,
    case: &TickCase<G>,
    lead: u64,
) -> std::path::PathBuf
where
    G::Config: Serialize,
    G::Action: Serialize,
{
    failure_vector::<G>(catalog, &case.config, case.seats, case.seed, |rec| {
        let Ok(plan) = plan(case, lead) else { return };
        for t in 0..plan.record.ticks {
            let mut due: Vec<usize> = (0..plan.sent.len())
                .filter(|&i| plan.sent[i].at == Some(t))
                .collect();
            due.sort_by_key(|&i| (plan.sent[i].seat, i));
            for i in due {
                let action = serde_json::to_value(&plan.sent[i].action).unwrap_or_default();
                rec.apply(plan.sent[i].seat, action);
            }
            if rec.tick().is_err() {
                break;
            }
        }
    })
}

//! Real time: each tick applies the inputs that reached it, records them, and sends every seat its snapshot.

use super::*;

impl Room {
    /// One tick: applies the inputs that reached it (and the bots'), ticks, and — once the
    /// accepted inputs are recorded (the returned work) — acknowledges them and sends the
    /// snapshots.
    pub(super) fn on_tick(&mut self) -> Option<Work> {
        let game = self.game.as_mut()?;
        let now = game.session.tick_count();
        let due: Vec<u64> = game.pending.range(..=now).map(|(k, _)| *k).collect();
        let mut inputs = Vec::new();
        for k in due {
            if let Some(v) = game.pending.remove(&k) {
                inputs.extend(v);
            }
        }
        let log_before = game.session.log_len();
        let inputs: Vec<drive::Input<u32>> = inputs
            .into_iter()
            .map(|i| drive::Input {
                seat: Seat(i.seat),
                order: i.seq,
                action: i.action,
                tag: i.id,
            })
            .collect();
        let bots = self.bots();
        // The same driver offline play uses: bots decide from the state before this tick's
        // inputs, inputs apply in seat order then arrival order, then the game ticks.
        let ticked =
            match self.rules(|g| drive::tick(&mut g.session, inputs, &bots, Encoding::Postcard)) {
                Ok(Ok(ticked)) => ticked,
                Ok(Err(e)) => {
                    self.failed = Some(err(
                        codes::ROOM_FAILED,
                        format!("the game could not tick: {e}"),
                    ));
                    return None;
                }
                Err(_) => return None,
            };
        for (input, e) in ticked.refused {
            self.hub.metrics().action(false);
            self.reply_seat(
                input.seat.0,
                &ServerMsg::Error {
                    id: Some(input.tag),
                    error: e.into(),
                },
            );
        }
        let accepted: Vec<PendingInput> = ticked
            .accepted
            .into_iter()
            .map(|i| {
                self.hub.metrics().action(true);
                PendingInput {
                    seat: i.seat.0,
                    seq: i.order,
                    id: i.tag.unwrap_or(0),
                    action: i.action,
                }
            })
            .collect();
        let events = ticked.events;
        let done = TickDone {
            accepted,
            log_before,
            at: now,
            events,
        };
        if done.accepted.is_empty() {
            self.tick_done(done);
            return None;
        }
        self.record(log_before, Then::Tick(Box::new(done)))
    }

    /// A tick whose inputs are kept: remember its hash, acknowledge the inputs, send the
    /// snapshots.
    pub(super) fn tick_done(&mut self, done: TickDone) {
        let Some(game) = self.game.as_mut() else {
            return;
        };
        let tick = game.session.tick_count();
        game.recent.push_back((tick, game.session.hash()));
        if game.recent.len() > RECENT_HASHES {
            game.recent.pop_front();
        }
        for (i, input) in done.accepted.iter().enumerate() {
            let index = done.log_before + i as u64;
            self.reply_seat(
                input.seat,
                &ServerMsg::Reply {
                    id: input.id,
                    reply: Reply::Accepted {
                        index,
                        tick: done.at,
                    },
                },
            );
        }
        self.push_snapshots(&done.events);
        self.finish_if_over();
    }

    /// The task measured a tick: counted as an overrun if it took longer than the tick's
    /// period.
    pub(super) fn tick_took(&self, elapsed: Duration) {
        let Some(period) = self.setup.meta.tick_rate.map(tick_period) else {
            return;
        };
        self.hub
            .metrics()
            .tick_seconds
            .observe(elapsed.as_secs_f64());
        if elapsed > period {
            self.hub.metrics().tick_overruns.inc();
        }
    }

    pub(super) fn push_snapshots(&mut self, events: &Payload) {
        let Some(game) = self.game.as_ref() else {
            return;
        };
        let session = &game.session;
        let tick = session.tick_count();
        let index = session.log_len();
        let over = session.is_over();
        let mut out = Vec::new();
        // One frame per distinct view and encoding: seats that see the same thing (every
        // seat of a game without secrets), and all spectators, share one encoded snapshot.
        for enc in [Encoding::Postcard, Encoding::Json] {
            let (outboxes, viewers): (Vec<&Outbox>, Vec<Viewer>) = self
                .members
                .iter()
                .filter_map(|m| {
                    let outbox = m.outbox.as_ref().filter(|o| o.encoding == enc)?;
                    let viewer = m.seat.map_or(Viewer::Spectator, |s| Viewer::Seat(Seat(s)));
                    Some((outbox, viewer))
                })
                .unzip();
            if outboxes.is_empty() {
                continue;
            }
            let Ok(views) = session.views(&viewers, enc) else {
                continue;
            };
            let events = match enc {
                Encoding::Postcard => events.clone(),
                Encoding::Json => session
                    .convert_events(events, Encoding::Json)
                    .unwrap_or(Payload::Json(serde_json::Value::Array(vec![]))),
            };
            let frames: Vec<Frame> = views
                .distinct
                .into_iter()
                .map(|view| {
                    Frame::encode(
                        &ServerMsg::Snapshot {
                            tick,
                            index,
                            view,
                            events: events.clone(),
                        },
                        enc,
                    )
                })
                .collect();
            for (outbox, i) in outboxes.into_iter().zip(views.of) {
                let Some(frame) = frames.get(i).cloned() else {
                    continue;
                };
                out.push(if over {
                    Effect::FinalSnapshot(outbox.clone(), frame)
                } else {
                    Effect::Snapshot(outbox.clone(), frame)
                });
            }
        }
        self.out.0.extend(out);
    }
}

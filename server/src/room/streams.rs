//! What members are sent of a game: the intro (`started` and the stream so far), log entries for perfect information, each seat's own view for hidden information.

use super::*;

impl Room {
    /// Sends a member the game's `Started` and the stream from `next` (`u64::MAX`: none).
    pub(super) fn send_game_intro(&mut self, idx: usize, next: u64) {
        let Some(game) = &self.game else { return };
        let m = &self.members[idx];
        let Some(outbox) = &m.outbox else { return };
        // A finished game is only replayed to those who played it.
        if !matches!(self.phase, RoomPhase::Playing) && !game.players.contains(&m.player) {
            return;
        }
        let enc = outbox.encoding;
        let seat = m
            .seat
            .filter(|_| game.players.get(m.seat.unwrap_or(0) as usize) == Some(&m.player));
        self.out.msg(
            outbox,
            &ServerMsg::Started(Started {
                game: self.setup.meta.name.clone(),
                sync: game.sync,
                seats: game.players.len() as u8,
                players: game.players.clone(),
                seat,
                seed: (game.sync == SyncMode::PerfectInformation).then_some(game.seed),
                config: match enc {
                    Encoding::Json => self.setup.config_json.clone(),
                    Encoding::Postcard => self.setup.config_postcard.clone(),
                },
                tick_rate: self.setup.meta.tick_rate,
                resume: if seat.is_some() {
                    m.token.clone()
                } else {
                    None
                },
            }),
        );
        if next == u64::MAX {
            return;
        }
        let stream = match (game.sync, seat) {
            (SyncMode::PerfectInformation, _) => game.streams.first(),
            (SyncMode::HiddenInformation, Some(s)) => game.streams.get(s as usize),
            _ => None,
        };
        match stream {
            Some(items) => {
                let from = usize::try_from(next).unwrap_or(usize::MAX).min(items.len());
                for item in &items[from..] {
                    self.out.send(outbox, item.get(enc, &game.session));
                }
            }
            None if game.sync == SyncMode::HiddenInformation => {
                // Spectators of hidden-information games get the current view to start from.
                if let Ok(view) = game.session.view(Viewer::Spectator, enc) {
                    let index = game.session.log_len();
                    self.out.msg(
                        outbox,
                        &ServerMsg::View {
                            seq: index,
                            index,
                            seat: None,
                            view,
                            events: empty_events(enc),
                        },
                    );
                }
            }
            None if game.sync == SyncMode::RealTime => {
                // The world as it is now, so a player who (re)joins sees it at once — even
                // when the game ended while they were away and no tick will send it again.
                let viewer = seat.map_or(Viewer::Spectator, |s| Viewer::Seat(Seat(s)));
                if let Ok(view) = game.session.view(viewer, enc) {
                    self.out.msg(
                        outbox,
                        &ServerMsg::Snapshot {
                            tick: game.session.tick_count(),
                            index: game.session.log_len(),
                            view,
                            events: empty_events(enc),
                        },
                    );
                }
            }
            None => {}
        }
    }

    pub(super) fn push_entry(&mut self, index: u64, seat: u8, action: &Payload, events: &Payload) {
        let Some(game) = self.game.as_mut() else {
            return;
        };
        let tick = game.session.tick_count();
        let item = Arc::new(StreamItem::entry(
            index,
            tick,
            seat,
            action.clone(),
            events.clone(),
        ));
        game.streams[0].push(item.clone());
        for m in &self.members {
            if let Some(outbox) = &m.outbox {
                self.out
                    .send(outbox, item.get(outbox.encoding, &game.session));
            }
        }
    }

    /// Hidden information: each seat its own view (kept for resumes), spectators theirs.
    pub(super) fn push_views(&mut self, actor: Option<u8>, events: &Payload) {
        let Some(game) = self.game.as_mut() else {
            return;
        };
        let index = game.session.log_len();
        let events_pc = match events {
            // The initial views have no events; an empty postcard list is the byte 0.
            Payload::Postcard(_) => events.clone(),
            Payload::Json(_) => Payload::Postcard(vec![0]),
        };
        let events_json = game
            .session
            .convert_events(&events_pc, Encoding::Json)
            .unwrap_or(Payload::Json(serde_json::Value::Array(vec![])));
        let session = &game.session;
        let build = |viewer: Viewer, seq: u64| -> Option<StreamItem> {
            let json = session.view(viewer, Encoding::Json).ok()?;
            let pc = session.view(viewer, Encoding::Postcard).ok()?;
            let msg = |view: Payload, events: Payload| ServerMsg::View {
                seq,
                index,
                seat: actor,
                view,
                events,
            };
            Some(StreamItem::both(
                Frame::encode(&msg(json, events_json.clone()), Encoding::Json),
                Frame::encode(&msg(pc, events_pc.clone()), Encoding::Postcard),
            ))
        };
        let mut seat_items = Vec::with_capacity(game.players.len());
        for s in 0..game.players.len() {
            let seq = game.streams[s].len() as u64;
            seat_items.push(build(Viewer::Seat(Seat(s as u8)), seq).map(Arc::new));
        }
        let spectators = self
            .members
            .iter()
            .any(|m| m.outbox.is_some() && m.seat.is_none());
        let spectator_item = if spectators {
            build(Viewer::Spectator, index)
        } else {
            None
        };
        for (s, item) in seat_items.iter().enumerate() {
            if let Some(item) = item {
                game.streams[s].push(item.clone());
            }
        }
        for m in &self.members {
            let Some(outbox) = &m.outbox else { continue };
            let item = match m.seat {
                Some(s) => seat_items.get(s as usize).and_then(|i| i.as_deref()),
                None => spectator_item.as_ref(),
            };
            if let Some(item) = item {
                self.out
                    .send(outbox, item.get(outbox.encoding, &game.session));
            }
        }
    }
}

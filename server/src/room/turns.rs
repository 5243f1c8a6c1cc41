//! Turn-based play: an action checked by the rules, recorded, then acknowledged; the end of a game; the desync guard.

use super::*;

impl Room {
    /// A member's action: real-time inputs wait for their tick; a turn is applied, then
    /// acknowledged once recorded (the returned work's continuation).
    pub(super) fn action(
        &mut self,
        idx: usize,
        id: u32,
        action: Payload,
        tick: Option<u64>,
    ) -> Result<Answer, WireError> {
        if !matches!(self.phase, RoomPhase::Playing) {
            return Err(err(
                codes::NOT_PLAYING,
                "no game is running in this room; the host starts one",
            ));
        }
        let Viewer::Seat(seat) = self.viewer(idx) else {
            return Err(err(
                codes::NOT_SEATED,
                "spectators cannot act; take a seat in the next game",
            ));
        };
        // One canonical encoding in the log, whatever the client spoke.
        let action = match self.rules(|g| g.session.convert_action(&action, Encoding::Postcard))? {
            Ok(a) => a,
            Err(e) => {
                self.hub.metrics().action(false);
                return Err(e.into());
            }
        };
        let Some(game) = self.game.as_mut() else {
            return Err(err(codes::NOT_PLAYING, "no game is running"));
        };
        if game.sync == SyncMode::RealTime {
            let now = game.session.tick_count();
            let at = tick.unwrap_or(now).max(now);
            if at > now + self.hub.config().limits.max_input_lead_ticks {
                return Err(err(
                    codes::BAD_TICK,
                    format!(
                        "input stamped for tick {at}, but the game is at tick {now}; stamp inputs with the latest snapshot's tick"
                    ),
                ));
            }
            game.arrivals += 1;
            game.pending.entry(at).or_default().push(PendingInput {
                seat: seat.0,
                seq: game.arrivals,
                id,
                action,
            });
            return Ok(Answer::Sent);
        }
        let turn = self.apply_turn(seat, action, Some((idx, id)), 0)?;
        Ok(turn.map_or(Answer::Sent, Answer::Later))
    }

    /// Applies a turn-based action; the record to make before anyone hears of it, and what
    /// follows (`Then::Turn`). In a perfect-information game the bot turns it makes due are
    /// applied too and recorded with it: one commit, and one write to the player for the
    /// acknowledgement and the bots' replies. (A hidden-information game's views are made
    /// from the state after each action, so there bots wait for the record.)
    pub(super) fn apply_turn(
        &mut self,
        seat: Seat,
        action: Payload,
        member: Option<(usize, u32)>,
        bot_round: u32,
    ) -> Result<Option<Work>, WireError> {
        let applied = self.rules(|g| g.session.apply(seat, &action))?;
        let events = match applied {
            Ok(events) => events,
            Err(e) => {
                self.hub.metrics().action(false);
                return Err(e.into());
            }
        };
        let game = self.game_or_err()?;
        let first = Applied::last(&game.session, seat, action, events);
        let (from, perfect) = (first.index, game.sync == SyncMode::PerfectInformation);
        let mut turns = vec![first];
        let mut bot_round = bot_round;
        if perfect {
            while turns.len() <= super::bots::BOT_TURNS_PER_RECORD
                && let Some(turn) = self.bot_applies(bot_round)
            {
                turns.push(turn);
                bot_round += 1;
            }
        }
        let then = Then::Turn {
            member,
            turns,
            bot_round,
        };
        Ok(self.record(from, then))
    }

    /// Tells everyone about an applied (and recorded) turn-based action.
    pub(super) fn after_turn(
        &mut self,
        seat: Seat,
        action: &Payload,
        index: u64,
        events: &Payload,
    ) {
        let Some(game) = self.game.as_ref() else {
            return;
        };
        match game.sync {
            SyncMode::PerfectInformation => self.push_entry(index, seat.0, action, events),
            SyncMode::HiddenInformation => self.push_views(Some(seat.0), events),
            SyncMode::RealTime => {}
        }
        self.finish_if_over();
    }

    pub(super) fn finish_if_over(&mut self) {
        let Some(game) = self.game.as_mut() else {
            return;
        };
        if game.finished || !game.session.is_over() {
            return;
        }
        game.finished = true;
        self.out.push(Effect::StopTicker);
        let unplayed: Vec<PendingInput> = std::mem::take(&mut game.pending)
            .into_values()
            .flatten()
            .collect();
        let outcome = game.session.outcome();
        let hash = game.session.hash();
        let ticks = game.session.tick_count();
        self.out.push(Effect::Finished {
            match_id: game.match_id,
            outcome: outcome.clone(),
            hash,
            ticks,
        });
        self.phase = match outcome {
            Some(outcome) => RoomPhase::Over {
                outcome,
                hash: hash_hex(hash),
            },
            None => RoomPhase::Aborted {
                error: err(codes::ROOM_FAILED, "the game ended without an outcome"),
            },
        };
        tracing::info!(room = %self.setup.name, hash = %hash_hex(hash), "game over");
        for input in unplayed {
            self.reply_seat(
                input.seat,
                &ServerMsg::Error {
                    id: Some(input.id),
                    error: err(
                        codes::NOT_PLAYING,
                        "the game ended before the tick this input was for",
                    ),
                },
            );
        }
        self.push_room_state();
    }

    pub(super) fn check_hash(
        &mut self,
        idx: usize,
        index: u64,
        hash: &str,
    ) -> Result<Reply<Payload>, WireError> {
        let theirs = u64::from_str_radix(hash, 16)
            .ok()
            .filter(|_| hash.len() == 16)
            .ok_or_else(|| {
                err(
                    codes::BAD_REQUEST,
                    "hashes are 16 hex digits, as hash_hex prints them",
                )
            })?;
        let game = self.game_or_err()?;
        let ours = if game.sync == SyncMode::RealTime {
            game.recent
                .iter()
                .find(|(t, _)| *t == index)
                .map(|(_, h)| *h)
        } else {
            usize::try_from(index)
                .ok()
                .and_then(|i| game.hashes.get(i).copied())
        };
        let matches = ours == Some(theirs);
        if !matches && ours.is_some() {
            self.hub.metrics().desyncs.inc();
            tracing::warn!(
                room = %self.setup.name,
                player = self.members[idx].player,
                index,
                client = hash,
                host = %hash_hex(ours.unwrap_or_default()),
                "desync reported"
            );
        }
        Ok(Reply::HashChecked {
            index,
            matches,
            host: ours.map(hash_hex),
        })
    }

    // ----- failure ------------------------------------------------------------------------
}

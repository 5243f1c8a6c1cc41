//! Bots: after every turn-based change, bot seats act until none wants to (bounded); in
//! perfect-information games their turns are recorded with the action that made them due.

use super::*;

/// Bot turns in a row before the room stops asking (a game whose bots could act forever
/// cannot stall the room).
const MAX_BOT_ROUNDS: u32 = 1000;

/// Bot turns recorded with the action that made them due: a round of replies in a game of
/// many bot seats, while a game of bots alone still reaches its members a few moves at a time.
pub(super) const BOT_TURNS_PER_RECORD: usize = 16;

impl Room {
    /// The next bot turn (turn-based games): the first bot seat that wants to act plays, and
    /// its record's continuation asks again (`round` counts the turns in a row).
    pub(super) fn next_bot(&mut self, round: u32) -> Option<Work> {
        let (seat, choice) = self.bot_choice(round)?;
        // A bot's move the rules refuse (a bug in the game's bot) ends the bots' turn.
        self.apply_turn(seat, choice, None, round + 1)
            .ok()
            .flatten()
    }

    /// The next bot turn applied in memory, to be recorded with the action before it
    /// (perfect-information games; `round` as for [`Room::next_bot`]). `None` when no bot
    /// wants to act or the rules refuse its move (a bug in the game's bot).
    pub(super) fn bot_applies(&mut self, round: u32) -> Option<Applied> {
        let (seat, action) = self.bot_choice(round)?;
        let events = self.rules(|g| g.session.apply(seat, &action)).ok()?.ok()?;
        let game = self.game.as_ref()?;
        Some(Applied::last(&game.session, seat, action, events))
    }

    /// Which bot acts next and how, if one wants to.
    fn bot_choice(&mut self, round: u32) -> Option<(Seat, Payload)> {
        // Real-time bots give their inputs in `on_tick`.
        if self
            .game
            .as_ref()
            .is_none_or(|g| g.sync == SyncMode::RealTime)
        {
            return None;
        }
        if round >= MAX_BOT_ROUNDS
            || !matches!(self.phase, RoomPhase::Playing)
            || self.failed.is_some()
        {
            return None;
        }
        let bots = self.bots();
        match self.rules(|g| drive::bot_turn(&g.session, &bots, Encoding::Postcard)) {
            Ok(Ok(Some(turn))) => Some(turn),
            Ok(_) | Err(_) => None,
        }
    }

    /// The room's bot seats, in seat order, for the driver.
    pub(super) fn bots(&self) -> Vec<drive::Bot> {
        let mut bots: Vec<drive::Bot> = self
            .members
            .iter()
            .filter_map(|m| {
                Some(drive::Bot {
                    seat: Seat(m.seat?),
                    level: m.bot?,
                })
            })
            .collect();
        bots.sort_by_key(|b| b.seat);
        bots
    }
}

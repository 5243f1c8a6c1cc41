//! Bots: after every turn-based change, bot seats act, one recorded turn at a time, until
//! none wants to (bounded).

use super::*;

/// Bot turns in a row before the room stops asking (a game whose bots could act forever
/// cannot stall the room).
const MAX_BOT_ROUNDS: u32 = 1000;

impl Room {
    /// The next bot turn (turn-based games): the first bot seat that wants to act plays, and
    /// its record's continuation asks again (`round` counts the turns in a row).
    pub(super) fn next_bot(&mut self, round: u32) -> Option<Work> {
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
        let (seat, choice) =
            match self.rules(|g| drive::bot_turn(&g.session, &bots, Encoding::Postcard)) {
                Ok(Ok(Some(turn))) => turn,
                Ok(_) | Err(_) => return None,
            };
        // A bot's move the rules refuse (a bug in the game's bot) ends the bots' turn.
        self.apply_turn(seat, choice, None, round + 1)
            .ok()
            .flatten()
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

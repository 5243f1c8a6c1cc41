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
        let bots: Vec<(u8, u8)> = self
            .members
            .iter()
            .filter_map(|m| Some((m.seat?, m.bot?)))
            .collect();
        for (seat, level) in bots {
            let choice =
                match self.rules(|g| g.session.bot_action(Seat(seat), level, Encoding::Postcard)) {
                    Ok(Ok(Some(a))) => a,
                    Ok(_) => continue,
                    Err(_) => return None,
                };
            if let Ok(turn) = self.apply_turn(Seat(seat), choice, None, round + 1) {
                return turn;
            }
        }
        None
    }
}

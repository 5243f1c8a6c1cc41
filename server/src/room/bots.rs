//! Bots: after every turn-based change, bot seats act until none wants to (bounded).

use super::*;

impl Room {
    /// Lets bot seats act until none wants to (turn-based games). Bounded, so a game whose
    /// bots could act forever cannot stall the room.
    pub(super) async fn drive_bots(&mut self) {
        // Real-time bots give their inputs in `on_tick`.
        if self
            .game
            .as_ref()
            .is_none_or(|g| g.sync == SyncMode::RealTime)
        {
            return;
        }
        for _ in 0..1000 {
            if !matches!(self.phase, RoomPhase::Playing) || self.failed.is_some() {
                return;
            }
            let bots: Vec<(u8, u8)> = self
                .members
                .iter()
                .filter_map(|m| Some((m.seat?, m.bot?)))
                .collect();
            let mut acted = false;
            for (seat, level) in bots {
                let choice = match self
                    .rules(|g| g.session.bot_action(Seat(seat), level, Encoding::Postcard))
                {
                    Ok(Ok(Some(a))) => a,
                    Ok(_) => continue,
                    Err(_) => return,
                };
                if let Ok(Some((index, _))) = self.apply_turn(Seat(seat), &choice).await {
                    self.after_turn(Seat(seat), &choice, index);
                    acted = true;
                    break;
                }
            }
            if !acted {
                return;
            }
        }
    }
}

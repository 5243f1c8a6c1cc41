//! Liar's Dice (a simplified Perudo) for Hearth: 2–6 seats bluff about dice hidden under
//! their cups.
//!
//! Every round each seat still in the game rolls its dice secretly. From the round's first
//! seat, going round the table, the seat to move either **bids** — claims that at least
//! `count` dice on the whole table show `face` — or, once a bid exists, **challenges** the
//! last bid. A bid must beat the current one: a higher count, or the same count of a higher
//! face. On a challenge every hand is revealed and counted; with `ones_wild` each 1 also
//! counts towards any other face. If the bid holds the challenger loses a die, otherwise the
//! bidder does. The loser starts the next round (or the next seat still in, if that was its
//! last die). The last seat with dice wins; the final scores are the dice each seat has left.
//!
//! Secrets: a view shows only the viewer's own dice (spectators see none). Hands become
//! public only when a challenge reveals them, in the [`LiarsDiceEvent::Challenged`] event
//! and in the views' `last_challenge`.
//!
//! JSON shapes: config `{"dice_per_player": 5, "ones_wild": true}` (both optional), actions
//! `{"bid": {"count": 3, "face": 4}}` and `"challenge"`, events
//! `{"bid": {"seat": 0, "count": 3, "face": 4}}`, `{"challenged": {...}}`,
//! `{"eliminated": {"seat": 1}}`, `{"new_round": {"round": 2, "first": 1}}` and
//! `{"won": {"seat": 0}}`.
//!
//! `cargo test` runs Hearth's property checks on this game, plays generated games in every
//! mode and compares them, replays the golden vectors in `rules/vectors/`, and checks purity
//! (`src/tests.rs`, `tests/purity.rs`).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use hearth_rules::{Catalog, Game, GameInfo, Outcome, Rng, RuleError, Seat, Viewer};
use serde::{Deserialize, Serialize};

/// This crate's games (a [`hearth_rules::Games`]): what every Hearth product is given.
pub fn games(catalog: &mut Catalog) -> Result<(), RuleError> {
    catalog.register::<LiarsDice>()?;
    Ok(())
}

/// Faces on a die (numbered 1 to 6).
pub const FACES: u8 = 6;

/// The most dice a seat may start with.
pub const MAX_DICE_PER_PLAYER: u8 = 5;

/// Table options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LiarsDiceConfig {
    /// Dice each seat starts with, 1–5.
    pub dice_per_player: u8,
    /// Whether each 1 also counts towards a bid on any other face.
    pub ones_wild: bool,
}

impl Default for LiarsDiceConfig {
    fn default() -> Self {
        LiarsDiceConfig {
            dice_per_player: MAX_DICE_PER_PLAYER,
            ones_wild: true,
        }
    }
}

/// What the seat to move can do. JSON: `{"bid": {"count": 3, "face": 4}}` or `"challenge"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LiarsDiceAction {
    /// Claim that at least `count` dice on the whole table show `face`.
    Bid {
        /// How many dice, from 1 to the number of dice on the table.
        count: u8,
        /// Which face, 1–6.
        face: u8,
    },
    /// Call the last bid a lie: every hand is revealed and counted.
    Challenge,
}

/// The bid standing in the current round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentBid {
    /// Who made it.
    pub bidder: Seat,
    /// How many dice it claims.
    pub count: u8,
    /// Which face it claims.
    pub face: u8,
}

/// How a challenge came out, with every hand of that round revealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeResult {
    /// The round it ended, from 1.
    pub round: u8,
    /// The seat that challenged.
    pub by: Seat,
    /// The seat whose bid was challenged.
    pub bidder: Seat,
    /// The challenged bid's count.
    pub count: u8,
    /// The challenged bid's face.
    pub face: u8,
    /// How many dice counted towards the bid (wild ones included when they apply).
    pub count_found: u8,
    /// The seat that lost a die.
    pub loser: Seat,
    /// Every seat's dice that round, sorted, indexed by seat (empty for seats already out).
    pub hands: Vec<Vec<u8>>,
}

/// What happened (public to every seat and spectator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LiarsDiceEvent {
    /// A seat bid.
    Bid {
        /// Who bid.
        seat: Seat,
        /// How many dice it claims.
        count: u8,
        /// Which face it claims.
        face: u8,
    },
    /// A bid was challenged and every hand revealed. JSON: `{"challenged": {"by": 1, ...}}`.
    Challenged(ChallengeResult),
    /// A seat lost its last die and is out of the game.
    Eliminated {
        /// Who is out.
        seat: Seat,
    },
    /// Everyone still in rolled again and a new round began.
    NewRound {
        /// Round number from 1.
        round: u8,
        /// The seat that bids first.
        first: Seat,
    },
    /// Only one seat has dice left: the game is over.
    Won {
        /// The winner.
        seat: Seat,
    },
}

/// What one viewer sees. Never holds another seat's current dice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiarsDiceView {
    /// The viewer's seat, if seated.
    pub you: Option<Seat>,
    /// Round number from 1.
    pub round: u8,
    /// Whether ones are wild at this table.
    pub ones_wild: bool,
    /// Dice each seat has left, indexed by seat (0 = out).
    pub dice_counts: Vec<u8>,
    /// Dice on the table in all.
    pub total_dice: u8,
    /// Whose turn it is; `None` once the game is over.
    pub to_move: Option<Seat>,
    /// The bid to beat this round, if any.
    pub bid: Option<CurrentBid>,
    /// The last challenge, with the hands it revealed.
    pub last_challenge: Option<ChallengeResult>,
    /// Your own dice this round, sorted (`None` for spectators, empty once you are out).
    pub your_dice: Option<Vec<u8>>,
    /// The winner, once the game is over.
    pub winner: Option<Seat>,
}

/// Liar's Dice state. Holds every seat's hidden dice: show seats [`Game::view`], not this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiarsDice {
    config: LiarsDiceConfig,
    seats: u8,
    round: u8,
    /// Dice each seat has left, by seat (0 = out).
    dice: Vec<u8>,
    /// This round's dice under each seat's cup, sorted; secret until a challenge.
    hands: Vec<Vec<u8>>,
    to_move: Seat,
    bid: Option<CurrentBid>,
    last_challenge: Option<ChallengeResult>,
    winner: Option<Seat>,
}

impl LiarsDice {
    /// Whose turn it is, or `None` once the game is over.
    pub fn to_move(&self) -> Option<Seat> {
        self.winner.is_none().then_some(self.to_move)
    }

    /// Round number from 1.
    pub fn round(&self) -> u8 {
        self.round
    }

    /// Dice each seat has left, indexed by seat (0 = out).
    pub fn dice_counts(&self) -> &[u8] {
        &self.dice
    }

    /// Dice on the table in all.
    pub fn total_dice(&self) -> u8 {
        self.dice.iter().sum()
    }

    /// The bid to beat this round, if any.
    pub fn current_bid(&self) -> Option<CurrentBid> {
        self.bid
    }

    /// The winner, once the game is over.
    pub fn winner(&self) -> Option<Seat> {
        self.winner
    }

    /// The first seat after `after` (going round the table) that still has dice.
    fn next_alive(&self, after: Seat) -> Seat {
        (1..=self.seats)
            .map(|k| Seat((after.0 + k) % self.seats))
            .find(|s| self.dice[s.index()] > 0)
            .unwrap_or(after)
    }

    /// Dice on the table counting towards a bid on `face`.
    fn count_showing(&self, face: u8) -> u8 {
        let wild = self.config.ones_wild && face != 1;
        self.hands
            .iter()
            .flatten()
            .filter(|&&d| d == face || (wild && d == 1))
            .count() as u8
    }

    /// Whether a bid of `count` × `face` beats the standing bid.
    fn beats_current(&self, count: u8, face: u8) -> bool {
        match self.bid {
            None => true,
            Some(b) => count > b.count || (count == b.count && face > b.face),
        }
    }

    /// Checks a bid against the rules without changing anything.
    fn check_bid(&self, count: u8, face: u8) -> Result<(), RuleError> {
        let or_challenge = if self.bid.is_some() {
            ", or challenge the last bid"
        } else {
            ""
        };
        if !(1..=FACES).contains(&face) {
            return Err(RuleError::illegal(format!(
                "{face} is not a die face; bid a face from 1 to {FACES}"
            )));
        }
        let total = self.total_dice();
        if count == 0 || count > total {
            return Err(RuleError::illegal(format!(
                "a count of {count} is impossible with {total} dice on the table; bid a count from 1 to {total}{or_challenge}"
            )));
        }
        if let Some(b) = self.bid.filter(|_| !self.beats_current(count, face)) {
            return Err(RuleError::illegal(format!(
                "{count} dice showing {face} does not beat the current bid of {} dice showing {}; raise the count, or bid the same count of a higher face{or_challenge}",
                b.count, b.face
            )));
        }
        Ok(())
    }

    /// Rolls every remaining die in seat order, drawing only from the session's generator.
    fn roll(&mut self, rng: &mut Rng) {
        for (hand, &n) in self.hands.iter_mut().zip(&self.dice) {
            hand.clear();
            for _ in 0..n {
                hand.push(rng.below(u32::from(FACES)) as u8 + 1);
            }
            // Sorted so a hand reads easily and its order reveals nothing about the draws.
            hand.sort_unstable();
        }
    }

    /// Settles a challenge of `bid` by `by` (already validated), then ends the game or
    /// starts the next round.
    fn resolve_challenge(
        &mut self,
        by: Seat,
        bid: CurrentBid,
        rng: &mut Rng,
        events: &mut Vec<LiarsDiceEvent>,
    ) {
        let count_found = self.count_showing(bid.face);
        let loser = if count_found >= bid.count {
            by
        } else {
            bid.bidder
        };
        let result = ChallengeResult {
            round: self.round,
            by,
            bidder: bid.bidder,
            count: bid.count,
            face: bid.face,
            count_found,
            loser,
            hands: self.hands.clone(),
        };
        self.dice[loser.index()] -= 1;
        self.bid = None;
        self.last_challenge = Some(result.clone());
        events.push(LiarsDiceEvent::Challenged(result));
        let out = self.dice[loser.index()] == 0;
        if out {
            events.push(LiarsDiceEvent::Eliminated { seat: loser });
        }
        let alive: Vec<Seat> = (0..self.seats)
            .map(Seat)
            .filter(|s| self.dice[s.index()] > 0)
            .collect();
        if let [last] = alive[..] {
            self.winner = Some(last);
            self.to_move = last;
            // The round is over and its hands are public in `last_challenge`; nothing is
            // left to hide or to play with.
            for hand in &mut self.hands {
                hand.clear();
            }
            events.push(LiarsDiceEvent::Won { seat: last });
            return;
        }
        self.round += 1;
        self.to_move = if out { self.next_alive(loser) } else { loser };
        self.roll(rng);
        events.push(LiarsDiceEvent::NewRound {
            round: self.round,
            first: self.to_move,
        });
    }

    /// Dice in `seat`'s own hand that count towards a bid on `face`.
    fn own_showing(&self, seat: Seat, face: u8) -> u8 {
        let wild = self.config.ones_wild && face != 1;
        self.hands[seat.index()]
            .iter()
            .filter(|&&d| d == face || (wild && d == 1))
            .count() as u8
    }

    /// How many dice `seat` expects show `face` on the whole table: its own, plus the
    /// unseen dice times the chance of each counting (1/3 with wild ones, else 1/6),
    /// rounded to the nearest whole die with integers only.
    fn expected_showing(&self, seat: Seat, face: u8) -> u8 {
        let own_dice = self.hands[seat.index()].len() as u8;
        let unknown = self.total_dice().saturating_sub(own_dice);
        let guess = if self.config.ones_wild && face != 1 {
            (unknown + 1) / 3
        } else {
            (unknown + 3) / 6
        };
        self.own_showing(seat, face) + guess
    }

    /// The heuristic bot's choice for the seat to move: challenge a bid above what it
    /// expects, otherwise raise minimally on its most promising face.
    fn heuristic(&self, seat: Seat) -> LiarsDiceAction {
        let total = self.total_dice();
        // Ties go to the higher face, which is cheaper to raise on later.
        let best = (1..=FACES)
            .max_by_key(|&f| (self.expected_showing(seat, f), f))
            .unwrap_or(FACES);
        let Some(bid) = self.bid else {
            // Open with what it holds itself: a bid that is true for sure.
            let count = self.own_showing(seat, best).max(1).min(total);
            return LiarsDiceAction::Bid { count, face: best };
        };
        if bid.count > self.expected_showing(seat, bid.face) {
            return LiarsDiceAction::Challenge;
        }
        let count = if best > bid.face {
            bid.count
        } else {
            bid.count.saturating_add(1)
        };
        if count > total {
            LiarsDiceAction::Challenge
        } else {
            LiarsDiceAction::Bid { count, face: best }
        }
    }
}

impl Game for LiarsDice {
    type Config = LiarsDiceConfig;
    type Action = LiarsDiceAction;
    type View = LiarsDiceView;
    type Event = LiarsDiceEvent;

    const INFO: GameInfo = GameInfo {
        name: "liars-dice",
        version: 1,
        min_seats: 2,
        max_seats: 6,
        tick_rate: None,
        hidden_information: true,
        description: "Bid on the dice hidden under everyone's cups or call the last bid a lie; the last seat with dice wins.",
    };

    fn setup(config: &LiarsDiceConfig, seats: u8, rng: &mut Rng) -> Result<Self, RuleError> {
        let info = Self::INFO;
        // The session checks this already; checked again so direct callers cannot index
        // out of range later.
        if seats < info.min_seats || seats > info.max_seats {
            return Err(RuleError::SeatCount {
                game: info.name.into(),
                seats,
                min: info.min_seats,
                max: info.max_seats,
            });
        }
        if !(1..=MAX_DICE_PER_PLAYER).contains(&config.dice_per_player) {
            return Err(RuleError::config(format!(
                "dice_per_player is {}; choose 1 to {MAX_DICE_PER_PLAYER}",
                config.dice_per_player
            )));
        }
        let mut game = LiarsDice {
            config: config.clone(),
            seats,
            round: 1,
            dice: vec![config.dice_per_player; usize::from(seats)],
            hands: vec![Vec::new(); usize::from(seats)],
            to_move: Seat(0),
            bid: None,
            last_challenge: None,
            winner: None,
        };
        game.roll(rng);
        Ok(game)
    }

    fn apply(
        &mut self,
        seat: Seat,
        action: &LiarsDiceAction,
        rng: &mut Rng,
        events: &mut Vec<LiarsDiceEvent>,
    ) -> Result<(), RuleError> {
        // Everything is checked before anything changes, so a refusal changes nothing.
        if self.winner.is_some() {
            return Err(RuleError::GameOver);
        }
        let Some(&left) = self.dice.get(seat.index()) else {
            return Err(RuleError::NoSuchSeat {
                seat: seat.0,
                last: self.seats.saturating_sub(1),
            });
        };
        if left == 0 {
            return Err(RuleError::illegal(format!(
                "seat {seat} has no dice left and is out of the game; watch until it ends"
            )));
        }
        if seat != self.to_move {
            return Err(RuleError::NotYourTurn {
                seat: seat.0,
                waiting_for: self.to_move.0,
            });
        }
        match *action {
            LiarsDiceAction::Bid { count, face } => {
                self.check_bid(count, face)?;
                self.bid = Some(CurrentBid {
                    bidder: seat,
                    count,
                    face,
                });
                self.to_move = self.next_alive(seat);
                events.push(LiarsDiceEvent::Bid { seat, count, face });
            }
            LiarsDiceAction::Challenge => {
                let Some(bid) = self.bid else {
                    return Err(RuleError::illegal(
                        "there is no bid to challenge yet; open the round with a bid",
                    ));
                };
                self.resolve_challenge(seat, bid, rng, events);
            }
        }
        Ok(())
    }

    /// Challenge first (when a bid stands), then the bids that beat the standing one with a
    /// count up to two above it (capped at the dice on the table), by count then face. The
    /// cap keeps the list short; higher bids are still accepted by `apply`.
    fn legal_actions(&self, seat: Seat) -> Vec<LiarsDiceAction> {
        if self.winner.is_some() || seat != self.to_move {
            return Vec::new();
        }
        let mut actions = Vec::new();
        let base = match self.bid {
            Some(b) => {
                actions.push(LiarsDiceAction::Challenge);
                b.count.max(1)
            }
            None => 1,
        };
        let top = base.saturating_add(2).min(self.total_dice());
        for count in base..=top {
            for face in 1..=FACES {
                if self.beats_current(count, face) {
                    actions.push(LiarsDiceAction::Bid { count, face });
                }
            }
        }
        actions
    }

    fn view(&self, viewer: Viewer) -> LiarsDiceView {
        let you = viewer.seat().filter(|s| s.0 < self.seats);
        LiarsDiceView {
            you,
            round: self.round,
            ones_wild: self.config.ones_wild,
            dice_counts: self.dice.clone(),
            total_dice: self.total_dice(),
            to_move: self.to_move(),
            bid: self.bid,
            last_challenge: self.last_challenge.clone(),
            // Only ever the viewer's own hand: the secrecy of the others is the game.
            your_dice: you.map(|s| self.hands[s.index()].clone()),
            winner: self.winner,
        }
    }

    fn is_over(&self) -> bool {
        self.winner.is_some()
    }

    fn outcome(&self) -> Option<Outcome> {
        self.winner.map(|w| Outcome {
            winners: vec![w],
            scores: self.dice.iter().map(|&d| i32::from(d)).collect(),
        })
    }

    /// Level 0 picks a random legal action. From level 1 the bot reads only its own hand:
    /// it challenges a bid above the count it expects for that face, and otherwise raises
    /// minimally on the face it expects most of.
    fn bot_action(&self, seat: Seat, level: u8, rng: &mut Rng) -> Option<LiarsDiceAction> {
        let legal = self.legal_actions(seat);
        if legal.is_empty() {
            return None;
        }
        if level == 0 {
            return rng.pick(&legal).copied();
        }
        Some(self.heuristic(seat))
    }
}

#[cfg(test)]
mod tests;

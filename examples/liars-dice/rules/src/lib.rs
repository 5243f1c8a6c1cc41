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
//! `cargo test` runs the property checks of `hearth-tests` on this game and its purity check.
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

/// Hearth's property checks on this game (replay equals live, refused actions change nothing,
/// snapshots restore, JSON and postcard agree, the same seed gives the same game, random play
/// ends within the bound). They live here, not in `tests/`, because the orphan rule forbids
/// implementing `hearth_tests`' trait for this crate's type from an integration test.
/// `PROPTEST_CASES` sets the case count.
#[cfg(test)]
mod properties {
    use hearth_tests::props::GameUnderTest;
    use proptest::prelude::*;

    use super::{LiarsDice, LiarsDiceAction, LiarsDiceConfig};

    impl GameUnderTest for LiarsDice {
        fn configs() -> BoxedStrategy<LiarsDiceConfig> {
            // Few dice keep the generated games short.
            (1u8..=3, any::<bool>())
                .prop_map(|(dice_per_player, ones_wild)| LiarsDiceConfig {
                    dice_per_player,
                    ones_wild,
                })
                .boxed()
        }

        fn wild_actions() -> BoxedStrategy<LiarsDiceAction> {
            prop_oneof![
                (0u8..=20, 0u8..=8).prop_map(|(count, face)| LiarsDiceAction::Bid { count, face }),
                (any::<u8>(), any::<u8>())
                    .prop_map(|(count, face)| LiarsDiceAction::Bid { count, face }),
                Just(LiarsDiceAction::Challenge),
            ]
            .boxed()
        }

        fn step_bound(config: &LiarsDiceConfig, seats: u8) -> usize {
            // Each round removes one die, so there are fewer rounds than dice; a round's
            // bids strictly rise through at most 6 × dice values before a challenge.
            let dice = usize::from(seats) * usize::from(config.dice_per_player);
            dice * (6 * dice + 1)
        }
    }

    #[test]
    fn liars_dice_keeps_every_invariant() {
        hearth_tests::props::check_game::<LiarsDice>();
    }
}

#[cfg(test)]
mod tests {
    use hearth_rules::{Catalog, Session};

    use super::LiarsDiceAction::{Bid, Challenge};
    use super::*;

    fn config(dice_per_player: u8, ones_wild: bool) -> LiarsDiceConfig {
        LiarsDiceConfig {
            dice_per_player,
            ones_wild,
        }
    }

    fn session(config: LiarsDiceConfig, seats: u8, seed: u64) -> Session<LiarsDice> {
        Session::new(config, seats, seed).expect("setup")
    }

    /// Plays bots for the seat to move until the game ends, calling `each` before every
    /// move and once at the end. Fails if it takes longer than the proven bound.
    fn play_bots(
        config: LiarsDiceConfig,
        seats: u8,
        seed: u64,
        level: u8,
        mut each: impl FnMut(&Session<LiarsDice>),
    ) -> Session<LiarsDice> {
        let dice = usize::from(seats) * usize::from(config.dice_per_player);
        let bound = dice * (6 * dice + 1);
        let mut s = session(config, seats, seed);
        let mut steps = 0;
        while !s.is_over() {
            assert!(steps < bound, "no end after {steps} moves (seed {seed})");
            each(&s);
            let seat = s.state().to_move().expect("a seat is to move");
            let action = s
                .bot_action(seat, level)
                .expect("a seat at the table")
                .expect("the seat to move can act");
            if let Err(e) = s.apply(seat, action) {
                panic!("bot action {action:?} of seat {seat} was refused: {e}");
            }
            steps += 1;
        }
        each(&s);
        s
    }

    /// Every view is unchanged when every hand but the viewer's own is replaced: no view
    /// depends on (let alone shows) another seat's current dice.
    fn assert_views_keep_secrets(game: &LiarsDice) {
        let viewers = (0..game.seats)
            .map(|s| Viewer::Seat(Seat(s)))
            .chain([Viewer::Spectator]);
        for viewer in viewers {
            let view = game.view(viewer);
            let mut disguised = game.clone();
            for (i, hand) in disguised.hands.iter_mut().enumerate() {
                if viewer.seat().map(Seat::index) != Some(i) {
                    let other: Vec<u8> = hand.iter().map(|&d| d % FACES + 1).collect();
                    *hand = other;
                }
            }
            let json = serde_json::to_string(&view).expect("json");
            let disguised_json = serde_json::to_string(&disguised.view(viewer)).expect("json");
            assert_eq!(disguised_json, json, "{viewer:?} sees another seat's dice");
            let own = viewer.seat().map(|s| game.hands[s.index()].clone());
            assert_eq!(view.your_dice, own, "{viewer:?} sees its own dice");
        }
    }

    /// Every legal action of the seat to move is accepted; no other seat has any.
    fn assert_legal_actions_apply(s: &Session<LiarsDice>) {
        for seat in (0..s.seats()).map(Seat) {
            let legal = s.legal_actions(seat).expect("seat");
            if Some(seat) != s.state().to_move() {
                assert!(legal.is_empty(), "seat {seat} may act out of turn");
                continue;
            }
            assert!(!legal.is_empty(), "seat {seat} is to move but cannot act");
            for action in legal {
                let mut copy = s.clone();
                if let Err(e) = copy.apply(seat, action) {
                    panic!("legal {action:?} of seat {seat} was refused: {e}");
                }
            }
        }
    }

    /// Invalid actions from every seat are refused with a reason and change nothing.
    fn assert_refusals_change_nothing(s: &Session<LiarsDice>) {
        let mut copy = s.clone();
        let hash = copy.hash();
        let invalid = [
            Bid { count: 0, face: 3 },
            Bid { count: 1, face: 0 },
            Bid { count: 1, face: 7 },
            Bid { count: 31, face: 2 },
        ];
        for seat in (0..copy.seats()).map(Seat) {
            let out_of_turn = Some(seat) != copy.state().to_move();
            for action in invalid.into_iter().chain(out_of_turn.then_some(Challenge)) {
                let e = copy.apply(seat, action).expect_err("invalid action");
                assert!(e.to_string().len() > 10, "a reason is given: {e}");
                assert_eq!(copy.hash(), hash, "refused {action:?} changed the state");
            }
        }
        assert_eq!(copy.log().len(), s.log().len());
    }

    #[test]
    fn a_scripted_game_resolves_challenges_both_ways_and_ends() {
        let mut s = session(config(2, false), 2, 7);
        assert_eq!(s.state().to_move(), Some(Seat(0)));
        assert_eq!(s.state().round(), 1);
        assert_eq!(s.state().hands[0].len(), 2);

        // Refusals first: each says why and changes nothing.
        let before = s.hash();
        let e = s
            .apply(Seat(1), Bid { count: 1, face: 2 })
            .expect_err("seat 0 opens");
        assert_eq!(e.code(), "not_your_turn");
        let e = s.apply(Seat(0), Challenge).expect_err("no bid yet");
        assert_eq!(e.code(), "illegal_action");
        for (count, face) in [(0, 3), (1, 0), (1, 7), (5, 3)] {
            let e = s
                .apply(Seat(0), Bid { count, face })
                .expect_err("invalid bid");
            assert_eq!(e.code(), "illegal_action");
        }
        assert_eq!(s.hash(), before);
        assert!(s.log().is_empty());

        // A true bid: seat 0 claims one die it holds itself, so the challenger loses.
        let face = s.state().hands[0][0];
        let events = s
            .apply(Seat(0), Bid { count: 1, face })
            .expect("bid")
            .to_vec();
        assert_eq!(
            events,
            vec![LiarsDiceEvent::Bid {
                seat: Seat(0),
                count: 1,
                face
            }]
        );
        assert_eq!(s.state().to_move(), Some(Seat(1)));
        let e = s
            .apply(Seat(1), Bid { count: 1, face })
            .expect_err("an equal bid does not beat it");
        assert_eq!(e.code(), "illegal_action");
        let hands = s.state().hands.clone();
        let found = hands.iter().flatten().filter(|&&d| d == face).count() as u8;
        let events = s.apply(Seat(1), Challenge).expect("challenge").to_vec();
        assert_eq!(events.len(), 2, "{events:?}");
        let LiarsDiceEvent::Challenged(result) = &events[0] else {
            panic!("{events:?}")
        };
        assert_eq!(
            *result,
            ChallengeResult {
                round: 1,
                by: Seat(1),
                bidder: Seat(0),
                count: 1,
                face,
                count_found: found,
                loser: Seat(1),
                hands,
            }
        );
        assert_eq!(
            events[1],
            LiarsDiceEvent::NewRound {
                round: 2,
                first: Seat(1)
            }
        );
        assert_eq!(s.state().dice_counts(), &[2u8, 1]);
        assert_eq!(s.state().hands[0].len(), 2);
        assert_eq!(s.state().hands[1].len(), 1);
        assert_eq!(s.state().current_bid(), None);
        assert_eq!(
            s.view(Viewer::Spectator)
                .expect("view")
                .last_challenge
                .as_ref(),
            Some(result)
        );

        // A false bid: all three dice on a face fewer than three show, so the bidder loses
        // its last die and the game ends.
        let hands = s.state().hands.clone();
        let showing = |f: u8| hands.iter().flatten().filter(|&&d| d == f).count();
        let face = (1..=FACES)
            .find(|&f| showing(f) < 3)
            .expect("three dice cannot all show every face");
        s.apply(Seat(1), Bid { count: 3, face }).expect("bid");
        let events = s.apply(Seat(0), Challenge).expect("challenge").to_vec();
        match events.as_slice() {
            [
                LiarsDiceEvent::Challenged(r),
                LiarsDiceEvent::Eliminated { seat: Seat(1) },
                LiarsDiceEvent::Won { seat: Seat(0) },
            ] => {
                assert_eq!((r.by, r.bidder, r.loser), (Seat(0), Seat(1), Seat(1)));
                assert_eq!(usize::from(r.count_found), showing(face));
            }
            other => panic!("unexpected events {other:?}"),
        }
        assert!(s.is_over());
        assert_eq!(
            s.outcome(),
            Some(Outcome {
                winners: vec![Seat(0)],
                scores: vec![2, 0]
            })
        );
        assert_eq!(
            s.view(Viewer::Seat(Seat(1))).expect("view").winner,
            Some(Seat(0))
        );
        let e = s
            .apply(Seat(0), Bid { count: 1, face: 2 })
            .expect_err("over");
        assert_eq!(e.code(), "game_over");
        assert!(s.legal_actions(Seat(0)).expect("seat").is_empty());

        let replayed = Session::<LiarsDice>::replay(s.header().clone(), s.log()).expect("replay");
        assert_eq!(replayed.hash(), s.hash());
    }

    #[test]
    fn an_eliminated_seat_is_skipped_and_cannot_act() {
        let mut s = session(config(1, true), 3, 11);
        let face = s.state().hands[0][0];
        s.apply(Seat(0), Bid { count: 1, face }).expect("true bid");
        let events = s.apply(Seat(1), Challenge).expect("challenge").to_vec();
        assert_eq!(
            events[1..].to_vec(),
            vec![
                LiarsDiceEvent::Eliminated { seat: Seat(1) },
                LiarsDiceEvent::NewRound {
                    round: 2,
                    first: Seat(2)
                },
            ]
        );
        assert_eq!(s.state().to_move(), Some(Seat(2)));
        assert!(s.legal_actions(Seat(1)).expect("seat").is_empty());
        assert_eq!(
            s.view(Viewer::Seat(Seat(1))).expect("view").your_dice,
            Some(Vec::new())
        );
        let before = s.hash();
        let e = s
            .apply(Seat(1), Bid { count: 1, face: 2 })
            .expect_err("seat 1 is out");
        assert_eq!(e.code(), "illegal_action");
        assert_eq!(s.hash(), before);
        // The turn passes from seat 2 to seat 0, over the empty seat.
        s.apply(Seat(2), Bid { count: 1, face: 2 }).expect("bid");
        assert_eq!(s.state().to_move(), Some(Seat(0)));
    }

    #[test]
    fn ones_are_wild_only_when_configured_and_never_for_a_bid_on_ones() {
        let mut g = LiarsDice::setup(&LiarsDiceConfig::default(), 2, &mut Rng::from_seed(1))
            .expect("setup");
        g.hands = vec![vec![1, 1, 3, 5, 6], vec![1, 2, 3, 3, 4]];
        assert_eq!(g.count_showing(3), 6);
        assert_eq!(g.count_showing(1), 3);
        g.config.ones_wild = false;
        assert_eq!(g.count_showing(3), 3);
        assert_eq!(g.count_showing(1), 3);
    }

    #[test]
    fn legal_actions_are_capped_and_ordered() {
        let mut g = LiarsDice::setup(&config(1, true), 2, &mut Rng::from_seed(3)).expect("setup");
        // Two dice on the table: opening bids are 1 or 2 of any face.
        let opening = g.legal_actions(Seat(0));
        assert_eq!(opening.len(), 12);
        assert_eq!(opening[0], Bid { count: 1, face: 1 });
        assert_eq!(opening[11], Bid { count: 2, face: 6 });
        assert!(g.legal_actions(Seat(1)).is_empty());
        // At the highest possible bid only a challenge is left.
        g.bid = Some(CurrentBid {
            bidder: Seat(1),
            count: 2,
            face: 6,
        });
        assert_eq!(g.legal_actions(Seat(0)), vec![Challenge]);
    }

    #[test]
    fn the_bot_challenges_unlikely_bids_and_raises_likely_ones() {
        let mut g = LiarsDice::setup(&LiarsDiceConfig::default(), 2, &mut Rng::from_seed(5))
            .expect("setup");
        g.hands = vec![vec![2, 2, 4, 5, 6], vec![3, 3, 3, 3, 3]];
        // Seat 0 holds two 2s and no 1s: it expects 2 + 5/3 ≈ 4 twos, 2 threes, 1 one.
        assert_eq!(g.heuristic(Seat(0)), Bid { count: 2, face: 2 });
        g.bid = Some(CurrentBid {
            bidder: Seat(1),
            count: 9,
            face: 3,
        });
        assert_eq!(g.heuristic(Seat(0)), Challenge);
        g.bid = Some(CurrentBid {
            bidder: Seat(1),
            count: 2,
            face: 3,
        });
        assert_eq!(g.heuristic(Seat(0)), Bid { count: 3, face: 2 });
    }

    #[test]
    fn bots_play_every_table_size_to_the_end() {
        for seats in 2..=6u8 {
            for seed in 0..4u64 {
                for level in [0u8, 2] {
                    let s = play_bots(LiarsDiceConfig::default(), seats, seed, level, |s| {
                        if seed == 0 {
                            assert_legal_actions_apply(s);
                            assert_refusals_change_nothing(s);
                        }
                    });
                    let outcome = s.outcome().expect("the game is over");
                    assert_eq!(outcome.winners.len(), 1);
                    assert_eq!(outcome.scores.len(), usize::from(seats));
                    let winner = outcome.winners[0];
                    assert!(outcome.scores[winner.index()] > 0);
                    assert_eq!(outcome.scores.iter().filter(|&&x| x > 0).count(), 1);
                }
            }
        }
    }

    #[test]
    fn views_never_show_another_seats_dice() {
        for seats in 2..=6u8 {
            for seed in 0..3u64 {
                let table = config(3, seed % 2 == 0);
                play_bots(table, seats, seed, 0, |s| {
                    assert_views_keep_secrets(s.state())
                });
            }
        }
    }

    #[test]
    fn configs_are_checked() {
        for dice_per_player in [0, 6] {
            let Err(e) = Session::<LiarsDice>::new(config(dice_per_player, true), 2, 1) else {
                panic!("{dice_per_player} dice per player was accepted");
            };
            assert_eq!(e.code(), "invalid_config");
        }
        let Err(e) = Session::<LiarsDice>::new(LiarsDiceConfig::default(), 7, 1) else {
            panic!("7 seats were accepted");
        };
        assert_eq!(e.code(), "seat_count");
    }

    #[test]
    fn json_shapes_are_as_documented() {
        let bid: LiarsDiceAction =
            serde_json::from_str(r#"{"bid":{"count":3,"face":4}}"#).expect("bid");
        assert_eq!(bid, Bid { count: 3, face: 4 });
        assert_eq!(
            serde_json::to_string(&Challenge).expect("json"),
            r#""challenge""#
        );
        let defaults: LiarsDiceConfig = serde_json::from_str("{}").expect("defaults");
        assert_eq!(defaults, LiarsDiceConfig::default());
        assert!(serde_json::from_str::<LiarsDiceConfig>(r#"{"dice":3}"#).is_err());
    }

    #[test]
    fn the_game_registers_in_a_catalog() {
        match Catalog::of(games) {
            Ok(catalog) => assert!(catalog.get("liars-dice").is_ok()),
            Err(e) => panic!("registration failed: {e}"),
        }
    }
}

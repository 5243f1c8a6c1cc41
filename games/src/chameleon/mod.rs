//! Chameleon: a hidden-role party game for 3–8 seats.
//!
//! Each round a seeded draw picks a topic card (16 words), a secret word on it, and one
//! seat to be the chameleon, who is not told the word. Going round the table from the
//! round's first seat, everyone gives one short clue; then everyone votes for the seat they
//! think is the chameleon. If the votes single out the chameleon, it may guess the word.
//!
//! Scoring per round: the chameleon escapes (not singled out) → chameleon +2; caught but
//! guesses the word → chameleon +1; caught and wrong → every other seat +2. After the
//! configured number of rounds the highest score wins (ties share the win).
//!
//! Secrets: only seated non-chameleons see the secret word; no view shows another seat's
//! role or vote until the votes are all in; spectators see only public information. Every
//! seat sees the topic card's 16 words (the chameleon needs them to bluff and to guess).
//! The rule against naming the secret word in a clue applies only to seats that know it:
//! refusing the chameleon's clue for it would tell the chameleon the word.
//!
//! JSON actions: `{"clue": "mane"}`, `{"vote": 2}`, `{"guess": "Lion"}`. Config:
//! `{"rounds": 3, "max_clue_len": 24, "forbid_secret_in_clue": true}` (all optional).

mod topics;

use serde::{Deserialize, Serialize};

pub use topics::{GENERIC_CLUES, TOPICS, Topic};

use hearth_rules::{Game, GameInfo, Outcome, Rng, RuleError, Seat, Viewer};

/// Table options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChameleonConfig {
    /// Rounds to play, 1–20.
    pub rounds: u8,
    /// Longest clue in characters, 3–40.
    pub max_clue_len: u8,
    /// Refuse clues that name the secret word (for seats that know it).
    pub forbid_secret_in_clue: bool,
}

impl Default for ChameleonConfig {
    fn default() -> Self {
        ChameleonConfig {
            rounds: 3,
            max_clue_len: 24,
            forbid_secret_in_clue: true,
        }
    }
}

/// What a seat can do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChameleonAction {
    /// Give this round's clue (in turn order).
    Clue(String),
    /// Vote for the seat you suspect.
    Vote(Seat),
    /// As the caught chameleon, guess the secret word.
    Guess(String),
}

/// The stage of a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Seats give clues in turn.
    Clues,
    /// Everyone votes.
    Votes,
    /// The caught chameleon guesses the word.
    Guess,
    /// The game has ended.
    Over,
}

/// Everything about a finished round, public once it ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundSummary {
    /// Round number from 1.
    pub round: u8,
    /// Topic card name.
    pub topic: String,
    /// The secret word.
    pub word: String,
    /// Who was the chameleon.
    pub chameleon: Seat,
    /// Each seat's clue.
    pub clues: Vec<String>,
    /// Each seat's vote.
    pub votes: Vec<Seat>,
    /// The seat the votes singled out, if any.
    pub accused: Option<Seat>,
    /// Whether the accused was the chameleon.
    pub caught: bool,
    /// The chameleon's guess, if it was caught.
    pub guess: Option<String>,
    /// Whether the guess was right.
    pub guessed_right: bool,
    /// Points each seat scored this round.
    pub points: Vec<i32>,
}

/// What happened (public to every seat and spectator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChameleonEvent {
    /// A new round began.
    RoundStarted {
        /// Round number from 1.
        round: u8,
        /// Topic card name.
        topic: String,
        /// Who gives the first clue.
        first: Seat,
    },
    /// A seat gave its clue.
    ClueGiven {
        /// Who.
        seat: Seat,
        /// The clue as accepted (whitespace tidied).
        clue: String,
    },
    /// A seat voted (whom stays secret until all have voted).
    Voted {
        /// Who voted.
        seat: Seat,
    },
    /// Voting ended and singled out the chameleon, who now guesses.
    ChameleonCaught {
        /// Every seat's vote.
        votes: Vec<Seat>,
        /// The chameleon.
        chameleon: Seat,
    },
    /// The round ended; everything is revealed.
    RoundEnded(RoundSummary),
    /// The last round ended.
    GameOver {
        /// Seats with the top score.
        winners: Vec<Seat>,
    },
}

/// What one viewer sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChameleonView {
    /// The viewer's seat, if seated.
    pub you: Option<Seat>,
    /// Round number from 1.
    pub round: u8,
    /// Rounds in the game.
    pub rounds: u8,
    /// Stage of the round.
    pub phase: Phase,
    /// Topic card name.
    pub topic: String,
    /// The 16 words on the card.
    pub words: Vec<String>,
    /// The secret word: only for seated players who are not the chameleon.
    pub secret_word: Option<String>,
    /// Whether you are the chameleon (`None` for spectators).
    pub you_are_chameleon: Option<bool>,
    /// Who gives the next clue, during the clue stage.
    pub to_clue: Option<Seat>,
    /// Clues given so far, by seat.
    pub clues: Vec<Option<String>>,
    /// Who has voted (not for whom).
    pub voted: Vec<bool>,
    /// Your own vote.
    pub your_vote: Option<Seat>,
    /// Every vote, once voting has ended and the chameleon is guessing.
    pub votes: Option<Vec<Seat>>,
    /// The caught chameleon, while it guesses.
    pub caught: Option<Seat>,
    /// Scores so far.
    pub scores: Vec<i32>,
    /// The previous round, fully revealed.
    pub last_round: Option<RoundSummary>,
}

/// Chameleon state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chameleon {
    config: ChameleonConfig,
    seats: u8,
    round: u8,
    phase: Phase,
    topic: u8,
    secret: u8,
    chameleon: Seat,
    first: Seat,
    clues: Vec<Option<String>>,
    clues_given: u8,
    votes: Vec<Option<Seat>>,
    scores: Vec<i32>,
    /// Bit i set: topic i was used since the deck was last reshuffled.
    used_topics: u32,
    last_round: Option<RoundSummary>,
}

/// Lowercases and turns everything but letters and digits into single spaces, padded with a
/// space on each side, so whole-word containment is a substring test.
fn words_of(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    for part in text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
    {
        out.push_str(&part.to_ascii_lowercase());
        out.push(' ');
    }
    out
}

/// Whether `text` names `word` as a whole word (or phrase), ignoring case and punctuation.
fn names_word(text: &str, word: &str) -> bool {
    words_of(text).contains(&words_of(word))
}

impl Chameleon {
    fn topic_card(&self) -> &'static Topic {
        &TOPICS[usize::from(self.topic)]
    }

    fn secret_word(&self) -> &'static str {
        self.topic_card().words[usize::from(self.secret)].0
    }

    fn to_clue(&self) -> Option<Seat> {
        (self.phase == Phase::Clues).then(|| Seat((self.first.0 + self.clues_given) % self.seats))
    }

    /// Validates a clue and returns it tidied.
    fn check_clue(&self, seat: Seat, raw: &str) -> Result<String, RuleError> {
        let clue = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        let len = clue.chars().count();
        if len == 0 {
            return Err(RuleError::illegal(
                "a clue cannot be empty; give one word or a short phrase",
            ));
        }
        let max = usize::from(self.config.max_clue_len);
        if len > max {
            return Err(RuleError::illegal(format!(
                "the clue is {len} characters long; keep it to {max}"
            )));
        }
        if let Some(bad) = clue
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || c == ' ' || c == '-' || c == '\''))
        {
            return Err(RuleError::illegal(format!(
                "clues may use only letters, digits, spaces, hyphens and apostrophes, not `{bad}`"
            )));
        }
        if !clue.chars().any(|c| c.is_ascii_alphabetic()) {
            return Err(RuleError::illegal("a clue needs at least one letter"));
        }
        if self.config.forbid_secret_in_clue
            && seat != self.chameleon
            && names_word(&clue, self.secret_word())
        {
            return Err(RuleError::illegal(
                "your clue names the secret word; hint at it without saying it",
            ));
        }
        Ok(clue)
    }

    fn start_round(&mut self, rng: &mut Rng) {
        let all = (1u32 << TOPICS.len()) - 1;
        if self.used_topics == all {
            self.used_topics = 0;
        }
        let unused: Vec<u8> = (0..TOPICS.len() as u8)
            .filter(|t| self.used_topics & (1 << t) == 0)
            .collect();
        self.topic = unused[rng.index(unused.len())];
        self.used_topics |= 1 << self.topic;
        self.secret = rng.below(16) as u8;
        self.chameleon = Seat(rng.below(u32::from(self.seats)) as u8);
        self.first = Seat((self.round - 1) % self.seats);
        self.phase = Phase::Clues;
        self.clues = vec![None; usize::from(self.seats)];
        self.clues_given = 0;
        self.votes = vec![None; usize::from(self.seats)];
    }

    fn end_round(
        &mut self,
        accused: Option<Seat>,
        guess: Option<String>,
        rng: &mut Rng,
        events: &mut Vec<ChameleonEvent>,
    ) {
        let caught = accused == Some(self.chameleon);
        let guessed_right = guess
            .as_deref()
            .is_some_and(|g| g.eq_ignore_ascii_case(self.secret_word()));
        let mut points = vec![0; usize::from(self.seats)];
        if !caught {
            points[self.chameleon.index()] = 2;
        } else if guessed_right {
            points[self.chameleon.index()] = 1;
        } else {
            for (i, p) in points.iter_mut().enumerate() {
                if i != self.chameleon.index() {
                    *p = 2;
                }
            }
        }
        for (score, p) in self.scores.iter_mut().zip(&points) {
            *score += p;
        }
        let summary = RoundSummary {
            round: self.round,
            topic: self.topic_card().name.into(),
            word: self.secret_word().into(),
            chameleon: self.chameleon,
            clues: self
                .clues
                .iter()
                .map(|c| c.clone().unwrap_or_default())
                .collect(),
            votes: self.votes.iter().map(|v| v.unwrap_or(Seat(0))).collect(),
            accused,
            caught,
            guess,
            guessed_right,
            points,
        };
        events.push(ChameleonEvent::RoundEnded(summary.clone()));
        self.last_round = Some(summary);
        if self.round >= self.config.rounds {
            self.phase = Phase::Over;
            let winners = Outcome::by_top_score(self.scores.clone()).winners;
            events.push(ChameleonEvent::GameOver { winners });
        } else {
            self.round += 1;
            self.start_round(rng);
            events.push(ChameleonEvent::RoundStarted {
                round: self.round,
                topic: self.topic_card().name.into(),
                first: self.first,
            });
        }
    }

    /// The seat the votes single out, or `None` on a tie for most votes.
    fn tally(&self) -> Option<Seat> {
        let mut counts = vec![0u8; usize::from(self.seats)];
        for v in self.votes.iter().flatten() {
            counts[v.index()] += 1;
        }
        let top = counts.iter().copied().max().unwrap_or(0);
        let mut leaders = (0..self.seats).filter(|&s| counts[usize::from(s)] == top);
        match (leaders.next(), leaders.next()) {
            (Some(s), None) => Some(Seat(s)),
            _ => None,
        }
    }

    fn clue_candidates(&self) -> Vec<String> {
        let card = self.topic_card();
        card.words
            .iter()
            .map(|(_, hint)| *hint)
            .chain(GENERIC_CLUES)
            .map(str::to_string)
            .collect()
    }
}

impl Game for Chameleon {
    type Config = ChameleonConfig;
    type Action = ChameleonAction;
    type View = ChameleonView;
    type Event = ChameleonEvent;

    const INFO: GameInfo = GameInfo {
        name: "chameleon",
        version: 1,
        min_seats: 3,
        max_seats: 8,
        tick_rate: None,
        hidden_information: true,
        description: "Everyone but the chameleon knows the secret word: give clues, then vote out the chameleon.",
    };

    fn setup(config: &Self::Config, seats: u8, rng: &mut Rng) -> Result<Self, RuleError> {
        if !(1..=20).contains(&config.rounds) {
            return Err(RuleError::config(format!(
                "rounds is {}; choose 1 to 20",
                config.rounds
            )));
        }
        if !(3..=40).contains(&config.max_clue_len) {
            return Err(RuleError::config(format!(
                "max_clue_len is {}; choose 3 to 40",
                config.max_clue_len
            )));
        }
        let mut game = Chameleon {
            config: config.clone(),
            seats,
            round: 1,
            phase: Phase::Clues,
            topic: 0,
            secret: 0,
            chameleon: Seat(0),
            first: Seat(0),
            clues: Vec::new(),
            clues_given: 0,
            votes: Vec::new(),
            scores: vec![0; usize::from(seats)],
            used_topics: 0,
            last_round: None,
        };
        game.start_round(rng);
        Ok(game)
    }

    fn apply(
        &mut self,
        seat: Seat,
        action: &ChameleonAction,
        rng: &mut Rng,
        events: &mut Vec<ChameleonEvent>,
    ) -> Result<(), RuleError> {
        match (self.phase, action) {
            (Phase::Over, _) => Err(RuleError::GameOver),
            (Phase::Clues, ChameleonAction::Clue(raw)) => {
                let turn = self.to_clue().unwrap_or(seat);
                if seat != turn {
                    return Err(RuleError::NotYourTurn {
                        seat: seat.0,
                        waiting_for: turn.0,
                    });
                }
                let clue = self.check_clue(seat, raw)?;
                self.clues[seat.index()] = Some(clue.clone());
                self.clues_given += 1;
                if self.clues_given == self.seats {
                    self.phase = Phase::Votes;
                }
                events.push(ChameleonEvent::ClueGiven { seat, clue });
                Ok(())
            }
            (Phase::Votes, ChameleonAction::Vote(target)) => {
                if self.votes[seat.index()].is_some() {
                    return Err(RuleError::illegal("you have already voted this round"));
                }
                if target.0 >= self.seats {
                    return Err(RuleError::illegal(format!(
                        "there is no seat {target}; vote for a seat from 0 to {}",
                        self.seats - 1
                    )));
                }
                if *target == seat {
                    return Err(RuleError::illegal(
                        "you cannot vote for yourself; vote for another seat",
                    ));
                }
                self.votes[seat.index()] = Some(*target);
                events.push(ChameleonEvent::Voted { seat });
                if self.votes.iter().all(Option::is_some) {
                    let accused = self.tally();
                    if accused == Some(self.chameleon) {
                        self.phase = Phase::Guess;
                        events.push(ChameleonEvent::ChameleonCaught {
                            votes: self.votes.iter().flatten().copied().collect(),
                            chameleon: self.chameleon,
                        });
                    } else {
                        self.end_round(accused, None, rng, events);
                    }
                }
                Ok(())
            }
            (Phase::Guess, ChameleonAction::Guess(word)) => {
                if seat != self.chameleon {
                    return Err(RuleError::NotYourTurn {
                        seat: seat.0,
                        waiting_for: self.chameleon.0,
                    });
                }
                let word = word.trim();
                let Some((card_word, _)) = self
                    .topic_card()
                    .words
                    .iter()
                    .find(|(w, _)| w.eq_ignore_ascii_case(word))
                else {
                    return Err(RuleError::illegal(format!(
                        "`{word}` is not on the {} card; guess one of its 16 words",
                        self.topic_card().name
                    )));
                };
                self.end_round(
                    Some(self.chameleon),
                    Some((*card_word).to_string()),
                    rng,
                    events,
                );
                Ok(())
            }
            (phase, _) => Err(RuleError::illegal(match phase {
                Phase::Clues => "it is time to give clues, not to vote or guess",
                Phase::Votes => "it is time to vote for the seat you suspect",
                Phase::Guess => "the caught chameleon is guessing the word",
                Phase::Over => "the game is over",
            })),
        }
    }

    fn legal_actions(&self, seat: Seat) -> Vec<ChameleonAction> {
        match self.phase {
            Phase::Clues if self.to_clue() == Some(seat) => self
                .clue_candidates()
                .into_iter()
                .filter(|c| self.check_clue(seat, c).is_ok())
                .map(ChameleonAction::Clue)
                .collect(),
            Phase::Votes if self.votes[seat.index()].is_none() => (0..self.seats)
                .filter(|&s| s != seat.0)
                .map(|s| ChameleonAction::Vote(Seat(s)))
                .collect(),
            Phase::Guess if seat == self.chameleon => self
                .topic_card()
                .words
                .iter()
                .map(|(w, _)| ChameleonAction::Guess((*w).to_string()))
                .collect(),
            _ => Vec::new(),
        }
    }

    fn view(&self, viewer: Viewer) -> ChameleonView {
        let you = viewer.seat().filter(|s| s.0 < self.seats);
        let is_chameleon = you.map(|s| s == self.chameleon);
        let guessing = self.phase == Phase::Guess;
        ChameleonView {
            you,
            round: self.round,
            rounds: self.config.rounds,
            phase: self.phase,
            topic: self.topic_card().name.into(),
            words: self
                .topic_card()
                .words
                .iter()
                .map(|(w, _)| (*w).to_string())
                .collect(),
            secret_word: (is_chameleon == Some(false)).then(|| self.secret_word().to_string()),
            you_are_chameleon: is_chameleon,
            to_clue: self.to_clue(),
            clues: self.clues.clone(),
            voted: self.votes.iter().map(Option::is_some).collect(),
            your_vote: you.and_then(|s| self.votes[s.index()]),
            votes: guessing.then(|| self.votes.iter().flatten().copied().collect()),
            caught: guessing.then_some(self.chameleon),
            scores: self.scores.clone(),
            last_round: self.last_round.clone(),
        }
    }

    fn is_over(&self) -> bool {
        self.phase == Phase::Over
    }

    fn outcome(&self) -> Option<Outcome> {
        self.is_over()
            .then(|| Outcome::by_top_score(self.scores.clone()))
    }

    /// Level 0 acts at random. From level 1: players hint at the secret word and vote for a
    /// seat whose clue did not match their own idea of it; the chameleon bluffs with the hint
    /// of a random word (level 1) or echoes the commonest clue so far (level 2+), and when
    /// caught guesses the word whose hint came up most.
    fn bot_action(&self, seat: Seat, level: u8, rng: &mut Rng) -> Option<ChameleonAction> {
        let legal = self.legal_actions(seat);
        if legal.is_empty() {
            return None;
        }
        if level == 0 {
            return rng.pick(&legal).cloned();
        }
        let card = self.topic_card();
        let given: Vec<&str> = self.clues.iter().flatten().map(String::as_str).collect();
        let hint_count = |hint: &str| {
            given
                .iter()
                .filter(|c| c.eq_ignore_ascii_case(hint))
                .count()
        };
        match self.phase {
            Phase::Clues if seat == self.chameleon => {
                let commonest = given
                    .iter()
                    .max_by_key(|c| hint_count(c))
                    .filter(|_| level >= 2);
                let clue = match commonest {
                    Some(c) => (*c).to_string(),
                    None => card.words[rng.index(16)].1.to_string(),
                };
                Some(ChameleonAction::Clue(clue))
            }
            Phase::Clues => Some(ChameleonAction::Clue(
                card.words[usize::from(self.secret)].1.to_string(),
            )),
            Phase::Votes => {
                let others: Vec<Seat> = (0..self.seats).map(Seat).filter(|&s| s != seat).collect();
                let hint = card.words[usize::from(self.secret)].1;
                let suspects: Vec<Seat> = if seat == self.chameleon {
                    others.clone()
                } else {
                    others
                        .iter()
                        .copied()
                        .filter(|s| {
                            !self.clues[s.index()]
                                .as_deref()
                                .is_some_and(|c| c.eq_ignore_ascii_case(hint))
                        })
                        .collect()
                };
                let pool = if suspects.is_empty() {
                    &others
                } else {
                    &suspects
                };
                rng.pick(pool).map(|&s| ChameleonAction::Vote(s))
            }
            Phase::Guess => {
                let best = card
                    .words
                    .iter()
                    .map(|(_, h)| hint_count(h))
                    .max()
                    .unwrap_or(0);
                let likely: Vec<&str> = card
                    .words
                    .iter()
                    .filter(|(_, h)| hint_count(h) == best)
                    .map(|(w, _)| *w)
                    .collect();
                rng.pick(&likely)
                    .map(|w| ChameleonAction::Guess((*w).to_string()))
            }
            Phase::Over => None,
        }
    }
}

#[cfg(test)]
mod tests;

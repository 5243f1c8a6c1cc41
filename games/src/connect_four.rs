//! Connect four: two seats drop discs into a 7×6 grid; four in a row in any direction wins,
//! a full board is a draw. Turn-based with perfect information.
//!
//! JSON shapes: config `{"first_seat": 0}` (omit for a seeded coin toss), action
//! `{"column": 3}` (0–6, left to right), events `{"dropped": {"seat":0,"column":3,"row":0}}`,
//! `{"won": {"seat":0,"line":[[3,0],[3,1],[3,2],[3,3]]}}` and `"draw"`.

use serde::{Deserialize, Serialize};

use hearth_rules::{Game, GameInfo, Outcome, Rng, RuleError, Seat, Viewer};

/// Columns on the board.
pub const COLUMNS: usize = 7;
/// Rows on the board.
pub const ROWS: usize = 6;

/// Table options.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConnectFourConfig {
    /// Who moves first; `None` (the default) draws it with the seeded generator.
    pub first_seat: Option<u8>,
}

/// Drop a disc into a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Move {
    /// Column 0–6, left to right.
    pub column: u8,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectFourEvent {
    /// A disc landed at `(column, row)`, row 0 at the bottom.
    Dropped {
        /// Who dropped it.
        seat: Seat,
        /// Column 0–6.
        column: u8,
        /// Row 0–5 from the bottom.
        row: u8,
    },
    /// Four in a row.
    Won {
        /// The winner.
        seat: Seat,
        /// The four cells as `[column, row]`.
        line: [[u8; 2]; 4],
    },
    /// The board is full with no four in a row.
    Draw,
}

/// The whole board as every viewer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectFourView {
    /// The viewer's seat, if seated.
    pub you: Option<Seat>,
    /// Rows from the top (`board[0]`) to the bottom (`board[5]`), each with 7 cells left to
    /// right holding the seat whose disc is there.
    pub board: [[Option<Seat>; COLUMNS]; ROWS],
    /// Whose turn it is; `None` once the game is over.
    pub to_move: Option<Seat>,
    /// Discs played.
    pub moves: u8,
    /// The winner, if any.
    pub winner: Option<Seat>,
    /// The winning four as `[column, row]`, row 0 at the bottom.
    pub winning_line: Option<[[u8; 2]; 4]>,
    /// Whether the game ended in a draw.
    pub draw: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Status {
    Playing,
    Won { seat: Seat, line: [[u8; 2]; 4] },
    Draw,
}

/// Connect-four state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectFour {
    /// `cells[column][row]`, row 0 at the bottom: 0 empty, otherwise seat + 1.
    cells: [[u8; ROWS]; COLUMNS],
    heights: [u8; COLUMNS],
    to_move: Seat,
    moves: u8,
    status: Status,
}

const DIRECTIONS: [(i8, i8); 4] = [(1, 0), (0, 1), (1, 1), (1, -1)];
/// Centre-first order: better pruning and more natural bot play.
const SEARCH_ORDER: [u8; COLUMNS] = [3, 2, 4, 1, 5, 0, 6];

impl ConnectFour {
    /// Whose turn it is, or `None` once the game is over.
    pub fn to_move(&self) -> Option<Seat> {
        (self.status == Status::Playing).then_some(self.to_move)
    }

    /// The seat whose disc is at `(column, row)`, row 0 at the bottom.
    pub fn cell(&self, column: usize, row: usize) -> Option<Seat> {
        match self.cells.get(column)?.get(row)? {
            0 => None,
            v => Some(Seat(v - 1)),
        }
    }

    fn can_drop(&self, column: u8) -> bool {
        usize::from(column) < COLUMNS && usize::from(self.heights[usize::from(column)]) < ROWS
    }

    /// Drops a disc for the seat to move; the column must be legal. Returns the row and
    /// whether it won.
    fn drop_disc(&mut self, column: u8) -> (u8, Option<[[u8; 2]; 4]>) {
        let c = usize::from(column);
        let row = self.heights[c];
        let seat = self.to_move;
        self.cells[c][usize::from(row)] = seat.0 + 1;
        self.heights[c] += 1;
        self.moves += 1;
        let line = self.line_through(c, usize::from(row));
        if let Some(line) = line {
            self.status = Status::Won { seat, line };
        } else if usize::from(self.moves) == COLUMNS * ROWS {
            self.status = Status::Draw;
        } else {
            self.to_move = Seat(1 - seat.0);
        }
        (row, line)
    }

    /// Four in a row through the disc at `(c, r)`, as the first four cells of the run.
    fn line_through(&self, c: usize, r: usize) -> Option<[[u8; 2]; 4]> {
        let me = self.cells[c][r];
        for (dc, dr) in DIRECTIONS {
            let run = |sign: i8| {
                let mut n = 0i8;
                loop {
                    let cc = c as i8 + sign * dc * (n + 1);
                    let rr = r as i8 + sign * dr * (n + 1);
                    if !(0..COLUMNS as i8).contains(&cc) || !(0..ROWS as i8).contains(&rr) {
                        return n;
                    }
                    if self.cells[cc as usize][rr as usize] != me {
                        return n;
                    }
                    n += 1;
                }
            };
            let back = run(-1);
            if back + 1 + run(1) >= 4 {
                let start = (c as i8 - dc * back, r as i8 - dr * back);
                let mut line = [[0u8; 2]; 4];
                for (k, cell) in line.iter_mut().enumerate() {
                    let k = k as i8;
                    *cell = [(start.0 + dc * k) as u8, (start.1 + dr * k) as u8];
                }
                return Some(line);
            }
        }
        None
    }

    /// Static evaluation for the seat to move: open windows of four, weighted.
    fn evaluate(&self) -> i32 {
        let me = self.to_move.0 + 1;
        let mut score = 0i32;
        for cells in &self.cells[3] {
            if *cells == me {
                score += 3;
            } else if *cells != 0 {
                score -= 3;
            }
        }
        for (dc, dr) in DIRECTIONS {
            for c in 0..COLUMNS as i8 {
                for r in 0..ROWS as i8 {
                    let end = (c + 3 * dc, r + 3 * dr);
                    if !(0..COLUMNS as i8).contains(&end.0) || !(0..ROWS as i8).contains(&end.1) {
                        continue;
                    }
                    let (mut mine, mut theirs) = (0, 0);
                    for k in 0..4 {
                        match self.cells[(c + k * dc) as usize][(r + k * dr) as usize] {
                            0 => {}
                            v if v == me => mine += 1,
                            _ => theirs += 1,
                        }
                    }
                    score += match (mine, theirs) {
                        (3, 0) => 40,
                        (2, 0) => 6,
                        (0, 3) => -40,
                        (0, 2) => -6,
                        _ => 0,
                    };
                }
            }
        }
        score
    }

    /// Negamax with alpha-beta pruning, from the point of view of the seat to move.
    fn negamax(&self, depth: u8, mut alpha: i32, beta: i32) -> i32 {
        const WIN: i32 = 1_000_000;
        let mut best = -WIN * 2;
        let mut any = false;
        for column in SEARCH_ORDER {
            if !self.can_drop(column) {
                continue;
            }
            any = true;
            let mut child = *self;
            let (_, won) = child.drop_disc(column);
            let score = if won.is_some() {
                WIN + i32::from(depth)
            } else if child.status == Status::Draw {
                0
            } else if depth <= 1 {
                -child.evaluate()
            } else {
                -child.negamax(depth - 1, -beta, -alpha)
            };
            best = best.max(score);
            alpha = alpha.max(score);
            if alpha >= beta {
                break;
            }
        }
        if any { best } else { 0 }
    }
}

impl Game for ConnectFour {
    type Config = ConnectFourConfig;
    type Action = Move;
    type View = ConnectFourView;
    type Event = ConnectFourEvent;

    const INFO: GameInfo = GameInfo {
        name: "connect-four",
        version: 1,
        min_seats: 2,
        max_seats: 2,
        tick_rate: None,
        hidden_information: false,
        description: "Drop discs into a 7x6 grid; four in a row wins.",
    };

    fn setup(config: &Self::Config, _seats: u8, rng: &mut Rng) -> Result<Self, RuleError> {
        let first = match config.first_seat {
            Some(s) if s < 2 => Seat(s),
            Some(s) => {
                return Err(RuleError::config(format!(
                    "first_seat is {s}, but connect-four has seats 0 and 1; omit it for a coin toss"
                )));
            }
            None => Seat(rng.below(2) as u8),
        };
        Ok(ConnectFour {
            cells: [[0; ROWS]; COLUMNS],
            heights: [0; COLUMNS],
            to_move: first,
            moves: 0,
            status: Status::Playing,
        })
    }

    fn apply(
        &mut self,
        seat: Seat,
        action: &Move,
        _rng: &mut Rng,
        events: &mut Vec<ConnectFourEvent>,
    ) -> Result<(), RuleError> {
        if self.status != Status::Playing {
            return Err(RuleError::GameOver);
        }
        if seat != self.to_move {
            return Err(RuleError::NotYourTurn {
                seat: seat.0,
                waiting_for: self.to_move.0,
            });
        }
        if usize::from(action.column) >= COLUMNS {
            return Err(RuleError::illegal(format!(
                "column {} does not exist; choose a column from 0 to {}",
                action.column,
                COLUMNS - 1
            )));
        }
        if !self.can_drop(action.column) {
            return Err(RuleError::illegal(format!(
                "column {} is full; choose another column",
                action.column
            )));
        }
        let (row, won) = self.drop_disc(action.column);
        events.push(ConnectFourEvent::Dropped {
            seat,
            column: action.column,
            row,
        });
        if let Some(line) = won {
            events.push(ConnectFourEvent::Won { seat, line });
        } else if self.status == Status::Draw {
            events.push(ConnectFourEvent::Draw);
        }
        Ok(())
    }

    fn legal_actions(&self, seat: Seat) -> Vec<Move> {
        if self.to_move() != Some(seat) {
            return Vec::new();
        }
        (0..COLUMNS as u8)
            .filter(|&c| self.can_drop(c))
            .map(|column| Move { column })
            .collect()
    }

    fn view(&self, viewer: Viewer) -> ConnectFourView {
        let mut board = [[None; COLUMNS]; ROWS];
        for (r, row) in board.iter_mut().enumerate() {
            for (c, cell) in row.iter_mut().enumerate() {
                *cell = self.cell(c, ROWS - 1 - r);
            }
        }
        let (winner, winning_line) = match self.status {
            Status::Won { seat, line } => (Some(seat), Some(line)),
            _ => (None, None),
        };
        ConnectFourView {
            you: viewer.seat(),
            board,
            to_move: self.to_move(),
            moves: self.moves,
            winner,
            winning_line,
            draw: self.status == Status::Draw,
        }
    }

    fn is_over(&self) -> bool {
        self.status != Status::Playing
    }

    fn outcome(&self) -> Option<Outcome> {
        match self.status {
            Status::Playing => None,
            Status::Draw => Some(Outcome {
                winners: Vec::new(),
                scores: vec![0, 0],
            }),
            Status::Won { seat, .. } => {
                let mut scores = vec![0, 0];
                scores[seat.index()] = 1;
                Some(Outcome {
                    winners: vec![seat],
                    scores,
                })
            }
        }
    }

    /// `level` 0 plays randomly; `level` n searches n plies with alpha-beta (capped at 10).
    fn bot_action(&self, seat: Seat, level: u8, rng: &mut Rng) -> Option<Move> {
        if self.to_move() != Some(seat) {
            return None;
        }
        let legal = self.legal_actions(seat);
        if level == 0 {
            return rng.pick(&legal).copied();
        }
        let depth = level.min(10);
        let mut best = Vec::new();
        let mut best_score = i32::MIN;
        for m in legal {
            let mut child = *self;
            let (_, won) = child.drop_disc(m.column);
            let score = if won.is_some() {
                i32::MAX
            } else if child.status == Status::Draw {
                0
            } else if depth == 1 {
                -child.evaluate()
            } else {
                -child.negamax(depth - 1, -i32::MAX, i32::MAX)
            };
            if score > best_score {
                best_score = score;
                best.clear();
            }
            if score == best_score {
                best.push(m);
            }
        }
        rng.pick(&best).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearth_rules::Session;

    fn play(columns: &[u8]) -> Session<ConnectFour> {
        let mut s = Session::<ConnectFour>::new(
            ConnectFourConfig {
                first_seat: Some(0),
            },
            2,
            0,
        )
        .expect("setup");
        for &c in columns {
            let seat = s.state().to_move().expect("game on");
            s.apply(seat, Move { column: c }).expect("legal");
        }
        s
    }

    #[test]
    fn wins_in_all_four_directions() {
        // horizontal, vertical, rising diagonal, falling diagonal
        for (moves, line) in [
            (vec![0, 0, 1, 1, 2, 2, 3], [[0, 0], [1, 0], [2, 0], [3, 0]]),
            (vec![4, 5, 4, 5, 4, 5, 4], [[4, 0], [4, 1], [4, 2], [4, 3]]),
            (
                vec![0, 1, 1, 2, 2, 3, 2, 3, 3, 6, 3],
                [[0, 0], [1, 1], [2, 2], [3, 3]],
            ),
            (
                vec![6, 5, 5, 4, 4, 3, 4, 3, 3, 0, 3],
                [[3, 3], [4, 2], [5, 1], [6, 0]],
            ),
        ] {
            let s = play(&moves);
            assert_eq!(
                s.outcome().map(|o| o.winners),
                Some(vec![Seat(0)]),
                "{moves:?}"
            );
            assert_eq!(
                s.view(Viewer::Spectator).expect("view").winning_line,
                Some(line)
            );
        }
    }

    #[test]
    fn full_board_without_four_is_a_draw() {
        // Columns filled in pairs so that no four line up: a known drawn pattern.
        let order = [
            0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 2, 3, 2, 3, 2, 3, 3, 2, 3, 2, 3, 2, 4, 5, 4, 5, 4,
            5, 5, 4, 5, 4, 5, 4, 6, 6, 6, 6, 6, 6,
        ];
        let s = play(&order);
        assert_eq!(
            s.outcome(),
            Some(Outcome {
                winners: vec![],
                scores: vec![0, 0]
            })
        );
        assert!(s.view(Viewer::Seat(Seat(1))).expect("view").draw);
    }

    #[test]
    fn bad_moves_are_refused_with_reasons() {
        let mut s = play(&[0, 0, 0, 0, 0, 0]);
        let before = s.hash();
        let full = s.apply(Seat(0), Move { column: 0 }).expect_err("full");
        assert!(full.to_string().contains("column 0 is full"), "{full}");
        let off = s.apply(Seat(0), Move { column: 7 }).expect_err("off board");
        assert!(
            off.to_string().contains("choose a column from 0 to 6"),
            "{off}"
        );
        let turn = s
            .apply(Seat(1), Move { column: 2 })
            .expect_err("out of turn");
        assert_eq!(turn.code(), "not_your_turn");
        assert_eq!(
            s.apply(Seat(2), Move { column: 2 })
                .expect_err("no seat")
                .code(),
            "no_such_seat"
        );
        assert_eq!(s.hash(), before);
        assert_eq!(s.log().len(), 6);
    }

    #[test]
    fn bot_takes_a_win_and_blocks_a_loss() {
        let s = play(&[0, 6, 1, 6, 2]); // seat 1 to move must block column 3
        let block = s.bot_action(Seat(1), 4).expect("seat").expect("move");
        assert_eq!(block.column, 3);
        let s = play(&[0, 6, 1, 6, 2, 5]); // seat 0 to move wins at column 3
        assert_eq!(
            s.bot_action(Seat(0), 2)
                .expect("seat")
                .expect("move")
                .column,
            3
        );
    }

    #[test]
    fn config_out_of_range_is_refused() {
        let err = Session::<ConnectFour>::new(
            ConnectFourConfig {
                first_seat: Some(2),
            },
            2,
            0,
        )
        .expect_err("bad");
        assert!(err.to_string().contains("first_seat is 2"), "{err}");
    }
}

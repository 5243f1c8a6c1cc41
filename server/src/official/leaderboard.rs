//! Ratings: pairwise Elo, so the same rule rates two-player and many-player games.

/// Starting rating.
pub const START: i32 = 1200;
/// How far one match can move a rating against a single opponent.
const K: f64 = 32.0;

/// New ratings after a match. `winners` are seat indices; none means a draw. Each pair of
/// seats is a mini-match (a winner beats a non-winner; two winners or two non-winners draw),
/// with K split over the opponents so a 16-seat game moves ratings as much as a duel.
pub fn elo(ratings: &[i32], winners: &[usize]) -> Vec<i32> {
    let n = ratings.len();
    if n < 2 {
        return ratings.to_vec();
    }
    let k = K / (n - 1) as f64;
    let won = |i: usize| winners.contains(&i);
    (0..n)
        .map(|i| {
            let delta: f64 = (0..n)
                .filter(|&j| j != i)
                .map(|j| {
                    let expected =
                        1.0 / (1.0 + 10f64.powf(f64::from(ratings[j] - ratings[i]) / 400.0));
                    let score = match (won(i), won(j)) {
                        (true, false) => 1.0,
                        (false, true) => 0.0,
                        _ => 0.5,
                    };
                    k * (score - expected)
                })
                .sum();
            ratings[i] + delta.round() as i32
        })
        .collect()
}

/// What a match does to one player's standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    /// The new rating.
    pub rating: i32,
    /// Wins to add (0 or 1).
    pub wins: i32,
    /// Losses to add (0 or 1).
    pub losses: i32,
    /// Draws to add (0 or 1).
    pub draws: i32,
}

/// What a match with `outcome` does to its players' standings, by seat, from their
/// `ratings` before it: what every store writes, whatever its SQL.
pub fn changes(ratings: &[i32], outcome: &hearth_rules::Outcome) -> Vec<Change> {
    let winners: Vec<usize> = outcome.winners.iter().map(|s| s.index()).collect();
    let draw = winners.is_empty();
    elo(ratings, &winners)
        .into_iter()
        .enumerate()
        .map(|(i, rating)| {
            let won = winners.contains(&i);
            let (wins, losses, draws) = match (draw, won) {
                (true, _) => (0, 0, 1),
                (false, true) => (1, 0, 0),
                (false, false) => (0, 1, 0),
            };
            Change {
                rating,
                wins,
                losses,
                draws,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elo_moves_winners_up_and_losers_down() {
        assert_eq!(elo(&[1200, 1200], &[0]), vec![1216, 1184]);
        assert_eq!(elo(&[1200, 1200], &[]), vec![1200, 1200]);
        // Beating a stronger player gains more.
        let up = elo(&[1200, 1400], &[0]);
        assert!(up[0] - 1200 > 16);
        // Many seats: the winner gains, everyone else loses a little.
        let many = elo(&[1200; 4], &[2]);
        assert!(many[2] > 1200 && many.iter().enumerate().all(|(i, r)| i == 2 || *r < 1200));
    }
}

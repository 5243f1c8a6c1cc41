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

//! A canary for hidden nondeterminism: generated games must end identically in processes whose
//! hashing seeds differ.
//!
//! Rust seeds every `HashMap`/`HashSet` (`RandomState`) from the operating system, afresh in
//! each process. A game whose state somewhere depends on hash-map iteration order, on hashing
//! seeds or on addresses passes every single-process test and still diverges between a
//! server and a player's machine. The canary re-runs a test in two child processes (each also
//! shifts its heap by a different amount), plays the same generated games in each, and
//! compares a digest of the state hash after every step.
//!
//! ```no_run
//! use hearth_tests::canary::check_in_processes;
//! # use hearth_games::connect_four::ConnectFour as MyGame;
//! #[test]
//! fn my_game_does_not_depend_on_hash_seeds() {
//!     // The test's own name: the children re-run exactly this test.
//!     check_in_processes::<MyGame>("my_game_does_not_depend_on_hash_seeds", 64, 80);
//! }
//! ```

use std::process::Command;

use hearth_rules::Session;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use crate::HarnessError;
use crate::props::{GameUnderTest, case_strategy, run_step};

const CHILD: &str = "HEARTH_CANARY_CHILD";
const LINE: &str = "hearth-canary-digest ";

/// Plays `cases` games of `G` generated from a fixed seed (at most `max_steps` steps each)
/// and digests the state hash after setup and after every step. Equal in every process for
/// a deterministic game.
pub fn digest<G: GameUnderTest>(cases: u32, max_steps: usize) -> Result<u64, HarnessError> {
    let differs = |what: String| HarnessError::Differs {
        subject: format!("the canary's {}", std::any::type_name::<G>()),
        what,
    };
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let strategy = case_strategy::<G>(max_steps);
    let mut hashes = Vec::new();
    for _ in 0..cases {
        let case = strategy
            .new_tree(&mut runner)
            .map_err(|e| differs(format!("no case generated: {e}")))?
            .current();
        let mut s = Session::<G>::new(case.config.clone(), case.seats, case.seed).map_err(
            crate::error::rules(format!("the canary's {}", std::any::type_name::<G>())),
        )?;
        hashes.push(s.hash());
        for step in &case.steps {
            run_step(&mut s, step).map_err(|e| differs(e.to_string()))?;
            hashes.push(s.hash());
        }
    }
    Ok(hearth_rules::stable_hash(&hashes))
}

/// Whether this process is one of the canary's children.
pub fn in_child() -> bool {
    std::env::var_os(CHILD).is_some()
}

/// The digest of `G`'s games computed here and in two child processes re-running `test` (this
/// binary, exact name). In a child it prints its digest and returns `None`: the caller
/// returns at once.
pub fn digests_in_processes<G: GameUnderTest>(
    test: &str,
    cases: u32,
    max_steps: usize,
) -> Option<Vec<u64>> {
    if let Some(salt) = std::env::var_os(CHILD) {
        // A different heap layout in each child, kept alive while the games run.
        let salt: usize = salt.to_string_lossy().parse().unwrap_or(1);
        let ballast: Vec<Vec<u8>> = (0..salt * 997).map(|i| vec![0; i % 61 + 1]).collect();
        let d = digest::<G>(cases, max_steps).expect("the canary's games play");
        // The harness may have started the line with the test's name.
        println!("\n{LINE}{d:016x}");
        drop(ballast);
        return None;
    }
    let mut digests = vec![digest::<G>(cases, max_steps).expect("the canary's games play")];
    let exe = std::env::current_exe().expect("the test binary's path");
    for salt in 1..=2 {
        let out = Command::new(&exe)
            .args(["--exact", test, "--nocapture", "--test-threads=1"])
            .env(CHILD, salt.to_string())
            .output()
            .expect("the test binary runs again as a child");
        assert!(
            out.status.success(),
            "the canary's child process failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let d = stdout
            .lines()
            .find_map(|l| l.split(LINE).nth(1))
            .and_then(|h| u64::from_str_radix(h.trim(), 16).ok())
            .expect("the child printed its digest");
        digests.push(d);
    }
    Some(digests)
}

/// Asserts `G`'s generated games digest the same here and in two child processes with other
/// hashing seeds. Call it from a `#[test]` named `test`.
pub fn check_in_processes<G: GameUnderTest>(test: &str, cases: u32, max_steps: usize) {
    let Some(digests) = digests_in_processes::<G>(test, cases, max_steps) else {
        return;
    };
    assert!(
        digests.windows(2).all(|w| w[0] == w[1]),
        "{} ends differently in processes with different hashing seeds ({digests:016x?}): \
         its state depends on hash-map order, hashing seeds or addresses; keep ordered \
         collections (Vec, BTreeMap) in the state",
        G::INFO.name
    );
}

//! Integer trigonometry and the built-in maps: no floats anywhere, so every target agrees.

use serde::{Deserialize, Serialize};

/// `sin(2π·i/256)` scaled by 1024, for binary angles `i` (256 per turn).
pub const SIN: [i32; 256] = [
    0, 25, 50, 75, 100, 125, 150, 175, 200, 224, 249, 273, 297, 321, 345, 369, 392, 415, 438, 460,
    483, 505, 526, 548, 569, 590, 610, 630, 650, 669, 688, 706, 724, 742, 759, 775, 792, 807, 822,
    837, 851, 865, 878, 891, 903, 915, 926, 936, 946, 955, 964, 972, 980, 987, 993, 999, 1004,
    1009, 1013, 1016, 1019, 1021, 1023, 1024, 1024, 1024, 1023, 1021, 1019, 1016, 1013, 1009, 1004,
    999, 993, 987, 980, 972, 964, 955, 946, 936, 926, 915, 903, 891, 878, 865, 851, 837, 822, 807,
    792, 775, 759, 742, 724, 706, 688, 669, 650, 630, 610, 590, 569, 548, 526, 505, 483, 460, 438,
    415, 392, 369, 345, 321, 297, 273, 249, 224, 200, 175, 150, 125, 100, 75, 50, 25, 0, -25, -50,
    -75, -100, -125, -150, -175, -200, -224, -249, -273, -297, -321, -345, -369, -392, -415, -438,
    -460, -483, -505, -526, -548, -569, -590, -610, -630, -650, -669, -688, -706, -724, -742, -759,
    -775, -792, -807, -822, -837, -851, -865, -878, -891, -903, -915, -926, -936, -946, -955, -964,
    -972, -980, -987, -993, -999, -1004, -1009, -1013, -1016, -1019, -1021, -1023, -1024, -1024,
    -1024, -1023, -1021, -1019, -1016, -1013, -1009, -1004, -999, -993, -987, -980, -972, -964,
    -955, -946, -936, -926, -915, -903, -891, -878, -865, -851, -837, -822, -807, -792, -775, -759,
    -742, -724, -706, -688, -669, -650, -630, -610, -590, -569, -548, -526, -505, -483, -460, -438,
    -415, -392, -369, -345, -321, -297, -273, -249, -224, -200, -175, -150, -125, -100, -75, -50,
    -25,
];

/// Fixed-point scale of [`SIN`].
pub const TRIG_ONE: i32 = 1024;

/// `sin` of a binary angle, scaled by 1024.
pub fn sin(angle: u8) -> i32 {
    SIN[usize::from(angle)]
}

/// `cos` of a binary angle, scaled by 1024.
pub fn cos(angle: u8) -> i32 {
    SIN[usize::from(angle.wrapping_add(64))]
}

/// The binary angle pointing closest to `(dx, dy)` (0 = +x, 64 = +y), by the largest dot
/// product with the table: exact to the table's resolution, with integers only.
pub fn angle_to(dx: i32, dy: i32) -> u8 {
    let mut best = 0u8;
    let mut best_key = (i64::MIN, i64::MIN);
    for a in 0..=255u8 {
        let (c, s) = (i64::from(cos(a)), i64::from(sin(a)));
        let dot = c * i64::from(dx) + s * i64::from(dy);
        // The rounded table is flat near its peaks; among equal dot products the angle
        // with the smallest cross product points most exactly at the target.
        let cross = (c * i64::from(dy) - s * i64::from(dx)).abs();
        if (dot, -cross) > best_key {
            best_key = (dot, -cross);
            best = a;
        }
    }
    best
}

/// Width of every map in tiles.
pub const MAP_WIDTH: usize = 32;
/// Height of every map in tiles.
pub const MAP_HEIGHT: usize = 20;

/// The built-in maps. `#` is wall, `s` a spawn point, `.` floor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MapId {
    /// Walls and cover in four-fold symmetry.
    #[default]
    Arena,
    /// An empty field with only the outer wall.
    Open,
}

const ARENA: [&str; MAP_HEIGHT] = [
    "################################",
    "#s......s.......#......s......s#",
    "#..............................#",
    "#...#####..............#####...#",
    "#...#......................#...#",
    "#...#....s....####....s....#...#",
    "#s.............................#",
    "#.........##........##.........#",
    "#.........#..........#.........#",
    "#...s.....#....s.....#.....s...#",
    "#...............s..............#",
    "#.........#..........#.........#",
    "#.........##........##.........#",
    "#s.............................#",
    "#...#....s....####....s....#...#",
    "#...#......................#...#",
    "#...#####..............#####...#",
    "#..............................#",
    "#s.............#..............s#",
    "################################",
];

const OPEN: [&str; MAP_HEIGHT] = [
    "################################",
    "#s........s..........s........s#",
    "#..............................#",
    "#..............................#",
    "#..............................#",
    "#....s....................s....#",
    "#..............................#",
    "#..............................#",
    "#..............................#",
    "#...........s......s...........#",
    "#.......s..............s.......#",
    "#..............................#",
    "#..............................#",
    "#..............................#",
    "#....s....................s....#",
    "#..............................#",
    "#..............................#",
    "#..............................#",
    "#s........s..........s........s#",
    "################################",
];

/// Spawn tiles on every map (one per seat at most).
pub const SPAWNS: usize = 16;

/// A map's walls and spawn tiles, worked out from its rows when Hearth is built.
struct Layout {
    /// One `u32` per row, bit `x` set for a wall at column `x`.
    walls: [u32; MAP_HEIGHT],
    /// The spawn tiles (`s`) in reading order.
    spawns: [(i32, i32); SPAWNS],
}

/// The [`Layout`] of `rows`; building fails unless they hold [`SPAWNS`] spawn tiles.
const fn layout(rows: &[&str; MAP_HEIGHT]) -> Layout {
    let mut out = Layout {
        walls: [0; MAP_HEIGHT],
        spawns: [(0, 0); SPAWNS],
    };
    let mut n = 0;
    let mut y = 0;
    while y < MAP_HEIGHT {
        let row = rows[y].as_bytes();
        let mut x = 0;
        while x < MAP_WIDTH {
            match row[x] {
                b'#' => out.walls[y] |= 1 << x,
                b's' => {
                    out.spawns[n] = (x as i32, y as i32);
                    n += 1;
                }
                _ => {}
            }
            x += 1;
        }
        y += 1;
    }
    assert!(n == SPAWNS, "every map has 16 spawn tiles");
    out
}

static ARENA_LAYOUT: Layout = layout(&ARENA);
static OPEN_LAYOUT: Layout = layout(&OPEN);

impl MapId {
    /// The map's rows, top to bottom.
    pub fn rows(self) -> &'static [&'static str; MAP_HEIGHT] {
        match self {
            MapId::Arena => &ARENA,
            MapId::Open => &OPEN,
        }
    }

    /// Whether tile `(tx, ty)` is wall; everything outside the map is wall.
    // Inlined, and one bit per tile: bullets and tanks ask this several times a tick each,
    // and the browser module builds the games for size, where a call per tile showed in
    // profiles (BENCHMARKS.md, *The browser module*).
    #[inline]
    pub fn wall(self, tx: i32, ty: i32) -> bool {
        if tx < 0 || ty < 0 || tx >= MAP_WIDTH as i32 || ty >= MAP_HEIGHT as i32 {
            return true;
        }
        self.layout().walls[ty as usize] >> tx & 1 == 1
    }

    /// Spawn tiles in reading order.
    pub fn spawns(self) -> &'static [(i32, i32); SPAWNS] {
        &self.layout().spawns
    }

    fn layout(self) -> &'static Layout {
        match self {
            MapId::Arena => &ARENA_LAYOUT,
            MapId::Open => &OPEN_LAYOUT,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_a_sine() {
        assert_eq!((sin(0), sin(64), sin(128), sin(192)), (0, 1024, 0, -1024));
        assert_eq!((cos(0), cos(64)), (1024, 0));
        assert_eq!(angle_to(10, 0), 0);
        assert_eq!(angle_to(0, 10), 64);
        assert_eq!(angle_to(-10, 0), 128);
        assert_eq!(angle_to(5, 5), 32);
    }

    #[test]
    fn maps_are_closed_and_have_sixteen_spawns() {
        for map in [MapId::Arena, MapId::Open] {
            let rows = map.rows();
            assert!(rows.iter().all(|r| r.len() == MAP_WIDTH), "{map:?}");
            assert!(
                rows[0].bytes().all(|b| b == b'#')
                    && rows[MAP_HEIGHT - 1].bytes().all(|b| b == b'#')
            );
            assert!(rows.iter().all(|r| r.starts_with('#') && r.ends_with('#')));
            let tiles: Vec<(i32, i32)> = (0..MAP_HEIGHT as i32)
                .flat_map(|y| (0..MAP_WIDTH as i32).map(move |x| (x, y)))
                .filter(|&(x, y)| rows[y as usize].as_bytes()[x as usize] == b's')
                .collect();
            assert_eq!(&tiles[..], &map.spawns()[..], "{map:?}");
        }
    }

    #[test]
    fn walls_are_the_maps_hashes_and_everything_outside() {
        for map in [MapId::Arena, MapId::Open] {
            for ty in -2..MAP_HEIGHT as i32 + 2 {
                for tx in -2..MAP_WIDTH as i32 + 2 {
                    let inside =
                        (0..MAP_WIDTH as i32).contains(&tx) && (0..MAP_HEIGHT as i32).contains(&ty);
                    let want = !inside || map.rows()[ty as usize].as_bytes()[tx as usize] == b'#';
                    assert_eq!(map.wall(tx, ty), want, "{map:?} ({tx}, {ty})");
                }
            }
        }
    }
}

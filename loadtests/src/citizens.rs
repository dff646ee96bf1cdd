//! Synthetic citizens for load runs: valid CPR numbers, a different set on every run so
//! earlier runs' bookings do not refuse them. They never appear in output.

use std::sync::OnceLock;

/// How many distinct numbers the generator has before it repeats (28 days × 12 months
/// × 50 years × 4,000 sequence numbers).
pub const SPACE: u64 = 28 * 12 * 50 * 4000;

fn salt() -> u64 {
    static SALT: OnceLock<u64> = OnceLock::new();
    *SALT.get_or_init(|| rand::random::<u64>() % SPACE)
}

/// The `n`th synthetic citizen of this run: born 1950-1999, seventh digit 0-3 (1900s).
pub fn cpr(n: u64) -> String {
    let id = (salt() + n) % SPACE;
    format!(
        "{:02}{:02}{:02}{:04}",
        1 + id % 28,
        1 + (id / 28) % 12,
        50 + (id / 336) % 50,
        (id / 16_800) % 4000
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn numbers_are_distinct_and_well_formed() {
        let all: HashSet<String> = (0..50_000).map(cpr).collect();
        assert_eq!(all.len(), 50_000);
        for c in all.iter().take(1000) {
            assert_eq!(c.len(), 10);
            let day: u32 = c[0..2].parse().unwrap();
            let month: u32 = c[2..4].parse().unwrap();
            assert!((1..=28).contains(&day) && (1..=12).contains(&month), "{c}");
            assert!(c.as_bytes()[6] <= b'3', "{c}");
        }
    }
}

//! The seeded pseudo-random source and weighted choice, both integer-only so output is the same
//! on every platform.
//!
//! SplitMix64 (Steele, Lea & Flood 2014): one add and three multiply-xor-shift steps per draw,
//! statistically fine for synthetic data and fast enough to spend a dozen draws per resident.
//! Not for anything secret.

/// SplitMix64: a 64-bit state stepped by the golden-ratio increment, output through a mixer.
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// The SplitMix64 output function: a bijective 64-bit mixer.
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator for one stream: `seed` is the run's seed, `stream` tells streams apart
    /// (chunk index, table, …). Streams of the same seed are unrelated.
    pub fn new(seed: u64, stream: u64) -> Rng {
        Rng {
            state: mix64(seed ^ mix64(stream.wrapping_add(GOLDEN))),
        }
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN);
        mix64(self.state)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; the bias for n < 2³² is below 2⁻³²).
    #[inline]
    pub fn below(&mut self, n: u32) -> u32 {
        debug_assert!(n > 0);
        (((self.next_u64() >> 32) * u64::from(n)) >> 32) as u32
    }

    /// Uniform in `lo..=hi`.
    #[inline]
    pub fn between(&mut self, lo: u32, hi: u32) -> u32 {
        debug_assert!(lo <= hi);
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `per_million` / 1,000,000.
    #[inline]
    pub fn chance(&mut self, per_million: u32) -> bool {
        self.below(1_000_000) < per_million
    }

    /// Picks one element uniformly.
    #[inline]
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u32) as usize]
    }
}

/// Walker's alias method over integer weights: O(1) per draw, one `u64` of randomness.
///
/// Built with integer arithmetic only (thresholds in units of 2⁻³²), so tables and draws are
/// identical on every platform.
#[derive(Clone, Debug)]
pub struct Weighted {
    /// Per column: the probability (×2³²) of keeping the column rather than taking its alias.
    keep: Vec<u64>,
    alias: Vec<u32>,
}

impl Weighted {
    /// A table over `weights` (at least one positive). Index `i` is drawn with probability
    /// `weights[i] / Σ weights`.
    pub fn new(weights: &[u64]) -> Weighted {
        let n = weights.len();
        assert!(
            n > 0 && n < u32::MAX as usize,
            "a weighted table needs 1..2³² entries"
        );
        let total: u128 = weights.iter().map(|&w| u128::from(w)).sum();
        assert!(total > 0, "a weighted table needs a positive weight");
        // Scale so that the average column holds exactly 2³²: scaled[i] = w·n·2³² / total.
        const ONE: u128 = 1 << 32;
        let mut scaled: Vec<u128> = weights
            .iter()
            .map(|&w| u128::from(w) * n as u128 * ONE / total)
            .collect();
        // Rounding down leaves a deficit; give it to the largest weights, one unit each.
        let deficit = n as u128 * ONE - scaled.iter().sum::<u128>();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| weights[b].cmp(&weights[a]).then(a.cmp(&b)));
        for &i in order.iter().cycle().take(deficit as usize) {
            scaled[i] += 1;
        }
        let mut keep = vec![ONE as u64; n];
        let mut alias: Vec<u32> = (0..n as u32).collect();
        let (mut small, mut large): (Vec<usize>, Vec<usize>) =
            (0..n).partition(|&i| scaled[i] < ONE);
        while let (Some(s), Some(&l)) = (small.pop(), large.last()) {
            keep[s] = scaled[s] as u64;
            alias[s] = l as u32;
            scaled[l] -= ONE - scaled[s];
            if scaled[l] < ONE {
                large.pop();
                small.push(l);
            }
        }
        // Whatever is left holds exactly one column's worth (up to the rounding spread above).
        for i in small.into_iter().chain(large) {
            keep[i] = ONE as u64;
        }
        Weighted { keep, alias }
    }

    /// Draws an index.
    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> usize {
        let r = rng.next_u64();
        let col = (((r >> 32) * self.keep.len() as u64) >> 32) as usize;
        if (r & 0xFFFF_FFFF) < self.keep[col] {
            col
        } else {
            self.alias[col] as usize
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| Rng::new(7, 0).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(Rng::new(7, 0).next_u64(), Rng::new(7, 1).next_u64());
        assert_ne!(Rng::new(7, 0).next_u64(), Rng::new(8, 0).next_u64());
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut rng = Rng::new(1, 2);
        let mut seen = [0u32; 7];
        for _ in 0..70_000 {
            seen[rng.below(7) as usize] += 1;
        }
        assert!(
            seen.iter().all(|&c| (9_000..11_000).contains(&c)),
            "{seen:?}"
        );
    }

    #[test]
    fn weighted_draws_follow_the_weights() {
        let w = Weighted::new(&[1, 0, 3, 6]);
        let mut rng = Rng::new(3, 4);
        let mut seen = [0u32; 4];
        for _ in 0..100_000 {
            seen[w.sample(&mut rng)] += 1;
        }
        assert_eq!(seen[1], 0, "a zero weight is never drawn");
        for (count, expected) in [(seen[0], 10_000), (seen[2], 30_000), (seen[3], 60_000)] {
            assert!(count.abs_diff(expected) < 1_000, "{seen:?}");
        }
        let one = Weighted::new(&[5]);
        assert_eq!(one.sample(&mut rng), 0);
    }
}

//! Age and sex distributions: Japan's 2020 population pyramid and the younger profile of its
//! foreign residents.
//!
//! Japanese residents: population by five-year age group from the 2020 Census (令和2年国勢調査,
//! 不詳補完値), rounded to thousands, approximately as published by the Statistics Bureau; within
//! a group every single year gets the same share (the approximation), and 100+ tapers off over
//! 100–105. Male share per group: approximate, from the same census (more boys at birth, parity
//! in the late fifties, about 1 man to 3 women past ninety); overall 48.6% male.
//!
//! Foreign residents: an approximate profile from the Immigration Services Agency's statistics
//! on foreign residents (在留外国人統計, 2023): most are 20–39, few are old.

use crate::rng::Rng;

/// The highest age generated.
pub const AGE_MAX: u32 = 105;

/// Population by five-year group (thousands): 0–4, 5–9, …, 95–99, 100+.
const JAPAN_2020_THOUSANDS: [u32; GROUPS] = [
    4_541, 5_114, 5_376, 5_706, 6_320, 6_384, 6_714, 7_498, 8_476, 9_868, 8_738, 7_940, 7_442,
    8_236, 9_189, 7_065, 5_404, 3_742, 1_853, 490, 80,
];

/// Male share per five-year group, per mille.
const JAPAN_2020_MALE_PER_MILLE: [u32; GROUPS] = [
    512, 512, 512, 513, 512, 511, 509, 507, 506, 505, 502, 499, 494, 487, 471, 452, 418, 362, 278,
    190, 120,
];

/// Foreign residents by five-year group, per ten thousand (approximate; see the module note).
const FOREIGN_PER_10K: [u32; GROUPS] = [
    300, 280, 260, 350, 1_550, 1_750, 1_250, 950, 750, 650, 550, 400, 300, 220, 180, 130, 80, 40,
    15, 4, 1,
];

/// Male share of foreign residents per group, per mille (close to even; older women outnumber).
const FOREIGN_MALE_PER_MILLE: [u32; GROUPS] = [
    512, 512, 512, 512, 520, 515, 505, 495, 490, 485, 480, 470, 460, 450, 440, 420, 400, 360, 300,
    250, 200,
];

/// Five-year groups: 0–4, 5–9, …, 95–99, 100+.
pub const GROUPS: usize = 21;

/// The group of an age.
pub fn group(age: u32) -> usize {
    (age as usize / 5).min(GROUPS - 1)
}

/// A distribution over single years of age 0..=AGE_MAX, with the male share of each age.
///
/// It holds two things: the *target* (the population's shares by group) and the *sampling
/// weights* the generator draws ages from. They start equal; [`AgeTable::refit`] then moves
/// the weights so that the ages of whole households, once drawn, match the target (households
/// bend the shape: every child needs parents at least 16 years older).
#[derive(Clone, Debug)]
pub struct AgeTable {
    weights: [u64; AGE_MAX as usize + 1],
    /// `cum[a]` = Σ weights of ages below `a`; `cum[AGE_MAX + 1]` is the total.
    cum: [u64; AGE_MAX as usize + 2],
    male_per_mille: [u32; AGE_MAX as usize + 1],
    target: [u64; GROUPS],
}

impl AgeTable {
    fn from_groups(groups: &[u32; GROUPS], male: &[u32; GROUPS]) -> AgeTable {
        let mut weights = [0u64; AGE_MAX as usize + 1];
        let mut male_per_mille = [0u32; AGE_MAX as usize + 1];
        // 100+ spreads over 100..=105 with weights 6,5,4,3,2,1 (of 21).
        const TAIL: [u64; 6] = [6, 5, 4, 3, 2, 1];
        for age in 0..=AGE_MAX as usize {
            let g = group(age as u32);
            // Units of 1/(5·21) of a group, ×2¹⁶ to leave room for refitting.
            weights[age] = if g < GROUPS - 1 {
                (u64::from(groups[g]) * 21) << 16
            } else {
                (u64::from(groups[g]) * 5 * TAIL[age - 100]) << 16
            };
            male_per_mille[age] = male[g];
        }
        let mut t = AgeTable {
            weights,
            cum: [0; AGE_MAX as usize + 2],
            male_per_mille,
            target: groups.map(u64::from),
        };
        t.accumulate();
        t
    }

    fn accumulate(&mut self) {
        for age in 0..=AGE_MAX as usize {
            self.cum[age + 1] = self.cum[age] + self.weights[age];
        }
    }

    /// Japanese nationals: the 2020 census pyramid.
    pub fn japan() -> AgeTable {
        Self::from_groups(&JAPAN_2020_THOUSANDS, &JAPAN_2020_MALE_PER_MILLE)
    }

    /// Foreign residents: younger.
    pub fn foreign() -> AgeTable {
        Self::from_groups(&FOREIGN_PER_10K, &FOREIGN_MALE_PER_MILLE)
    }

    /// The target male share of group `g`, per mille.
    pub fn target_male_per_mille(&self, g: usize) -> u32 {
        self.male_per_mille[(g * 5).min(AGE_MAX as usize)]
    }

    /// One round of iterative proportional fitting: `observed` counts people by group in
    /// households drawn with the current weights; each group's weights are scaled by
    /// target share / observed share (at most ×4 or ÷4 per round). Integer arithmetic only,
    /// so every platform fits the same table.
    pub fn refit(&mut self, observed: &[u64; GROUPS]) {
        let target_total: u128 = self.target.iter().map(|&t| u128::from(t)).sum();
        let observed_total: u128 = observed.iter().map(|&o| u128::from(o)).sum();
        if observed_total == 0 {
            return;
        }
        for age in 0..=AGE_MAX as usize {
            let g = group(age as u32);
            let want = u128::from(self.target[g]) * observed_total;
            let got = (u128::from(observed[g]) * target_total).max(1);
            let w = u128::from(self.weights[age]);
            let scaled = (w * want / got).clamp(w / 4, w * 4).max(1);
            self.weights[age] = scaled.min(1 << 50) as u64;
        }
        self.accumulate();
    }

    /// The share of ages `lo..=hi` in the sampling weights, in parts per million.
    #[cfg(test)]
    pub fn share_ppm(&self, lo: u32, hi: u32) -> u64 {
        let hi = hi.min(AGE_MAX) as usize;
        ((u128::from(self.cum[hi + 1] - self.cum[lo as usize]) * 1_000_000)
            / u128::from(self.cum[AGE_MAX as usize + 1])) as u64
    }

    /// An age drawn from the sampling weights restricted to `lo..=hi` (clamped to 0..=AGE_MAX).
    #[inline]
    pub fn sample(&self, rng: &mut Rng, lo: u32, hi: u32) -> u32 {
        let hi = hi.min(AGE_MAX);
        let lo = lo.min(hi);
        let base = self.cum[lo as usize];
        let span = self.cum[hi as usize + 1] - base;
        let r = base + ((u128::from(rng.next_u64() >> 32) * u128::from(span)) >> 32) as u64;
        // The first age whose cumulative upper bound exceeds r.
        let upper = &self.cum[lo as usize + 1..=hi as usize + 1];
        lo + upper.partition_point(|&c| c <= r) as u32
    }

    /// Male share at `age`, per mille.
    pub fn male_per_mille(&self, age: u32) -> u32 {
        self.male_per_mille[age.min(AGE_MAX) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_census_table_has_its_headline_shares() {
        let t = AgeTable::japan();
        // 2020: 11.9% under 15, 28.6% aged 65 and over.
        assert!(
            t.share_ppm(0, 14).abs_diff(119_000) < 2_000,
            "{}",
            t.share_ppm(0, 14)
        );
        assert!(
            t.share_ppm(65, AGE_MAX).abs_diff(286_000) < 2_000,
            "{}",
            t.share_ppm(65, AGE_MAX)
        );
        let male: u64 = (0..=AGE_MAX)
            .map(|a| t.share_ppm(a, a) * u64::from(t.male_per_mille(a)))
            .sum::<u64>()
            / 1_000;
        assert!(male.abs_diff(486_000) < 3_000, "male share {male} ppm");
    }

    #[test]
    fn restricted_samples_stay_in_range() {
        let t = AgeTable::japan();
        let mut rng = Rng::new(1, 1);
        for (lo, hi) in [(0, 0), (18, 34), (65, 200), (100, 105), (30, 30)] {
            for _ in 0..1_000 {
                let a = t.sample(&mut rng, lo, hi);
                assert!(
                    a >= lo.min(AGE_MAX) && a <= hi.min(AGE_MAX),
                    "{a} not in {lo}..={hi}"
                );
            }
        }
    }
}

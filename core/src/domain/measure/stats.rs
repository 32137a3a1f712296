//! The few statistics the KPIs use, each defined once.

/// The middle value of a sample (the mean of the two middle values when their number is even).
pub fn median(values: &mut [i64]) -> Option<i64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    values.sort_unstable();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2
    })
}

/// The `p`-th percentile by nearest rank: the smallest value at least `p` % of the sample is at
/// or below.
pub fn percentile(values: &mut [i64], p: u32) -> Option<i64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let rank = (n * p as usize).div_ceil(100).clamp(1, n);
    values.sort_unstable();
    Some(values[rank - 1])
}

/// A share: how many of how many.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Ratio {
    pub hits: usize,
    pub of: usize,
}

impl Ratio {
    pub fn count(&mut self, hit: bool) {
        self.of += 1;
        self.hits += usize::from(hit);
    }

    /// In percent, when there is anything to divide by.
    pub fn percent(self) -> Option<f64> {
        (self.of > 0).then(|| self.hits as f64 * 100.0 / self.of as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_percentiles_by_hand() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5, 1, 3]), Some(3));
        assert_eq!(median(&mut [4, 1, 3, 2]), Some(2)); // (2 + 3) / 2, in whole milliseconds
        let mut ten: Vec<i64> = (1..=10).rev().collect();
        assert_eq!(percentile(&mut ten, 90), Some(9));
        assert_eq!(percentile(&mut ten, 100), Some(10));
        assert_eq!(percentile(&mut [7], 90), Some(7));
        let mut eleven: Vec<i64> = (1..=11).collect();
        assert_eq!(percentile(&mut eleven, 90), Some(10)); // rank ceil(9.9) = 10
    }

    #[test]
    fn ratios_count_hits_of_all() {
        let mut r = Ratio::default();
        assert_eq!(r.percent(), None);
        r.count(true);
        r.count(false);
        r.count(true);
        r.count(true);
        assert_eq!((r.hits, r.of, r.percent()), (3, 4, Some(75.0)));
    }
}

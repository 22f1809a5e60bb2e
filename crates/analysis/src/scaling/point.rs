//! One measured point of an escape-time scaling: a target at one input dimension N, with the
//! escape step of every seed, and its order statistics (censored runs count as +infinity).

/// The runs of one target at one input dimension.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalingPoint {
    /// The target's name, e.g. "he3".
    pub target: String,
    /// Information exponent k of the target (the degree of its lowest Hermite term).
    pub information_exponent: u32,
    /// Input dimension N.
    pub n: usize,
    /// Learning rate used (after the Hermite rule).
    pub learning_rate: f64,
    /// Step budget; runs that have not escaped by then are censored.
    pub max_steps: usize,
    /// Prescribed initial overlap m0, if the runs start at one.
    pub initial_overlap: Option<f64>,
    /// Escape step of every seed, `None` when censored.
    pub escape_steps: Vec<Option<usize>>,
}

impl ScalingPoint {
    /// Number of seeds.
    pub fn seeds(&self) -> usize {
        self.escape_steps.len()
    }

    /// Number of seeds that escaped within the budget.
    pub fn escaped(&self) -> usize {
        self.escape_steps.iter().flatten().count()
    }

    /// The median escape step; `None` when it is censored (half the seeds or more did not escape).
    pub fn median(&self) -> Option<f64> {
        self.quantile(0.5)
    }

    /// The `q`-quantile of the escape steps (linear interpolation between order statistics,
    /// censored runs last, as +infinity); `None` when it touches a censored run or there are
    /// no seeds.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        censored_quantile(&self.escape_steps, q)
    }
}

/// The `q`-quantile (q in [0, 1]) of escape steps where `None` stands for +infinity: the
/// interpolation `x[h] + (h - floor h) (x[h + 1] - x[h])` at `h = (n - 1) q` between the sorted
/// values, `None` when a value it needs is infinite.
pub fn censored_quantile(steps: &[Option<usize>], q: f64) -> Option<f64> {
    if steps.is_empty() || !(0.0..=1.0).contains(&q) {
        return None;
    }
    let mut sorted: Vec<usize> = steps.iter().flatten().copied().collect();
    sorted.sort_unstable();
    let h = (steps.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let weight = h - lo as f64;
    let low = *sorted.get(lo)? as f64;
    if weight == 0.0 {
        return Some(low);
    }
    let high = *sorted.get(lo + 1)? as f64;
    Some(low + weight * (high - low))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::escape::median_escape;

    #[test]
    fn quantiles_of_uncensored_steps_interpolate() {
        let steps = [Some(40), Some(10), Some(30), Some(20)];
        assert_eq!(censored_quantile(&steps, 0.0), Some(10.0));
        assert_eq!(censored_quantile(&steps, 0.25), Some(17.5));
        assert_eq!(censored_quantile(&steps, 0.5), Some(25.0));
        assert_eq!(censored_quantile(&steps, 1.0), Some(40.0));
        assert_eq!(censored_quantile(&steps, 1.5), None);
        assert_eq!(censored_quantile(&[], 0.5), None);
    }

    #[test]
    fn censored_runs_count_as_infinity() {
        let steps = [Some(10), None, Some(30), Some(20), None];
        assert_eq!(censored_quantile(&steps, 0.25), Some(20.0));
        assert_eq!(censored_quantile(&steps, 0.5), Some(30.0));
        // h = 3: the fourth value is censored.
        assert_eq!(censored_quantile(&steps, 0.75), None);
        // h = 2.2 needs the censored fourth value.
        assert_eq!(censored_quantile(&steps, 0.55), None);
    }

    #[test]
    fn the_median_agrees_with_the_escape_median() {
        let cases: [&[Option<usize>]; 4] = [
            &[Some(5), Some(1), Some(9)],
            &[Some(5), None, Some(9), Some(2)],
            &[None, None, Some(9), Some(2)],
            &[Some(7), None, None],
        ];
        for steps in cases {
            let point = ScalingPoint {
                target: "he1".into(),
                information_exponent: 1,
                n: 16,
                learning_rate: 0.1,
                max_steps: 100,
                initial_overlap: None,
                escape_steps: steps.to_vec(),
            };
            assert_eq!(point.median(), median_escape(steps), "{steps:?}");
            assert_eq!(point.escaped(), steps.iter().flatten().count());
        }
    }
}

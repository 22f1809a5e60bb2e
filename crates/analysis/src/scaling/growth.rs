//! The growth of the median escape step with N, per target: a power law with its standard
//! error and the fixed laws (`N`, `N ln N`, `N^2`, and the known law `N^(k-1)` for k >= 4),
//! fitted over the dimensions whose median is not censored.

use goldilocks_theory::GrowthLaw;

use crate::error::AnalysisError;
use crate::scaling::fit::{
    effective_exponent, fit_fixed_law, fit_power_law, FixedLawFit, PowerLawFit,
};
use crate::scaling::point::ScalingPoint;

/// A fixed law with its fitted constant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LawFit {
    /// The law `g(N)`.
    pub law: GrowthLaw,
    /// `T = c g(N)` fitted by its constant.
    pub fit: FixedLawFit,
}

/// The fits of one target.
#[derive(Debug, Clone, PartialEq)]
pub struct GrowthFit {
    /// The target's name.
    pub target: String,
    /// Its information exponent k.
    pub information_exponent: u32,
    /// Dimensions whose median escape step is known, used in the fits, ascending.
    pub fitted_sizes: Vec<usize>,
    /// Dimensions left out because their median is censored, ascending.
    pub censored_sizes: Vec<usize>,
    /// The power law `c N^a`; `None` with fewer than two fitted dimensions.
    pub power: Option<PowerLawFit>,
    /// The fixed laws of [`GrowthLaw::compared`]; empty with fewer than two fitted dimensions.
    pub laws: Vec<LawFit>,
    /// The known online-SGD law of the target.
    pub known: GrowthLaw,
    /// The log-log slope of the known law over the fitted dimensions; `None` without a fit.
    pub known_exponent: Option<f64>,
}

impl GrowthFit {
    /// How many standard errors the fitted exponent lies from the known law's slope; `None`
    /// without a fit or a standard error (two dimensions only).
    pub fn distance_in_errors(&self) -> Option<f64> {
        let power = self.power?;
        let distance = (power.exponent - self.known_exponent?).abs() / power.exponent_error;
        distance.is_finite().then_some(distance)
    }

    /// The fixed law with the smallest rms of `ln T` residuals.
    pub fn best_law(&self) -> Option<LawFit> {
        self.laws.iter().copied().min_by(|a, b| a.fit.log_rms.total_cmp(&b.fit.log_rms))
    }

    /// The fitted constant of the known law.
    pub fn known_fit(&self) -> Option<LawFit> {
        self.laws.iter().copied().find(|l| l.law == self.known)
    }
}

/// Fits the median escape step of every target (in order of first appearance) against N.
/// Errors when the points of one target disagree on its information exponent or repeat a
/// dimension.
pub fn fit_growth(points: &[ScalingPoint]) -> Result<Vec<GrowthFit>, AnalysisError> {
    let mut targets: Vec<&str> = Vec::new();
    for point in points {
        if !targets.contains(&point.target.as_str()) {
            targets.push(&point.target);
        }
    }
    targets.iter().map(|&target| fit_target(target, points)).collect()
}

fn fit_target(target: &str, points: &[ScalingPoint]) -> Result<GrowthFit, AnalysisError> {
    let mut mine: Vec<&ScalingPoint> = points.iter().filter(|p| p.target == target).collect();
    mine.sort_by_key(|p| p.n);
    let information_exponent = mine[0].information_exponent;
    if mine.iter().any(|p| p.information_exponent != information_exponent) {
        return Err(AnalysisError::InvalidParameter {
            field: "points",
            reason: format!("the points of target {target} disagree on its information exponent"),
        });
    }
    if mine.windows(2).any(|w| w[0].n == w[1].n) {
        return Err(AnalysisError::InvalidParameter {
            field: "points",
            reason: format!("target {target} has two points at one N"),
        });
    }
    let mut measured: Vec<(f64, f64)> = Vec::new();
    let (mut fitted_sizes, mut censored_sizes) = (Vec::new(), Vec::new());
    for point in &mine {
        match point.median() {
            Some(median) if median > 0.0 => {
                measured.push((point.n as f64, median));
                fitted_sizes.push(point.n);
            }
            _ => censored_sizes.push(point.n),
        }
    }
    let known = GrowthLaw::known(information_exponent);
    let mut fit = GrowthFit {
        target: target.to_string(),
        information_exponent,
        fitted_sizes,
        censored_sizes,
        power: None,
        laws: Vec::new(),
        known,
        known_exponent: None,
    };
    if measured.len() < 2 {
        return Ok(fit);
    }
    let (n, times): (Vec<f64>, Vec<f64>) = measured.into_iter().unzip();
    fit.power = Some(fit_power_law(&n, &times)?);
    for law in GrowthLaw::compared(information_exponent) {
        fit.laws.push(LawFit { law, fit: fit_fixed_law(&n, &times, &|x| law.value(x))? });
    }
    fit.known_exponent = Some(effective_exponent(known, &n)?);
    Ok(fit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use goldilocks_theory::rng::SplitMix64;

    /// Five seeds per point whose escape steps scatter by a factor e^{+-0.1} around `c g(N)`.
    fn points(
        target: &str,
        k: u32,
        sizes: &[usize],
        truth: &dyn Fn(f64) -> f64,
        rng: &mut SplitMix64,
    ) -> Vec<ScalingPoint> {
        sizes
            .iter()
            .map(|&n| ScalingPoint {
                target: target.into(),
                information_exponent: k,
                n,
                learning_rate: 0.1,
                max_steps: usize::MAX,
                initial_overlap: None,
                escape_steps: (0..5)
                    .map(|_| {
                        let eps = 0.2 * ((rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 - 0.5);
                        Some((truth(n as f64) * eps.exp()).round() as usize)
                    })
                    .collect(),
            })
            .collect()
    }

    #[test]
    fn recovers_the_exponent_of_synthetic_targets_and_prefers_their_law() {
        let mut rng = SplitMix64::new(11);
        let sizes = [16, 32, 64, 128, 256, 512];
        let mut all = points("he3", 3, &sizes, &|n| 20.0 * n * n, &mut rng);
        all.extend(points("he1", 1, &sizes, &|n| 1.5 * n, &mut rng));
        let fits = fit_growth(&all).unwrap();
        assert_eq!(fits.len(), 2);
        let (he3, he1) = (&fits[0], &fits[1]);
        assert_eq!(he3.target, "he3");
        assert_eq!(he3.fitted_sizes, sizes);
        let power = he3.power.unwrap();
        assert!(
            (power.exponent - 2.0).abs() < 3.0 * power.exponent_error
                && power.exponent_error < 0.05,
            "{power:?}"
        );
        assert!((power.prefactor / 20.0 - 1.0).abs() < 0.3, "{power:?}");
        assert_eq!(he3.known, GrowthLaw::Power(2.0));
        assert_eq!(he3.best_law().unwrap().law, GrowthLaw::Power(2.0));
        assert!(he3.distance_in_errors().unwrap() < 3.0);
        assert!((he3.known_fit().unwrap().fit.constant / 20.0 - 1.0).abs() < 0.1);
        let power = he1.power.unwrap();
        assert!((power.exponent - 1.0).abs() < 3.0 * power.exponent_error, "{power:?}");
        assert_eq!(he1.best_law().unwrap().law, GrowthLaw::Power(1.0));
    }

    #[test]
    fn a_wrong_law_is_many_errors_away() {
        let mut rng = SplitMix64::new(3);
        // N^2.5 data on a target whose known law is N^2.
        let all = points("he3", 3, &[16, 32, 64, 128, 256], &|n| n.powf(2.5), &mut rng);
        let fit = &fit_growth(&all).unwrap()[0];
        assert!(fit.distance_in_errors().unwrap() > 5.0, "{fit:?}");
    }

    #[test]
    fn censored_medians_are_left_out_of_the_fit() {
        let mut rng = SplitMix64::new(5);
        let mut all = points("he2", 2, &[64, 128, 256], &|n| n * n.ln(), &mut rng);
        all[1].escape_steps = vec![Some(10), None, None, None, Some(20)];
        let fit = &fit_growth(&all).unwrap()[0];
        assert_eq!(
            (fit.fitted_sizes.clone(), fit.censored_sizes.clone()),
            (vec![64, 256], vec![128])
        );
        assert!(fit.power.unwrap().exponent_error.is_nan());
        assert_eq!(fit.distance_in_errors(), None);
        all[2].escape_steps = vec![None; 5];
        let fit = &fit_growth(&all).unwrap()[0];
        assert!(fit.power.is_none() && fit.laws.is_empty() && fit.known_exponent.is_none());
        assert_eq!(fit.known, GrowthLaw::NLogN);
    }

    #[test]
    fn inconsistent_points_are_refused() {
        let mut rng = SplitMix64::new(1);
        let mut all = points("he2", 2, &[64, 128], &|n| n, &mut rng);
        all[1].information_exponent = 3;
        assert!(fit_growth(&all).is_err());
        all[1].information_exponent = 2;
        all[1].n = 64;
        assert!(fit_growth(&all).is_err());
    }
}

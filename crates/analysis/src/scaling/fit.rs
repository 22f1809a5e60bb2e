//! How a measured time grows with the input dimension N: a power law `T = c N^a` fitted by
//! least squares on `(ln N, ln T)`, and fixed laws `T = c g(N)` (such as `N ln N`) fitted by
//! their one free constant, to set a measurement beside the known online-SGD laws
//! (order `N` for information exponent 1, `N ln N` for 2, `N^(k-1)` for `k >= 3`), and the
//! exponent a power-law fit finds for such a law itself.

use goldilocks_theory::GrowthLaw;

use crate::error::AnalysisError;

/// A fitted power law `T = c N^a`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PowerLawFit {
    /// The exponent `a`.
    pub exponent: f64,
    /// Standard error of `a` from the residuals (NaN with only two points).
    pub exponent_error: f64,
    /// The prefactor `c`.
    pub prefactor: f64,
    /// Root mean square of the residuals of `ln T`.
    pub log_rms: f64,
}

/// A fixed law `T = c g(N)` with its fitted constant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FixedLawFit {
    /// The constant `c = exp(mean(ln T - ln g(N)))`, the least-squares fit in logs.
    pub constant: f64,
    /// Root mean square of the residuals of `ln T`.
    pub log_rms: f64,
}

fn check(n: &[f64], times: &[f64], least: usize) -> Result<(), AnalysisError> {
    if n.len() != times.len() {
        return Err(AnalysisError::InvalidParameter {
            field: "times",
            reason: format!("{} times for {} dimensions", times.len(), n.len()),
        });
    }
    if n.len() < least {
        return Err(AnalysisError::InvalidParameter {
            field: "n",
            reason: format!("need at least {least} points, got {}", n.len()),
        });
    }
    if let Some(bad) = n.iter().find(|&&x| !(x.is_finite() && x > 1.0)) {
        return Err(AnalysisError::InvalidParameter {
            field: "n",
            reason: format!("dimensions must be finite and above 1, got {bad}"),
        });
    }
    if let Some(bad) = times.iter().find(|&&x| !(x.is_finite() && x > 0.0)) {
        return Err(AnalysisError::InvalidParameter {
            field: "times",
            reason: format!("times must be finite and positive, got {bad}"),
        });
    }
    let first = n[0];
    if n.iter().all(|&x| x == first) {
        return Err(AnalysisError::InvalidParameter {
            field: "n",
            reason: "needs at least two distinct dimensions".into(),
        });
    }
    Ok(())
}

/// Least-squares fit of `ln T = ln c + a ln N`. Errors name the field at fault (fewer than two
/// points, one dimension only, lengths that differ, non-positive values).
pub fn fit_power_law(n: &[f64], times: &[f64]) -> Result<PowerLawFit, AnalysisError> {
    check(n, times, 2)?;
    let x: Vec<f64> = n.iter().map(|v| v.ln()).collect();
    let y: Vec<f64> = times.iter().map(|v| v.ln()).collect();
    let count = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / count, y.iter().sum::<f64>() / count);
    let sxx: f64 = x.iter().map(|v| (v - mx).powi(2)).sum();
    let sxy: f64 = x.iter().zip(&y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let exponent = sxy / sxx;
    let intercept = my - exponent * mx;
    let residuals: Vec<f64> = x.iter().zip(&y).map(|(a, b)| b - intercept - exponent * a).collect();
    let ss: f64 = residuals.iter().map(|r| r * r).sum();
    let exponent_error = if x.len() > 2 { (ss / (count - 2.0) / sxx).sqrt() } else { f64::NAN };
    Ok(PowerLawFit {
        exponent,
        exponent_error,
        prefactor: intercept.exp(),
        log_rms: (ss / count).sqrt(),
    })
}

/// Fit of `T = c g(N)` for a fixed law `g` (for instance `N ln N`) by its constant, in logs.
pub fn fit_fixed_law(
    n: &[f64],
    times: &[f64],
    law: &dyn Fn(f64) -> f64,
) -> Result<FixedLawFit, AnalysisError> {
    check(n, times, 1)?;
    let logs: Vec<f64> = n.iter().zip(times).map(|(&x, &t)| t.ln() - law(x).ln()).collect();
    if logs.iter().any(|v| !v.is_finite()) {
        return Err(AnalysisError::InvalidParameter {
            field: "law",
            reason: "the law must be positive at every dimension".into(),
        });
    }
    let mean = logs.iter().sum::<f64>() / logs.len() as f64;
    let rms = (logs.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / logs.len() as f64).sqrt();
    Ok(FixedLawFit { constant: mean.exp(), log_rms: rms })
}

/// The log-log slope of `law` fitted over the dimensions `n` (for `N^p`, p itself; for
/// `N ln N`, a little above 1): the exponent a power-law fit of exact data would find.
pub fn effective_exponent(law: GrowthLaw, n: &[f64]) -> Result<f64, AnalysisError> {
    let values: Vec<f64> = n.iter().map(|&x| law.value(x)).collect();
    Ok(fit_power_law(n, &values)?.exponent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use goldilocks_theory::rng::SplitMix64;

    /// Synthetic times `T = 3 N^1.7 e^{eps}`, eps uniform in [-0.05, 0.05] from a fixed seed:
    /// the fit recovers the exponent within three of its standard errors, and the error is small.
    #[test]
    fn recovers_a_known_exponent_from_noisy_data() {
        let mut rng = SplitMix64::new(7);
        let n: Vec<f64> = [64.0, 128.0, 256.0, 512.0, 1024.0, 2048.0].to_vec();
        let times: Vec<f64> = n
            .iter()
            .map(|&x| {
                let eps = 0.1 * ((rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 - 0.5);
                3.0 * x.powf(1.7) * eps.exp()
            })
            .collect();
        let fit = fit_power_law(&n, &times).unwrap();
        assert!((fit.exponent - 1.7).abs() < 3.0 * fit.exponent_error, "{fit:?}");
        assert!(fit.exponent_error < 0.03, "{fit:?}");
        assert!(fit.log_rms < 0.05);
    }

    #[test]
    fn exact_power_law_and_n_log_n() {
        let n = [100.0, 1000.0, 10000.0];
        let fit = fit_power_law(&n, &n.map(|x| 0.5 * x * x)).unwrap();
        assert!(
            (fit.exponent - 2.0).abs() < 1e-12
                && (fit.prefactor - 0.5).abs() < 1e-10
                && fit.log_rms < 1e-12
        );
        let n_log_n = |x: f64| x * x.ln();
        let times = n.map(|x| 4.0 * n_log_n(x));
        let fixed = fit_fixed_law(&n, &times, &n_log_n).unwrap();
        assert!((fixed.constant - 4.0).abs() < 1e-10 && fixed.log_rms < 1e-12);
        // N ln N data under a pure power law: an exponent a little above 1, not a perfect fit.
        let power = fit_power_law(&n, &times).unwrap();
        assert!(power.exponent > 1.05 && power.exponent < 1.2 && power.log_rms > 1e-3, "{power:?}");
        // And under the linear law the N ln N data leave a visible residual.
        assert!(fit_fixed_law(&n, &times, &|x| x).unwrap().log_rms > 0.1);
    }

    #[test]
    fn bad_input_names_the_field() {
        let cases = [
            (fit_power_law(&[100.0], &[1.0]).unwrap_err(), "n"),
            (fit_power_law(&[100.0, 100.0], &[1.0, 2.0]).unwrap_err(), "n"),
            (fit_power_law(&[100.0, 200.0], &[1.0]).unwrap_err(), "times"),
            (fit_power_law(&[100.0, 200.0], &[1.0, 0.0]).unwrap_err(), "times"),
            (fit_fixed_law(&[100.0, 200.0], &[1.0, 2.0], &|_| 0.0).unwrap_err(), "law"),
        ];
        for (error, field) in cases {
            assert!(
                matches!(error, AnalysisError::InvalidParameter { field: f, .. } if f == field),
                "{error}"
            );
        }
    }

    #[test]
    fn effective_exponents() {
        let n = [128.0, 256.0, 512.0, 1024.0];
        assert!((effective_exponent(GrowthLaw::Power(2.0), &n).unwrap() - 2.0).abs() < 1e-12);
        // N ln N over 128..1024: slope 1 + 1 / ln N at the geometric middle, about 1.17.
        let slope = effective_exponent(GrowthLaw::NLogN, &n).unwrap();
        assert!((slope - (1.0 + 1.0 / 362.0f64.ln())).abs() < 0.01, "{slope}");
    }
}

//! Globally adaptive Gauss-Kronrod (7-15) quadrature on a finite interval, for integrands
//! that are smooth only piecewise (relu, sign and their derivatives).
//!
//! The interval is first cut at caller-given breakpoints (put every kink or jump on one),
//! then the segment with the largest error estimate `|K15 - G7|` is bisected until the
//! summed estimate drops below `max(abs_tol, rel_tol * integral of |f|)` or the segment
//! budget is spent. Measuring the relative tolerance against `integral of |f|` rather than
//! `|integral of f|` keeps integrals that cancel to zero (odd integrands) from refining
//! forever. This is QUADPACK's QAG strategy with a plainer error estimate.

/// Tolerances and budget of [`integrate_adaptive`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdaptiveOptions {
    /// Absolute error target.
    pub abs_tol: f64,
    /// Error target relative to the integral of `|f|`.
    pub rel_tol: f64,
    /// Largest number of segments before giving up (the best estimate is still returned).
    pub max_segments: usize,
}

impl Default for AdaptiveOptions {
    fn default() -> Self {
        Self { abs_tol: 0.0, rel_tol: 1e-13, max_segments: 4000 }
    }
}

/// Result of [`integrate_adaptive`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Integral {
    /// The estimate of the integral (sum of the Kronrod estimates).
    pub value: f64,
    /// Summed `|K15 - G7|` error estimate (pessimistic: it bounds the Gauss error).
    pub error: f64,
    /// Kronrod estimate of the integral of `|f|`, the scale of the relative tolerance.
    pub abs_value: f64,
    /// Number of segments used.
    pub segments: usize,
    /// Whether the tolerance was met within the segment budget.
    pub converged: bool,
}

/// Positive Kronrod abscissae on `[-1, 1]` (the odd-indexed ones are the Gauss nodes), 0 last.
#[allow(clippy::excessive_precision)] // QUADPACK's published digits, kept verbatim.
pub(crate) const XGK: [f64; 8] = [
    0.991_455_371_120_812_639_206_854_697_526_329,
    0.949_107_912_342_758_524_526_189_684_047_851,
    0.864_864_423_359_769_072_789_712_788_640_926,
    0.741_531_185_599_394_439_863_864_773_280_788,
    0.586_087_235_467_691_130_294_144_845_693_013,
    0.405_845_151_377_397_166_906_606_412_076_961,
    0.207_784_955_007_898_467_600_689_403_773_245,
    0.0,
];
/// Kronrod weights for `XGK`.
#[allow(clippy::excessive_precision)] // QUADPACK's published digits, kept verbatim.
pub(crate) const WGK: [f64; 8] = [
    0.022_935_322_010_529_224_963_732_008_058_970,
    0.063_092_092_629_978_553_290_700_663_189_204,
    0.104_790_010_322_250_183_839_876_322_541_518,
    0.140_653_259_715_525_918_745_189_590_510_238,
    0.169_004_726_639_267_902_826_583_426_598_550,
    0.190_350_578_064_785_409_913_256_402_421_014,
    0.204_432_940_075_298_892_414_161_999_234_649,
    0.209_482_141_084_727_828_012_999_174_891_714,
];
/// Gauss weights for `XGK[1], XGK[3], XGK[5], XGK[7]`.
#[allow(clippy::excessive_precision)] // QUADPACK's published digits, kept verbatim.
const WG: [f64; 4] = [
    0.129_484_966_168_869_693_270_611_432_679_082,
    0.279_705_391_489_276_667_901_467_771_423_780,
    0.381_830_050_505_118_944_950_369_775_488_975,
    0.417_959_183_673_469_387_755_102_040_816_327,
];

/// One segment with its estimates.
#[derive(Debug, Clone, Copy)]
struct Segment {
    a: f64,
    b: f64,
    value: f64,
    abs_value: f64,
    error: f64,
}

/// Kronrod 15-point and Gauss 7-point estimates on `[a, b]`.
fn kronrod_segment(f: &dyn Fn(f64) -> f64, a: f64, b: f64) -> Segment {
    let center = 0.5 * (a + b);
    let half = 0.5 * (b - a);
    let fc = f(center);
    let mut kronrod = WGK[7] * fc;
    let mut abs = WGK[7] * fc.abs();
    let mut gauss = WG[3] * fc;
    for j in 0..7 {
        let dx = half * XGK[j];
        let f1 = f(center - dx);
        let f2 = f(center + dx);
        kronrod += WGK[j] * (f1 + f2);
        abs += WGK[j] * (f1.abs() + f2.abs());
        if j % 2 == 1 {
            gauss += WG[j / 2] * (f1 + f2);
        }
    }
    Segment {
        a,
        b,
        value: kronrod * half,
        abs_value: abs * half.abs(),
        error: ((kronrod - gauss) * half).abs(),
    }
}

/// Integral of `f` over `[points[0], points[last]]`, with the interior `points` (sorted
/// increasingly) as initial cuts: put every kink or jump of `f` on one. Panics if fewer
/// than two points are given or they are not increasing.
pub fn integrate_adaptive(
    f: &dyn Fn(f64) -> f64,
    points: &[f64],
    options: &AdaptiveOptions,
) -> Integral {
    assert!(points.len() >= 2, "need at least the two end points");
    assert!(points.windows(2).all(|p| p[0] < p[1]), "points must increase");
    let mut segments: Vec<Segment> =
        points.windows(2).map(|p| kronrod_segment(f, p[0], p[1])).collect();
    loop {
        let value: f64 = segments.iter().map(|s| s.value).sum();
        let abs_value: f64 = segments.iter().map(|s| s.abs_value).sum();
        let error: f64 = segments.iter().map(|s| s.error).sum();
        let target = options.abs_tol.max(options.rel_tol * abs_value);
        let converged = error <= target;
        if converged || segments.len() >= options.max_segments || !error.is_finite() {
            return Integral { value, error, abs_value, segments: segments.len(), converged };
        }
        let (worst, _) =
            segments.iter().enumerate().fold((0, f64::NEG_INFINITY), |best, (i, s)| {
                if s.error > best.1 {
                    (i, s.error)
                } else {
                    best
                }
            });
        let s = segments.swap_remove(worst);
        let mid = 0.5 * (s.a + s.b);
        if mid <= s.a || mid >= s.b {
            // The segment cannot be split any further in floating point.
            return Integral {
                value,
                error,
                abs_value,
                segments: segments.len() + 1,
                converged: false,
            };
        }
        segments.push(kronrod_segment(f, s.a, mid));
        segments.push(kronrod_segment(f, mid, s.b));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_sum_to_interval_length() {
        let kronrod: f64 = 2.0 * WGK[..7].iter().sum::<f64>() + WGK[7];
        let gauss: f64 = 2.0 * WG[..3].iter().sum::<f64>() + WG[3];
        assert!((kronrod - 2.0).abs() < 1e-15);
        assert!((gauss - 2.0).abs() < 1e-15);
    }

    #[test]
    fn polynomials_are_exact_on_one_segment() {
        // Kronrod-15 is exact to degree 22, Gauss-7 to degree 13.
        for d in 0..=22 {
            let s = kronrod_segment(&|x| x.powi(d), 0.0, 1.0);
            assert!((s.value - 1.0 / (d as f64 + 1.0)).abs() < 1e-15, "degree {d}");
        }
    }

    #[test]
    fn gaussian_half_line_and_kinks() {
        let phi = |z: f64| (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let options = AdaptiveOptions::default();
        let half = integrate_adaptive(&phi, &[0.0, 40.0], &options);
        assert!(half.converged);
        assert!((half.value - 0.5).abs() < 1e-14);
        let abs = integrate_adaptive(&|x: f64| x.abs(), &[-1.0, 0.3], &options);
        assert!((abs.value - (0.5 + 0.045)).abs() < 1e-13);
    }

    #[test]
    fn cancelling_integral_terminates() {
        let r = integrate_adaptive(
            &|x: f64| x.powi(3) * (-x * x).exp(),
            &[-10.0, 10.0],
            &AdaptiveOptions::default(),
        );
        assert!(r.converged);
        assert!(r.value.abs() < 1e-15);
    }
}

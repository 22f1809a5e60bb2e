//! The growth laws an escape time is set beside: `N^p` and `N ln N`, and the known
//! online-SGD law of a target of information exponent k (order `N` for k = 1, `N ln N` for
//! k = 2, `N^(k-1)` for k >= 3). Fitting measured times against these laws, and a law's
//! effective exponent over a range of N, is done by the fits of `goldilocks_analysis::scaling`.

use std::fmt;

use crate::format::trimmed;

/// A growth law `g(N)`, defined up to a constant factor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GrowthLaw {
    /// `N^p`.
    Power(f64),
    /// `N ln N`.
    NLogN,
}

impl GrowthLaw {
    /// The known law for a target of information exponent `k >= 1`.
    pub fn known(information_exponent: u32) -> Self {
        match information_exponent {
            0 | 1 => GrowthLaw::Power(1.0),
            2 => GrowthLaw::NLogN,
            k => GrowthLaw::Power(f64::from(k - 1)),
        }
    }

    /// The laws every target is fitted by: `N`, `N ln N`, `N^2`, and the known law of
    /// information exponent `k` when it is none of these.
    pub fn compared(information_exponent: u32) -> Vec<Self> {
        let mut laws = vec![GrowthLaw::Power(1.0), GrowthLaw::NLogN, GrowthLaw::Power(2.0)];
        let known = Self::known(information_exponent);
        if !laws.contains(&known) {
            laws.push(known);
        }
        laws
    }

    /// `g(N)`.
    pub fn value(self, n: f64) -> f64 {
        match self {
            GrowthLaw::Power(p) => n.powf(p),
            GrowthLaw::NLogN => n * n.ln(),
        }
    }
}

impl fmt::Display for GrowthLaw {
    /// `N`, `N^2`, `N^1.5`, `N ln N`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GrowthLaw::Power(p) if *p == 1.0 => write!(f, "N"),
            GrowthLaw::Power(p) => write!(f, "N^{}", trimmed(*p, 3)),
            GrowthLaw::NLogN => write!(f, "N ln N"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_laws_follow_the_information_exponent() {
        assert_eq!(GrowthLaw::known(1), GrowthLaw::Power(1.0));
        assert_eq!(GrowthLaw::known(2), GrowthLaw::NLogN);
        assert_eq!(GrowthLaw::known(3), GrowthLaw::Power(2.0));
        assert_eq!(GrowthLaw::known(5), GrowthLaw::Power(4.0));
        assert_eq!(GrowthLaw::compared(3).len(), 3);
        assert_eq!(
            GrowthLaw::compared(4),
            vec![
                GrowthLaw::Power(1.0),
                GrowthLaw::NLogN,
                GrowthLaw::Power(2.0),
                GrowthLaw::Power(3.0)
            ]
        );
        let names: Vec<String> = GrowthLaw::compared(4).iter().map(|l| l.to_string()).collect();
        assert_eq!(names, ["N", "N ln N", "N^2", "N^3"]);
    }
}

//! Activations of teacher and student, each with its exact derivative.
//!
//! The same activation can be evaluated on burn tensors (training) and on `f64` scalars
//! (theory, tests). Names follow shared conventions: `linear`, `square`, `erf`, `sigmoid`,
//! `relu`, `tanh`, `sign` (teacher only), probabilists' Hermite `he1` ... `he30`, sums
//! `heK+heL` (K < L), and the squares `erf^2`, `relu^2`, `sigmoid^2`, `tanh^2`.
//!
//! ```
//! use goldilocks_model::Activation;
//! let he3: Activation = "he3".parse().unwrap();
//! assert_eq!(he3.value(2.0), 2.0 * 2.0 * 2.0 - 3.0 * 2.0);
//! assert_eq!(he3.derivative(2.0), 3.0 * (2.0 * 2.0 - 1.0));
//! ```

use std::fmt;
use std::str::FromStr;

use burn::tensor::{activation, backend::Backend, Tensor};

use serde::{Deserialize, Serialize};

use crate::ModelError;

/// Highest Hermite degree accepted: He_k is evaluated by its three-term recurrence for any k,
/// but beyond 30 the learning-rate divisor k! k (above 1e33) and the polynomial's values leave
/// the range where f32 training means anything.
pub const MAX_HERMITE_DEGREE: u32 = 30;

/// A scalar activation function applied elementwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Activation {
    /// x
    Linear,
    /// x^2
    Square,
    /// erf(x)
    Erf,
    /// 1 / (1 + e^{-x})
    Sigmoid,
    /// max(x, 0)
    Relu,
    /// tanh(x)
    Tanh,
    /// sign(x); teacher only, since it has no useful derivative.
    Sign,
    /// Probabilists' Hermite polynomial He_k, k in 1..=30.
    Hermite(u32),
    /// He_k + He_l with k < l <= 30.
    HermiteSum(u32, u32),
    /// phi(x)^2 for a bounded or piecewise-linear phi (`erf^2`, `relu^2`, `sigmoid^2`,
    /// `tanh^2`): the paper's squared teachers (`square` is x^2).
    SquareOf(SquaredBase),
}

/// The activations whose square is offered as [`Activation::SquareOf`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SquaredBase {
    /// erf(x)^2
    Erf,
    /// max(x, 0)^2
    Relu,
    /// sigmoid(x)^2
    Sigmoid,
    /// tanh(x)^2
    Tanh,
}

impl SquaredBase {
    /// Every base, for listings and tests.
    pub const ALL: [SquaredBase; 4] =
        [SquaredBase::Erf, SquaredBase::Relu, SquaredBase::Sigmoid, SquaredBase::Tanh];

    /// The activation that is squared.
    pub fn activation(self) -> Activation {
        match self {
            SquaredBase::Erf => Activation::Erf,
            SquaredBase::Relu => Activation::Relu,
            SquaredBase::Sigmoid => Activation::Sigmoid,
            SquaredBase::Tanh => Activation::Tanh,
        }
    }
}

impl Activation {
    /// Every activation with a fixed name, for listings and tests.
    pub const NAMED: [Activation; 7] = [
        Activation::Linear,
        Activation::Square,
        Activation::Erf,
        Activation::Sigmoid,
        Activation::Relu,
        Activation::Tanh,
        Activation::Sign,
    ];

    /// Whether the student may use it (it has a derivative).
    pub fn is_differentiable(self) -> bool {
        self != Activation::Sign
    }

    /// Degree of the top Hermite polynomial, for the learning-rate rule; `None` otherwise.
    pub fn hermite_degree(self) -> Option<u32> {
        match self {
            Activation::Hermite(k) => Some(k),
            Activation::HermiteSum(_, l) => Some(l),
            _ => None,
        }
    }

    /// Whether the function is odd (hence zero-mean under a centred Gaussian).
    pub fn is_odd(self) -> bool {
        match self {
            Activation::Linear | Activation::Erf | Activation::Tanh | Activation::Sign => true,
            Activation::Hermite(k) => k % 2 == 1,
            Activation::HermiteSum(k, l) => k % 2 == 1 && l % 2 == 1,
            Activation::Square
            | Activation::Sigmoid
            | Activation::Relu
            | Activation::SquareOf(_) => false,
        }
    }

    /// The jump `f(0+) - f(0-)` at 0: 2 for sign, 0 for every continuous activation.
    pub fn jump_at_zero(self) -> f64 {
        if self == Activation::Sign {
            2.0
        } else {
            0.0
        }
    }

    /// Whether the function has a kink or jump (at 0), which matters for quadrature.
    pub fn is_smooth(self) -> bool {
        !matches!(
            self,
            Activation::Relu | Activation::Sign | Activation::SquareOf(SquaredBase::Relu)
        )
    }

    /// The readout normalisation c of a width-K layer: sqrt(K) for odd activations, K otherwise.
    pub fn readout_scale(self, width: usize) -> f64 {
        if self.is_odd() {
            (width as f64).sqrt()
        } else {
            width as f64
        }
    }

    /// The learning-rate divisor of the Hermite rule: k! * k for top degree k, 1 otherwise.
    pub fn hermite_lr_divisor(self) -> f64 {
        match self.hermite_degree() {
            Some(k) => (1..=k).map(f64::from).product::<f64>() * f64::from(k),
            None => 1.0,
        }
    }

    /// The activation at a scalar.
    pub fn value(self, x: f64) -> f64 {
        match self {
            Activation::Linear => x,
            Activation::Square => x * x,
            Activation::Erf => libm::erf(x),
            Activation::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            Activation::Relu => x.max(0.0),
            Activation::Tanh => x.tanh(),
            Activation::Sign => {
                if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            }
            Activation::Hermite(k) => hermite_scalar(k, x),
            Activation::HermiteSum(k, l) => hermite_scalar(k, x) + hermite_scalar(l, x),
            Activation::SquareOf(base) => base.activation().value(x).powi(2),
        }
    }

    /// The exact derivative at a scalar (0 for `sign` away from 0; relu' (0) = 0).
    pub fn derivative(self, x: f64) -> f64 {
        match self {
            Activation::Linear => 1.0,
            Activation::Square => 2.0 * x,
            Activation::Erf => std::f64::consts::FRAC_2_SQRT_PI * (-x * x).exp(),
            Activation::Sigmoid => {
                let s = 1.0 / (1.0 + (-x).exp());
                s * (1.0 - s)
            }
            Activation::Relu => {
                if x > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::Tanh => 1.0 - x.tanh().powi(2),
            Activation::Sign => 0.0,
            Activation::Hermite(k) => f64::from(k) * hermite_scalar(k - 1, x),
            Activation::HermiteSum(k, l) => {
                f64::from(k) * hermite_scalar(k - 1, x) + f64::from(l) * hermite_scalar(l - 1, x)
            }
            Activation::SquareOf(base) => {
                let base = base.activation();
                2.0 * base.value(x) * base.derivative(x)
            }
        }
    }

    /// The value and the derivative at a scalar, sharing their common work (one
    /// exponential for sigmoid and erf, one tanh): [`Self::value`] and [`Self::derivative`].
    pub fn value_and_derivative(self, x: f64) -> (f64, f64) {
        match self {
            Activation::Erf => (libm::erf(x), std::f64::consts::FRAC_2_SQRT_PI * (-x * x).exp()),
            Activation::Sigmoid => {
                let s = 1.0 / (1.0 + (-x).exp());
                (s, s * (1.0 - s))
            }
            Activation::Tanh => {
                let t = x.tanh();
                (t, 1.0 - t.powi(2))
            }
            _ => (self.value(x), self.derivative(x)),
        }
    }

    /// The activation applied elementwise to a tensor.
    pub fn apply<B: Backend, const D: usize>(self, x: Tensor<B, D>) -> Tensor<B, D> {
        match self {
            Activation::Linear => x,
            Activation::Square => x.clone() * x,
            Activation::Erf => x.erf(),
            Activation::Sigmoid => sigmoid_tensor(x),
            Activation::Relu => activation::relu(x),
            Activation::Tanh => x.tanh(),
            Activation::Sign => x.sign(),
            Activation::Hermite(k) => hermite_tensor(k, x),
            Activation::HermiteSum(k, l) => hermite_tensor(k, x.clone()) + hermite_tensor(l, x),
            Activation::SquareOf(base) => {
                let value = base.activation().apply(x);
                value.clone() * value
            }
        }
    }

    /// The exact derivative applied elementwise to a tensor.
    pub fn apply_derivative<B: Backend, const D: usize>(self, x: Tensor<B, D>) -> Tensor<B, D> {
        match self {
            Activation::Linear => x.ones_like(),
            Activation::Square => x.mul_scalar(2.0),
            Activation::Erf => {
                (x.clone() * x).neg().exp().mul_scalar(std::f64::consts::FRAC_2_SQRT_PI)
            }
            Activation::Sigmoid => {
                let s = sigmoid_tensor(x);
                s.clone() * (s.neg().add_scalar(1.0))
            }
            Activation::Relu => x.zeros_like().mask_fill(x.greater_elem(0.0), 1.0),
            Activation::Tanh => {
                let t = x.tanh();
                (t.clone() * t).neg().add_scalar(1.0)
            }
            Activation::Sign => x.zeros_like(),
            Activation::Hermite(k) => hermite_tensor(k - 1, x).mul_scalar(f64::from(k)),
            Activation::HermiteSum(k, l) => {
                hermite_tensor(k - 1, x.clone()).mul_scalar(f64::from(k))
                    + hermite_tensor(l - 1, x).mul_scalar(f64::from(l))
            }
            Activation::SquareOf(base) => {
                let base = base.activation();
                (base.apply(x.clone()) * base.apply_derivative(x)).mul_scalar(2.0)
            }
        }
    }
}

/// He_k(x) by the recurrence He_{k+1} = x He_k - k He_{k-1}.
fn hermite_scalar(k: u32, x: f64) -> f64 {
    let (mut previous, mut current) = (1.0, x);
    if k == 0 {
        return previous;
    }
    for j in 1..k {
        let next = x * current - f64::from(j) * previous;
        previous = current;
        current = next;
    }
    current
}

/// 1 / (1 + e^{-x}) in the tensor's own precision (burn's sigmoid rounds through f32).
fn sigmoid_tensor<B: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    x.neg().exp().add_scalar(1.0).recip()
}

/// He_k applied elementwise to a tensor.
fn hermite_tensor<B: Backend, const D: usize>(k: u32, x: Tensor<B, D>) -> Tensor<B, D> {
    if k == 0 {
        return x.ones_like();
    }
    let mut previous = x.ones_like();
    let mut current = x.clone();
    for j in 1..k {
        let next = x.clone() * current.clone() - previous.mul_scalar(f64::from(j));
        previous = current;
        current = next;
    }
    current
}

impl FromStr for Activation {
    type Err = ModelError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let unknown = || ModelError::UnknownActivation(name.to_string());
        let hermite = |part: &str| -> Option<u32> {
            let k: u32 = part.trim().strip_prefix("he")?.parse().ok()?;
            (1..=MAX_HERMITE_DEGREE).contains(&k).then_some(k)
        };
        let lower = name.trim().to_ascii_lowercase();
        Ok(match lower.as_str() {
            "linear" => Activation::Linear,
            "square" => Activation::Square,
            "erf" => Activation::Erf,
            "sigmoid" => Activation::Sigmoid,
            "relu" => Activation::Relu,
            "tanh" => Activation::Tanh,
            "sign" => Activation::Sign,
            "erf^2" => Activation::SquareOf(SquaredBase::Erf),
            "relu^2" => Activation::SquareOf(SquaredBase::Relu),
            "sigmoid^2" => Activation::SquareOf(SquaredBase::Sigmoid),
            "tanh^2" => Activation::SquareOf(SquaredBase::Tanh),
            other => match other.split_once('+') {
                Some((a, b)) => {
                    let (k, l) = (hermite(a).ok_or_else(unknown)?, hermite(b).ok_or_else(unknown)?);
                    if k >= l {
                        return Err(unknown());
                    }
                    Activation::HermiteSum(k, l)
                }
                None => Activation::Hermite(hermite(other).ok_or_else(unknown)?),
            },
        })
    }
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Activation::Linear => write!(f, "linear"),
            Activation::Square => write!(f, "square"),
            Activation::Erf => write!(f, "erf"),
            Activation::Sigmoid => write!(f, "sigmoid"),
            Activation::Relu => write!(f, "relu"),
            Activation::Tanh => write!(f, "tanh"),
            Activation::Sign => write!(f, "sign"),
            Activation::Hermite(k) => write!(f, "he{k}"),
            Activation::HermiteSum(k, l) => write!(f, "he{k}+he{l}"),
            Activation::SquareOf(base) => write!(f, "{}^2", base.activation()),
        }
    }
}

impl TryFrom<String> for Activation {
    type Error = ModelError;
    fn try_from(name: String) -> Result<Self, Self::Error> {
        name.parse()
    }
}

impl From<Activation> for String {
    fn from(activation: Activation) -> Self {
        activation.to_string()
    }
}

/// The teacher's activation phi and the student's sigma.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActivationPair {
    /// Teacher activation phi.
    pub teacher: Activation,
    /// Student activation sigma.
    pub student: Activation,
}

impl ActivationPair {
    /// The same activation for teacher and student.
    pub fn matching(activation: Activation) -> Self {
        Self { teacher: activation, student: activation }
    }

    /// Checks that the student can be trained.
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.student.is_differentiable() {
            Ok(())
        } else {
            Err(ModelError::TeacherOnly(self.student.to_string()))
        }
    }
}

impl fmt::Display for ActivationPair {
    /// `relu` when teacher and student match, `sign->tanh` otherwise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.teacher == self.student {
            write!(f, "{}", self.student)
        } else {
            write!(f, "{}->{}", self.teacher, self.student)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::NdArray;
    use burn::tensor::TensorData;

    fn all() -> Vec<Activation> {
        let mut list = Activation::NAMED.to_vec();
        list.extend((1..=6).map(Activation::Hermite));
        list.extend([9, 12].map(Activation::Hermite));
        list.extend(SquaredBase::ALL.map(Activation::SquareOf));
        list.push(Activation::HermiteSum(2, 4));
        list.push(Activation::HermiteSum(1, 3));
        list
    }

    #[test]
    fn names_round_trip() {
        for activation in all() {
            let parsed: Activation = activation.to_string().parse().unwrap();
            assert_eq!(parsed, activation);
        }
        assert_eq!("he30".parse::<Activation>().unwrap(), Activation::Hermite(30));
        assert!(matches!("he31".parse::<Activation>(), Err(ModelError::UnknownActivation(_))));
        assert!(matches!("he0".parse::<Activation>(), Err(ModelError::UnknownActivation(_))));
        assert!(matches!("he3+he2".parse::<Activation>(), Err(ModelError::UnknownActivation(_))));
        assert!(matches!("gelu".parse::<Activation>(), Err(ModelError::UnknownActivation(_))));
    }

    /// High degrees follow the orthogonality E[He_j He_k] = k! delta_jk (a fine midpoint sum
    /// under the Gaussian weight).
    #[test]
    fn high_hermite_degrees_are_orthogonal() {
        let (n, h) = (40_000, 24.0 / 40_000.0);
        let weight = |z: f64| (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let inner = |j: u32, k: u32| -> f64 {
            (0..n)
                .map(|i| {
                    let z = -12.0 + (i as f64 + 0.5) * h;
                    hermite_scalar(j, z) * hermite_scalar(k, z) * weight(z) * h
                })
                .sum()
        };
        let factorial = |k: u32| (1..=k).map(f64::from).product::<f64>();
        for k in [7, 10, 13] {
            assert!((inner(k, k) / factorial(k) - 1.0).abs() < 1e-6, "He{k}");
            assert!(inner(k, k - 2).abs() < 1e-6 * factorial(k), "He{k} against He{}", k - 2);
        }
    }

    #[test]
    fn hermite_recurrence_matches_closed_forms() {
        for &x in &[-1.7, -0.3, 0.0, 0.4, 2.2] {
            let x2: f64 = x * x;
            assert!((hermite_scalar(2, x) - (x2 - 1.0)).abs() < 1e-12);
            assert!((hermite_scalar(3, x) - (x2 * x - 3.0 * x)).abs() < 1e-12);
            assert!((hermite_scalar(4, x) - (x2 * x2 - 6.0 * x2 + 3.0)).abs() < 1e-12);
        }
    }

    #[test]
    fn scalar_derivatives_match_finite_differences() {
        let h = 1e-6;
        for activation in all().into_iter().filter(|a| a.is_differentiable()) {
            for &x in &[-1.3, -0.4, 0.35, 0.9, 1.8] {
                let numeric = (activation.value(x + h) - activation.value(x - h)) / (2.0 * h);
                let exact = activation.derivative(x);
                assert!(
                    (numeric - exact).abs() < 1e-5 * (1.0 + exact.abs()),
                    "{activation} at {x}: {numeric} vs {exact}"
                );
            }
        }
    }

    #[test]
    fn tensor_and_scalar_evaluations_agree() {
        let device = Default::default();
        let xs = [-1.5f32, -0.5, 0.25, 1.0, 2.0];
        let tensor = Tensor::<NdArray, 1>::from_data(TensorData::from(xs), &device);
        for activation in all() {
            let values = activation.apply(tensor.clone()).into_data().to_vec::<f32>().unwrap();
            let slopes =
                activation.apply_derivative(tensor.clone()).into_data().to_vec::<f32>().unwrap();
            for (i, &x) in xs.iter().enumerate() {
                let x = f64::from(x);
                let (value, slope) = (activation.value(x), activation.derivative(x));
                // f32 keeps about 7 digits: relative for the large values of high degrees.
                assert!(
                    (f64::from(values[i]) - value).abs() < 1e-4 * (1.0 + value.abs()),
                    "{activation}"
                );
                assert!(
                    (f64::from(slopes[i]) - slope).abs() < 1e-4 * (1.0 + slope.abs()),
                    "{activation}'"
                );
            }
        }
    }

    #[test]
    fn properties() {
        assert_eq!(Activation::Hermite(3).hermite_lr_divisor(), 18.0);
        assert_eq!(Activation::HermiteSum(2, 4).hermite_lr_divisor(), 96.0);
        assert_eq!(Activation::Relu.hermite_lr_divisor(), 1.0);
        assert_eq!(Activation::Linear.readout_scale(4), 2.0);
        assert_eq!(Activation::Relu.readout_scale(4), 4.0);
        assert!(ActivationPair::matching(Activation::Sign).validate().is_err());
        let pair = ActivationPair { teacher: Activation::Sign, student: Activation::Tanh };
        assert_eq!(pair.to_string(), "sign->tanh");
    }
}

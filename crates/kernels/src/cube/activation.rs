//! The activations of `goldilocks_model::Activation` and their exact derivatives as
//! `#[cube]` functions, selected at run time by a code, so that one compiled kernel serves
//! every activation pair of an ensemble.
//!
//! Each formula is the one of `Activation::apply` and `Activation::apply_derivative` (the
//! tensor code), in the same order of operations; erf and tanh are CubeCL's (erf is the
//! Abramowitz-Stegun 7.1.26 approximation, absolute error below 1.5e-7, where the CPU
//! backends evaluate erf in f64).

use cubecl::prelude::*;
use goldilocks_model::{Activation, SquaredBase};

/// The activation x.
const LINEAR: u32 = 0;
/// x^2.
const SQUARE: u32 = 1;
/// erf(x).
const ERF: u32 = 2;
/// 1 / (1 + e^{-x}).
const SIGMOID: u32 = 3;
/// max(x, 0).
const RELU: u32 = 4;
/// tanh(x).
const TANH: u32 = 5;
/// sign(x).
const SIGN: u32 = 6;
/// He_k(x), k in the second word.
const HERMITE: u32 = 7;
/// He_k(x) + He_l(x), k and l in the second and third words.
const HERMITE_SUM: u32 = 8;
/// base(x)^2, the base's code in the second word.
const SQUARE_OF: u32 = 9;

/// Words per encoded activation: its code and two parameters.
pub const WORDS: u32 = 3;

/// The kernel encoding of an activation: [code, parameter, parameter].
pub fn encode(activation: Activation) -> [u32; WORDS as usize] {
    match activation {
        Activation::Linear => [LINEAR, 0, 0],
        Activation::Square => [SQUARE, 0, 0],
        Activation::Erf => [ERF, 0, 0],
        Activation::Sigmoid => [SIGMOID, 0, 0],
        Activation::Relu => [RELU, 0, 0],
        Activation::Tanh => [TANH, 0, 0],
        Activation::Sign => [SIGN, 0, 0],
        Activation::Hermite(k) => [HERMITE, k, 0],
        Activation::HermiteSum(k, l) => [HERMITE_SUM, k, l],
        Activation::SquareOf(base) => {
            let base = match base {
                SquaredBase::Erf => ERF,
                SquaredBase::Relu => RELU,
                SquaredBase::Sigmoid => SIGMOID,
                SquaredBase::Tanh => TANH,
            };
            [SQUARE_OF, base, 0]
        }
    }
}

/// He_k(x) by the recurrence He_{j+1} = x He_j - j He_{j-1} (He_0 = 1, He_1 = x).
#[cube]
fn hermite(k: u32, x: f32) -> f32 {
    let mut previous = 1.0f32;
    let mut current = x;
    if k == 0 {
        current = 1.0;
    }
    for j in 1..k {
        let next = x * current - previous * f32::cast_from(j);
        previous = current;
        current = next;
    }
    current
}

/// 1 / (1 + e^{-x}), as the tensor code computes it.
#[cube]
fn sigmoid(x: f32) -> f32 {
    1.0 / ((-x).exp() + 1.0)
}

/// The value of one of the activations without parameters (codes 0 to 6).
#[cube]
fn plain_value(code: u32, x: f32) -> f32 {
    let mut y = x;
    if code == SQUARE {
        y = x * x;
    } else if code == ERF {
        y = Erf::erf(x);
    } else if code == SIGMOID {
        y = sigmoid(x);
    } else if code == RELU {
        y = max(x, 0.0f32);
    } else if code == TANH {
        y = x.tanh();
    } else if code == SIGN {
        y = select(x > 0.0, 1.0f32, select(x < 0.0, -1.0f32, 0.0f32));
    }
    y
}

/// The derivative of one of the activations without parameters (codes 0 to 6); 0 for sign.
#[cube]
fn plain_derivative(code: u32, x: f32) -> f32 {
    let mut y = 1.0f32;
    if code == SQUARE {
        y = x * 2.0;
    } else if code == ERF {
        y = (-(x * x)).exp() * core::f32::consts::FRAC_2_SQRT_PI;
    } else if code == SIGMOID {
        let s = sigmoid(x);
        y = s * (-s + 1.0);
    } else if code == RELU {
        y = select(x > 0.0, 1.0f32, 0.0f32);
    } else if code == TANH {
        let t = x.tanh();
        y = -(t * t) + 1.0;
    } else if code == SIGN {
        y = 0.0;
    }
    y
}

/// The activation encoded as (`code`, `k`, `l`) (see [`encode`]) at x.
#[cube]
pub fn value(code: u32, k: u32, l: u32, x: f32) -> f32 {
    let mut y = plain_value(code, x);
    if code == HERMITE {
        y = hermite(k, x);
    } else if code == HERMITE_SUM {
        y = hermite(k, x) + hermite(l, x);
    } else if code == SQUARE_OF {
        let base = plain_value(k, x);
        y = base * base;
    }
    y
}

/// The exact derivative of the activation encoded as (`code`, `k`, `l`) at x.
#[cube]
pub fn derivative(code: u32, k: u32, l: u32, x: f32) -> f32 {
    let mut y = plain_derivative(code, x);
    if code == HERMITE {
        y = hermite(k - 1, x) * f32::cast_from(k);
    } else if code == HERMITE_SUM {
        y = hermite(k - 1, x) * f32::cast_from(k) + hermite(l - 1, x) * f32::cast_from(l);
    } else if code == SQUARE_OF {
        y = plain_value(k, x) * plain_derivative(k, x) * 2.0;
    }
    y
}

//! Run-time choice of SIMD instruction sets for the host loops (the Gaussian draws here, the
//! fused steps of goldilocks-kernels).
//!
//! [`vectorised_fn!`](crate::vectorised_fn) compiles one function body three times on x86-64:
//! with AVX-512, with AVX2 and FMA, and for the baseline; each call runs the widest one the
//! CPU has (`is_x86_feature_detected!` caches the answer). The loops are written so that the
//! compiler vectorises them for any width, and Rust never contracts a multiply and an add
//! into an FMA, so every version returns the same numbers. The `multiversion` crate offers
//! the same dispatch, but its clones of the fused row update compiled to scalar shuffles, 5x
//! slower than these plain `#[target_feature]` functions (measured on this project's loops),
//! so the project keeps this short macro.

/// Defines `$vis fn $name(...) -> $ret` whose body is compiled for AVX-512, for AVX2 + FMA
/// and for the baseline, and dispatched at run time to the widest the CPU supports.
///
/// ```
/// goldilocks_model::vectorised_fn! {
///     /// Sum of squares.
///     pub fn sum_of_squares(values: &[f32]) -> f32 {
///         values.iter().map(|x| x * x).sum()
///     }
/// }
/// assert_eq!(sum_of_squares(&[1.0, 2.0]), 5.0);
/// ```
#[macro_export]
macro_rules! vectorised_fn {
    (
        $(#[$meta:meta])*
        $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block
    ) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq")]
                fn wide($($arg: $ty),*) $(-> $ret)? $body
                #[target_feature(enable = "avx2,fma")]
                fn narrow($($arg: $ty),*) $(-> $ret)? $body
                if std::is_x86_feature_detected!("avx512f")
                    && std::is_x86_feature_detected!("avx512bw")
                    && std::is_x86_feature_detected!("avx512vl")
                    && std::is_x86_feature_detected!("avx512dq")
                {
                    // SAFETY: the CPU has every feature `wide` is compiled for.
                    return unsafe { wide($($arg),*) };
                }
                if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                    // SAFETY: the CPU has every feature `narrow` is compiled for.
                    return unsafe { narrow($($arg),*) };
                }
            }
            $body
        }
    };
}

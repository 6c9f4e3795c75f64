//! Elementwise functions written so the compiler vectorises them.
//!
//! `tanh` is the inner cost of rate networks (billions of calls per sweep);
//! the platform's `tanh` is scalar. [`tanh_in_place`] is branch-free and
//! accurate to a few ulp (tested against `f64::tanh`), and, being our own
//! code, gives the same bits on every thread and every run.

// ln 2 split as in fdlibm: LN2_HI has trailing zero bits, so n * LN2_HI is exact.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
const LOG2_E: f64 = std::f64::consts::LOG2_E;

/// `expm1(y) = e^y - 1` for `y` in `[-40, 0]`, branch-free, accurate to a few
/// ulp also near 0 (where `exp(y) - 1` would cancel).
#[inline(always)]
fn expm1_neg(y: f64) -> f64 {
    // y = n ln2 + r, |r| <= ln2 / 2, n <= 0. Round to nearest by adding and
    // removing 1.5 * 2^52; the shifted sum also holds n in its low mantissa
    // bits, which gives 2^n without a float-to-int conversion (f64::round and
    // `as` conversions are library calls or do not vectorise).
    const SHIFTER: f64 = 6_755_399_441_055_744.0;
    let shifted = y * LOG2_E + SHIFTER;
    let n = shifted - SHIFTER;
    let r = y - n * LN2_HI - n * LN2_LO;
    // expm1(r) = r + r^2/2 + ... + r^13/13!
    let mut p = 1.0 / 6_227_020_800.0; // 1/13!
    p = p * r + 1.0 / 479_001_600.0;
    p = p * r + 1.0 / 39_916_800.0;
    p = p * r + 1.0 / 3_628_800.0;
    p = p * r + 1.0 / 362_880.0;
    p = p * r + 1.0 / 40_320.0;
    p = p * r + 1.0 / 5_040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    let em1_r = (p * r) * r + r;
    let n_int = shifted.to_bits().wrapping_sub(SHIFTER.to_bits());
    let scale = f64::from_bits(n_int.wrapping_add(1023) << 52); // 2^n, n in [-58, 0]
    // e^y - 1 = 2^n (expm1(r) + 1) - 1 = 2^n expm1(r) + (2^n - 1)
    scale * em1_r + (scale - 1.0)
}

/// Hyperbolic tangent of one value (see [`tanh_in_place`]):
/// `tanh|x| = -m / (2 + m)` with `m = expm1(-2|x|)`.
#[inline(always)]
pub fn tanh(x: f64) -> f64 {
    let a = x.abs();
    let a = if a > 20.0 { 20.0 } else { a }; // tanh(20) == 1 in f64
    let m = expm1_neg(-2.0 * a);
    (-m / (2.0 + m)).copysign(x)
}

/// Replace every value by its hyperbolic tangent (SIMD chosen at run time).
pub fn tanh_in_place(xs: &mut [f64]) {
    struct Op<'a>(&'a mut [f64]);
    impl pulp::WithSimd for Op<'_> {
        type Output = ();
        #[inline(always)]
        fn with_simd<S: pulp::Simd>(self, _: S) {
            for x in self.0 {
                *x = tanh(*x);
            }
        }
    }
    pulp::Arch::new().dispatch(Op(xs));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tanh_matches_libm_to_a_few_ulp() {
        let mut worst_rel = 0.0f64;
        let mut worst_abs = 0.0f64;
        let mut x = -25.0f64;
        while x <= 25.0 {
            for x in [x, x * 1e-3, x * 1e-9] {
                let (a, b) = (tanh(x), x.tanh());
                worst_abs = worst_abs.max((a - b).abs());
                if b != 0.0 {
                    worst_rel = worst_rel.max(((a - b) / b).abs());
                }
            }
            x += 0.000_731;
        }
        assert!(worst_rel < 1e-15, "relative error {worst_rel:e}");
        assert!(worst_abs < 4.5e-16, "absolute error {worst_abs:e}");
        assert_eq!(tanh(0.0), 0.0);
        assert!(tanh(-0.0).is_sign_negative());
        assert_eq!(tanh(1e300), 1.0);
        assert_eq!(tanh(-1e300), -1.0);
        assert_eq!(tanh(f64::INFINITY), 1.0);
    }

    #[test]
    fn tanh_is_odd_and_monotone() {
        let mut prev = -1.0;
        for i in -3000..=3000 {
            let x = i as f64 * 0.01;
            assert_eq!(tanh(x), -tanh(-x));
            assert!(tanh(x) >= prev, "x = {x}: {} < {prev}", tanh(x));
            prev = tanh(x);
        }
    }
}

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
///
/// Written for throughput inside a SIMD dispatch: fused multiply-adds
/// (`mul_add`, correctly rounded, so the bits are the same on every
/// instruction set) and Estrin's scheme for the polynomial, whose dependency
/// chain is 5 operations deep instead of Horner's 12, so that independent
/// lanes overlap in the pipeline.
#[inline(always)]
fn expm1_neg(y: f64) -> f64 {
    let (scale, em1_r) = exp_parts(y);
    // e^y - 1 = 2^n (expm1(r) + 1) - 1 = 2^n expm1(r) + (2^n - 1)
    scale.mul_add(em1_r, scale - 1.0)
}

/// `(2^n, expm1(r))` with `y = n ln 2 + r`, `|r| <= ln 2 / 2`, for `y` in
/// `[-708, 708]` (so that `2^n` is a normal number).
#[inline(always)]
fn exp_parts(y: f64) -> (f64, f64) {
    // Round to nearest by adding and removing 1.5 * 2^52; the shifted sum
    // also holds n in its low mantissa bits, which gives 2^n without a
    // float-to-int conversion (f64::round and `as` conversions are library
    // calls or do not vectorise).
    const SHIFTER: f64 = 6_755_399_441_055_744.0;
    let shifted = y.mul_add(LOG2_E, SHIFTER);
    let n = shifted - SHIFTER;
    let r = (-n).mul_add(LN2_LO, (-n).mul_add(LN2_HI, y));
    // expm1(r) = r + r^2 q(r), q(r) = sum_k r^k / (k + 2)!, k = 0..11 (Taylor;
    // the truncation error is below r^14 / 14! < 5e-18 relative).
    let r2 = r * r;
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    let a0 = r.mul_add(1.0 / 6.0, 0.5);
    let a1 = r.mul_add(1.0 / 120.0, 1.0 / 24.0);
    let a2 = r.mul_add(1.0 / 5_040.0, 1.0 / 720.0);
    let a3 = r.mul_add(1.0 / 362_880.0, 1.0 / 40_320.0);
    let a4 = r.mul_add(1.0 / 39_916_800.0, 1.0 / 3_628_800.0);
    let a5 = r.mul_add(1.0 / 6_227_020_800.0, 1.0 / 479_001_600.0);
    let b0 = a1.mul_add(r2, a0);
    let b1 = a3.mul_add(r2, a2);
    let b2 = a5.mul_add(r2, a4);
    let q = b2.mul_add(r8, b1.mul_add(r4, b0));
    let em1_r = q.mul_add(r2, r);
    let n_int = shifted.to_bits().wrapping_sub(SHIFTER.to_bits());
    let scale = f64::from_bits(n_int.wrapping_add(1023) << 52); // 2^n
    (scale, em1_r)
}

/// `e^y`, branch-free and accurate to a few ulp; arguments are clamped to
/// `[-708, 708]` (so `exp(-1000)` gives `e^-708 ≈ 3e-308`, not 0, and
/// `exp(1000)` gives `e^708 ≈ 3e307`, not infinity). NaN stays NaN.
/// Vectorises inside a SIMD dispatch, unlike the platform's `exp`.
#[inline(always)]
pub fn exp(y: f64) -> f64 {
    let y = y.clamp(-708.0, 708.0);
    let (scale, em1_r) = exp_parts(y);
    scale.mul_add(em1_r, scale)
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

/// [`tanh`] of `L` lanes at once: whole-vector code with independent
/// lanes interleaved (call inside a SIMD dispatch).
#[inline(always)]
pub fn tanh_lanes<const L: usize>(x: &[f64; L]) -> [f64; L] {
    let mut out = [0.0; L];
    for l in 0..L {
        out[l] = tanh(x[l]);
    }
    out
}

/// Replace every value by its hyperbolic tangent (SIMD chosen at run time).
pub fn tanh_in_place(xs: &mut [f64]) {
    struct Op<'a>(&'a mut [f64]);
    impl pulp::WithSimd for Op<'_> {
        type Output = ();
        #[inline(always)]
        fn with_simd<S: pulp::Simd>(self, _: S) {
            let mut chunks = self.0.chunks_exact_mut(16);
            for c in &mut chunks {
                let c: &mut [f64; 16] = c.try_into().expect("16 lanes");
                *c = tanh_lanes(c);
            }
            for x in chunks.into_remainder() {
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
    fn exp_matches_libm_to_a_few_ulp() {
        let mut worst = 0.0f64;
        let mut y = -700.0f64;
        while y <= 700.0 {
            for y in [y, y * 1e-3, y * 1e-9] {
                let (a, b) = (exp(y), y.exp());
                worst = worst.max(((a - b) / b).abs());
            }
            y += 0.0137;
        }
        assert!(worst < 1e-15, "relative error {worst:e}");
        assert_eq!(exp(0.0), 1.0);
        assert!(exp(f64::NAN).is_nan());
        assert!(exp(-1e300) > 0.0 && exp(1e300).is_finite());
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

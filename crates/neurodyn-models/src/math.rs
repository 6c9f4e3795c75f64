//! Elementwise functions written so the compiler vectorises them.
//!
//! `tanh` is the inner cost of rate networks (billions of calls per sweep);
//! the platform's `tanh` is scalar. [`tanh_in_place`] is branch-free and
//! accurate to a few ulp (tested against `f64::tanh`), and, being our own
//! code, gives the same bits on every thread and every run.

const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-01;
const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
const LOG2_E: f64 = std::f64::consts::LOG2_E;

/// `exp(y)` for `y` in `[0, 40]` (the range tanh needs), branch-free.
#[inline(always)]
fn exp_0_40(y: f64) -> f64 {
    // y = n ln2 + r, |r| <= ln2 / 2; exp(r) by its Taylor series to r^13.
    let n = (y * LOG2_E).round();
    let r = y - n * LN2_HI - n * LN2_LO;
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
    p = p * r + 1.0;
    p = p * r + 1.0;
    let scale = f64::from_bits((((n as i32) + 1023) as u64) << 52);
    p * scale
}

/// Taylor coefficients of tanh(x)/x in powers of x², to x^20.
const TANH_TAYLOR: [f64; 11] = [
    1.0,
    -1.0 / 3.0,
    2.0 / 15.0,
    -17.0 / 315.0,
    62.0 / 2835.0,
    -1382.0 / 155_925.0,
    21_844.0 / 6_081_075.0,
    -929_569.0 / 638_512_875.0,
    6_404_582.0 / 10_854_718_875.0,
    -443_861_162.0 / 1_856_156_927_625.0,
    18_888_466_084.0 / 194_896_477_400_625.0,
];

/// Hyperbolic tangent of one value (see [`tanh_in_place`]).
#[inline(always)]
pub fn tanh(x: f64) -> f64 {
    let a = x.abs().min(20.0); // tanh(20) == 1 in f64
    // large |x|: 1 - 2 / (e + 1) with e = exp(2|x|), monotone in e
    let e = exp_0_40(2.0 * a);
    let big = 1.0 - 2.0 / (e + 1.0);
    // small |x|: odd Taylor series, accurate to < 1 ulp for |x| < 0.3
    let a2 = a * a;
    let mut s = TANH_TAYLOR[10];
    for c in TANH_TAYLOR[..10].iter().rev() {
        s = s * a2 + c;
    }
    let small = a * s;
    let t = if a < 0.3 { small } else { big };
    t.copysign(x)
}

/// Replace every value by its hyperbolic tangent.
pub fn tanh_in_place(xs: &mut [f64]) {
    for x in xs {
        *x = tanh(*x);
    }
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

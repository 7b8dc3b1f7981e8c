//! Student's t distribution's quantile, for the band on too few errors (`--few-errors t`).

/// Student's t quantile at p (1/2 < p < 1) with `df` degrees of freedom: the root of its CDF,
/// 1 - I_x(df/2, 1/2) / 2 with x = df / (df + t^2), by bisection.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    let cdf = |t: f64| 1.0 - 0.5 * incomplete_beta(df / 2.0, 0.5, df / (df + t * t));
    let (mut lo, mut hi) = (0.0, 1e7);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// ln Γ(x), x > 0 (Lanczos, as in Numerical Recipes' gammln).
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 6] =
        [76.18009172947146, -86.50532032941677, 24.01409824083091, -1.231739572450155, 0.1208650973866179e-2, -0.5395239384953e-5];
    let tmp = x + 5.5 - (x + 0.5) * (x + 5.5).ln();
    let (mut y, mut series) = (x, 1.000000000190015);
    for g in G {
        y += 1.0;
        series += g / y;
    }
    -tmp + (2.5066282746310005 * series / x).ln()
}

/// The regularized incomplete beta function I_x(a, b), by its continued fraction (Numerical
/// Recipes' betai and betacf).
fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 || x >= 1.0 {
        return x.clamp(0.0, 1.0);
    }
    let front = (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_fraction(b, a, 1.0 - x) / b
    }
}

fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    let tiny = |v: f64| if v.abs() < 1e-300 { 1e-300 } else { v };
    let (mut c, mut d) = (1.0, 1.0 / tiny(1.0 - (a + b) * x / (a + 1.0)));
    let mut h = d;
    for m in 1..300 {
        let m = m as f64;
        let even = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        d = 1.0 / tiny(1.0 + even * d);
        c = tiny(1.0 + even / c);
        h *= d * c;
        let odd = -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
        d = 1.0 / tiny(1.0 + odd * d);
        c = tiny(1.0 + odd / c);
        h *= d * c;
        if (d * c - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn students_t_quantiles_are_the_tables() {
        for (p, df, t) in [(0.95, 4.0, 2.131847), (0.975, 10.0, 2.228139), (0.95, 1.0, 6.313752), (0.9995, 2.0, 31.599055)] {
            assert!((t_quantile(p, df) - t).abs() < 1e-5, "t({p}, {df}) = {}, not {t}", t_quantile(p, df));
        }
    }
}

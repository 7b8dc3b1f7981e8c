//! The ridge system's solve: (A + lambda I) W = B by Cholesky, in plain loops (so that its bits
//! are the same on every machine), given up at a signal's stop.

/// W from (A + lambda I) W = B, A [d, d] and B [d, f] row-major, lambda = `ridge` trace(A) / d,
/// by Cholesky, in plain loops; None when A + lambda I is not positive definite.
pub fn solve(a: &[f64], b: &[f64], f: usize, ridge: f64) -> Option<Vec<f64>> {
    let d = b.len() / f;
    let mut trace = 0.0;
    for i in 0..d {
        trace += a[i * d + i];
    }
    let lambda = ridge * trace / d as f64;
    let mut l = vec![0.0f64; d * d];
    for j in 0..d {
        // a signal's stop: given up (the caller asks signals::check next)
        if j % 64 == 0 && crate::signals::requested() {
            return None;
        }
        let mut s = a[j * d + j] + lambda;
        for k in 0..j {
            s -= l[j * d + k] * l[j * d + k];
        }
        if s.is_nan() || s <= 0.0 {
            return None;
        }
        l[j * d + j] = s.sqrt();
        for i in j + 1..d {
            let mut s = a[i * d + j];
            for k in 0..j {
                s -= l[i * d + k] * l[j * d + k];
            }
            l[i * d + j] = s / l[j * d + j];
        }
    }
    let mut w = vec![0.0f64; d * f];
    for c in 0..f {
        let mut z = vec![0.0f64; d];
        for i in 0..d {
            let mut s = b[i * f + c];
            for k in 0..i {
                s -= l[i * d + k] * z[k];
            }
            z[i] = s / l[i * d + i];
        }
        for i in (0..d).rev() {
            let mut s = z[i];
            for k in i + 1..d {
                s -= l[k * d + i] * w[k * f + c];
            }
            w[i * f + c] = s / l[i * d + i];
        }
    }
    Some(w)
}

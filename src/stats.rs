//! Survey statistics: NPS with its 95% interval, means and top-two-box shares of 1–5
//! statements with intervals.

use serde::Serialize;

/// Groups smaller than this are shown but flagged as too small to compare.
pub const SMALL_GROUP: usize = 10;
const Z95: f64 = 1.959_963_984_540_054;

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NpsStat {
    pub n: usize,
    pub promoters: usize,
    pub passives: usize,
    pub detractors: usize,
    /// % promoters − % detractors, −100…100; None without answers.
    pub nps: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub small: bool,
}

/// NPS of 0–10 answers. The interval is the normal approximation for a difference of two
/// proportions of the same multinomial sample: var = (p₊ + p₋ − (p₊ − p₋)²) / n.
pub fn nps(answers: impl IntoIterator<Item = u8>) -> NpsStat {
    let (mut p, mut m, mut d) = (0usize, 0usize, 0usize);
    for a in answers {
        match a {
            9..=10 => p += 1,
            7..=8 => m += 1,
            _ => d += 1,
        }
    }
    let n = p + m + d;
    if n == 0 {
        return NpsStat {
            n,
            promoters: 0,
            passives: 0,
            detractors: 0,
            nps: None,
            ci_low: None,
            ci_high: None,
            small: true,
        };
    }
    let nf = n as f64;
    let (pp, pd) = (p as f64 / nf, d as f64 / nf);
    let score = pp - pd;
    let var = (pp + pd - score * score) / nf;
    let half = Z95 * var.max(0.0).sqrt();
    NpsStat {
        n,
        promoters: p,
        passives: m,
        detractors: d,
        nps: Some(round1(100.0 * score)),
        ci_low: Some(round1((100.0 * (score - half)).max(-100.0))),
        ci_high: Some(round1((100.0 * (score + half)).min(100.0))),
        small: n < SMALL_GROUP,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreStat {
    pub name: String,
    pub n: usize,
    pub mean: Option<f64>,
    pub mean_ci_low: Option<f64>,
    pub mean_ci_high: Option<f64>,
    /// Share of answers 4 or 5, 0…1.
    pub top2_share: Option<f64>,
    pub top2_ci_low: Option<f64>,
    pub top2_ci_high: Option<f64>,
    pub small: bool,
}

/// The 97.5 % quantile of Student's t with `df` degrees of freedom (two-sided 95 %
/// interval). From statrs: the table this replaced switched to 1.96 from 30 degrees of
/// freedom on, 4 % too narrow there.
fn t975(df: usize) -> f64 {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    StudentsT::new(0.0, 1.0, df as f64).map_or(Z95, |t| t.inverse_cdf(0.975))
}

/// Wilson score interval for a proportion.
pub fn wilson(k: usize, n: usize) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (nf, p) = (n as f64, k as f64 / n as f64);
    let z2 = Z95 * Z95;
    let centre = (p + z2 / (2.0 * nf)) / (1.0 + z2 / nf);
    let half = Z95 * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt() / (1.0 + z2 / nf);
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Mean (t interval) and top-two-box share (Wilson interval) of 1–5 answers.
pub fn score(name: &str, answers: impl IntoIterator<Item = u8>) -> ScoreStat {
    let v: Vec<f64> = answers.into_iter().map(f64::from).collect();
    let n = v.len();
    if n == 0 {
        return ScoreStat {
            name: name.to_string(),
            n,
            mean: None,
            mean_ci_low: None,
            mean_ci_high: None,
            top2_share: None,
            top2_ci_low: None,
            top2_ci_high: None,
            small: true,
        };
    }
    let mean = v.iter().sum::<f64>() / n as f64;
    let (lo, hi) = if n > 1 {
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let half = t975(n - 1) * (var / n as f64).sqrt();
        (mean - half, mean + half)
    } else {
        (1.0, 5.0)
    };
    let top = v.iter().filter(|x| **x >= 4.0).count();
    let (wl, wh) = wilson(top, n);
    ScoreStat {
        name: name.to_string(),
        n,
        mean: Some(round3(mean)),
        mean_ci_low: Some(round3(lo.max(1.0))),
        mean_ci_high: Some(round3(hi.min(5.0))),
        top2_share: Some(round3(top as f64 / n as f64)),
        top2_ci_low: Some(round3(wl)),
        top2_ci_high: Some(round3(wh)),
        small: n < SMALL_GROUP,
    }
}

/// Two-proportion z-test p-value (two-sided), used to mark month-over-month changes larger
/// than chance.
pub fn two_proportion_p(k1: usize, n1: usize, k2: usize, n2: usize) -> Option<f64> {
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let (p1, p2) = (k1 as f64 / n1 as f64, k2 as f64 / n2 as f64);
    let p = (k1 + k2) as f64 / (n1 + n2) as f64;
    let se = (p * (1.0 - p) * (1.0 / n1 as f64 + 1.0 / n2 as f64)).sqrt();
    if se == 0.0 {
        return Some(1.0);
    }
    let z = ((p1 - p2) / se).abs();
    Some(round3(2.0 * (1.0 - normal_cdf(z))))
}

/// Standard normal CDF (statrs).
fn normal_cdf(z: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    Normal::standard().cdf(z)
}

/// F1 from true positives, false positives and false negatives (the harmonic mean of
/// precision and recall, written so that it needs no division by zero); 0 without a true
/// positive. Eval's per-theme figures and the heads' threshold choice both use it.
pub fn f1(tp: usize, fp: usize, fn_: usize) -> f64 {
    if tp == 0 {
        0.0
    } else {
        2.0 * tp as f64 / (2 * tp + fp + fn_) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_and_normal_cdf() {
        for (df, t) in [
            (1, 12.706),
            (9, 2.262),
            (29, 2.045),
            (30, 2.042),
            (120, 1.980),
        ] {
            assert!((t975(df) - t).abs() < 0.001, "df {df}: {}", t975(df));
        }
        assert!((normal_cdf(1.959_964) - 0.975).abs() < 1e-6);
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn nps_by_hand() {
        // 5 promoters, 3 passives, 2 detractors of 10: NPS 30.
        let s = nps([10, 9, 9, 10, 9, 8, 7, 7, 3, 0]);
        assert_eq!(
            (s.promoters, s.passives, s.detractors, s.nps),
            (5, 3, 2, Some(30.0))
        );
        // var = (0.5 + 0.2 - 0.09) / 10 = 0.061; half = 1.96 * 0.24698 = 0.48408
        assert_eq!((s.ci_low, s.ci_high), (Some(-18.4), Some(78.4)));
        assert!(!s.small);
        assert!(nps([9, 9]).small);
        assert_eq!(nps([]).nps, None);
    }

    #[test]
    fn score_by_hand() {
        let s = score("q", [5, 4, 3, 2, 1]);
        assert_eq!(s.mean, Some(3.0));
        assert_eq!(s.top2_share, Some(0.4));
        // sd = 1.5811, se = 0.7071, t(4) = 2.776 -> half 1.963
        assert_eq!(s.mean_ci_low, Some(1.037));
    }

    #[test]
    fn wilson_and_p() {
        let (lo, hi) = wilson(5, 10);
        assert!((lo - 0.2366).abs() < 1e-3 && (hi - 0.7634).abs() < 1e-3);
        assert!(two_proportion_p(10, 100, 30, 100).unwrap() < 0.001);
        assert!(two_proportion_p(10, 100, 12, 100).unwrap() > 0.5);
        assert!((normal_cdf(1.959964) - 0.975).abs() < 1e-6);
    }
}

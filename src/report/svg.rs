//! Inline SVG charts for report.html: horizontal bars (theme counts, key drivers) and a
//! line chart (NPS by month). Plain SVG text, so the page needs no script or font to draw
//! them and prints sharply.

use std::fmt::Write;

pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const WIDTH: f64 = 640.0;
const LABEL_W: f64 = 230.0;
const ROW_H: f64 = 24.0;
const VALUE_W: f64 = 70.0;

/// Horizontal bars from zero. With negative values the zero line moves right and those
/// bars grow left: used for the key-driver chart, where red costs NPS and green lifts it.
pub fn bars(title: &str, rows: &[(String, f64, String)], diverging: bool) -> String {
    let h = 30.0 + ROW_H * rows.len() as f64 + 10.0;
    let max_pos = rows.iter().map(|r| r.1).fold(0.0f64, f64::max);
    let max_neg = rows.iter().map(|r| -r.1).fold(0.0f64, f64::max);
    let span = (max_pos + max_neg).max(1e-9);
    let plot_w = WIDTH - LABEL_W - VALUE_W;
    let zero = LABEL_W + plot_w * max_neg / span;
    let mut o = String::new();
    let _ = write!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {h}" role="img" aria-label="{t}" class="chart"><title>{t}</title><text x="0" y="16" class="ct">{t}</text>"#,
        t = esc(title)
    );
    for (i, (label, v, shown)) in rows.iter().enumerate() {
        let y = 30.0 + ROW_H * i as f64;
        let w = plot_w * v.abs() / span;
        let x = if *v >= 0.0 { zero } else { zero - w };
        let class = if !diverging {
            "bar"
        } else if *v > 0.0 {
            "bar cost"
        } else {
            "bar gain"
        };
        let _ = write!(
            o,
            r#"<text x="{lx}" y="{ty}" text-anchor="end" class="cl">{l}</text><rect x="{x:.1}" y="{ry}" width="{w:.1}" height="{bh}" class="{class}"/><text x="{vx:.1}" y="{ty}" class="cv">{s}</text>"#,
            lx = LABEL_W - 6.0,
            ty = y + 15.0,
            l = esc(label),
            ry = y + 3.0,
            bh = ROW_H - 6.0,
            vx = if *v >= 0.0 { x + w + 4.0 } else { zero + 4.0 },
            s = esc(shown)
        );
    }
    if diverging {
        let _ = write!(
            o,
            r#"<line x1="{zero:.1}" x2="{zero:.1}" y1="26" y2="{y2}" class="axis"/>"#,
            y2 = h - 8.0
        );
    }
    o.push_str("</svg>");
    o
}

/// The y axis of a line chart: from the lowest value (or 0) to the highest (or 0), widened
/// when flat so that a constant series is not drawn on a zero-height axis.
fn value_range(series: &[(String, Vec<Option<f64>>)]) -> (f64, f64) {
    let values = || series.iter().flat_map(|s| s.1.iter().flatten()).copied();
    let lo = values().fold(f64::INFINITY, f64::min).min(0.0);
    let hi = values().fold(f64::NEG_INFINITY, f64::max).max(0.0);
    if (hi - lo).abs() < 1e-9 {
        (lo - 1.0, hi + 1.0)
    } else {
        (lo, hi)
    }
}

/// One line per series over the same x labels; None leaves a gap.
pub fn lines(title: &str, x: &[String], series: &[(String, Vec<Option<f64>>)]) -> String {
    let (w, h) = (WIDTH, 260.0);
    let (left, right, top, bottom) = (50.0, 40.0, 30.0, 40.0);
    let (lo, hi) = value_range(series);
    let step = |i: usize| {
        if x.len() <= 1 {
            left + (w - left - right) / 2.0
        } else {
            left + (w - left - right) * i as f64 / (x.len() - 1) as f64
        }
    };
    let yv = |v: f64| top + (h - top - bottom) * (hi - v) / (hi - lo);
    let mut o = String::new();
    let _ = write!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" aria-label="{t}" class="chart"><title>{t}</title><text x="0" y="16" class="ct">{t}</text>"#,
        t = esc(title)
    );
    for v in [lo, 0.0, hi] {
        let _ = write!(
            o,
            r#"<line x1="{left}" x2="{x2}" y1="{y:.1}" y2="{y:.1}" class="grid"/><text x="{tx}" y="{ty:.1}" text-anchor="end" class="cv">{v:.0}</text>"#,
            x2 = w - right,
            y = yv(v),
            tx = left - 6.0,
            ty = yv(v) + 4.0
        );
    }
    for (i, label) in x.iter().enumerate() {
        let _ = write!(
            o,
            r#"<text x="{:.1}" y="{}" text-anchor="middle" class="cl">{}</text>"#,
            step(i),
            h - bottom + 18.0,
            esc(label)
        );
    }
    for (k, (name, ys)) in series.iter().enumerate() {
        let points: Vec<Option<(f64, f64)>> = ys
            .iter()
            .enumerate()
            .map(|(i, v)| v.map(|v| (step(i), yv(v))))
            .collect();
        series_marks(&mut o, k, name, x, ys, &points);
    }
    o.push_str("</svg>");
    o
}

/// A series' line and a dot per value, each with a tooltip.
fn series_marks(
    o: &mut String,
    k: usize,
    name: &str,
    x: &[String],
    ys: &[Option<f64>],
    points: &[Option<(f64, f64)>],
) {
    let pts: Vec<String> = points
        .iter()
        .flatten()
        .map(|(px, py)| format!("{px:.1},{py:.1}"))
        .collect();
    let _ = write!(
        o,
        r#"<polyline points="{}" class="line s{k}"><title>{}</title></polyline>"#,
        pts.join(" "),
        esc(name)
    );
    for ((label, v), p) in x.iter().zip(ys).zip(points) {
        if let (Some(v), Some((px, py))) = (v, p) {
            let _ = write!(
                o,
                r#"<circle cx="{px:.1}" cy="{py:.1}" r="4" class="dot s{k}"><title>{} {}: {v:.0}</title></circle>"#,
                esc(name),
                esc(label)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_well_formed_and_escaped() {
        let b = bars(
            "A & B",
            &[
                ("<x>".into(), 3.0, "3".into()),
                ("y".into(), -1.0, "−1".into()),
            ],
            true,
        );
        assert!(b.starts_with("<svg") && b.ends_with("</svg>"));
        assert!(b.contains("A &amp; B") && b.contains("&lt;x&gt;"));
        assert!(b.contains("bar cost") && b.contains("bar gain"));
        let l = lines(
            "NPS",
            &["2026-09".into(), "2026-10".into()],
            &[("NPS".into(), vec![Some(-15.0), None])],
        );
        assert_eq!(l.matches("<circle").count(), 1);
    }
}

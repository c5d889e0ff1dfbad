//! Report outputs: `report.html`, `report.xlsx`, `report.md`, `report.json`,
//! `theme_counts.csv`.

pub mod i18n;
pub mod render;
pub mod svg;
pub mod view;
pub mod xlsx;

use crate::aggregate::{Summary, NONE_LABEL};
use crate::answers::Answers;
use crate::error::Result;
use crate::output::{csv_bytes, FileSet};
use std::path::{Path, PathBuf};

/// The report files for `dir`, rendered and ready to be written together. `answers` (masked)
/// feed the workbook's Comments sheet.
pub fn files(dir: &Path, summary: &Summary, answers: &Answers) -> Result<FileSet> {
    let mut set = FileSet::new(dir);
    let view = view::ReportView::new(summary);
    set.add("report.html", render::html(&view)?.into_bytes());
    set.add(
        "report.xlsx",
        xlsx::bytes(&dir.join("report.xlsx"), &view, answers)?,
    );
    set.add("report.md", render::markdown(&view)?.into_bytes());
    let json = dir.join("report.json");
    let text =
        serde_json::to_string_pretty(summary).map_err(|source| crate::error::Error::Json {
            path: json.clone(),
            source,
        })?;
    set.add("report.json", text.into_bytes());
    let counts = dir.join("theme_counts.csv");
    set.add("theme_counts.csv", theme_counts(summary, &counts)?);
    Ok(set)
}

/// Writes the report files into `dir` and returns their paths.
pub fn write_report(dir: &Path, summary: &Summary, answers: &Answers) -> Result<Vec<PathBuf>> {
    files(dir, summary, answers)?.commit()
}

/// theme × month × unit counts, zeros included so the file pivots cleanly.
fn theme_counts(s: &Summary, path: &Path) -> Result<Vec<u8>> {
    let mut rows = vec![vec![
        "theme".to_string(),
        "label".into(),
        "month".into(),
        "unit".into(),
        "count".into(),
        "comments".into(),
        "share".into(),
    ]];
    // Per month × unit, from the themes' month and unit slices is not enough (they are
    // margins), so the cells come from the summary's cross table.
    for t in &s.themes {
        for cell in s.cross.iter() {
            let count = cell.themes.get(&t.id).copied().unwrap_or(0);
            let clean = |v: &str| {
                if v == NONE_LABEL {
                    String::new()
                } else {
                    v.to_string()
                }
            };
            rows.push(vec![
                t.id.clone(),
                t.label.clone(),
                clean(&cell.month),
                clean(&cell.unit),
                count.to_string(),
                cell.comments.to_string(),
                format!(
                    "{:.4}",
                    if cell.comments == 0 {
                        0.0
                    } else {
                        count as f64 / cell.comments as f64
                    }
                ),
            ]);
        }
    }
    csv_bytes(path, b',', &rows)
}

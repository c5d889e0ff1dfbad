//! Shared by the benches that report memory and write reports.

use palaute::aggregate::summarize;
use palaute::answers::Answers;
use palaute::input::Dataset;
use palaute::lang::Lang;
use palaute::report::write_report;
use palaute::taxonomy::Taxonomy;
use std::path::Path;

/// A memory figure of this process from /proc/self/status, in MiB (Linux; NaN elsewhere).
fn status_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |k| k / 1024.0)
}

/// Peak resident memory of this process so far (VmHWM), in MiB.
pub fn peak_rss_mib() -> f64 {
    status_mib("VmHWM:")
}

/// Resident memory now (VmRSS), in MiB.
#[allow(dead_code)] // each bench includes this file; not all of them call everything
pub fn rss_mib() -> f64 {
    status_mib("VmRSS:")
}

/// Aggregates the answers and writes the report files into `dir/report`, as `palaute
/// report` does after tagging.
#[allow(dead_code)]
pub fn write_report_files(
    dir: &Path,
    answers: &Answers,
    dataset: &Dataset,
    taxonomy: &Taxonomy,
) -> anyhow::Result<()> {
    let mut summary = summarize(answers, dataset, taxonomy, Lang::Fi, None);
    let mut quotes = palaute::quotes::select(answers);
    for t in &mut summary.themes {
        t.quotes = quotes.remove(&t.id).unwrap_or_default();
    }
    std::fs::create_dir_all(dir.join("report"))?;
    write_report(&dir.join("report"), &summary, answers)?;
    Ok(())
}

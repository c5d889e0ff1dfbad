//! The whole `report` run on 100 000 comments made by resampling the sample data: reading
//! the CSV, classifying on all cores, aggregating and writing the report. Prints wall time
//! and peak memory (VmHWM of this process).
//!
//! cargo bench --bench report_100k

use palaute::aggregate::summarize;
use palaute::classify::Classifier;
use palaute::input::{columns::ColumnOverrides, read_dataset};
use palaute::lang::Lang;
use palaute::pipeline::classify_all;
use palaute::report::write_report;
use palaute::taxonomy::Taxonomy;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

const ROWS: usize = 100_000;

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() -> anyhow::Result<()> {
    // `cargo bench` passes --bench; nothing else to parse.
    let dir = tempfile::tempdir()?;
    let big = dir.path().join("big.csv");
    let sample = std::fs::read_to_string("data/sample/palaute_2026-10.csv")?;
    let mut lines = sample.lines();
    let header = lines.next().unwrap_or_default();
    let body: Vec<&str> = lines.collect();
    let mut f = std::io::BufWriter::new(std::fs::File::create(&big)?);
    writeln!(f, "{header}")?;
    // Deterministic resampling (a linear congruential sequence over the sample rows), with
    // fresh ids so every row is distinct.
    let mut x: u64 = 42;
    for i in 0..ROWS {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let row = body[(x >> 33) as usize % body.len()];
        let rest = row.split_once(';').map_or(row, |(_, r)| r);
        writeln!(f, "B{i};{rest}")?;
    }
    drop(f);
    let input_mib = std::fs::metadata(&big)?.len() as f64 / (1024.0 * 1024.0);
    let rss_before = peak_rss_mib();

    let start = Instant::now();
    let taxonomy = Taxonomy::load(Some("models/taxonomy.toml".as_ref()))?;
    let classifier = Classifier::new(&taxonomy);
    let mut dataset = read_dataset(
        &[PathBuf::from(&big)],
        &ColumnOverrides::default(),
        None,
        None,
    )?;
    let read_s = start.elapsed().as_secs_f64();
    let records = std::mem::take(&mut dataset.records);
    let tagged = classify_all(records, &classifier);
    let classify_s = start.elapsed().as_secs_f64() - read_s;
    let pii = palaute::pii::PiiDetector::builtin()?;
    let mut summary = summarize(&tagged, &dataset, &taxonomy, Lang::Fi, None);
    let mut quotes = palaute::quotes::select(&tagged, None, &taxonomy.theme_ids(), &pii, Lang::Fi);
    for t in &mut summary.themes {
        t.quotes = quotes.remove(&t.id).unwrap_or_default();
    }
    std::fs::create_dir_all(dir.path().join("report"))?;
    write_report(&dir.path().join("report"), &summary, &tagged, &pii)?;
    let total = start.elapsed().as_secs_f64();
    println!(
        "report_100k: {ROWS} rows, {} threads: read {read_s:.2} s, classify {classify_s:.2} s, total {total:.2} s ({:.0} rows/s); peak RSS {:.0} MiB (before the run {:.0} MiB) for {input_mib:.1} MiB of input ({:.0}× the input; issue 12 asks for at most 10×)",
        rayon::current_num_threads(),
        ROWS as f64 / total,
        peak_rss_mib().unwrap_or(f64::NAN),
        rss_before.unwrap_or(f64::NAN),
        (peak_rss_mib().unwrap_or(f64::NAN) - rss_before.unwrap_or(0.0)) / input_mib
    );
    Ok(())
}

//! The whole `report` run without the model, as `palaute report --no-model` does it:
//! rows stream from the CSV through tagging and masking into the report's compact answers,
//! then aggregation and the report files. Two exports:
//! - 100 000 comments made by resampling the sample data (answers of every length);
//! - 1 000 000 tiny rows (an id, a date, a unit, a score and two words), where the cost of
//!   each row beyond its text shows most.
//!
//! Each runs in a child process of its own, so that each peak memory (VmHWM) is its own.
//! Prints wall time and peak memory against the input's size (issue 12: at most 10×).
//!
//! cargo bench --bench report_100k

use palaute::answers::Answers;
use palaute::input::{columns::ColumnOverrides, open};
use palaute::lang::Lang;
use palaute::pipeline::tag_into;
use palaute::tag::classify::Classifier;
use palaute::taxonomy::Taxonomy;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

mod common;
use common::{peak_rss_mib, write_report_files};

const CHILD: &str = "PALAUTE_BENCH_SCENARIO";

/// The next number of a fixed linear congruential sequence: the same export every run.
fn next(x: &mut u64) -> usize {
    *x = x
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (*x >> 33) as usize
}

/// 100 000 rows resampled from the sample export, with fresh ids.
fn resampled(path: &Path) -> anyhow::Result<usize> {
    let sample = std::fs::read_to_string("data/sample/palaute_2026-10.csv")?;
    let mut lines = sample.lines();
    let header = lines.next().unwrap_or_default();
    let body: Vec<&str> = lines.collect();
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(f, "{header}")?;
    let mut x = 42;
    const ROWS: usize = 100_000;
    for i in 0..ROWS {
        let row = body[next(&mut x) % body.len()];
        let rest = row.split_once(';').map_or(row, |(_, r)| r);
        writeln!(f, "B{i};{rest}")?;
    }
    Ok(ROWS)
}

/// 1 000 000 rows of two words each.
fn tiny(path: &Path) -> anyhow::Result<usize> {
    const WORDS: [&str; 10] = [
        "hyvä palvelu",
        "pitkä jono",
        "ystävällinen hoitaja",
        "kallis maksu",
        "ei vastattu",
        "bra bemötande",
        "lång kö",
        "kiitos kaikille",
        "huono parkki",
        "nopea aika",
    ];
    const UNITS: [&str; 4] = [
        "Terveysasema A",
        "Terveysasema B",
        "Hammashoitola",
        "Päivystys",
    ];
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(f, "id;pvm;yksikkö;suosittelu;palaute")?;
    let mut x = 7;
    const ROWS: usize = 1_000_000;
    for i in 0..ROWS {
        writeln!(
            f,
            "{i};{}.{}.2026;{};{};{}",
            1 + next(&mut x) % 28,
            8 + next(&mut x) % 3,
            UNITS[next(&mut x) % UNITS.len()],
            next(&mut x) % 11,
            WORDS[next(&mut x) % WORDS.len()]
        )?;
    }
    Ok(ROWS)
}

/// One scenario, in this process: make the export, then time and measure the report.
fn run(scenario: &str) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let big = dir.path().join("big.csv");
    let rows = match scenario {
        "tiny_1m" => tiny(&big)?,
        _ => resampled(&big)?,
    };
    let input_mib = std::fs::metadata(&big)?.len() as f64 / (1024.0 * 1024.0);
    let rss_before = peak_rss_mib();

    let start = Instant::now();
    let taxonomy = Taxonomy::load(Some("models/taxonomy.toml".as_ref()))?;
    let classifier = Classifier::new(&taxonomy);
    let pii = palaute::pii::PiiDetector::builtin()?;
    let mut records = open(
        &[PathBuf::from(&big)],
        &ColumnOverrides::default(),
        None,
        None,
    )?;
    let read_s = start.elapsed().as_secs_f64();
    let mut answers = Answers::new(&taxonomy, records.dataset().score_names.len(), Lang::Fi);
    let (n, bytes) = records.size();
    answers.reserve(n, bytes);
    tag_into(&mut records, &classifier, None, &pii, &mut answers)?;
    let dataset = records.finish();
    let tag_s = start.elapsed().as_secs_f64() - read_s;
    write_report_files(dir.path(), &answers, &dataset, &taxonomy)?;
    let total = start.elapsed().as_secs_f64();
    let peak = peak_rss_mib();
    println!(
        "report {scenario}: {rows} rows, {input_mib:.1} MiB, {} threads: read {read_s:.1} s, tag and mask {tag_s:.1} s, total {total:.1} s ({:.0} rows/s); peak RSS {peak:.0} MiB (before the run {rss_before:.0} MiB): {:.1}× the input (issue 12: at most 10×)",
        rayon::current_num_threads(),
        rows as f64 / total,
        peak / input_mib,
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    if let Ok(scenario) = std::env::var(CHILD) {
        return run(&scenario);
    }
    // `cargo bench` passes --bench; nothing else to parse.
    let me = std::env::current_exe()?;
    for scenario in ["resampled_100k", "tiny_1m"] {
        let status = std::process::Command::new(&me)
            .env(CHILD, scenario)
            .status()?;
        anyhow::ensure!(status.success(), "scenario {scenario} failed: {status}");
    }
    Ok(())
}

//! The whole `report` run **with the model** on 100 000 distinct comments (2 threads unless
//! RAYON_NUM_THREADS says otherwise): once with a fresh embedding cache, then again with
//! the cache that run filled. Each run is a child process of its own, so that each peak
//! memory (VmHWM) is its own. The export resamples the sample's comments and makes every
//! one distinct with a running number (" #123"), so the cache cannot dedupe them; the
//! model and its fine-tuned layers and heads are the ones in palaute's data directory
//! (built first if missing).
//!
//! cargo bench --bench report_model          (PALAUTE_BENCH_ROWS=20000 for a shorter run)

use palaute::answers::Answers;
use palaute::home::Home;
use palaute::input::{columns::ColumnOverrides, open};
use palaute::lang::Lang;
use palaute::model::runtime::{ModelOptions, ModelRuntime, Rebuild};
use palaute::pipeline::tag_into;
use palaute::tag::classify::Classifier;
use palaute::taxonomy::Taxonomy;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

mod common;
use common::{peak_rss_mib, rss_mib, write_report_files};

const CHILD: &str = "PALAUTE_BENCH_CACHE";
/// The label of the first child, which only builds the tuned layers and heads if they are
/// missing or stale, so that their training is neither timed nor in a measured peak.
const PREPARE: &str = "prepare";

fn rows() -> usize {
    std::env::var("PALAUTE_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

/// `rows` comments resampled from the sample export, each made distinct.
fn export(path: &Path, rows: usize) -> anyhow::Result<()> {
    let sample = std::fs::read_to_string("data/sample/palaute_2026-10.csv")?;
    let mut lines = sample.lines();
    let header = lines.next().unwrap_or_default();
    let body: Vec<&str> = lines.filter(|l| !l.ends_with(';')).collect();
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(f, "{header}")?;
    let mut x: u64 = 42;
    for i in 0..rows {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let row = body[(x >> 33) as usize % body.len()];
        let rest = row.split_once(';').map_or(row, |(_, r)| r);
        writeln!(f, "M{i};{rest} #{i}")?;
    }
    Ok(())
}

/// One run, in this process, with the embedding cache in `cache`.
fn run(cache: &Path, label: &str) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let csv = dir.path().join("export.csv");
    let n = rows();
    export(&csv, n)?;
    let taxonomy = Taxonomy::load(Some("models/taxonomy.toml".as_ref()))?;
    let classifier = Classifier::new(&taxonomy);
    let pii = palaute::pii::PiiDetector::builtin()?;
    let home = Home::locate()?;
    // The training set `palaute report` uses (train.csv + dev.csv), so the tuned layers and
    // heads are the shipped ones.
    let training = palaute::labeled::merge_files(palaute::datafile::default_training()?)?;
    let mut opts = ModelOptions::in_home(&home, training);
    if label == PREPARE {
        ModelRuntime::prepare(&opts, &taxonomy, &classifier, Rebuild::Stale)?;
        return Ok(());
    }
    opts.cache_dir = cache.to_path_buf();
    let start = Instant::now();
    let mut rt = ModelRuntime::prepare(&opts, &taxonomy, &classifier, Rebuild::Stale)?;
    let load_s = start.elapsed().as_secs_f64();
    let rss_loaded = rss_mib();
    let mut records = open(
        &[PathBuf::from(&csv)],
        &ColumnOverrides::default(),
        None,
        None,
    )?;
    let mut answers = Answers::new(&taxonomy, records.dataset().score_names.len(), Lang::Fi);
    let (rows_in, bytes) = records.size();
    answers.reserve(rows_in, bytes);
    let tag_start = Instant::now();
    tag_into(&mut records, &classifier, Some(&mut rt), &pii, &mut answers)?;
    let dataset = records.finish();
    let tag_s = tag_start.elapsed().as_secs_f64();
    let rss_tagged = rss_mib();
    let report_start = Instant::now();
    write_report_files(dir.path(), &answers, &dataset, &taxonomy)?;
    let report_s = report_start.elapsed().as_secs_f64();
    let total = start.elapsed().as_secs_f64();
    let (tokenize_s, forward_s) = rt.encoder.timings.seconds();
    println!(
        "report with the model, {label} cache: {n} comments, {} threads, {} kernel: total {total:.1} s = load model and heads {load_s:.1} s + tag {tag_s:.1} s (tokenize {tokenize_s:.1} s, encoder forward {forward_s:.1} s, rules + heads + masking + cache {:.1} s) + aggregate and write {report_s:.1} s; peak RSS {:.0} MiB",
        rayon::current_num_threads(),
        rt.encoder.kernel_name(),
        tag_s - tokenize_s - forward_s,
        peak_rss_mib(),
    );
    println!(
        "  memory: {rss_loaded:.0} MiB resident after loading the model, heads and cache index, {rss_tagged:.0} MiB after tagging every comment (the report's answers, with each comment's embedding for quote typicality)"
    );
    println!("child_peak_rss_mib: {:.0}", peak_rss_mib());
    Ok(())
}

fn main() -> anyhow::Result<()> {
    if let Ok(cache) = std::env::var(CHILD) {
        let label = std::env::var("PALAUTE_BENCH_LABEL").unwrap_or_default();
        return run(Path::new(&cache), &label);
    }
    let cache = tempfile::tempdir()?;
    let me = std::env::current_exe()?;
    let mut peak = 0f64;
    for label in [PREPARE, "a fresh", "the filled"] {
        let out = std::process::Command::new(&me)
            .env(CHILD, cache.path())
            .env("PALAUTE_BENCH_LABEL", label)
            .stderr(std::process::Stdio::inherit())
            .output()?;
        anyhow::ensure!(out.status.success(), "the run with {label} cache failed");
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            match line.strip_prefix("child_peak_rss_mib: ") {
                Some(v) => peak = peak.max(v.parse().unwrap_or(f64::NAN)),
                None => println!("{line}"),
            }
        }
    }
    println!("peak_rss_mib: {peak:.0}");
    Ok(())
}

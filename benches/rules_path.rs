//! Throughput of the rules path on the sample data, on one core: language detection,
//! theme rules, sentiment and triage per comment, then masking and score aggregation.
//!
//! cargo bench --bench rules_path

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use palaute::aggregate::summarize;
use palaute::answers::Answers;
use palaute::domain::Tagged;
use palaute::input::{columns::ColumnOverrides, read_dataset};
use palaute::lang::{Lang, LanguageDetector};
use palaute::tag::classify::Classifier;
use palaute::taxonomy::Taxonomy;
use std::hint::black_box;
use std::path::PathBuf;

fn sample_paths() -> Vec<PathBuf> {
    ["2026-08", "2026-09", "2026-10"]
        .iter()
        .map(|m| PathBuf::from(format!("data/sample/palaute_{m}.csv")))
        .collect()
}

fn bench(c: &mut Criterion) {
    let taxonomy = Taxonomy::load(Some("models/taxonomy.toml".as_ref())).expect("taxonomy");
    let classifier = Classifier::new(&taxonomy);
    let dataset =
        read_dataset(&sample_paths(), &ColumnOverrides::default(), None, None).expect("sample");
    let texts: Vec<&str> = dataset
        .records
        .iter()
        .map(|r| r.text.as_str())
        .filter(|t| !t.is_empty())
        .collect();

    let mut g = c.benchmark_group("rules_path");
    g.throughput(Throughput::Elements(texts.len() as u64));
    g.bench_function("classify_sample_one_core", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(classifier.classify(black_box(t)));
            }
        })
    });
    let detector = LanguageDetector::new();
    let pii = palaute::pii::PiiDetector::builtin().expect("pii lists");
    g.bench_function("language_only", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(detector.detect(black_box(t)));
            }
        })
    });
    g.bench_function("classify_and_aggregate_one_core", |b| {
        b.iter(|| {
            let tagged: Vec<Tagged> = dataset
                .records
                .iter()
                .map(|f| Tagged {
                    result: f.has_text().then(|| classifier.classify(&f.text)),
                    feedback: f.clone(),
                })
                .collect();
            let mut answers = Answers::new(&taxonomy, dataset.score_names.len(), Lang::Fi);
            for t in tagged {
                answers.push(t, &pii, None);
            }
            black_box(summarize(&answers, &dataset, &taxonomy, Lang::Fi, None))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Steps the subcommands share: read and tag the inputs, run the model over them, and
//! account for every row at the end.

use super::args::ModelOpts;
use super::input::InputOpts;
use anyhow::{bail, Result};
use palaute::domain::Tagged;
use palaute::input::{open, Dataset, Records};
use palaute::model::runtime::{ModelRuntime, Rebuild};
use palaute::pipeline::{apply_model, classify_all};
use palaute::tag::classify::Classifier;
use palaute::taxonomy::Taxonomy;
use std::path::{Path, PathBuf};

/// Reads every input (warnings to stderr) and tags each comment with the rules.
pub fn read_and_classify(
    input: &InputOpts,
    classifier: &Classifier,
) -> Result<(Dataset, Vec<Tagged>)> {
    let mut dataset = read_inputs(input)?;
    let records = std::mem::take(&mut dataset.records);
    let tagged = classify_all(records, classifier);
    Ok((dataset, tagged))
}

/// Reads every input, with warnings to stderr; an error when no row is usable.
pub fn read_inputs(input: &InputOpts) -> Result<Dataset> {
    let mut records = open_inputs(input)?;
    let all: Vec<_> = records.by_ref().collect();
    let mut dataset = close_inputs(records)?;
    dataset.records = all;
    Ok(dataset)
}

/// Opens every input (what is known of the files goes to stderr); the rows become records
/// as the result is iterated. Pass it to [`close_inputs`] when done.
pub fn open_inputs(input: &InputOpts) -> Result<Records> {
    let records = open(
        &input.files,
        &input.overrides()?,
        input.sheet.as_deref(),
        input.input_format,
    )?;
    let dataset = records.dataset();
    for f in &dataset.files {
        // JSONL lines may differ in their keys: say which ones were read.
        if f.format.starts_with("JSONL") {
            palaute::notice!("{}: {}", f.path.display(), f.columns);
        }
        for w in &f.warnings {
            palaute::notice!("warning: {}: {w}", f.path.display());
        }
    }
    for w in &dataset.warnings {
        palaute::notice!("warning: {w}");
    }
    Ok(records)
}

/// The dataset of inputs whose records were all taken, with what was learnt on the way
/// (repeated ids) said; an error when no row was usable.
pub fn close_inputs(records: Records) -> Result<Dataset> {
    let known = records.dataset().warnings.len();
    let dataset = records.finish();
    for w in &dataset.warnings[known..] {
        palaute::notice!("warning: {w}");
    }
    if dataset.files.iter().all(|f| f.used == 0) {
        // The reason quotes the cell at fault, which may hold personal data.
        let pii = palaute::pii::PiiDetector::load_default()?;
        bail!(
            "no usable rows: all {} rows were rejected (first reason: {})",
            dataset.rows_read(),
            dataset
                .rejects
                .first()
                .map_or("the files have no data rows".to_string(), |r| format!(
                    "{} row {}: {}",
                    r.file,
                    r.row,
                    pii.redact(&r.reason, palaute::lang::Lang::Fi)
                ))
        );
    }
    Ok(dataset)
}

/// Runs the model over the tagged comments unless --no-model, and hands it back.
pub fn with_model(
    model: &ModelOpts,
    taxonomy: &Taxonomy,
    classifier: &Classifier,
    tagged: &mut [Tagged],
) -> Result<Option<ModelRuntime>> {
    match model.runtime(taxonomy, classifier, Rebuild::Stale)? {
        Some(mut rt) => {
            apply_model(tagged, &mut rt)?;
            Ok(Some(rt))
        }
        None => Ok(None),
    }
}

/// `out/tagged.csv` -> `out/tagged.rejects.csv`
pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("output");
    path.with_file_name(format!("{stem}.{suffix}"))
}

/// The one-line account of every row, on stderr.
pub fn finish(
    dataset: &Dataset,
    rejects: Option<&Path>,
    written: &[PathBuf],
    taxonomy: &Taxonomy,
    model: Option<&str>,
) {
    let used: usize = dataset.files.iter().map(|f| f.used).sum();
    let where_rejects = match (dataset.rejects.is_empty(), rejects) {
        (true, _) => String::new(),
        (false, Some(p)) => format!(" (see {})", p.display()),
        (false, None) => " (listed above)".to_string(),
    };
    palaute::notice!(
        "read {} rows from {} file(s): {} used, {} rejected{where_rejects}; taxonomy {}, {}",
        dataset.rows_read(),
        dataset.files.len(),
        used,
        dataset.rejects.len(),
        taxonomy.version,
        model.map_or("rules only".to_string(), |m| format!("rules + model {m}"))
    );
    for w in written {
        palaute::notice!("wrote {}", w.display());
    }
}

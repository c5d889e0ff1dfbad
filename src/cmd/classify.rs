//! `palaute classify`: every comment tagged, one row each, to a file or standard output.

use super::args::ModelOpts;
use super::input::InputOpts;
use super::session::{finish, read_and_classify, sibling, with_model};
use anyhow::{Context, Result};
use clap::ValueEnum;
use palaute::output::{rejects_csv_bytes, write_atomic};
use palaute::pii::PiiDetector;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Copy, Clone, ValueEnum)]
pub enum Format {
    Csv,
    Jsonl,
}

/// Tag every comment: language, themes with evidence, sentiment, triage
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: InputOpts,
    /// Output file; `-` or none writes to standard output (notices stay on standard error)
    #[arg(short, long)]
    output: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "csv")]
    format: Format,
    /// Mask personal data (identity codes, phones, e-mails, addresses, names) in the text
    /// and evidence written out
    #[arg(long)]
    redact: bool,
    /// Where rejected rows go [default: <output>.rejects.csv beside a file output; on
    /// standard error when writing to standard output]
    #[arg(long)]
    rejects: Option<PathBuf>,
    #[command(flatten)]
    model: ModelOpts,
}

pub fn run(a: Args) -> Result<()> {
    let (taxonomy, classifier) = a.model.rules()?;
    let pii = PiiDetector::load_default()?;
    let (dataset, mut tagged) = read_and_classify(&a.input, &classifier)?;
    let runtime =
        with_model(&a.model, &taxonomy, &classifier, &mut tagged)?.map(|rt| rt.describe());
    if a.redact {
        palaute::pipeline::redact_all(&mut tagged, &pii);
    }
    let to_file = a.output.as_ref().filter(|p| p.as_os_str() != "-");
    let name = to_file.map_or(Path::new("<stdout>"), PathBuf::as_path);
    let bytes = match a.format {
        Format::Csv => palaute::tagged::csv(name, &tagged, &dataset.score_names)?,
        Format::Jsonl => palaute::tagged::jsonl(name, &tagged, &dataset.score_names)?,
    };
    let mut written = Vec::new();
    match to_file {
        Some(path) => {
            write_atomic(path, &bytes)?;
            written.push(path.clone());
        }
        None => {
            // The byte-order mark is for Excel opening a file; a pipe does not want it.
            let body = bytes
                .strip_prefix(b"\xEF\xBB\xBF".as_slice())
                .unwrap_or(&bytes);
            let mut out = std::io::stdout().lock();
            out.write_all(body)
                .and_then(|()| out.flush())
                .context("writing to standard output")?;
        }
    }
    let rejects = a
        .rejects
        .clone()
        .or_else(|| to_file.map(|p| sibling(p, "rejects.csv")));
    match &rejects {
        Some(path) => write_atomic(path, &rejects_csv_bytes(path, &dataset.rejects, &pii)?)?,
        None if !dataset.rejects.is_empty() => {
            // Rejected rows are part of the account, so they are shown even with --quiet.
            let csv = rejects_csv_bytes(Path::new("<stderr>"), &dataset.rejects, &pii)?;
            let body = csv.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(&csv);
            eprint!("rejected rows:\n{}", String::from_utf8_lossy(body));
        }
        None => {}
    }
    finish(
        &dataset,
        rejects.as_deref(),
        &written,
        &taxonomy,
        runtime.as_deref(),
    );
    Ok(())
}

//! `palaute triage`: the registry office's queue.

use super::args::ModelOpts;
use super::input::InputOpts;
use super::session::{finish, read_and_classify, with_model};
use anyhow::Result;
use palaute::domain::TriageClass;
use palaute::output::add_rejects;
use palaute::pii::PiiDetector;
use palaute::units::Units;
use std::path::PathBuf;

/// Registry office queue: urgent → formal → contact requested → normal, with reasons,
/// redacted excerpts and the unit to route to (queue.csv, queue.xlsx, queue.md)
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: InputOpts,
    /// Output directory
    #[arg(short, long)]
    output: PathBuf,
    /// The county's units for routing [default: models/units.toml in the working directory, else built in]
    #[arg(long)]
    units: Option<PathBuf>,
    #[command(flatten)]
    model: ModelOpts,
}

pub fn run(a: Args) -> Result<()> {
    let (taxonomy, classifier) = a.model.rules()?;
    let units = Units::load(a.units.as_deref())?;
    let pii = PiiDetector::load_default()?;
    let contact = palaute::queue::ContactWords::load_default()?;
    let (dataset, mut tagged) = read_and_classify(&a.input, &classifier)?;
    let runtime =
        with_model(&a.model, &taxonomy, &classifier, &mut tagged)?.map(|rt| rt.describe());
    let items = palaute::queue::build(&tagged, &units, &pii, &contact);
    let mut set = palaute::queue::files(&a.output, &items, &a.input.describe())?;
    let rejects = add_rejects(&mut set, &dataset.rejects, &pii)?;
    let mut written = set.commit()?;
    written.retain(|p| *p != rejects);
    let count = |c| items.iter().filter(|i| i.triage == c).count();
    palaute::notice!(
        "queue: {} urgent, {} formal, {} contact requested, {} normal",
        count(TriageClass::Urgent),
        count(TriageClass::Formal),
        count(TriageClass::ContactRequested),
        count(TriageClass::Normal)
    );
    finish(
        &dataset,
        Some(&rejects),
        &written,
        &taxonomy,
        runtime.as_deref(),
    );
    Ok(())
}

//! `palaute themes`: what the taxonomy holds, and whether it and the other data files are
//! valid.

use super::args::ModelOpts;
use anyhow::{Context, Result};
use clap::Subcommand;
use palaute::datafile::{self, DataFile};
use palaute::labeled::{read_gold_file, GoldItem};
use palaute::taxonomy::{compile, Taxonomy};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum Action {
    /// Print the themes with labels, definitions and rule counts, and which file they come from
    List {
        #[command(flatten)]
        model: ModelOpts,
    },
    /// Validate the taxonomy, units and personal-data lists, and list patterns that never
    /// match the labeled data
    Check {
        /// Labeled files to test patterns against [default: the training and dev sets, from
        /// data/labeled/ in the working directory, else built in]
        #[arg(long)]
        labeled: Vec<PathBuf>,
        #[command(flatten)]
        model: ModelOpts,
    },
}

pub fn run(action: Action) -> Result<()> {
    match action {
        Action::List { model } => list(&Taxonomy::load(model.taxonomy.as_deref())?),
        Action::Check { labeled, model } => check(&model, &labeled),
    }
}

fn list(taxonomy: &Taxonomy) -> Result<()> {
    println!(
        "taxonomy {} from {}, {} themes\n",
        taxonomy.version,
        taxonomy.source,
        taxonomy.themes.len()
    );
    for t in &taxonomy.themes {
        let rules: Vec<String> = t
            .rules
            .iter()
            .map(|(l, v)| format!("{l} {}", v.len()))
            .collect();
        let examples: usize = t.examples.values().map(Vec::len).sum();
        println!(
            "{:<18} {} / {} / {}",
            t.id, t.label.fi, t.label.sv, t.label.en
        );
        println!("{:<18} {}", "", t.definition);
        println!(
            "{:<18} rules: {}; examples: {examples}\n",
            "",
            rules.join(", ")
        );
    }
    Ok(())
}

fn check(model: &ModelOpts, labeled: &[PathBuf]) -> Result<()> {
    let taxonomy = Taxonomy::load(model.taxonomy.as_deref())?;
    println!(
        "{}: valid, {} themes",
        taxonomy.source,
        taxonomy.themes.len()
    );
    // The other editable data files are checked alongside.
    let units = palaute::units::Units::load(None)?;
    println!("{}: valid, {} units", units.source, units.units.len());
    palaute::pii::PiiDetector::load_default()?;
    println!("personal-data lists: valid");
    let words = palaute::input::columns::check_column_words()?;
    println!("column header words: valid, {words} words");
    palaute::queue::ContactWords::load_default()?;
    println!("contact words: valid");
    let files: Vec<DataFile> = if labeled.is_empty() {
        datafile::default_training()?
    } else {
        labeled
            .iter()
            .map(|p| {
                datafile::TRAIN
                    .load(Some(p))
                    .with_context(|| format!("reading {}", p.display()))
            })
            .collect::<Result<_>>()?
    };
    let mut gold: Vec<GoldItem> = Vec::new();
    for f in &files {
        let items = read_gold_file(f, &taxonomy)?;
        println!(
            "{}: {} labeled comments, theme ids all known",
            f.origin.describe(),
            items.len()
        );
        gold.extend(items);
    }
    let texts: Vec<_> = gold
        .iter()
        .map(|g| palaute::text::tokenize(&g.text))
        .collect();
    let mut unused = 0;
    for t in &taxonomy.themes {
        for p in compile(&t.rules) {
            if !texts.iter().any(|tokens| p.find(tokens).is_some()) {
                unused += 1;
                println!(
                    "warning: theme {}: pattern {:?} ({}) matches no labeled comment",
                    t.id, p.source, p.lang
                );
            }
        }
    }
    println!(
        "{unused} pattern(s) match no labeled comment (not an error: they may fire on real data)"
    );
    Ok(())
}

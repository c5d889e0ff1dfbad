//! Options for the inputs: files (or standard input), their format and column roles; and
//! the report's language.

use anyhow::Result;
use clap::{Args, ValueEnum};
use palaute::input::columns::ColumnOverrides;
use palaute::input::table::InputFormat;
use palaute::lang::Lang;
use std::path::PathBuf;

#[derive(Args, Clone)]
pub struct InputOpts {
    /// Feedback exports: CSV (; , or tab), XLSX or JSONL; several files are read as one set;
    /// `-` reads standard input
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Format of the input when the file name does not say (standard input) [default: sniffed from the content]
    #[arg(long, value_enum)]
    pub input_format: Option<InputFormat>,
    /// Column holding the free text
    #[arg(long)]
    pub text_col: Option<String>,
    /// Column holding the 0–10 recommendation (NPS) answer
    #[arg(long)]
    pub nps_col: Option<String>,
    /// A 1–5 statement column (repeatable); by default every column of only 1–5 answers
    #[arg(long = "score-col")]
    pub score_cols: Vec<String>,
    /// Column holding the date
    #[arg(long)]
    pub date_col: Option<String>,
    /// Column holding the unit
    #[arg(long)]
    pub unit_col: Option<String>,
    /// Column holding the channel (kiosk, web, SMS)
    #[arg(long)]
    pub channel_col: Option<String>,
    /// Column holding the answer id
    #[arg(long)]
    pub id_col: Option<String>,
    /// TOML file mapping roles to headers (keys: text, nps, scores, date, unit, channel, id)
    #[arg(long)]
    pub columns: Option<PathBuf>,
    /// XLSX sheet to read [default: the first]
    #[arg(long)]
    pub sheet: Option<String>,
}

impl InputOpts {
    pub fn overrides(&self) -> Result<ColumnOverrides> {
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

    /// The inputs as one line for report and queue headers.
    pub fn describe(&self) -> String {
        self.files
            .iter()
            .map(|f| match f.to_str() {
                Some("-") => "<stdin>".to_string(),
                _ => f.display().to_string(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[derive(Copy, Clone, ValueEnum)]
pub enum ReportLang {
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

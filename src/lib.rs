//! palaute: themes, numbers and decisions from health and social services feedback.
pub mod aggregate;
pub mod classify;
pub mod datafile;
pub mod error;
pub mod eval;
#[cfg(test)]
mod fuzz;
pub mod home;
pub mod input;
pub mod lang;
pub mod model;
pub mod morph;
pub mod notice;
pub mod output;
pub mod pattern;
pub mod pii;
pub mod pipeline;
pub mod queue;
pub mod quotes;
pub mod report;
pub mod sentiment;
pub mod statements;
pub mod stats;
pub mod tagged;
pub mod taxonomy;
pub mod term_index;
pub mod text;
pub mod units;

//! palaute: themes, numbers and decisions from health and social services feedback.
pub mod aggregate;
pub mod answers;
pub mod datafile;
pub mod domain;
pub mod error;
pub mod eval;
pub mod fingerprint;
#[cfg(test)]
mod fuzz;
pub mod home;
pub mod input;
pub mod labeled;
pub mod lang;
pub mod model;
pub mod notice;
pub mod output;
pub mod pii;
pub mod pipeline;
pub mod queue;
pub mod quotes;
pub mod report;
pub mod review;
pub mod stats;
pub mod tag;
pub mod tagged;
pub mod taxonomy;
pub mod text;
pub mod units;

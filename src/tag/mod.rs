//! The tagging stage: what a comment is about, how it feels and whether the registry must
//! act. The rules (`pattern` over `morph` stems and compounds, matched in one pass by
//! `term_index`) give themes with evidence and triage (`classify`) and sentiment
//! (`sentiment`), per statement (`statements`); `pipeline` runs them in parallel over the
//! records and, with the model (`crate::model`), combines both before masking.

pub mod classify;
pub mod morph;
pub mod pattern;
pub mod pipeline;
pub mod sentiment;
pub mod statements;
pub mod term_index;

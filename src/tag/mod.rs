//! The tagging stage: what a comment is about, how it feels and whether the registry must
//! act. The rules (`pattern` over `morph` stems and compounds, matched in one pass by
//! `term_index`) give themes with evidence and triage (`classify`) and sentiment
//! (`sentiment`), per statement (`statements`). The model (`crate::model`) builds on these;
//! `crate::pipeline` runs both over the records and masks the result.

pub mod classify;
pub mod morph;
pub mod pattern;
pub mod sentiment;
pub mod statements;
pub mod term_index;

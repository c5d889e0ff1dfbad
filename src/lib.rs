//! palaute: themes, numbers and decisions from health and social services feedback.
pub mod aggregate;
pub mod classify;
pub mod error;
pub mod eval;
pub mod input;
pub mod lang;
pub mod morph;
pub mod output;
pub mod pattern;
pub mod pipeline;
pub mod report;
pub mod sentiment;
pub mod stats;
pub mod tagged;
pub mod taxonomy;
pub mod term_index;
pub mod text;

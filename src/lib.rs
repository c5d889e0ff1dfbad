//! palaute: themes, numbers and decisions from health and social services feedback.
pub mod lang;
pub mod morph;
pub mod pattern;
pub mod text;

//! The integration tests, one binary: each module runs the `palaute` binary on real files
//! the way a user would. `cli` needs no model; `model` fetches it through `palaute model
//! fetch`, the users' path, and is never skipped; `review` drives the review server over
//! HTTP and in headless Chromium.

mod cli;
mod common;
mod model;
mod review;

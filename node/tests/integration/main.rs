//! The node's integration tests: each starts real `ims-node` processes
//! through the shared harness (`ims-test-harness`) on loopback ports.
//!
//! They are one test binary, so that they run side by side: most of their
//! time is spent waiting for blocks and finality, and one after the other
//! they took three minutes.

#![allow(
	clippy::expect_used,
	clippy::unwrap_used,
	clippy::panic,
	clippy::indexing_slicing,
	reason = "integration-test helpers: a step that fails fails the test"
)]

mod common;

mod access_extrinsics;
mod audit_trail;
mod chain_spec;
mod dev_chain;
mod identity_api;
mod polkadot_js;
mod validator_set;

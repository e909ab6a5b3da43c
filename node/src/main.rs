//! `ims-node`: the node of the IMS ledger.
//!
//! Aura block production and GRANDPA finality over the `ims-runtime`, with
//! ParityDB as its database (RocksDB is compiled out), a Prometheus endpoint
//! and a jsonrpsee JSON-RPC server.

#![warn(missing_docs)]
// `sc_cli::Error` and `sc_service::Error` are Substrate's error types, fixed by
// the `Runner` and service-builder signatures this crate implements; they are
// built once, on the way out, not on a hot path.
#![allow(clippy::result_large_err)]

mod audit;
mod chain_spec;
mod cli;
mod command;
mod rpc;
mod service;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;

fn main() -> sc_cli::Result<()> {
	command::run()
}

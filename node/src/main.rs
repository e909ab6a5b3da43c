//! `ims-node`: the node of the IMS ledger.
//!
//! Aura block production and GRANDPA finality over the `ims-runtime`, with
//! ParityDB as its database (RocksDB is compiled out), a Prometheus endpoint
//! and a jsonrpsee JSON-RPC server.

#![warn(missing_docs)]

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

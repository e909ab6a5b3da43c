//! Dispatches the command line to the node service or a sub-command.

use crate::{
	chain_spec,
	cli::{Cli, Subcommand},
	service,
};
use sc_cli::SubstrateCli;
use sc_service::PartialComponents;

impl SubstrateCli for Cli {
	fn impl_name() -> String {
		"IMS ledger node".into()
	}

	fn impl_version() -> String {
		env!("SUBSTRATE_CLI_IMPL_VERSION").into()
	}

	fn description() -> String {
		env!("CARGO_PKG_DESCRIPTION").into()
	}

	fn author() -> String {
		env!("CARGO_PKG_AUTHORS").into()
	}

	fn support_url() -> String {
		format!("{}/issues", env!("CARGO_PKG_REPOSITORY"))
	}

	fn copyright_start_year() -> i32 {
		2026
	}

	fn load_spec(&self, id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
		Ok(match id {
			"dev" | "development" => Box::new(chain_spec::development()?),
			"" | "local" | "local_testnet" => Box::new(chain_spec::local_testnet()?),
			"region-restricted" | "region_restricted" => Box::new(chain_spec::region_restricted()?),
			path => Box::new(chain_spec::from_file(path)?),
		})
	}
}

/// Parses the command line and runs what it asks for.
pub fn run() -> sc_cli::Result<()> {
	let cli = Cli::parse_with_defaults(std::env::args_os());
	// The chain's own address format, so that the node's RPC (such as
	// `system_accountNextIndex`) takes the addresses polkadot.js and wallets
	// pass; 4242 is not in the SS58 registry, so nothing else accepts it.
	sp_core::crypto::set_default_ss58_version(sp_core::crypto::Ss58AddressFormat::custom(
		ims_runtime::SS58_PREFIX,
	));
	match &cli.subcommand {
		None => run_node(&cli),
		Some(subcommand) => run_subcommand(&cli, subcommand),
	}
}

/// Runs the node until it is told to stop, on the network back-end the
/// command line chose.
fn run_node(cli: &Cli) -> sc_cli::Result<()> {
	type Hash = <ims_runtime::opaque::Block as sp_runtime::traits::Block>::Hash;
	let runner = cli.create_runner(&cli.run)?;
	runner.run_node_until_exit(|config| async move {
		let config = with_audit_indexing(config);
		match config.network.network_backend {
			sc_network::config::NetworkBackendType::Libp2p => service::new_full::<
				sc_network::NetworkWorker<ims_runtime::opaque::Block, Hash>,
			>(config),
			sc_network::config::NetworkBackendType::Litep2p => {
				service::new_full::<sc_network::Litep2pNetworkBackend>(config)
			},
		}
		.map_err(sc_cli::Error::Service)
	})
}

/// Runs a sub-command: keys, chain specifications, benchmarks, or one of the
/// commands on the node's database and blocks.
fn run_subcommand(cli: &Cli, subcommand: &Subcommand) -> sc_cli::Result<()> {
	match subcommand {
		Subcommand::Key(cmd) => cmd.run(cli),
		Subcommand::BuildSpec(cmd) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.chain_spec, config.network))
		},
		Subcommand::ExportChainSpec(cmd) => {
			let chain_spec = cli.load_spec(&cmd.chain)?;
			cmd.run(chain_spec)
		},
		Subcommand::ChainInfo(cmd) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run::<ims_runtime::opaque::Block>(&config))
		},
		Subcommand::PurgeChain(cmd) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.database))
		},
		#[cfg(feature = "runtime-benchmarks")]
		Subcommand::Benchmark(cmd) => crate::benchmarking::run(cli, cmd),
		#[cfg(not(feature = "runtime-benchmarks"))]
		Subcommand::Benchmark { .. } => Err("Benchmarks are not compiled into this node. \
			Rebuild it with `cargo build --release -p ims-node --features runtime-benchmarks`."
			.into()),
		Subcommand::CheckBlock(cmd) => cli.create_runner(cmd)?.async_run(|config| {
			let PartialComponents { client, task_manager, import_queue, .. } =
				service::new_partial(&config)?;
			Ok((cmd.run(client, import_queue), task_manager))
		}),
		Subcommand::ExportBlocks(cmd) => cli.create_runner(cmd)?.async_run(|config| {
			let PartialComponents { client, task_manager, .. } = service::new_partial(&config)?;
			Ok((cmd.run(client, config.database), task_manager))
		}),
		Subcommand::ExportState(cmd) => cli.create_runner(cmd)?.async_run(|config| {
			let PartialComponents { client, task_manager, .. } = service::new_partial(&config)?;
			Ok((cmd.run(client, config.chain_spec), task_manager))
		}),
		Subcommand::ImportBlocks(cmd) => cli.create_runner(cmd)?.async_run(|config| {
			let config = with_audit_indexing(config);
			let PartialComponents { client, task_manager, import_queue, .. } =
				service::new_partial(&config)?;
			Ok((cmd.run(client, import_queue), task_manager))
		}),
		Subcommand::Revert(cmd) => cli.create_runner(cmd)?.async_run(|config| {
			let PartialComponents { client, task_manager, backend, .. } =
				service::new_partial(&config)?;
			let aux_revert = Box::new(|client, _, blocks| {
				sc_consensus_grandpa::revert(client, blocks)?;
				Ok(())
			});
			Ok((cmd.run(client, backend, Some(aux_revert)), task_manager))
		}),
	}
}

/// Offchain indexing is always on: the runtime writes each audit batch into
/// the node's offchain database, and the `imsAudit_*` methods read them from
/// there (the `--enable-offchain-indexing` flag has no effect).
fn with_audit_indexing(mut config: sc_service::Configuration) -> sc_service::Configuration {
	config.offchain_worker.indexing_enabled = true;
	config
}

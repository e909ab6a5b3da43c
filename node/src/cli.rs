//! Command-line interface: the standard Substrate commands.

/// The `ims-node` command line.
#[derive(Debug, clap::Parser)]
pub struct Cli {
	/// A sub-command; without one, the node runs.
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	/// Options of the running node.
	#[clap(flatten)]
	pub run: sc_cli::RunCmd,
}

/// The sub-commands of `ims-node`.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management: generate, inspect and insert keys.
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Build a chain specification (`--chain dev|local|<path>`, `--raw`).
	BuildSpec(sc_cli::BuildSpecCmd),

	/// Export a chain specification, without opening a database.
	ExportChainSpec(sc_cli::ExportChainSpecCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain database.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Benchmarks: `benchmark pallet` generates the runtime's `weights.rs`
	/// files. Needs a node built with `--features runtime-benchmarks`.
	#[cfg(feature = "runtime-benchmarks")]
	#[command(subcommand)]
	Benchmark(frame_benchmarking_cli::BenchmarkCmd),

	/// Benchmarks (unavailable: this node was built without
	/// `--features runtime-benchmarks`).
	#[cfg(not(feature = "runtime-benchmarks"))]
	#[command(disable_help_flag = true)]
	Benchmark {
		/// Ignored: the command only explains how to enable benchmarks.
		#[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
		args: Vec<String>,
	},

	/// Database meta-column information.
	ChainInfo(sc_cli::ChainInfoCmd),
}

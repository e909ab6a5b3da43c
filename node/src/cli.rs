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

/// The node's trie cache when the command line does not set one: none.
/// Substrate's default, 1 GiB, made a node holding a million subscribers
/// import them at 820 a second and answer its bridge slowly; without it,
/// 1,442 a second and less than half the CPU (`docs/benchmarks.md`,
/// "Where a bulk-import block's time goes").
pub const DEFAULT_TRIE_CACHE: &str = "0";

impl Cli {
	/// Parses `args` (the program's name first) as [`SubstrateCli`] does,
	/// with this node's own defaults; prints the error or the help and
	/// exits when they do not parse.
	///
	/// [`SubstrateCli`]: sc_cli::SubstrateCli
	pub fn parse_with_defaults<I>(args: I) -> Cli
	where
		I: IntoIterator,
		I::Item: Into<std::ffi::OsString> + Clone,
	{
		use clap::{CommandFactory, FromArgMatches};
		use sc_cli::SubstrateCli;
		let command = <Cli as SubstrateCli>::setup_command(Cli::command())
			.mut_arg("trie_cache_size", |arg| arg.default_value(DEFAULT_TRIE_CACHE));
		let matches = command.try_get_matches_from(args).unwrap_or_else(|e| e.exit());
		Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
	}
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

#[cfg(test)]
mod tests {
	use super::Cli;

	#[test]
	fn the_trie_cache_is_off_unless_asked_for() {
		let cli = Cli::parse_with_defaults(["ims-node", "--dev"]);
		assert_eq!(cli.run.import_params.trie_cache_size, 0);
		let cli = Cli::parse_with_defaults(["ims-node", "--dev", "--trie-cache-size", "1048576"]);
		assert_eq!(cli.run.import_params.trie_cache_size, 1_048_576);
	}

	#[test]
	fn sub_commands_still_parse() {
		let cli = Cli::parse_with_defaults(["ims-node", "build-spec", "--chain", "dev"]);
		assert!(matches!(cli.subcommand, Some(super::Subcommand::BuildSpec(_))));
	}
}

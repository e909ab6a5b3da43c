//! `ims-bridge`: the Diameter Cx front of the IMS ledger.

use clap::{Parser, Subcommand};
use ims_bridge::admin::{self, Request};
use ims_bridge::config::Config;
use ims_bridge::import;
use ims_bridge::provision::Password;
use ims_bridge::vault::{AkaSecret, Vault};
use ims_primitives::AuthScheme;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

ims_bridge::allocator!();

mod api_command;

#[derive(Parser)]
#[command(name = "ims-bridge", version, about = "Diameter Cx front of the IMS ledger")]
struct Cli {
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand)]
enum Command {
	/// Serve Cx to Kamailio's I-CSCF and S-CSCF.
	Run {
		/// The configuration file.
		#[arg(long, short)]
		config: PathBuf,
	},
	/// Add, remove or show a subscriber (vault and chain together; through
	/// the running bridge's admin socket when one answers).
	Subscriber {
		#[command(subcommand)]
		action: Box<SubscriberCommand>,
	},
	/// Import subscribers from a file (format `ims-subscribers` version 1,
	/// one JSON object a line: docs/import.md) or from another HSS's
	/// database into the vault and the chain; through the running bridge
	/// when one answers. Re-running it skips what landed.
	Import {
		/// The configuration file.
		#[arg(long, short)]
		config: PathBuf,
		/// Subscribers per `import_subscribers` call (default and most: the
		/// runtime's `MaxImportSubscribers`).
		#[arg(long)]
		batch: Option<u32>,
		/// What SOURCE is: `ims` (an import file), `fhoss` (the URL of a
		/// FHoSS `hss_db`, mysql://user:password@host:port/hss_db), `pyhss`
		/// (the URL of PyHSS's MySQL database; needs --realm) or `open5gs`
		/// (a mongoexport of its subscribers collection; needs --realm).
		#[arg(long, default_value = "ims")]
		from: String,
		/// The realm the subscribers of a source that keeps none (PyHSS,
		/// Open5GS) go to, as on chain.
		#[arg(long)]
		realm: Option<String>,
		/// The realm's service profile their public identities get (PyHSS's
		/// iFCs are templates the ledger cannot read; Open5GS has none).
		#[arg(long, default_value_t = 0)]
		profile: u32,
		/// The import file, or the database's URL.
		source: String,
	},
	/// The provisioning API's tokens.
	Api {
		#[command(subcommand)]
		action: api_command::ApiCommand,
	},
	/// The vault's own upkeep.
	Vault {
		#[command(subcommand)]
		action: VaultCommand,
	},
}

#[derive(Subcommand)]
enum VaultCommand {
	/// Re-wrap every subscriber's data key under a new vault key, while
	/// the bridge serves Cx (through its admin socket) or alone. From then
	/// on only the new key opens the vault: point `[vault] key_file` at it
	/// before the bridge starts again (docs/vault.md).
	RotateKey {
		/// The configuration file.
		#[arg(long, short)]
		config: PathBuf,
		/// A file with the new key: 32 raw bytes or 64 hex digits, mode
		/// 0600.
		#[arg(long)]
		new_key_file: PathBuf,
	},
}

#[derive(Subcommand)]
enum SubscriberCommand {
	/// Add a subscriber: one IMPI and its public identities.
	Add(Box<AddArgs>),
	/// Erase a subscriber on chain and destroy its vault entry.
	Remove {
		/// The configuration file.
		#[arg(long, short)]
		config: PathBuf,
		/// One of its identities (an IMPI, or an IMPU with its scheme).
		identity: String,
	},
	/// Show a subscriber's identities, pseudonyms and chain state (never its
	/// secrets).
	Show {
		/// The configuration file.
		#[arg(long, short)]
		config: PathBuf,
		/// One of its identities.
		identity: String,
	},
}

#[derive(clap::Args)]
struct AddArgs {
	/// The configuration file.
	#[arg(long, short)]
	config: PathBuf,
	/// The realm (home network domain) on chain.
	#[arg(long)]
	realm: String,
	/// The operator's name for the subscription.
	#[arg(long)]
	subscription: String,
	/// The private identity, e.g. `alice@ims.example.net`.
	#[arg(long)]
	impi: String,
	/// A public identity, e.g. `sip:alice@ims.example.net` (repeat for more).
	#[arg(long = "impu", required = true)]
	impus: Vec<String>,
	/// Schemes: sip-digest, digest-md5, aka1, aka2 (comma-separated).
	#[arg(long, value_delimiter = ',', default_value = "sip-digest")]
	schemes: Vec<String>,
	/// The scheme used when a request names none (default: the first).
	#[arg(long)]
	default_scheme: Option<String>,
	/// The SIP Digest password (better from the environment).
	#[arg(long, env = "IMS_BRIDGE_PASSWORD", hide_env_values = true)]
	password: Option<String>,
	/// Keep the password itself (needed to answer Digest-MD5).
	#[arg(long)]
	keep_password: bool,
	/// AKA subscriber key K, 32 hex digits.
	#[arg(long, env = "IMS_BRIDGE_K", hide_env_values = true)]
	k: Option<String>,
	/// AKA OPc, 32 hex digits.
	#[arg(long, env = "IMS_BRIDGE_OPC", hide_env_values = true)]
	opc: Option<String>,
	/// AKA OP, 32 hex digits (OPc is derived from it and K).
	#[arg(long, env = "IMS_BRIDGE_OP", hide_env_values = true)]
	op: Option<String>,
	/// AKA AMF, 4 hex digits.
	#[arg(long, default_value = "8000")]
	amf: String,
	/// The last SQN the USIM has seen.
	#[arg(long, default_value_t = 0)]
	sqn: u64,
	/// The realm's service profile its IMPUs use.
	#[arg(long, default_value_t = 0)]
	profile: u32,
	/// Start barred.
	#[arg(long)]
	barred: bool,
}

fn scheme(name: &str) -> Result<AuthScheme, String> {
	import::scheme(name).map_err(|e| e.to_string())
}

fn aka(args: &AddArgs) -> Result<Option<AkaSecret>, String> {
	match (&args.k, &args.opc, &args.op) {
		(None, None, None) => Ok(None),
		(None, _, _) => Err("OPc or OP given without K".into()),
		(Some(k), opc, op) => {
			AkaSecret::from_hex(k, opc.as_deref(), op.as_deref(), &args.amf, args.sqn).map(Some)
		},
	}
}

fn init_tracing() {
	let filter = tracing_subscriber::EnvFilter::try_from_default_env()
		.unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
	// Colours only for a terminal: a log file or the journal gets plain text.
	let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
	tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_ansi(ansi).init();
}

fn load(config: &Path) -> Result<Config, ExitCode> {
	Config::load(config).map_err(|errors| {
		eprintln!("{}: configuration refused:", config.display());
		for line in &errors.0 {
			eprintln!("  {line}");
		}
		ExitCode::from(2)
	})
}

/// Runs a subscriber request: through the running bridge's admin socket
/// if one answers, else against the vault and the chain directly.
async fn provision(config: &Path, request: Request) -> Result<(), ExitCode> {
	let config = load(config)?;
	let fail = |e: String| {
		eprintln!("{e}");
		ExitCode::FAILURE
	};
	let response = match admin::call(&config.admin_socket, &request).await {
		Ok(Some(response)) => response,
		Ok(None) => {
			let (client, signer, vault) = alone(&config).await.map_err(fail)?;
			let stop = CancellationToken::new();
			admin::execute(&client, &signer, &vault, None, request, &stop).await
		},
		Err(e) => return Err(fail(format!("the running bridge did not answer: {e}"))),
	};
	answered(response)
}

/// A command's answer printed: on stdout when it succeeded, else on stderr
/// with a failing exit.
fn answered(response: admin::Response) -> Result<(), ExitCode> {
	if response.ok {
		print!("{}", response.output);
		Ok(())
	} else {
		eprintln!("{}", response.output);
		Err(ExitCode::FAILURE)
	}
}

/// The chain client, signer and vault of a command run without a bridge.
async fn alone(
	config: &Config,
) -> Result<(ims_bridge::chain::Client, subxt_signer::sr25519::Keypair, Arc<Vault>), String> {
	let signer = ims_bridge::signer(&config.signer).map_err(|e| e.to_string())?;
	let vault = Vault::open_at(
		&config.vault_path,
		&config.vault_keyring,
		&config.vault_key,
		ims_bridge::vault::DEFAULT_CACHE_SUBSCRIBERS,
	)
	.map_err(|e| e.to_string())?;
	let client = ims_bridge::chain::connect_to(&config.chain).await.map_err(|e| e.to_string())?;
	Ok((client, signer, Arc::new(vault)))
}

/// `import`: through the running bridge if one answers (it reads the file
/// and logs its progress), else here with a progress bar; Ctrl-C stops
/// after the calls in flight, a second Ctrl-C at once.
async fn import(
	config: &Path,
	(from, source): (&str, &str),
	placement: (Option<&str>, u32),
	batch: Option<u32>,
) -> Result<(), ExitCode> {
	let config = load(config)?;
	let fail = |e: String| {
		eprintln!("{e}");
		ExitCode::FAILURE
	};
	let source =
		match import::Source::parse(from, source, placement).map_err(|e| fail(e.to_string()))? {
			// The bridge reads it: from its own working directory.
			import::Source::File(file) => import::Source::File(absolute(&file).map_err(fail)?),
			import::Source::Open5gs { path, placement } => {
				import::Source::Open5gs { path: absolute(&path).map_err(fail)?, placement }
			},
			other => other,
		};
	let request = Request::Import { source: source.clone(), batch };
	match admin::call(&config.admin_socket, &request).await {
		Ok(Some(response)) if response.ok => {
			print!("{}", response.output);
			return Ok(());
		},
		Ok(Some(response)) => return Err(fail(response.output)),
		Ok(None) => {},
		Err(e) => return Err(fail(format!("the running bridge did not answer: {e}"))),
	}
	let (client, signer, vault) = alone(&config).await.map_err(fail)?;
	let progress: Arc<dyn import::Progress> = if std::io::IsTerminal::is_terminal(&std::io::stderr())
	{
		Arc::new(import::Bar::new())
	} else {
		Arc::new(import::Lines::stderr())
	};
	let stop = CancellationToken::new();
	tokio::spawn(interrupt(stop.clone(), progress.clone()));
	let options = import::Options { batch: batch.map(|b| b as usize), ..Default::default() };
	let summary = import::run(&client, &signer, vault, &source, options, progress, stop)
		.await
		.map_err(|e| fail(e.to_string()))?;
	// The refused lines were reported as they were found.
	print!("{}", summary.report(None));
	if summary.complete() {
		Ok(())
	} else {
		Err(ExitCode::FAILURE)
	}
}

/// A file's absolute path: a running bridge reads it from its own working
/// directory.
fn absolute(file: &str) -> Result<String, String> {
	let path = std::fs::canonicalize(file).map_err(|e| format!("{file}: {e}"))?;
	Ok(path.display().to_string())
}

/// The first Ctrl-C stops the import after its calls in flight; the
/// second ends the process (the next run settles what it left).
async fn interrupt(stop: CancellationToken, progress: Arc<dyn import::Progress>) {
	if tokio::signal::ctrl_c().await.is_err() {
		return;
	}
	progress.note("stopping after the calls in flight (Ctrl-C again to quit at once)");
	stop.cancel();
	if tokio::signal::ctrl_c().await.is_ok() {
		std::process::exit(130);
	}
}

async fn subscriber(action: SubscriberCommand) -> Result<(), ExitCode> {
	let fail = |e: String| {
		eprintln!("{e}");
		ExitCode::FAILURE
	};
	match action {
		SubscriberCommand::Add(args) => {
			let schemes = args
				.schemes
				.iter()
				.map(|s| scheme(s))
				.collect::<Result<Vec<_>, _>>()
				.map_err(fail)?;
			let default_scheme = match &args.default_scheme {
				Some(s) => scheme(s).map_err(fail)?,
				None => *schemes.first().ok_or_else(|| fail("no scheme given".into()))?,
			};
			let aka = aka(&args).map_err(fail)?;
			let new = ims_bridge::provision::NewSubscriber {
				realm: args.realm.clone(),
				subscription: args.subscription.clone(),
				impi: args.impi.clone(),
				impus: args.impus.clone(),
				password: args.password.clone().map(Password),
				keep_password: args.keep_password,
				aka,
				schemes,
				default_scheme,
				profile: args.profile,
				barred: args.barred,
			};
			provision(&args.config, Request::Add(new)).await
		},
		SubscriberCommand::Remove { config, identity } => {
			provision(&config, Request::Remove(identity)).await
		},
		SubscriberCommand::Show { config, identity } => {
			provision(&config, Request::Show(identity)).await
		},
	}
}

/// `vault rotate-key`: by the running bridge if one answers, else here.
async fn rotate_key(config: &Path, new_key_file: &Path) -> Result<(), ExitCode> {
	let config = load(config)?;
	let fail = |e: String| {
		eprintln!("{e}");
		ExitCode::FAILURE
	};
	let path = std::fs::canonicalize(new_key_file)
		.map_err(|e| fail(format!("{}: {e}", new_key_file.display())))?;
	let request = Request::RotateKey(path.display().to_string());
	let response = match admin::call(&config.admin_socket, &request).await {
		Ok(Some(response)) => response,
		Ok(None) => {
			let vault =
				Vault::open_at(&config.vault_path, &config.vault_keyring, &config.vault_key, 0)
					.map_err(|e| fail(e.to_string()))?;
			admin::rotate_key(&Arc::new(vault), &path).await
		},
		Err(e) => return Err(fail(format!("the running bridge did not answer: {e}"))),
	};
	answered(response)
}

/// The variables the subcommands may take secrets from (clap reads them
/// while parsing).
const SECRET_VARIABLES: [&str; 4] =
	["IMS_BRIDGE_PASSWORD", "IMS_BRIDGE_K", "IMS_BRIDGE_OPC", "IMS_BRIDGE_OP"];

fn main() -> ExitCode {
	// Everything that touches the process's environment and limits happens
	// here, before the runtime starts its threads (src/hardening.rs).
	if let Err(e) = ims_bridge::hardening::harden() {
		eprintln!("{e}");
		return ExitCode::FAILURE;
	}
	let cli = Cli::parse();
	let mut forgotten = ims_bridge::hardening::forget_environment(SECRET_VARIABLES);
	let mut loaded = None;
	if let Command::Run { config } = &cli.command {
		match load(config) {
			Ok(config) => loaded = Some(config),
			Err(code) => return code,
		}
	}
	let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
		Ok(runtime) => runtime,
		Err(e) => {
			eprintln!("cannot start the async runtime: {e}");
			return ExitCode::FAILURE;
		},
	};
	if let Some(config) = &loaded {
		forgotten.extend(ims_bridge::hardening::forget_environment(
			config.secret_variables.iter().map(String::as_str),
		));
	}
	let forgotten: Vec<String> = forgotten.into_iter().map(str::to_string).collect();
	let outcome = runtime.block_on(async move {
		init_tracing();
		if !forgotten.is_empty() {
			tracing::info!(variables = %forgotten.join(","), "secrets read from the environment and removed from it");
		}
		match (cli.command, loaded) {
			(Command::Run { .. }, Some(config)) => ims_bridge::run(config).await.map_err(|e| {
				tracing::error!(error = %e, "the bridge stopped");
				ExitCode::FAILURE
			}),
			(Command::Run { .. }, None) => Err(ExitCode::FAILURE),
			(Command::Subscriber { action }, _) => subscriber(*action).await,
			(Command::Import { config, batch, from, source, realm, profile }, _) => {
				import(&config, (&from, &source), (realm.as_deref(), profile), batch).await
			},
			(Command::Vault { action: VaultCommand::RotateKey { config, new_key_file } }, _) => {
				rotate_key(&config, &new_key_file).await
			},
			(Command::Api { action }, _) => api_command::run(action),
		}
	});
	match outcome {
		Ok(()) => ExitCode::SUCCESS,
		Err(code) => code,
	}
}

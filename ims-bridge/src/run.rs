//! Running the bridge: open its stores, bind its ports, connect to the
//! chain, then serve Cx while following the chain and draining the journal,
//! until SIGINT or SIGTERM. Every task it starts is tracked and stopped
//! through one cancellation token; shutdown waits for all of them.

use crate::{admin, api, chain, config, cx, diameter, index, journal, metrics, server, vault};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How long shutdown waits for the bridge's tasks once the listener is
/// closed (the follower's and submitter's calls in flight, RTRs, the admin
/// command running, the last index snapshot: 8.9 s for a million
/// subscribers on the project machine, `docs/index.md`).
const SHUTDOWN_WAIT: Duration = Duration::from_secs(30);
/// Between two attempts to reach the node at start.
const CONNECT_RETRY: Duration = Duration::from_secs(2);
/// Between two updates of the connected-peers gauge.
const PEERS_GAUGE_EVERY: Duration = Duration::from_secs(1);
/// How often a start blocked by a full file system tries again.
const NO_SPACE_RETRY: Duration = Duration::from_secs(5);

/// Why the bridge could not run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
	/// The journal stopped after a failed write; a restart replays its log.
	#[error("the journal stopped after a failed write")]
	JournalStopped,
	/// The signer's secret URI is unusable.
	#[error(transparent)]
	Signer(#[from] SignerError),
	/// The vault could not be opened.
	#[error("vault {}: {source}", path.display())]
	Vault {
		/// The vault file.
		path: PathBuf,
		/// Why it could not be opened.
		#[source]
		source: vault::VaultError,
	},
	/// The journal could not be opened.
	#[error("journal {}: {source}", path.display())]
	Journal {
		/// The journal's database file.
		path: PathBuf,
		/// Why it could not be opened.
		#[source]
		source: journal::JournalError,
	},
	/// The metrics registry could not be built.
	#[error("metrics: {0}")]
	Metrics(#[from] prometheus::Error),
	/// The TLS certificate or key could not be loaded.
	#[error(transparent)]
	Tls(#[from] server::TlsError),
	/// A port could not be bound.
	#[error("cannot listen on {address}: {source}")]
	Bind {
		/// The address.
		address: std::net::SocketAddr,
		/// Why it could not be bound.
		#[source]
		source: std::io::Error,
	},
	/// The API's token file could not be read.
	#[error("API tokens: {0}")]
	Tokens(#[from] api::tokens::TokenError),
	/// The admin socket could not be bound.
	#[error("admin socket {}: {source}", path.display())]
	Admin {
		/// The socket's path.
		path: PathBuf,
		/// Why it could not be bound.
		#[source]
		source: std::io::Error,
	},
}

/// Why the signer's secret URI gives no key pair.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignerError {
	/// It is not a secret URI.
	#[error("the signer is not a valid secret URI")]
	Uri,
	/// It is one, but derives no sr25519 key pair.
	#[error("the signer's secret URI does not give a key pair")]
	KeyPair,
}

/// The bridge account's key pair from its secret URI (`//Alice`, a
/// mnemonic with an optional derivation path, or a `0x` seed).
pub fn signer(uri: &str) -> Result<subxt_signer::sr25519::Keypair, SignerError> {
	let uri: subxt_signer::SecretUri = uri.parse().map_err(|_| SignerError::Uri)?;
	subxt_signer::sr25519::Keypair::from_uri(&uri).map_err(|_| SignerError::KeyPair)
}

/// The ports the bridge serves, bound before anything else starts.
struct Listeners {
	cx: TcpListener,
	metrics: Option<TcpListener>,
	admin: UnixListener,
	api: Option<TcpListener>,
}

impl Listeners {
	async fn bind(config: &config::Config) -> Result<Self, RunError> {
		let bind = |address| async move {
			TcpListener::bind(address).await.map_err(|source| RunError::Bind { address, source })
		};
		let cx = bind(config.listen).await?;
		let metrics = match config.metrics {
			Some(address) => Some(bind(address).await?),
			None => None,
		};
		let admin = admin::bind(&config.admin_socket)
			.await
			.map_err(|source| RunError::Admin { path: config.admin_socket.clone(), source })?;
		let api = match config.api.listen {
			Some(address) => Some(bind(address).await?),
			None => None,
		};
		Ok(Listeners { cx, metrics, admin, api })
	}
}

/// The provisioning API on `listener`, served once the index is loaded
/// (its writes wait for finality anyway).
fn serve_api(
	listener: TcpListener,
	config: &config::ApiConfig,
	chain: (chain::Client, subxt_signer::sr25519::Keypair),
	(vault, cx, audit): (Arc<vault::Vault>, Arc<diameter::peer::Context<cx::Cx>>, api::Audit),
	shutdown: &CancellationToken,
) -> Result<impl std::future::Future<Output = ()>, RunError> {
	let tls = match &config.tls {
		Some((cert, key)) => Some(server::tls_server_acceptor(cert, key)?),
		None => None,
	};
	let tokens = api::tokens::TokenStore::open(config.tokens.clone())?;
	let state = Arc::new(api::Api::new(chain, vault, Some(cx), (tokens, audit), config));
	let router = api::router(state);
	let scheme = if tls.is_some() { "https" } else { "http" };
	tracing::info!(listen = ?config.listen, scheme, "serving the provisioning API");
	let limits = api::Limits::new(config.max_connections);
	Ok(api::serve(listener, tls, router, limits, shutdown.clone()))
}

/// Runs the bridge until SIGINT or SIGTERM: opens the vault and journal,
/// binds its ports, loads the index from the chain's finalized head, then
/// serves Cx while following the chain and draining the journal.
pub async fn run(config: config::Config) -> Result<(), RunError> {
	let signer = signer(&config.signer)?;
	let account: subxt::utils::AccountId32 = signer.public_key().into();
	let shutdown = CancellationToken::new();
	let tasks = TaskTracker::new();
	tasks.spawn(cancel_on_signal(shutdown.clone()));
	let Some((vault, journal)) = open_stores_when_there_is_room(&config, &shutdown).await? else {
		return Ok(());
	};
	let metrics = Arc::new(metrics::Metrics::new()?);
	let tls = match &config.tls {
		Some(t) => Some(server::tls_acceptor(&t.cert, &t.key, &t.client_ca)?),
		None => None,
	};
	warn_of_plain_peers(&config.policy);
	let listeners = Listeners::bind(&config).await?;
	// Metrics answer from the start: a cold start at a million subscribers
	// takes minutes, and a chain that cannot be followed shows in them.
	if let Some(listener) = listeners.metrics {
		tasks.spawn(metrics::serve(listener, metrics.clone(), shutdown.clone()));
	}

	tracing::info!(url = %config.chain.url, account = %account, "connecting to the chain");
	let Some(client) = connect(&config.chain, &shutdown).await else { return Ok(()) };
	let index = Arc::new(index::Index::default());
	let (ready_tx, mut ready) = watch::channel(false);
	let (terminations, terminated) = tokio::sync::mpsc::unbounded_channel();
	let follower = chain::Follower {
		client: client.clone(),
		index: index.clone(),
		journal: journal.clone(),
		metrics: metrics.clone(),
		account,
		terminations,
		snapshot: config.snapshots.as_ref().map(|policy| policy.path.clone()),
	};
	tasks.spawn(chain::follow(follower, ready_tx, shutdown.clone()));
	if let Some(policy) = config.snapshots.clone() {
		tasks.spawn(chain::keep_snapshots(client.clone(), index.clone(), policy, shutdown.clone()));
	}
	tokio::select! {
		_ = ready.wait_for(|ready| *ready) => {},
		_ = shutdown.cancelled() => {
			stop(&tasks).await;
			return Ok(());
		},
	}
	tasks.spawn(chain::submit(
		client.clone(),
		journal.clone(),
		signer.clone(),
		metrics.clone(),
		chain::SubmitOptions::default(),
		index.clone(),
		shutdown.clone(),
	));
	let journal_stopped = tasks.spawn(stop_with_the_journal(journal.clone(), shutdown.clone()));
	let audit = api::Audit::new(
		journal.clone(),
		index.clone(),
		config.local.origin_realm.clone(),
		metrics.unrecorded.clone(),
	);
	let cx = cx::Cx::new(
		config.local.clone(),
		config.cx.clone(),
		index,
		vault.clone(),
		journal,
		metrics.clone(),
	);
	let ctx =
		Arc::new(diameter::peer::Context::new(config.local.clone(), config.policy.clone(), cx));
	if let Some(listener) = listeners.api {
		let state = (client.clone(), signer.clone());
		tasks.spawn(serve_api(
			listener,
			&config.api,
			state,
			(vault.clone(), ctx.clone(), audit),
			&shutdown,
		)?);
	}
	tasks.spawn(admin::serve(
		listeners.admin,
		config.admin_socket.clone(),
		client,
		signer,
		vault,
		ctx.clone(),
		shutdown.clone(),
	));
	tasks.spawn(count_peers(ctx.clone(), metrics, shutdown.clone()));
	// Identities the chain bars or removes: RTR to their S-CSCF.
	let timeout = config.policy.request_timeout;
	let rtr =
		cx::retry_terminations(ctx.clone(), terminated, timeout, tasks.clone(), shutdown.clone());
	tasks.spawn(rtr);
	tracing::info!(listen = %config.listen, origin_host = %config.local.origin_host, "serving Cx");
	server::run(listeners.cx, ctx, config.max_connections, tls, shutdown.clone()).await;
	shutdown.cancel();
	stop(&tasks).await;
	match journal_stopped.await {
		Ok(true) => Err(RunError::JournalStopped),
		_ => Ok(()),
	}
}

/// Shuts the bridge down if a failed write stops the journal (a disk that
/// filled past the reserve, a failing disk): every later request would be
/// refused, and a restart replays the log, losing nothing that was
/// answered (`docs/journal.md`, "Pressure"). Returns whether it did.
async fn stop_with_the_journal(journal: journal::Journal, shutdown: CancellationToken) -> bool {
	tokio::select! {
		_ = journal.stopped() => {
			tracing::error!("the journal stopped after a failed write; shutting down so that a restart replays its log");
			shutdown.cancel();
			true
		},
		_ = shutdown.cancelled() => false,
	}
}

/// [`open_stores`], waiting for the file system to have room again while
/// it is full (a restart must not turn into a crash loop); `None` if
/// shutdown comes first.
async fn open_stores_when_there_is_room(
	config: &config::Config,
	shutdown: &CancellationToken,
) -> Result<Option<(Arc<vault::Vault>, journal::Journal)>, RunError> {
	let mut warned = false;
	loop {
		match open_stores(config) {
			Err(RunError::Journal { source, .. }) if source.is_no_space() => {
				if !warned {
					tracing::warn!(path = %config.journal_path.display(), error = %source, "no room to open the journal; waiting for space");
					warned = true;
				}
			},
			opened => return opened.map(Some),
		}
		tokio::select! {
			_ = tokio::time::sleep(NO_SPACE_RETRY) => {},
			_ = shutdown.cancelled() => return Ok(None),
		}
	}
}

/// The vault and the journal, opened before any port is bound.
fn open_stores(config: &config::Config) -> Result<(Arc<vault::Vault>, journal::Journal), RunError> {
	let vault = vault::Vault::open_at(
		&config.vault_path,
		&config.vault_keyring,
		&config.vault_key,
		config.vault_cache,
	)
	.map_err(|source| RunError::Vault { path: config.vault_path.clone(), source })?;
	let options = journal::JournalOptions {
		sync: config.journal_sync,
		flush_interval: config.journal_flush_interval,
		limits: config.journal_limits,
		..journal::JournalOptions::default()
	};
	let journal = journal::Journal::open_with(&config.journal_path, options)
		.map_err(|source| RunError::Journal { path: config.journal_path.clone(), source })?;
	Ok((Arc::new(vault), journal))
}

/// Connects to the node, trying again every [`CONNECT_RETRY`] until it
/// answers; `None` if shutdown comes first.
async fn connect(
	endpoint: &chain::Endpoint,
	shutdown: &CancellationToken,
) -> Option<chain::Client> {
	loop {
		// The client retries a node that is down by itself, so an attempt
		// may last until the node is up: a shutdown must not wait for it.
		let attempt = tokio::select! {
			attempt = chain::connect_to(endpoint) => attempt,
			_ = shutdown.cancelled() => return None,
		};
		match attempt {
			Ok(client) => return Some(client),
			Err(e) => {
				tracing::warn!(error = %e, "the node is not reachable; retrying in 2 s");
				tokio::select! {
					_ = tokio::time::sleep(CONNECT_RETRY) => {},
					_ = shutdown.cancelled() => return None,
				}
			},
		}
	}
}

/// Waits for every task the bridge started, at most [`SHUTDOWN_WAIT`].
async fn stop(tasks: &TaskTracker) {
	tasks.close();
	if tokio::time::timeout(SHUTDOWN_WAIT, tasks.wait()).await.is_err() {
		tracing::warn!(left = tasks.len(), "tasks still running after the shutdown wait; leaving");
	}
	tracing::info!("stopped");
}

/// Keeps the connected-peers gauge current.
async fn count_peers(
	ctx: Arc<diameter::peer::Context<cx::Cx>>,
	metrics: Arc<metrics::Metrics>,
	shutdown: CancellationToken,
) {
	loop {
		metrics.peers.set(ctx.peers.connected().len() as i64);
		tokio::select! {
			_ = tokio::time::sleep(PEERS_GAUGE_EVERY) => {},
			_ = shutdown.cancelled() => return,
		}
	}
}

/// Cancels `shutdown` on SIGINT or SIGTERM (or on SIGINT alone where
/// SIGTERM cannot be watched), or returns once it is cancelled otherwise.
async fn cancel_on_signal(shutdown: CancellationToken) {
	tokio::select! {
		_ = signalled() => {
			tracing::info!("shutting down: disconnecting peers");
			shutdown.cancel();
		},
		_ = shutdown.cancelled() => {},
	}
}

/// SIGINT or SIGTERM.
async fn signalled() {
	let interrupt = tokio::signal::ctrl_c();
	#[cfg(unix)]
	{
		use tokio::signal::unix::{signal, SignalKind};
		match signal(SignalKind::terminate()) {
			Ok(mut terminate) => tokio::select! {
				_ = interrupt => {},
				_ = terminate.recv() => {},
			},
			Err(e) => {
				tracing::error!(error = %e, "cannot watch SIGTERM");
				let _ = interrupt.await;
			},
		}
	}
	#[cfg(not(unix))]
	let _ = interrupt.await;
}

/// Warns, at every start, of each peer allowed plain TCP from another host:
/// its Diameter (with SIP Digest HA1s and AKA vectors) crosses the network
/// in clear unless the path is protected otherwise.
fn warn_of_plain_peers(policy: &diameter::peer::PeerPolicy) {
	for peer in policy.allowed.iter().filter(|p| p.plain_tcp) {
		let remote: Vec<String> =
			peer.addresses.iter().filter(|a| !a.is_loopback()).map(|a| a.to_string()).collect();
		if !remote.is_empty() {
			tracing::warn!(origin_host = %peer.origin_host, addresses = %remote.join(","), "peer allowed plain TCP from another host: protect that path (IPsec), see docs/diameter-peers.md");
		}
	}
}

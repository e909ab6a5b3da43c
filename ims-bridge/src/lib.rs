//! The IMS ledger's HSS front for Kamailio.
//!
//! Kamailio's I-CSCF and S-CSCF speak Diameter Cx to the bridge as they
//! would to an HSS. The bridge answers from an in-memory index of finalized
//! chain state and an encrypted vault of subscriber secrets, and writes an
//! audit record for every transaction back to the chain.
//!
//! - [`diameter`]: the codec, the dictionary and the peer state machine.
//! - [`auth`]: Milenage (3GPP TS 35.206), AKA vectors and resynchronisation,
//!   SIP Digest (HA1).
//! - [`vault`]: the encrypted, crash-safe store of subscriber secrets.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
#![cfg_attr(
	test,
	allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

/// `From` conversions of redb's errors into a module's `Storage(String)`
/// variant.
#[macro_export]
#[doc(hidden)]
macro_rules! storage_errors {
	($target:ident, $($t:ty),* $(,)?) => {$(
		impl From<$t> for $target {
			fn from(e: $t) -> Self {
				$target::Storage(e.to_string())
			}
		}
	)*};
}

pub mod admin;
pub mod auth;
pub mod chain;
pub mod config;
pub mod cx;
pub mod diameter;
pub mod index;
pub mod journal;
pub mod metrics;
pub mod provision;
pub mod pseudonym;
pub mod server;
pub mod user_data;
pub mod vault;

use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Why the bridge could not run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
	/// The vault could not be opened.
	#[error("vault {0}: {1}")]
	Vault(String, vault::VaultError),
	/// The journal could not be opened.
	#[error("journal {0}: {1}")]
	Journal(String, journal::JournalError),
	/// A port could not be bound.
	#[error("cannot listen on {0}: {1}")]
	Bind(std::net::SocketAddr, std::io::Error),
	/// Anything else that prevents a start.
	#[error("{0}")]
	Start(String),
}

/// The bridge account's key pair from its secret URI (`//Alice`, a
/// mnemonic with an optional derivation path, or a `0x` seed).
pub fn signer(uri: &str) -> Result<subxt_signer::sr25519::Keypair, String> {
	let uri: subxt_signer::SecretUri =
		uri.parse().map_err(|_| "the signer is not a valid secret URI".to_string())?;
	subxt_signer::sr25519::Keypair::from_uri(&uri)
		.map_err(|_| "the signer's secret URI does not give a key pair".to_string())
}

async fn shutdown_signal(tx: watch::Sender<bool>) {
	let interrupt = tokio::signal::ctrl_c();
	#[cfg(unix)]
	{
		let mut terminate =
			match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
				Ok(signal) => signal,
				Err(e) => {
					tracing::error!(error = %e, "cannot watch SIGTERM");
					let _ = interrupt.await;
					tx.send_replace(true);
					return;
				},
			};
		tokio::select! {
			_ = interrupt => {},
			_ = terminate.recv() => {},
		}
	}
	#[cfg(not(unix))]
	let _ = interrupt.await;
	tracing::info!("shutting down: disconnecting peers");
	tx.send_replace(true);
}

/// How many times an unanswered RTR is sent, and how far apart.
const RTR_ATTEMPTS: u32 = 36;
const RTR_RETRY: Duration = Duration::from_secs(5);

/// Runs the bridge until SIGINT or SIGTERM: opens the vault and journal,
/// binds its ports, loads the index from the chain's finalized head, then
/// serves Cx while following the chain and draining the journal.
pub async fn run(config: config::Config) -> Result<(), RunError> {
	let signer = signer(&config.signer).map_err(RunError::Start)?;
	let account: subxt::utils::AccountId32 = signer.public_key().into();
	let vault =
		vault::Vault::open_with_cache(&config.vault_path, &config.vault_key, config.vault_cache)
			.map_err(|e| RunError::Vault(config.vault_path.display().to_string(), e))?;
	let vault = Arc::new(vault);
	let options = journal::JournalOptions {
		sync: config.journal_sync,
		flush_interval: config.journal_flush_interval,
		..journal::JournalOptions::default()
	};
	let journal = journal::Journal::open_with(&config.journal_path, options)
		.map_err(|e| RunError::Journal(config.journal_path.display().to_string(), e))?;
	let metrics = Arc::new(metrics::Metrics::new().map_err(|e| RunError::Start(e.to_string()))?);
	let tls = match &config.tls {
		Some((cert, key)) => {
			Some(server::tls_acceptor(cert, key).map_err(|e| RunError::Start(e.to_string()))?)
		},
		None => None,
	};
	let listener = tokio::net::TcpListener::bind(config.listen)
		.await
		.map_err(|e| RunError::Bind(config.listen, e))?;
	let metrics_listener = match config.metrics {
		Some(address) => Some(
			tokio::net::TcpListener::bind(address).await.map_err(|e| RunError::Bind(address, e))?,
		),
		None => None,
	};
	let admin_listener = admin::bind(&config.admin_socket).await.map_err(|e| {
		RunError::Start(format!("admin socket {}: {e}", config.admin_socket.display()))
	})?;
	let (shutdown_tx, shutdown) = watch::channel(false);
	tokio::spawn(shutdown_signal(shutdown_tx));

	tracing::info!(url = %config.chain_url, account = %account, "connecting to the chain");
	let client = loop {
		match chain::connect(&config.chain_url).await {
			Ok(client) => break client,
			Err(e) => {
				tracing::warn!(error = %e, "the node is not reachable; retrying in 2 s");
				let mut stop = shutdown.clone();
				tokio::select! {
					_ = tokio::time::sleep(Duration::from_secs(2)) => {},
					_ = stop.changed() => return Ok(()),
				}
			},
		}
	};
	let index = Arc::new(index::Index::default());
	let (ready_tx, mut ready) = watch::channel(false);
	let (terminations, mut terminated) = tokio::sync::mpsc::unbounded_channel();
	let follower = chain::Follower {
		client: client.clone(),
		index: index.clone(),
		journal: journal.clone(),
		metrics: metrics.clone(),
		account,
		terminations,
	};
	let follower = tokio::spawn(chain::follow(follower, ready_tx, shutdown.clone()));
	{
		let mut stop = shutdown.clone();
		tokio::select! {
			_ = ready.wait_for(|ready| *ready) => {},
			_ = stop.changed() => return Ok(()),
		}
	}
	let submitter = tokio::spawn(chain::submit(
		client.clone(),
		journal.clone(),
		signer.clone(),
		metrics.clone(),
		chain::SubmitOptions::default(),
		shutdown.clone(),
	));
	if let Some(listener) = metrics_listener {
		tokio::spawn(metrics::serve(listener, metrics.clone(), shutdown.clone()));
	}
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
	tokio::spawn(admin::serve(
		admin_listener,
		config.admin_socket.clone(),
		client,
		signer,
		vault,
		ctx.clone(),
		shutdown.clone(),
	));
	{
		let ctx = ctx.clone();
		let metrics = metrics.clone();
		let mut stop = shutdown.clone();
		tokio::spawn(async move {
			loop {
				metrics.peers.set(ctx.peers.connected().len() as i64);
				tokio::select! {
					_ = tokio::time::sleep(Duration::from_secs(1)) => {},
					_ = stop.changed() => return,
				}
			}
		});
	}
	{
		// Identities the chain bars or removes: RTR to their S-CSCF, tried
		// again while it goes unanswered (Kamailio's S-CSCF reconnects after a
		// multiple of its Tc, 30 s by default: 68 s seen in the tests).
		let ctx = ctx.clone();
		let timeout = config.policy.request_timeout;
		tokio::spawn(async move {
			while let Some(gone) = terminated.recv().await {
				let ctx = ctx.clone();
				tokio::spawn(async move {
					let mut pending = gone;
					for attempt in 1..=RTR_ATTEMPTS {
						let last = attempt == RTR_ATTEMPTS;
						let outcomes = ctx.app.terminate(&ctx.peers, &pending, timeout, last).await;
						for outcome in outcomes.iter().filter(|o| o.code != 0) {
							tracing::info!(
								code = outcome.code,
								identities = outcome.members.len(),
								"registration terminated at the S-CSCF"
							);
						}
						pending.retain(|(impu, _)| {
							outcomes.iter().any(|o| o.code == 0 && o.members.contains(impu))
						});
						if pending.is_empty() {
							return;
						}
						tokio::time::sleep(RTR_RETRY).await;
					}
					tracing::warn!(
						identities = pending.len(),
						"RTR unanswered after {RTR_ATTEMPTS} attempts; given up"
					);
				});
			}
		});
	}
	tracing::info!(listen = %config.listen, origin_host = %config.local.origin_host, "serving Cx");
	server::run(listener, ctx, config.max_connections, tls, shutdown).await;
	let _ = tokio::time::timeout(Duration::from_secs(5), follower).await;
	let _ = tokio::time::timeout(Duration::from_secs(5), submitter).await;
	tracing::info!("stopped");
	Ok(())
}

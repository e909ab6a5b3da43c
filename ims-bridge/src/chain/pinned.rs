//! The bridge's connection to a node over `wss://` with a pinned CA
//! (`docs/submitter.md`, "The node's RPC"): the node's certificate must
//! chain to the CA of `[chain] ca`, whatever the system trusts.
//!
//! subxt's reconnecting client cannot be given a certificate store, so
//! this is a reconnecting client of its own over jsonrpsee's WebSocket
//! client: calls made while the connection is down wait for the next one
//! (tried with exponential back-off up to 10 s), and what the connection
//! was carrying ends with `DisconnectedWillReconnect`, which subxt's
//! backend answers by asking again and subscribing anew, as with the
//! reconnecting client.

use futures::{StreamExt, TryStreamExt};
use jsonrpsee_ws_client::{WsClient, WsClientBuilder};
use serde_json::value::RawValue;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use subxt_rpcs::client::{RawRpcFuture, RawRpcSubscription, RpcClientT};
use subxt_rpcs::Error as RpcError;
use tokio::sync::Mutex;

/// The longest wait between two attempts to connect.
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// How long a call may wait for its answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest message either way (as subxt's reconnecting client).
const MAX_MESSAGE: u32 = 100 * 1024 * 1024;

/// Why the pinned CA cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("chain CA {path}: {reason}")]
pub struct CaError {
	/// The file.
	pub path: String,
	/// What is wrong with it.
	pub reason: String,
}

/// The TLS client configuration that trusts the CA in `path` alone.
pub fn pinned_tls(path: &Path) -> Result<rustls::ClientConfig, CaError> {
	let error = |reason: String| CaError { path: path.display().to_string(), reason };
	let mut roots = rustls::RootCertStore::empty();
	for ca in crate::server::pem_certificates(path).map_err(error)? {
		roots.add(ca).map_err(|e| error(e.to_string()))?;
	}
	let provider = Arc::new(rustls::crypto::ring::default_provider());
	Ok(rustls::ClientConfig::builder_with_provider(provider)
		.with_safe_default_protocol_versions()
		.map_err(|e| error(e.to_string()))?
		.with_root_certificates(roots)
		.with_no_client_auth())
}

/// A reconnecting WebSocket client that trusts one CA.
pub struct PinnedClient {
	url: String,
	tls: rustls::ClientConfig,
	/// The connection in use; replaced when it is found closed.
	current: Mutex<Arc<WsClient>>,
}

impl PinnedClient {
	/// Connects to `url` (`wss://`), trying until a connection is made.
	pub async fn connect(url: &str, tls: rustls::ClientConfig) -> PinnedClient {
		let first = dial(url, &tls).await;
		PinnedClient { url: url.to_string(), tls, current: Mutex::new(first) }
	}

	/// The connection, made again if it closed.
	async fn client(&self) -> Arc<WsClient> {
		let mut current = self.current.lock().await;
		if !current.is_connected() {
			tracing::warn!(url = %self.url, "the node's RPC connection closed: connecting again");
			*current = dial(&self.url, &self.tls).await;
			tracing::info!(url = %self.url, "connected to the node's RPC again");
		}
		current.clone()
	}
}

/// A connection to `url`, tried with growing pauses until one is made.
async fn dial(url: &str, tls: &rustls::ClientConfig) -> Arc<WsClient> {
	let mut pause = Duration::from_millis(100);
	loop {
		let built = WsClientBuilder::new()
			.with_custom_cert_store(tls.clone())
			.max_request_size(MAX_MESSAGE)
			.max_response_size(MAX_MESSAGE)
			.request_timeout(REQUEST_TIMEOUT)
			.max_buffer_capacity_per_subscription(tokio::sync::Semaphore::MAX_PERMITS)
			.build(url)
			.await;
		match built {
			Ok(client) => return Arc::new(client),
			Err(e) => {
				tracing::warn!(url, error = %e, retry_in = ?pause, "cannot connect to the node's RPC");
				tokio::time::sleep(pause).await;
				pause = (pause * 2).min(MAX_BACKOFF);
			},
		}
	}
}

/// A failure of `client`'s call: a lost connection is one the caller may
/// retry on the next.
fn classify(client: &WsClient, error: RpcError) -> RpcError {
	match error {
		RpcError::Client(e) if !client.is_connected() => {
			RpcError::DisconnectedWillReconnect(e.to_string())
		},
		other => other,
	}
}

impl RpcClientT for PinnedClient {
	fn request_raw<'a>(
		&'a self,
		method: &'a str,
		params: Option<Box<RawValue>>,
	) -> RawRpcFuture<'a, Box<RawValue>> {
		Box::pin(async move {
			let client = self.client().await;
			let answer = client.request_raw(method, params).await;
			answer.map_err(|e| classify(&client, e))
		})
	}

	fn subscribe_raw<'a>(
		&'a self,
		sub: &'a str,
		params: Option<Box<RawValue>>,
		unsub: &'a str,
	) -> RawRpcFuture<'a, RawRpcSubscription> {
		Box::pin(async move {
			let client = self.client().await;
			let subscription = client.subscribe_raw(sub, params, unsub).await;
			let RawRpcSubscription { stream, id } =
				subscription.map_err(|e| classify(&client, e))?;
			// A subscription whose connection closed ends with the error
			// that has subxt subscribe again; one the node ended (a
			// transaction's, once final) just ends.
			let (watched, at_end) = (client.clone(), client.clone());
			let lost = futures::stream::once(async move {
				let lost = "the node's RPC connection closed".to_string();
				(!at_end.is_connected()).then_some(Err(RpcError::DisconnectedWillReconnect(lost)))
			})
			.filter_map(futures::future::ready);
			let stream = stream.map_err(move |e| classify(&watched, e)).chain(lost).boxed();
			Ok(RawRpcSubscription { stream, id })
		})
	}
}

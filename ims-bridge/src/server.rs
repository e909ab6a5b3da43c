//! The Diameter listener: accepts peers from allowed addresses, up to a cap,
//! optionally over TLS, and serves each connection with
//! [`crate::diameter::peer::serve`] until shutdown.

use crate::diameter::peer::{self, Application, Context};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

/// How long a TLS handshake may take.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// The pause after a failed accept.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// How long shutdown waits for peers to answer DPR and close.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A TLS certificate chain and key that cannot be loaded.
#[derive(Debug, thiserror::Error)]
#[error("TLS {what} {path}: {reason}")]
pub struct TlsError {
	what: &'static str,
	path: String,
	reason: String,
}

/// A TLS acceptor from PEM files: the certificate chain and its key.
pub fn tls_acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, TlsError> {
	let error = |what, path: &Path, reason: String| TlsError {
		what,
		path: path.display().to_string(),
		reason,
	};
	let chain = CertificateDer::pem_file_iter(cert)
		.map_err(|e| error("certificate", cert, e.to_string()))?
		.collect::<Result<Vec<_>, _>>()
		.map_err(|e| error("certificate", cert, e.to_string()))?;
	if chain.is_empty() {
		return Err(error("certificate", cert, "no certificate in the file".into()));
	}
	let key_der =
		PrivateKeyDer::from_pem_file(key).map_err(|e| error("key", key, e.to_string()))?;
	let config = rustls::ServerConfig::builder_with_provider(Arc::new(
		rustls::crypto::ring::default_provider(),
	))
	.with_safe_default_protocol_versions()
	.map_err(|e| error("configuration", cert, e.to_string()))?
	.with_no_client_auth()
	.with_single_cert(chain, key_der)
	.map_err(|e| error("key", key, e.to_string()))?;
	Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Serves Diameter on `listener` until `shutdown` is cancelled, then sends
/// DPR to every peer and waits (at most [`SHUTDOWN_GRACE`]) for them to go;
/// connections still open then are aborted.
pub async fn run<A: Application>(
	listener: TcpListener,
	ctx: Arc<Context<A>>,
	max_connections: usize,
	tls: Option<TlsAcceptor>,
	shutdown: CancellationToken,
) {
	let slots = Arc::new(Semaphore::new(max_connections));
	let mut connections = JoinSet::new();
	while let Some((stream, address)) = accept(&listener, &shutdown, "diameter").await {
		while connections.try_join_next().is_some() {}
		if !ctx.policy.admits_address(address.ip()) {
			tracing::warn!(%address, "connection from an address no allowed peer uses; closed");
			continue;
		}
		let Ok(slot) = slots.clone().try_acquire_owned() else {
			tracing::warn!(%address, max_connections, "connection cap reached; closed");
			continue;
		};
		let _ = stream.set_nodelay(true);
		let (ctx, tls, shutdown) = (ctx.clone(), tls.clone(), shutdown.clone());
		connections.spawn(async move {
			let closed = serve_connection(stream, address, ctx, tls, shutdown).await;
			tracing::debug!(%address, ?closed, "connection closed");
			drop(slot);
		});
	}
	drop(listener);
	let grace = tokio::time::sleep(SHUTDOWN_GRACE);
	tokio::pin!(grace);
	loop {
		tokio::select! {
			next = connections.join_next() => if next.is_none() { break },
			_ = &mut grace => {
				tracing::warn!(open = connections.len(), "peers still connected after the shutdown grace; closing");
				connections.abort_all();
				break;
			},
		}
	}
}

/// The next connection on `listener` (the `what` listener, for the log);
/// `None` once `shutdown` is cancelled. A failed accept (out of file
/// descriptors and the like) is logged and retried after a brief back-off.
pub async fn accept(
	listener: &TcpListener,
	shutdown: &CancellationToken,
	what: &str,
) -> Option<(TcpStream, SocketAddr)> {
	loop {
		let accepted = tokio::select! {
			accepted = listener.accept() => accepted,
			_ = shutdown.cancelled() => return None,
		};
		match accepted {
			Ok(accepted) => return Some(accepted),
			Err(e) => {
				tracing::warn!(listener = what, error = %e, "accept failed");
				tokio::time::sleep(ACCEPT_BACKOFF).await;
			},
		}
	}
}

/// One accepted connection, after its TLS handshake if TLS is on.
async fn serve_connection<A: Application>(
	stream: TcpStream,
	address: SocketAddr,
	ctx: Arc<Context<A>>,
	tls: Option<TlsAcceptor>,
	shutdown: CancellationToken,
) -> peer::Closed {
	let Some(acceptor) = tls else { return peer::serve(stream, address, ctx, shutdown).await };
	match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
		Ok(Ok(stream)) => peer::serve(stream, address, ctx, shutdown).await,
		Ok(Err(e)) => peer::Closed::TlsHandshake(e),
		Err(_) => peer::Closed::TlsHandshakeTimeout,
	}
}

//! The Diameter listener: accepts peers from allowed addresses, up to a cap,
//! over plain TCP or mutual TLS, and serves each connection with
//! [`crate::diameter::peer::serve`] until shutdown.
//!
//! With TLS configured, one port takes both: a connection whose first byte
//! opens a TLS handshake (0x16) is TLS, and its client certificate must
//! chain to the operator's CA; any other is plain TCP, which the peer layer
//! admits only from loopback or for peers marked `plain_tcp`
//! (`docs/diameter-peers.md`, "Mutual TLS").

use crate::diameter::peer::{self, Application, Context, Transport};
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

/// The first byte of a TLS record carrying a handshake (RFC 8446 5.1); a
/// Diameter message starts with its version, 1.
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// A mutual-TLS acceptor from PEM files: our certificate chain and its key,
/// and the CA that every client certificate must chain to.
pub fn tls_acceptor(cert: &Path, key: &Path, client_ca: &Path) -> Result<TlsAcceptor, TlsError> {
	let (chain, key_der) = chain_and_key(cert, key)?;
	let mut roots = rustls::RootCertStore::empty();
	for ca in pem_certificates(client_ca).map_err(|e| tls_error("client CA", client_ca, e))? {
		roots.add(ca).map_err(|e| tls_error("client CA", client_ca, e.to_string()))?;
	}
	let provider = Arc::new(rustls::crypto::ring::default_provider());
	let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
		Arc::new(roots),
		provider.clone(),
	)
	.build()
	.map_err(|e| tls_error("client CA", client_ca, e.to_string()))?;
	let config = rustls::ServerConfig::builder_with_provider(provider)
		.with_safe_default_protocol_versions()
		.map_err(|e| tls_error("configuration", cert, e.to_string()))?
		.with_client_cert_verifier(verifier)
		.with_single_cert(chain, key_der)
		.map_err(|e| tls_error("key", key, e.to_string()))?;
	Ok(TlsAcceptor::from(Arc::new(config)))
}

fn tls_error(what: &'static str, path: &Path, reason: String) -> TlsError {
	TlsError { what, path: path.display().to_string(), reason }
}

/// Our certificate chain and its private key, from PEM files.
fn chain_and_key(
	cert: &Path,
	key: &Path,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TlsError> {
	let chain = pem_certificates(cert).map_err(|e| tls_error("certificate", cert, e))?;
	let key_der =
		PrivateKeyDer::from_pem_file(key).map_err(|e| tls_error("key", key, e.to_string()))?;
	Ok((chain, key_der))
}

/// A server-only TLS acceptor (clients are not asked for a certificate)
/// from our PEM certificate chain and key, offering HTTP/1.1 by ALPN: the
/// provisioning API's, whose clients authenticate with tokens.
pub fn tls_server_acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, TlsError> {
	let (chain, key_der) = chain_and_key(cert, key)?;
	let provider = Arc::new(rustls::crypto::ring::default_provider());
	let mut config = rustls::ServerConfig::builder_with_provider(provider)
		.with_safe_default_protocol_versions()
		.map_err(|e| tls_error("configuration", cert, e.to_string()))?
		.with_no_client_auth()
		.with_single_cert(chain, key_der)
		.map_err(|e| tls_error("key", key, e.to_string()))?;
	config.alpn_protocols = vec![b"http/1.1".to_vec()];
	Ok(TlsAcceptor::from(Arc::new(config)))
}

/// The certificates of a PEM file, at least one.
pub(crate) fn pem_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
	let chain = CertificateDer::pem_file_iter(path)
		.map_err(|e| e.to_string())?
		.collect::<Result<Vec<_>, _>>()
		.map_err(|e| e.to_string())?;
	if chain.is_empty() {
		return Err("no certificate in the file".into());
	}
	Ok(chain)
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

/// One accepted connection, after its TLS handshake if it opens with one.
async fn serve_connection<A: Application>(
	stream: TcpStream,
	address: SocketAddr,
	ctx: Arc<Context<A>>,
	tls: Option<TlsAcceptor>,
	shutdown: CancellationToken,
) -> peer::Closed {
	let plain =
		|stream| peer::serve(stream, address, Transport::Plain, ctx.clone(), shutdown.clone());
	let Some(acceptor) = tls else { return plain(stream).await };
	let mut first = [0u8; 1];
	match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, stream.peek(&mut first)).await {
		Ok(Ok(1)) if first == [TLS_HANDSHAKE_RECORD] => {},
		Ok(Ok(1)) => return plain(stream).await,
		Ok(Ok(_)) => return peer::Closed::ByPeer,
		Ok(Err(e)) => return peer::Closed::Io(e),
		Err(_) => return peer::Closed::NoCapabilitiesInTime,
	}
	let stream = match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
		Ok(Ok(stream)) => stream,
		Ok(Err(e)) => {
			tracing::warn!(%address, error = %e, "TLS handshake refused");
			return peer::Closed::TlsHandshake(e);
		},
		Err(_) => return peer::Closed::TlsHandshakeTimeout,
	};
	// The verifier demands a certificate: a handshake that ended has one.
	let certificate = stream.get_ref().1.peer_certificates().and_then(|c| c.first()).cloned();
	let Some(certificate) = certificate else {
		return peer::Closed::TlsHandshake(std::io::Error::other("no client certificate"));
	};
	peer::serve(stream, address, Transport::Tls { certificate }, ctx, shutdown).await
}

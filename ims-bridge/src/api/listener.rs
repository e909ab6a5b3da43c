//! The API's listener: HTTPS (or plain HTTP on loopback), HTTP/1.1, a cap
//! on connections, deadlines on the TLS handshake and on each request's
//! head, and a graceful end at shutdown.

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request's head may take to arrive (and an idle kept-alive
/// connection may wait for the next).
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// How long requests in flight get to finish at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves `router` on `listener` until `shutdown` is cancelled; beyond
/// `max_connections` at once, new connections are closed at once.
pub async fn serve(
	listener: TcpListener,
	tls: Option<TlsAcceptor>,
	router: Router,
	max_connections: usize,
	shutdown: CancellationToken,
) {
	let slots = Arc::new(Semaphore::new(max_connections));
	let tasks = TaskTracker::new();
	loop {
		let accepted = tokio::select! {
			accepted = listener.accept() => accepted,
			_ = shutdown.cancelled() => break,
		};
		let (stream, peer) = match accepted {
			Ok(accepted) => accepted,
			Err(e) => {
				tracing::warn!(error = %e, "API accept failed");
				tokio::time::sleep(Duration::from_millis(100)).await;
				continue;
			},
		};
		let Ok(slot) = slots.clone().try_acquire_owned() else {
			tracing::warn!(%peer, "API connection refused: {max_connections} already open");
			continue;
		};
		let connection = connection(stream, tls.clone(), router.clone(), slot, shutdown.clone());
		tasks.spawn(connection);
	}
	tasks.close();
	tasks.wait().await;
}

async fn connection(
	stream: TcpStream,
	tls: Option<TlsAcceptor>,
	router: Router,
	_slot: OwnedSemaphorePermit,
	shutdown: CancellationToken,
) {
	let _ = stream.set_nodelay(true);
	match tls {
		None => http(stream, router, shutdown).await,
		Some(acceptor) => {
			match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
				Ok(Ok(stream)) => http(stream, router, shutdown).await,
				Ok(Err(e)) => tracing::debug!(error = %e, "API TLS handshake failed"),
				Err(_) => tracing::debug!("API TLS handshake timed out"),
			}
		},
	}
}

async fn http<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(
	stream: S,
	router: Router,
	shutdown: CancellationToken,
) {
	let mut builder = hyper::server::conn::http1::Builder::new();
	builder.timer(TokioTimer::new()).header_read_timeout(HEAD_TIMEOUT);
	let connection =
		builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(router));
	tokio::pin!(connection);
	tokio::select! {
		result = connection.as_mut() => {
			if let Err(e) = result {
				tracing::debug!(error = %e, "API connection ended");
			}
		},
		_ = shutdown.cancelled() => {
			connection.as_mut().graceful_shutdown();
			let _ = tokio::time::timeout(SHUTDOWN_GRACE, connection).await;
		},
	}
}

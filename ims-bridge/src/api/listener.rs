//! The API's listener: HTTPS (or plain HTTP on loopback), HTTP/1.1, a cap
//! on connections, deadlines on the TLS handshake, on each request's head
//! and on every write's progress (a client that stops reading is dropped),
//! and a graceful end at shutdown.

use super::deadline::WriteDeadline;
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

/// How long requests in flight get to finish at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The listener's bounds.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
	/// Connections served at once; beyond, new ones are closed at once.
	pub max_connections: usize,
	/// How long a TLS handshake may take.
	pub handshake: Duration,
	/// How long a request's head may take to arrive (and an idle
	/// kept-alive connection may wait for the next).
	pub head: Duration,
	/// How long a write may make no progress before the connection ends.
	pub write: Duration,
}

impl Limits {
	/// `max_connections` with 10 s for handshakes, heads and writes.
	pub fn new(max_connections: usize) -> Self {
		let ten = Duration::from_secs(10);
		Limits { max_connections, handshake: ten, head: ten, write: ten }
	}
}

/// Serves `router` on `listener` within `limits` until `shutdown` is
/// cancelled.
pub async fn serve(
	listener: TcpListener,
	tls: Option<TlsAcceptor>,
	router: Router,
	limits: Limits,
	shutdown: CancellationToken,
) {
	let max_connections = limits.max_connections;
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
		let connection =
			connection(stream, (tls.clone(), limits), router.clone(), slot, shutdown.clone());
		tasks.spawn(connection);
	}
	tasks.close();
	tasks.wait().await;
}

async fn connection(
	stream: TcpStream,
	(tls, limits): (Option<TlsAcceptor>, Limits),
	router: Router,
	_slot: OwnedSemaphorePermit,
	shutdown: CancellationToken,
) {
	let _ = stream.set_nodelay(true);
	let stream = WriteDeadline::new(stream, limits.write);
	match tls {
		None => http(stream, router, limits.head, shutdown).await,
		Some(acceptor) => {
			match tokio::time::timeout(limits.handshake, acceptor.accept(stream)).await {
				Ok(Ok(stream)) => http(stream, router, limits.head, shutdown).await,
				Ok(Err(e)) => tracing::debug!(error = %e, "API TLS handshake failed"),
				Err(_) => tracing::debug!("API TLS handshake timed out"),
			}
		},
	}
}

async fn http<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(
	stream: S,
	router: Router,
	head: Duration,
	shutdown: CancellationToken,
) {
	let mut builder = hyper::server::conn::http1::Builder::new();
	builder.timer(TokioTimer::new()).header_read_timeout(head);
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

#[cfg(test)]
mod tests {
	use super::*;
	use axum::routing::get;
	use tokio::io::{AsyncReadExt, AsyncWriteExt};

	/// A plain-HTTP server of a 4 MiB answer and a small one, one
	/// connection at a time, writes bounded to a second.
	async fn server() -> (std::net::SocketAddr, CancellationToken) {
		let router = Router::new()
			.route("/big", get(|| async { vec![b'x'; 4 << 20] }))
			.route("/small", get(|| async { "ok" }));
		let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
		let address = listener.local_addr().unwrap();
		let limits = Limits { write: Duration::from_secs(1), ..Limits::new(1) };
		let stop = CancellationToken::new();
		tokio::spawn(serve(listener, None, router, limits, stop.clone()));
		(address, stop)
	}

	async fn get_small(address: std::net::SocketAddr) -> String {
		let mut client = TcpStream::connect(address).await.unwrap();
		client
			.write_all(b"GET /small HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
			.await
			.unwrap();
		let mut answer = String::new();
		let read = tokio::time::timeout(Duration::from_secs(5), client.read_to_string(&mut answer));
		let _ = read.await;
		answer
	}

	#[tokio::test]
	async fn a_client_that_stops_reading_loses_its_slot_to_the_next() {
		let (address, stop) = server().await;
		let socket = tokio::net::TcpSocket::new_v4().unwrap();
		socket.set_recv_buffer_size(4096).unwrap();
		let mut stalled = socket.connect(address).await.unwrap();
		stalled.write_all(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
		// While it holds the only slot, another client is turned away.
		tokio::time::sleep(Duration::from_millis(300)).await;
		assert_eq!(get_small(address).await, "");
		// Its writes stop progressing: a second later its slot is free.
		tokio::time::sleep(Duration::from_secs(2)).await;
		let answer = get_small(address).await;
		assert!(answer.starts_with("HTTP/1.1 200") && answer.ends_with("ok"), "{answer:?}");
		drop(stalled);
		stop.cancel();
	}
}

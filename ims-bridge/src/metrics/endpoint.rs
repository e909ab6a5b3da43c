//! The `/metrics` endpoint: HTTP/1.1 served by hyper, one request per
//! connection, a bounded number of scrapes at once.

use super::Metrics;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, ALLOW, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// How long a scraper may take to send its request's head.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// The most a request's head may take (hyper's smallest read buffer);
/// beyond it, 431.
const MAX_HEAD: usize = 8192;
/// Scrapes served at once; more are answered 503 at once, so that idle or
/// slow clients cannot hold the process's file descriptors (which the
/// Diameter listener needs too).
const MAX_SCRAPES: usize = 8;
/// The answer to a connection beyond [`MAX_SCRAPES`], sent without reading
/// its request: a constant, so that turning a client away costs nothing.
const BUSY: &[u8] =
	b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
/// The Prometheus text exposition format.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4";

/// Serves `GET /metrics` on `listener` until `shutdown` is cancelled: one
/// request per connection, its head read within 5 s; another path gets
/// 404, another method 405, anything that is not an HTTP request 400, a
/// head beyond 8 KiB 431, and a connection beyond 8 at once 503.
pub async fn serve(listener: TcpListener, metrics: Arc<Metrics>, shutdown: CancellationToken) {
	serve_with(listener, metrics, shutdown, REQUEST_TIMEOUT).await;
}

async fn serve_with(
	listener: TcpListener,
	metrics: Arc<Metrics>,
	shutdown: CancellationToken,
	timeout: Duration,
) {
	let scrapes = Arc::new(Semaphore::new(MAX_SCRAPES));
	let mut connections = JoinSet::new();
	while let Some((mut stream, _)) = crate::server::accept(&listener, &shutdown, "metrics").await {
		while connections.try_join_next().is_some() {}
		let Ok(slot) = scrapes.clone().try_acquire_owned() else {
			connections.spawn(async move {
				let _ = tokio::time::timeout(timeout, stream.write_all(BUSY)).await;
			});
			continue;
		};
		let metrics = metrics.clone();
		connections.spawn(async move {
			// Bounded: a client that stops reading the answer is dropped.
			let _ = tokio::time::timeout(2 * timeout, scrape(stream, metrics, timeout)).await;
			drop(slot);
		});
	}
	connections.abort_all();
	while connections.join_next().await.is_some() {}
}

/// One connection: one request, answered, then closed.
async fn scrape(stream: TcpStream, metrics: Arc<Metrics>, timeout: Duration) {
	let service = hyper::service::service_fn(move |request| {
		let metrics = metrics.clone();
		async move { Ok::<_, Infallible>(answer(&request, &metrics)) }
	});
	let served = hyper::server::conn::http1::Builder::new()
		.timer(TokioTimer::new())
		.header_read_timeout(timeout)
		.max_buf_size(MAX_HEAD)
		.keep_alive(false)
		.serve_connection(TokioIo::new(stream), service)
		.await;
	if let Err(e) = served {
		tracing::debug!(error = %e, "metrics scrape ended with an error");
	}
}

/// The answer to one request.
fn answer(request: &Request<Incoming>, metrics: &Metrics) -> Response<Full<Bytes>> {
	let path = request.uri().path();
	if !path.starts_with('/') {
		return status(StatusCode::BAD_REQUEST);
	}
	match (request.method(), path) {
		(&Method::GET, "/metrics") => {
			let mut response = Response::new(Full::new(Bytes::from(metrics.render())));
			response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(TEXT_FORMAT));
			response
		},
		(_, "/metrics") => {
			let mut response = status(StatusCode::METHOD_NOT_ALLOWED);
			response.headers_mut().insert(ALLOW, HeaderValue::from_static("GET"));
			response
		},
		_ => status(StatusCode::NOT_FOUND),
	}
}

/// An empty answer with `code`.
fn status(code: StatusCode) -> Response<Full<Bytes>> {
	let mut response = Response::new(Full::new(Bytes::new()));
	*response.status_mut() = code;
	response
}

#[cfg(test)]
mod tests {
	use super::*;
	use tokio::io::AsyncReadExt;

	/// Serves fresh metrics (with one MAR counted, a queue depth and a
	/// failure) on a loopback port with `timeout` until the returned token
	/// is cancelled; returns its address too.
	async fn endpoint(
		timeout: Duration,
	) -> (std::net::SocketAddr, Arc<Metrics>, tokio_util::sync::DropGuard) {
		let metrics = Arc::new(Metrics::new().unwrap());
		metrics.observe(303, 2001, Duration::from_micros(300));
		metrics.audit_queue.set(7);
		metrics.submission_failures.with_label_values(&["audit"]).inc();
		let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
		let address = listener.local_addr().unwrap();
		let stop = CancellationToken::new();
		tokio::spawn(serve_with(listener, metrics.clone(), stop.clone(), timeout));
		(address, metrics, stop.drop_guard())
	}

	/// Sends `parts` one write at a time, then reads the answer to the end.
	async fn exchange(address: std::net::SocketAddr, parts: &[&[u8]]) -> String {
		let mut stream = TcpStream::connect(address).await.unwrap();
		for part in parts {
			stream.write_all(part).await.unwrap();
			tokio::time::sleep(Duration::from_millis(20)).await;
		}
		let mut body = Vec::new();
		let _ = stream.read_to_end(&mut body).await;
		String::from_utf8_lossy(&body).into_owned()
	}

	/// Whether the answer's head has `header` (names are case-insensitive).
	fn has_header(answer: &str, header: &str) -> bool {
		let (head, _) = answer.split_once("\r\n\r\n").unwrap_or((answer, ""));
		head.to_ascii_lowercase().contains(&header.to_ascii_lowercase())
	}

	#[tokio::test]
	async fn the_endpoint_serves_the_text_format() {
		let (address, metrics, _stop) = endpoint(REQUEST_TIMEOUT).await;
		let body = exchange(address, &[b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"]).await;
		assert!(body.starts_with("HTTP/1.1 200 OK"), "{body}");
		assert!(has_header(&body, &format!("Content-Type: {TEXT_FORMAT}")), "{body}");
		assert!(
			body.contains("ims_bridge_cx_requests_total{command=\"MAR\",result=\"2001\"} 1"),
			"{body}"
		);
		assert!(body.contains("ims_bridge_audit_queue_depth 7"), "{body}");
		assert!(body.contains("ims_bridge_submission_failures_total{queue=\"audit\"} 1"), "{body}");
		assert!(
			body.contains("ims_bridge_cx_latency_seconds_bucket{command=\"MAR\",le=\"0.0005\"} 1"),
			"{body}"
		);
		assert_eq!(metrics.count(303, 2001), 1);
		// The Content-Length is the body's.
		let (_, text) = body.split_once("\r\n\r\n").unwrap();
		assert!(has_header(&body, &format!("Content-Length: {}", text.len())), "{body}");
		// A query string, bare line feeds (HTTP/1.0, answered as such), and a
		// request in pieces.
		let body = exchange(address, &[b"GET /metrics?x=1 HTTP/1.0\n\n"]).await;
		assert!(body.starts_with("HTTP/1.0 200 OK"), "{body}");
		let body =
			exchange(address, &[b"GE", b"T /metr", b"ics HTTP/1.1\r\n", b"Host: x\r\n\r\n"]).await;
		assert!(body.starts_with("HTTP/1.1 200 OK"), "{body}");
	}

	#[tokio::test]
	async fn bad_requests_get_clear_answers() {
		let (address, _, _stop) = endpoint(Duration::from_millis(300)).await;
		let answer = |parts: &'static [&'static [u8]]| exchange(address, parts);
		assert!(answer(&[b"GET /other HTTP/1.1\r\n\r\n"]).await.starts_with("HTTP/1.1 404"));
		let post = answer(&[b"POST /metrics HTTP/1.1\r\n\r\n"]).await;
		assert!(post.starts_with("HTTP/1.1 405") && has_header(&post, "Allow: GET"), "{post}");
		for garbage in [
			&b"\x00\x01\x02\r\n\r\n"[..],
			b"GET /metrics\r\n\r\n",
			b"GET metrics HTTP/1.1\r\n\r\n",
			b"GET /metrics SIP/2.0\r\n\r\n",
			b"GET /metrics HTTP/1.1 extra\r\n\r\n",
			b"\xff\xfe /metrics HTTP/1.1\r\n\r\n",
		] {
			let body = exchange(address, &[garbage]).await;
			assert!(body.starts_with("HTTP/1.1 400"), "{garbage:?}: {body}");
		}
		// A head longer than 8 KiB: refused (431), not read on without end.
		let long = vec![b'a'; 2 * MAX_HEAD];
		let body = exchange(address, &[&long]).await;
		assert!(body.starts_with("HTTP/1.1 431"), "{body}");
		// A request cut short, or a silent client: closed after the timeout.
		let started = std::time::Instant::now();
		assert_eq!(answer(&[b"GET /metrics HTTP/1.1\r\n"]).await, "");
		assert!(started.elapsed() < Duration::from_secs(3));
	}

	#[tokio::test]
	async fn scrapes_beyond_the_cap_are_turned_away() {
		let (address, _, _stop) = endpoint(Duration::from_secs(2)).await;
		// Silent clients hold every slot...
		let mut idle = Vec::new();
		for _ in 0..MAX_SCRAPES {
			idle.push(TcpStream::connect(address).await.unwrap());
		}
		tokio::time::sleep(Duration::from_millis(100)).await;
		// ...so the next is answered 503 at once, without a request.
		let started = std::time::Instant::now();
		let body = exchange(address, &[]).await;
		assert!(body.starts_with("HTTP/1.1 503"), "{body}");
		assert!(started.elapsed() < Duration::from_secs(1));
		// Once they go, scrapes are served again.
		drop(idle);
		tokio::time::sleep(Duration::from_millis(200)).await;
		let body = exchange(address, &[b"GET /metrics HTTP/1.1\r\n\r\n"]).await;
		assert!(body.starts_with("HTTP/1.1 200"), "{body}");
	}
}

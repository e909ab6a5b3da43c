//! Prometheus metrics and the `/metrics` endpoint.
//!
//! - `ims_bridge_cx_requests_total{command,result}`: Cx requests answered.
//! - `ims_bridge_cx_latency_seconds{command}`: time from request decoded to
//!   answer built (journal commit included).
//! - `ims_bridge_audit_queue_depth`, `ims_bridge_registration_queue_depth`:
//!   records and reports journaled and not yet finalized on chain.
//! - `ims_bridge_chain_finalized_block`, `ims_bridge_chain_lag_blocks`: the
//!   finalized block the index reflects and how far it trails the node's
//!   finalized head.
//! - `ims_bridge_index_identities{kind}`: identities cached.
//! - `ims_bridge_pending_registrations`: SAR states not yet on chain.
//! - `ims_bridge_unrecorded_total`: requests with no realm to record in.
//! - `ims_bridge_peers`: open Diameter connections.
//! - `ims_bridge_audit_batches_total`, `ims_bridge_audit_batch_seconds`:
//!   audit batches finalized, and their time from submission to finality.
//! - `ims_bridge_submission_failures_total{queue}`: rounds of `audit`
//!   records or `registrations` reports the chain did not take (refused,
//!   not submitted, or in a block but never recorded); what they carried
//!   stays in the journal and goes again. A count that keeps rising with a
//!   queue depth that does not fall is a trail the chain refuses (a
//!   revoked HssFront role, an exhausted account).

use prometheus::{
	Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
	IntGaugeVec, Opts, Registry, TextEncoder,
};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Every metric of the bridge.
pub struct Metrics {
	registry: Registry,
	requests: IntCounterVec,
	latency: HistogramVec,
	/// The series of each (command, result) seen so far, so that counting a
	/// request neither formats its result code nor hashes label strings.
	series: std::sync::Mutex<std::collections::HashMap<(&'static str, u32), Series>>,
	/// Audit records waiting for the chain.
	pub audit_queue: IntGauge,
	/// Registration reports waiting for the chain.
	pub registration_queue: IntGauge,
	/// The finalized block the index reflects.
	pub finalized_block: IntGauge,
	/// Blocks between the node's finalized head and the index.
	pub chain_lag: IntGauge,
	/// Identities in the index.
	pub identities: IntGaugeVec,
	/// Pending registration states.
	pub pending_registrations: IntGauge,
	/// Requests that could not be recorded (no realm known).
	pub unrecorded: IntCounter,
	/// Open Diameter connections.
	pub peers: IntGauge,
	/// Audit batches finalized.
	pub batches: IntCounter,
	/// Batch submission latency (signed to finalized).
	pub batch_latency: Histogram,
	/// Submission rounds that failed, by queue (`audit`, `registrations`).
	pub submission_failures: IntCounterVec,
}

/// The counter and histogram a request is counted in.
#[derive(Clone)]
struct Series {
	requests: IntCounter,
	latency: Histogram,
}

/// (command, result) pairs whose series are kept at hand; results are the
/// codes this bridge answers with, a few dozen at most.
const MAX_SERIES: usize = 256;

fn command_name(command: u32) -> &'static str {
	match command {
		300 => "UAR",
		301 => "SAR",
		302 => "LIR",
		303 => "MAR",
		304 => "RTR",
		_ => "other",
	}
}

impl Metrics {
	/// Registers every metric.
	pub fn new() -> Result<Self, prometheus::Error> {
		let registry = Registry::new_custom(Some("ims_bridge".into()), None)?;
		let requests = IntCounterVec::new(
			Opts::new("cx_requests_total", "Cx requests answered, by command and result code"),
			&["command", "result"],
		)?;
		let buckets = vec![
			0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1,
			0.25, 1.0,
		];
		let latency = HistogramVec::new(
			HistogramOpts::new("cx_latency_seconds", "Cx answer latency").buckets(buckets),
			&["command"],
		)?;
		let gauge = |name: &str, help: &str| IntGauge::new(name, help);
		let audit_queue = gauge("audit_queue_depth", "Audit records not yet finalized on chain")?;
		let registration_queue =
			gauge("registration_queue_depth", "Registration reports not yet finalized on chain")?;
		let finalized_block = gauge("chain_finalized_block", "Finalized block the index reflects")?;
		let chain_lag = gauge("chain_lag_blocks", "Blocks the index trails the finalized head")?;
		let identities =
			IntGaugeVec::new(Opts::new("index_identities", "Identities in the index"), &["kind"])?;
		let pending_registrations =
			gauge("pending_registrations", "Registration states set by SAR, not yet on chain")?;
		let unrecorded =
			IntCounter::new("unrecorded_total", "Requests with no known realm to audit them in")?;
		let peers = gauge("peers", "Open Diameter connections")?;
		let batches = IntCounter::new("audit_batches_total", "Audit batches finalized")?;
		let batch_latency = Histogram::with_opts(
			HistogramOpts::new("audit_batch_seconds", "From submission to finality")
				.buckets(vec![1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0]),
		)?;
		let submission_failures = IntCounterVec::new(
			Opts::new(
				"submission_failures_total",
				"Submission rounds the chain did not take, by queue; their contents go again",
			),
			&["queue"],
		)?;
		registry.register(Box::new(requests.clone()))?;
		registry.register(Box::new(submission_failures.clone()))?;
		registry.register(Box::new(latency.clone()))?;
		for g in [
			&audit_queue,
			&registration_queue,
			&finalized_block,
			&chain_lag,
			&pending_registrations,
			&peers,
		] {
			registry.register(Box::new(g.clone()))?;
		}
		registry.register(Box::new(identities.clone()))?;
		registry.register(Box::new(unrecorded.clone()))?;
		registry.register(Box::new(batches.clone()))?;
		registry.register(Box::new(batch_latency.clone()))?;
		Ok(Metrics {
			registry,
			requests,
			latency,
			series: Default::default(),
			audit_queue,
			registration_queue,
			finalized_block,
			chain_lag,
			identities,
			pending_registrations,
			unrecorded,
			peers,
			batches,
			batch_latency,
			submission_failures,
		})
	}

	/// Counts one answered request.
	pub fn observe(&self, command: u32, result: u32, elapsed: Duration) {
		let name = command_name(command);
		let mut series = self.series.lock().unwrap_or_else(|p| p.into_inner());
		let fresh;
		let found = match series.get(&(name, result)) {
			Some(found) => found,
			None => {
				fresh = Series {
					requests: self.requests.with_label_values(&[name, &result.to_string()]),
					latency: self.latency.with_label_values(&[name]),
				};
				if series.len() < MAX_SERIES {
					series.insert((name, result), fresh.clone());
				}
				&fresh
			},
		};
		found.requests.inc();
		found.latency.observe(elapsed.as_secs_f64());
	}

	/// How many requests of `command` got `result`.
	pub fn count(&self, command: u32, result: u32) -> u64 {
		self.requests.with_label_values(&[command_name(command), &result.to_string()]).get()
	}

	/// The text exposition format.
	pub fn render(&self) -> String {
		let mut out = Vec::new();
		let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
		String::from_utf8(out).unwrap_or_default()
	}
}

/// The longest request line and headers read from a scraper.
const MAX_REQUEST: usize = 4096;
/// How long a scraper may take to send its request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Scrapes served at once; more are answered 503 at once, so that idle or
/// slow clients cannot hold the process's file descriptors (which the
/// Diameter listener needs too).
const MAX_SCRAPES: usize = 8;

/// What a scraper's request asks for.
#[derive(Debug, PartialEq, Eq)]
enum Asked {
	/// `GET /metrics` (a query string is ignored).
	Metrics,
	/// A well-formed request for another path.
	NotFound,
	/// Another method on `/metrics`.
	MethodNotAllowed,
	/// Not an HTTP request line, or longer than [`MAX_REQUEST`].
	BadRequest,
}

/// Reads a request's head (through the blank line after its headers, at
/// most [`MAX_REQUEST`] bytes) and tells what it asks; `None` if the client
/// closed or went silent first.
async fn read_request<S: AsyncReadExt + Unpin>(stream: &mut S, timeout: Duration) -> Option<Asked> {
	let mut head = Vec::with_capacity(512);
	let read = async {
		let mut chunk = [0u8; 512];
		loop {
			// The blank line ending the head (bare line feeds accepted too).
			let crlf = head.windows(4).position(|w| w == b"\r\n\r\n");
			if let Some(end) = crlf.or_else(|| head.windows(2).position(|w| w == b"\n\n")) {
				head.truncate(end);
				return Some(true);
			}
			if head.len() > MAX_REQUEST {
				return Some(false);
			}
			match stream.read(&mut chunk).await {
				Ok(0) | Err(_) => return None,
				Ok(n) => head.extend_from_slice(chunk.get(..n).unwrap_or_default()),
			}
		}
	};
	let complete = tokio::time::timeout(timeout, read).await.ok()??;
	if !complete {
		return Some(Asked::BadRequest);
	}
	let line = head.split(|&b| b == b'\r' || b == b'\n').next().unwrap_or_default();
	let Ok(line) = std::str::from_utf8(line) else { return Some(Asked::BadRequest) };
	let mut parts = line.split(' ');
	let (Some(method), Some(target), Some(version), None) =
		(parts.next(), parts.next(), parts.next(), parts.next())
	else {
		return Some(Asked::BadRequest);
	};
	if method.is_empty() || !version.starts_with("HTTP/1.") || !target.starts_with('/') {
		return Some(Asked::BadRequest);
	}
	let path = target.split('?').next().unwrap_or_default();
	Some(match (method, path) {
		("GET", "/metrics") => Asked::Metrics,
		(_, "/metrics") => Asked::MethodNotAllowed,
		_ => Asked::NotFound,
	})
}

fn response(status: &str, extra: &str, body: &str) -> String {
	format!(
		"HTTP/1.1 {status}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
		body.len()
	)
}

/// Serves `GET /metrics` on `listener` until `shutdown` turns true: one
/// request per connection, its head read within 5 s and 4 KiB; another
/// path gets 404, another method 405, anything that is not an HTTP request
/// 400, and a connection beyond 8 at once 503.
pub async fn serve(
	listener: TcpListener,
	metrics: std::sync::Arc<Metrics>,
	shutdown: watch::Receiver<bool>,
) {
	serve_with(listener, metrics, shutdown, REQUEST_TIMEOUT).await;
}

async fn serve_with(
	listener: TcpListener,
	metrics: std::sync::Arc<Metrics>,
	mut shutdown: watch::Receiver<bool>,
	timeout: Duration,
) {
	let scrapes = std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_SCRAPES));
	loop {
		let (mut stream, _) = tokio::select! {
			accepted = listener.accept() => match accepted {
				Ok(accepted) => accepted,
				Err(e) => {
					// Out of file descriptors and the like: back off briefly.
					tracing::warn!(error = %e, "metrics accept failed");
					tokio::time::sleep(Duration::from_millis(100)).await;
					continue;
				},
			},
			_ = shutdown.changed() => return,
		};
		let Ok(slot) = scrapes.clone().try_acquire_owned() else {
			let busy = response("503 Service Unavailable", "", "");
			tokio::spawn(async move {
				let _ = tokio::time::timeout(timeout, stream.write_all(busy.as_bytes())).await;
			});
			continue;
		};
		let metrics = metrics.clone();
		tokio::spawn(async move {
			let Some(asked) = read_request(&mut stream, timeout).await else { return };
			let answer = match asked {
				Asked::Metrics => response(
					"200 OK",
					"Content-Type: text/plain; version=0.0.4\r\n",
					&metrics.render(),
				),
				Asked::NotFound => response("404 Not Found", "", ""),
				Asked::MethodNotAllowed => response("405 Method Not Allowed", "Allow: GET\r\n", ""),
				Asked::BadRequest => response("400 Bad Request", "", ""),
			};
			let written = async {
				stream.write_all(answer.as_bytes()).await?;
				stream.shutdown().await?;
				// What the client still sends is read (up to a bound) before
				// the socket closes: closing over unread bytes would reset
				// the connection, and the client could lose the answer.
				let mut sink = [0u8; 1024];
				let mut left = 64 * 1024usize;
				while left > 0 {
					match stream.read(&mut sink).await? {
						0 => break,
						n => left = left.saturating_sub(n),
					}
				}
				Ok::<(), std::io::Error>(())
			};
			let _ = tokio::time::timeout(timeout, written).await;
			drop(slot);
		});
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use tokio::net::TcpStream;

	/// Serves fresh metrics (with one MAR counted, a queue depth and a
	/// failure) on a loopback port with `timeout` until the returned sender
	/// is dropped; returns its address too.
	async fn endpoint(
		timeout: Duration,
	) -> (std::net::SocketAddr, std::sync::Arc<Metrics>, watch::Sender<bool>) {
		let metrics = std::sync::Arc::new(Metrics::new().unwrap());
		metrics.observe(303, 2001, Duration::from_micros(300));
		metrics.audit_queue.set(7);
		metrics.submission_failures.with_label_values(&["audit"]).inc();
		let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
		let address = listener.local_addr().unwrap();
		let (stop, rx) = watch::channel(false);
		tokio::spawn(serve_with(listener, metrics.clone(), rx, timeout));
		(address, metrics, stop)
	}

	#[test]
	fn requests_are_counted_by_command_and_result() {
		let metrics = Metrics::new().unwrap();
		for _ in 0..3 {
			metrics.observe(303, 2001, Duration::from_micros(30));
		}
		metrics.observe(303, 5001, Duration::from_micros(30));
		metrics.observe(300, 2001, Duration::from_millis(2));
		// More pairs than are kept at hand are counted all the same.
		for result in 0..MAX_SERIES as u32 + 10 {
			metrics.observe(302, 10_000 + result, Duration::ZERO);
			metrics.observe(302, 10_000 + result, Duration::ZERO);
		}
		assert_eq!(metrics.count(303, 2001), 3);
		assert_eq!(metrics.count(303, 5001), 1);
		assert_eq!(metrics.count(300, 2001), 1);
		assert_eq!(metrics.count(300, 5001), 0);
		assert_eq!(metrics.count(302, 10_000 + MAX_SERIES as u32 + 9), 2);
		let histogram = |command: &str| metrics.latency.with_label_values(&[command]);
		assert_eq!(histogram("MAR").get_sample_count(), 4);
		assert_eq!(histogram("UAR").get_sample_count(), 1);
		assert!((histogram("UAR").get_sample_sum() - 0.002).abs() < 1e-9);
		assert_eq!(histogram("LIR").get_sample_count(), 2 * (MAX_SERIES as u64 + 10));
		let text = metrics.render();
		assert!(
			text.contains("ims_bridge_cx_requests_total{command=\"MAR\",result=\"2001\"} 3"),
			"{text}"
		);
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

	#[tokio::test]
	async fn the_endpoint_serves_the_text_format() {
		let (address, metrics, _stop) = endpoint(REQUEST_TIMEOUT).await;
		let body = exchange(address, &[b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"]).await;
		assert!(body.starts_with("HTTP/1.1 200 OK"), "{body}");
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
		let (head, text) = body.split_once("\r\n\r\n").unwrap();
		assert!(head.contains(&format!("Content-Length: {}", text.len())), "{head}");
		// A query string, bare line feeds, and a request in pieces.
		let body = exchange(address, &[b"GET /metrics?x=1 HTTP/1.0\n\n"]).await;
		assert!(body.starts_with("HTTP/1.1 200 OK"), "{body}");
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
		assert!(post.starts_with("HTTP/1.1 405") && post.contains("Allow: GET"), "{post}");
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
		// A head longer than 4 KiB: refused, not read on without end.
		let long = vec![b'a'; 2 * MAX_REQUEST];
		let body = exchange(address, &[&long]).await;
		assert!(body.starts_with("HTTP/1.1 400"), "{body}");
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

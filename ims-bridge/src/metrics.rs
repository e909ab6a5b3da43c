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
		self.requests.with_label_values(&[name, &result.to_string()]).inc();
		self.latency.with_label_values(&[name]).observe(elapsed.as_secs_f64());
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

/// Serves `GET /metrics` on `listener` until `shutdown` turns true. Any
/// other path gets 404; the server reads at most one small request per
/// connection.
pub async fn serve(
	listener: TcpListener,
	metrics: std::sync::Arc<Metrics>,
	mut shutdown: watch::Receiver<bool>,
) {
	loop {
		let (mut stream, _) = tokio::select! {
			accepted = listener.accept() => match accepted {
				Ok(accepted) => accepted,
				Err(_) => continue,
			},
			_ = shutdown.changed() => return,
		};
		let metrics = metrics.clone();
		tokio::spawn(async move {
			let mut request = [0u8; 1024];
			let read =
				tokio::time::timeout(Duration::from_secs(5), stream.read(&mut request)).await;
			let Ok(Ok(n)) = read else { return };
			let line = String::from_utf8_lossy(request.get(..n).unwrap_or_default());
			let response = if line.starts_with("GET /metrics ") || line.starts_with("GET /metrics?")
			{
				let body = metrics.render();
				format!(
					"HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
					body.len()
				)
			} else {
				"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".into()
			};
			let _ = stream.write_all(response.as_bytes()).await;
			let _ = stream.shutdown().await;
		});
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[tokio::test]
	async fn the_endpoint_serves_the_text_format() {
		let metrics = std::sync::Arc::new(Metrics::new().unwrap());
		metrics.observe(303, 2001, Duration::from_micros(300));
		metrics.audit_queue.set(7);
		metrics.submission_failures.with_label_values(&["audit"]).inc();
		let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
		let address = listener.local_addr().unwrap();
		let (_tx, rx) = watch::channel(false);
		tokio::spawn(serve(listener, metrics.clone(), rx));
		let get = |path: &'static str| async move {
			let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
			stream
				.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
				.await
				.unwrap();
			let mut body = String::new();
			stream.read_to_string(&mut body).await.unwrap();
			body
		};
		let body = get("/metrics").await;
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
		assert!(get("/other").await.starts_with("HTTP/1.1 404"));
		assert_eq!(metrics.count(303, 2001), 1);
	}
}

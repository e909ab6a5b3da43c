//! Prometheus metrics and the `/metrics` endpoint (`endpoint`, served with
//! hyper).
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
//! - `ims_bridge_index_loads_total{reason}`: full reads of the subscriber
//!   model into the index: once at `start`, and after a `gap` of finalized
//!   blocks too long to replay. Routine changes (an import included) are
//!   read identity by identity and never count here.
//! - `ims_bridge_pending_registrations`: SAR states not yet on chain.
//! - `ims_bridge_unrecorded_total`: requests with no realm to record in.
//! - `ims_bridge_peers`: open Diameter connections.
//! - `ims_bridge_journal_refusing`: 1 while the journal is at a high-water
//!   mark (backlog or free space) and Cx requests get 3004.
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

mod endpoint;

pub use endpoint::serve;

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
	/// Full loads of the index, by reason (`start`, `gap`).
	pub index_loads: IntCounterVec,
	/// Pending registration states.
	pub pending_registrations: IntGauge,
	/// Requests that could not be recorded (no realm known).
	pub unrecorded: IntCounter,
	/// Open Diameter connections.
	pub peers: IntGauge,
	/// 1 while the journal refuses appends.
	pub journal_refusing: IntGauge,
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
		let index_loads = IntCounterVec::new(
			Opts::new("index_loads_total", "Full reads of the subscriber model, by reason"),
			&["reason"],
		)?;
		let pending_registrations =
			gauge("pending_registrations", "Registration states set by SAR, not yet on chain")?;
		let unrecorded =
			IntCounter::new("unrecorded_total", "Requests with no known realm to audit them in")?;
		let peers = gauge("peers", "Open Diameter connections")?;
		let journal_refusing = gauge(
			"journal_refusing",
			"1 while the journal is at a high-water mark and Cx requests get 3004",
		)?;
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
			&journal_refusing,
		] {
			registry.register(Box::new(g.clone()))?;
		}
		registry.register(Box::new(identities.clone()))?;
		registry.register(Box::new(index_loads.clone()))?;
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
			index_loads,
			pending_registrations,
			unrecorded,
			peers,
			journal_refusing,
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

#[cfg(test)]
mod tests {
	use super::*;

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
}

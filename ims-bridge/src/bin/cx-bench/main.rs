//! `cx-bench`: Cx throughput and latency of the bridge on loopback.
//!
//! Method: the real Diameter listener and Cx application run in this
//! process over a real vault and journal (in a temporary directory; every
//! answer waits for its audit record as `--sync` says: its write into the
//! log file by default, flushed every `--flush-interval-ms`, or its
//! `fdatasync`) and an index filled as the chain follower fills it, for
//! `--subscribers` subscribers. `--connections` Diameter clients each
//! exchange CER/CEA, then keep `--window` requests in flight for
//! `--seconds`, alternating MAR (SIP Digest) and SAR (re-registration),
//! each to a random subscriber.
//! Latency is measured per request from the client's send to the answer's
//! arrival; throughput counts answers with Result-Code 2001 (anything else
//! is counted as an error). Prints one summary line per run.
//!
//! `--gap-us N` measures what a CSCF sees at a low rate instead: each
//! client is a thread of its own with a blocking socket that sends one
//! request, reads its answer, then stays idle for N microseconds, so that
//! every request finds the bridge asleep and its caches cold, as between
//! the Cx requests of SIP registrations.
//!
//! `--register` sends each of the users one SAR (REGISTRATION) instead,
//! in order, and stops when all are answered: the registrations of a
//! network coming back, each a change of state the bridge reports to the
//! chain. It brings a base to its steady state (every subscriber
//! registered) before its Cx is measured.
//!
//! `--target ADDRESS` measures a running bridge instead (`ims-bridge run`
//! against a chain whose subscribers `scripts/gen-subscribers.py` wrote:
//! user<i>, password pw<i>); `--origin-host` and `--scscf` must then be a
//! peer it allows and the S-CSCF name it is configured with, and requests
//! go to users `--first` to `--first + --subscribers - 1`.
//!
//! ```text
//! cargo run --release -p ims-bridge --bin cx-bench -- --connections 4 --window 64 --seconds 10
//! cargo run --release -p ims-bridge --bin cx-bench -- --connections 1 --gap-us 300 --sync with-answer
//! cx-bench --target 127.0.0.1:3868 --origin-host scscf.ims.example.net --subscribers 1000000
//! ```

#![allow(
	clippy::expect_used,
	clippy::unwrap_used,
	clippy::panic,
	clippy::indexing_slicing,
	reason = "a benchmark tool: a set-up step that fails ends the run with its message"
)]

mod clients;
mod in_process;

use clap::Parser;
use ims_bridge::journal::Sync;
use std::time::{Duration, Instant};

ims_bridge::allocator!();

#[derive(Parser)]
#[command(about = "Cx throughput and latency of ims-bridge on loopback")]
struct Args {
	/// Diameter connections (clients).
	#[arg(long, default_value_t = 4)]
	connections: usize,
	/// Requests in flight per connection.
	#[arg(long, default_value_t = 64)]
	window: usize,
	/// Seconds to measure (after one second of warm-up).
	#[arg(long, default_value_t = 10)]
	seconds: u64,
	/// Subscribers in the vault and index.
	#[arg(long, default_value_t = 200)]
	subscribers: usize,
	/// When an answer's audit record is durable: with-answer (waits for the
	/// write to the file; the bridge's default) or before-answer (waits for
	/// the fdatasync).
	#[arg(long, default_value = "with-answer", value_parser = parse_sync)]
	sync: Sync,
	/// Idle microseconds between an answer and the next request, one
	/// request at a time per connection (`--window` is then ignored).
	#[arg(long)]
	gap_us: Option<u64>,
	/// Subscriptions the vault's read cache keeps (0: every read is a
	/// database transaction).
	#[arg(long, default_value_t = ims_bridge::vault::DEFAULT_CACHE_SUBSCRIBERS)]
	vault_cache: u32,
	/// With `--sync with-answer`, milliseconds between two flushes of the
	/// journal's log (the bridge's `[journal] flush_interval_ms`).
	#[arg(long, default_value_t = ims_bridge::journal::DEFAULT_FLUSH_INTERVAL.as_millis() as u64)]
	flush_interval_ms: u64,
	/// Seconds of load before measuring (with a running bridge, enough to
	/// fill its vault cache with the users asked for).
	#[arg(long, default_value_t = 1)]
	warmup_seconds: u64,
	/// A running bridge to measure (its Diameter address) instead of one
	/// in this process.
	#[arg(long)]
	target: Option<std::net::SocketAddr>,
	/// The clients' Origin-Host: a peer the bridge allows.
	#[arg(long, default_value = "bench.client")]
	origin_host: String,
	/// The Server-Name of SARs: the bridge's S-CSCF.
	#[arg(long, default_value = "sip:127.0.0.1:6060")]
	scscf: String,
	/// The first user asked for (user<first>).
	#[arg(long, default_value_t = 0)]
	first: usize,
	/// Requests a second in total, sent at a fixed pace whatever the
	/// answers do (open loop, spread over `--connections`; `--window` is
	/// then ignored): the latency a CSCF sees at that load, with the
	/// bridge's stalls counted for every request they delay.
	#[arg(long, conflicts_with_all = ["gap_us", "register"])]
	rate: Option<u32>,
	/// Register each user once (SAR REGISTRATION, in order) and stop,
	/// instead of `--seconds` of MAR+SAR.
	#[arg(long, conflicts_with = "gap_us")]
	register: bool,
}

fn parse_sync(text: &str) -> Result<Sync, String> {
	match text {
		"before-answer" => Ok(Sync::BeforeAnswer),
		"with-answer" => Ok(Sync::WithAnswer),
		other => Err(format!("{other}: expected before-answer or with-answer")),
	}
}

const REALM: &str = "ims.example.net";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
	if sorted.is_empty() {
		return Duration::ZERO;
	}
	let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
	sorted[rank.min(sorted.len() - 1)]
}

/// Prints the run's figures.
fn report(args: &Args, measured: f64, latencies: &[Duration], errors: u64, journaled: Option<u64>) {
	let load = match (args.rate, args.gap_us) {
		(Some(rate), _) => format!("{rate} requests/s in all (open loop)"),
		(None, Some(gap)) => format!("one request at a time, {gap} us apart"),
		(None, None) => format!("{} in flight", args.window),
	};
	let bridge = match (args.target, args.sync) {
		(Some(target), _) => format!("the bridge at {target}"),
		(None, Sync::WithAnswer) => format!(
			"vault cache {}, journal with-answer, flushed every {} ms",
			args.vault_cache, args.flush_interval_ms
		),
		(None, Sync::BeforeAnswer) => {
			format!("vault cache {}, journal before-answer", args.vault_cache)
		},
	};
	let journaled = journaled.map(|n| format!(", journaled {n}")).unwrap_or_default();
	let requests = if args.register { "SAR registration" } else { "MAR+SAR" };
	let ms = |d: Duration| d.as_secs_f64() * 1e3;
	println!(
		"cx-bench: {} connections x {load}, {} subscribers, {bridge}, {:.1} s: {:.0} answers/s ({requests}), \
		 latency p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms, errors {}{journaled}",
		args.connections,
		args.subscribers,
		measured,
		latencies.len() as f64 / measured,
		ms(percentile(latencies, 50.0)),
		ms(percentile(latencies, 90.0)),
		ms(percentile(latencies, 99.0)),
		ms(latencies.last().copied().unwrap_or_default()),
		errors,
	);
}

#[tokio::main]
async fn main() {
	let args = Args::parse();
	match args.target {
		Some(target) => {
			let (latencies, errors, measured) = measure(&args, target).await;
			report(&args, measured, &latencies, errors, None);
		},
		None => in_process::in_process(&args).await,
	}
}

/// Loads the bridge at `address` as the arguments say: returns every
/// latency measured, sorted, the errors and the seconds measured (a
/// registration of every user is measured whole, without warm-up).
async fn measure(args: &Args, address: std::net::SocketAddr) -> (Vec<Duration>, u64, f64) {
	let warmup = if args.register { 0 } else { args.warmup_seconds };
	let warmup_until = Instant::now() + Duration::from_secs(warmup);
	let until = warmup_until + Duration::from_secs(args.seconds);
	let (latencies, errors) = clients::load(args, address, warmup_until, until).await;
	let measured =
		if args.register { warmup_until.elapsed().as_secs_f64() } else { args.seconds as f64 };
	(latencies, errors, measured)
}

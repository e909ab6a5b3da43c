//! Audit throughput: floods a development node with HSS-front batches and
//! prints the records per second finalized and the time from submission to
//! finalization.
//!
//! Method: start `ims-node --dev` (temporary base path, loopback ports,
//! default pool limits). Alice (realm 0's HSS front in the development
//! preset) signs `Audit::submit` transactions of `--batch` records each, all
//! built before the clock starts. A submitter thread sends them over
//! JSON-RPC (`author_submitExtrinsic`) at the offered rate `--rate` records
//! per second for `--seconds`, noting each batch's submission time. A
//! watcher polls `chain_getFinalizedHead` every 20 ms and reads each newly
//! finalized block's body; a batch's records count as finalized at the
//! moment its block is first seen finalized. Throughput is printed twice:
//! sustained (the records finalized after the first finalization, over the
//! time from the first finalization to the last) and end to end (every
//! record, over the time from the first submission to the last
//! finalization, so filling and draining the pipeline count against it);
//! latency is per record, from its batch's submission to that moment (p50,
//! p99, max). Batches still unfinalized 30 s after the last submission are
//! reported as lost.
//!
//! Usage:
//!   cargo run --release -p ims-node --example audit_flood -- \
//!       [--rate 12000] [--batch 1000] [--seconds 60] [--node PATH] [--node-log FILE]

#![allow(
	clippy::expect_used,
	clippy::unwrap_used,
	clippy::panic,
	clippy::indexing_slicing,
	reason = "a load generator: a set-up step that fails ends the run with its message"
)]

use std::{
	collections::{BTreeMap, HashMap},
	sync::{Arc, Mutex},
	thread,
	time::{Duration, Instant},
};

use codec::{Decode, Encode};
use ims_primitives::{
	audit::{Activity, FrontRecord, Peer},
	AuthScheme, Subject,
};
use ims_runtime::{RuntimeCall, UncheckedExtrinsic};
use serde_json::{json, Value};
use sp_core::{bytes::from_hex, H256};
use sp_keyring::Sr25519Keyring;
use sp_runtime::generic::Era;

struct Options {
	rate: u64,
	batch: u32,
	seconds: u64,
	node: String,
	node_log: Option<String>,
}

fn options() -> Result<Options, String> {
	let mut options = Options {
		rate: 12_000,
		batch: 1_000,
		seconds: 60,
		node_log: None,
		node: format!(
			"{}/release/ims-node",
			std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into())
		),
	};
	let mut args = std::env::args().skip(1);
	while let Some(flag) = args.next() {
		let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
		let number = || value.parse::<u64>().map_err(|e| format!("{flag} {value}: {e}"));
		match flag.as_str() {
			"--rate" => options.rate = number()?,
			"--batch" => options.batch = u32::try_from(number()?).map_err(|e| e.to_string())?,
			"--seconds" => options.seconds = number()?,
			"--node" => options.node = value,
			"--node-log" => options.node_log = Some(value),
			_ => return Err(format!("unknown flag {flag}")),
		}
	}
	if options.rate == 0 || options.batch == 0 || options.seconds == 0 {
		return Err("--rate, --batch and --seconds must be positive".into());
	}
	Ok(options)
}

fn rpc(port: u16, method: &str, params: Value) -> Result<Value, String> {
	let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
	let response: Value = ureq::post(&format!("http://127.0.0.1:{port}"))
		.timeout(Duration::from_secs(10))
		.send_json(body)
		.map_err(|e| e.to_string())?
		.into_json()
		.map_err(|e| e.to_string())?;
	response.get("result").cloned().ok_or_else(|| format!("{method}: {response}"))
}

fn hex(bytes: &[u8]) -> String {
	sp_core::bytes::to_hex(bytes, false)
}

/// Alice's batch number `n`: records about distinct unknown identities,
/// sequence numbers `n * size ..`.
fn transaction(n: u32, size: u32, genesis: H256) -> Vec<u8> {
	let records: Vec<FrontRecord<_>> = (0..size)
		.map(|i| {
			let mut impu = [0u8; 32];
			impu[..4].copy_from_slice(&n.to_le_bytes());
			impu[4..8].copy_from_slice(&i.to_le_bytes());
			FrontRecord {
				// Identities the realm does not hold: records about provisioned
				// subscribers would first need as many subscribers on chain.
				subject: Subject::Unknown(H256(impu)),
				peer: Peer::Diameter(b"scscf.ims.example.net".to_vec().try_into().unwrap()),
				activity: Activity::AuthenticationChallenge(AuthScheme::AkaV1Md5),
				result: 2001,
				// A whole minute in the past, as fronts record.
				at_ms: 1_762_999_980_000,
			}
		})
		.collect();
	let call = RuntimeCall::Audit(pallet_ims_audit::Call::submit {
		realm: 0,
		first_sequence: u64::from(n) * u64::from(size),
		records: records.try_into().expect("--batch is at most the runtime's MaxBatchSize"),
	});
	let signer = Sr25519Keyring::Alice;
	let extension = ims_runtime::tx_extension(n, Era::Immortal);
	let payload = ims_runtime::signed_payload(call.clone(), extension.clone(), genesis, genesis);
	let signature = payload.using_encoded(|bytes| signer.sign(bytes));
	UncheckedExtrinsic::new_signed(
		call,
		signer.to_account_id().into(),
		ims_runtime::Signature::Sr25519(signature),
		extension,
	)
	.encode()
}

/// The `first_sequence` and size of every audit batch in the block.
fn batches_in(port: u16, hash: &Value) -> Result<Vec<(u64, usize)>, String> {
	let block = rpc(port, "chain_getBlock", json!([hash]))?;
	let extrinsics = block["block"]["extrinsics"].as_array().cloned().unwrap_or_default();
	let mut found = Vec::new();
	for extrinsic in extrinsics {
		let raw = from_hex(extrinsic.as_str().unwrap_or_default()).map_err(|e| e.to_string())?;
		let decoded = UncheckedExtrinsic::decode(&mut &raw[..]).map_err(|e| e.to_string())?;
		if let RuntimeCall::Audit(pallet_ims_audit::Call::submit {
			first_sequence, records, ..
		}) = decoded.function
		{
			found.push((first_sequence, records.len()));
		}
	}
	Ok(found)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
	if sorted.is_empty() {
		return f64::NAN;
	}
	let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
	sorted[rank.clamp(1, sorted.len()) - 1]
}

fn main() -> Result<(), String> {
	let options = options()?;
	// The shared harness of the tests starts the node (temporary base path,
	// loopback ports, its log kept).
	let node = ims_test_harness::Node::start_binary(
		std::path::Path::new(&options.node),
		&["--dev", "--rpc-max-request-size", "64"],
	);
	let rpc_port = node.rpc_port;
	let deadline = Instant::now() + Duration::from_secs(60);
	let genesis = loop {
		if let Ok(hash) = rpc(rpc_port, "chain_getBlockHash", json!([0])) {
			break H256::from_slice(
				&from_hex(hash.as_str().unwrap_or_default()).unwrap_or_default(),
			);
		}
		if Instant::now() > deadline {
			return Err("the node did not answer within 60 s".into());
		}
		thread::sleep(Duration::from_millis(200));
	};

	let batches_per_second = options.rate as f64 / f64::from(options.batch);
	let count = (batches_per_second * options.seconds as f64).ceil() as u32;
	eprintln!(
		"signing {count} batches of {} records ({} records/s offered for {} s)",
		options.batch, options.rate, options.seconds
	);
	let transactions: Vec<Vec<u8>> =
		(0..count).map(|n| transaction(n, options.batch, genesis)).collect();

	let submitted: Arc<Mutex<HashMap<u64, Instant>>> = Arc::default();
	let finalized: Arc<Mutex<BTreeMap<u64, (Instant, usize)>>> = Arc::default();
	let done = Arc::new(std::sync::atomic::AtomicBool::new(false));

	let watcher = {
		let (finalized, done) = (finalized.clone(), done.clone());
		thread::spawn(move || -> Result<(), String> {
			let mut last = rpc(rpc_port, "chain_getHeader", json!([]))
				.ok()
				.and_then(|h| h["number"].as_str().map(str::to_owned))
				.and_then(|n| u64::from_str_radix(n.trim_start_matches("0x"), 16).ok())
				.unwrap_or(0);
			while !done.load(std::sync::atomic::Ordering::Relaxed) {
				let head = rpc(rpc_port, "chain_getFinalizedHead", json!([]))?;
				let header = rpc(rpc_port, "chain_getHeader", json!([head]))?;
				let number = header["number"]
					.as_str()
					.and_then(|n| u64::from_str_radix(n.trim_start_matches("0x"), 16).ok())
					.unwrap_or(last);
				let seen = Instant::now();
				while last < number {
					last += 1;
					let hash = rpc(rpc_port, "chain_getBlockHash", json!([last]))?;
					for (first, size) in batches_in(rpc_port, &hash)? {
						finalized.lock().map_err(|e| e.to_string())?.insert(first, (seen, size));
					}
				}
				thread::sleep(Duration::from_millis(20));
			}
			Ok(())
		})
	};

	let interval = Duration::from_secs_f64(1.0 / batches_per_second);
	let start = Instant::now();
	for (n, extrinsic) in transactions.iter().enumerate() {
		let due = start + interval * n as u32;
		if let Some(wait) = due.checked_duration_since(Instant::now()) {
			thread::sleep(wait);
		}
		let at = Instant::now();
		rpc(rpc_port, "author_submitExtrinsic", json!([hex(extrinsic)]))
			.map_err(|e| format!("batch {n}: {e}"))?;
		submitted
			.lock()
			.map_err(|e| e.to_string())?
			.insert(n as u64 * u64::from(options.batch), at);
	}
	let end = Instant::now();
	let grace = end + Duration::from_secs(30);
	while Instant::now() < grace {
		if finalized.lock().map_err(|e| e.to_string())?.len() >= transactions.len() {
			break;
		}
		thread::sleep(Duration::from_millis(100));
	}
	done.store(true, std::sync::atomic::Ordering::Relaxed);
	watcher.join().map_err(|_| "the watcher panicked")??;

	let submitted = submitted.lock().map_err(|e| e.to_string())?;
	let finalized = finalized.lock().map_err(|e| e.to_string())?;
	let mut latencies = Vec::new();
	let mut last_seen = start;
	// Finalization moments, with the records each brought.
	let mut moments: BTreeMap<Instant, usize> = BTreeMap::new();
	for (first, (seen, size)) in finalized.iter() {
		if let Some(sent) = submitted.get(first) {
			let latency = seen.duration_since(*sent).as_secs_f64();
			latencies.extend(std::iter::repeat_n(latency, *size));
			last_seen = last_seen.max(*seen);
			*moments.entry(*seen).or_default() += size;
		}
	}
	// Sustained: the records of every finalization after the first, over the
	// time from the first to the last.
	let sustained = match (moments.first_key_value(), moments.last_key_value()) {
		(Some((first, _)), Some((last, _))) if last > first => {
			let records: usize = moments.values().skip(1).sum();
			records as f64 / last.duration_since(*first).as_secs_f64()
		},
		_ => f64::NAN,
	};
	latencies.sort_by(|a, b| a.total_cmp(b));
	let window = end.duration_since(start).as_secs_f64();
	let total = u64::from(count) * u64::from(options.batch);
	let lost = transactions.len().saturating_sub(finalized.len());
	let bytes = transactions.first().map_or(0, Vec::len);
	println!(
		"offered            {} records/s in batches of {} ({bytes} bytes a transaction)",
		options.rate, options.batch
	);
	println!("window             {window:.1} s, {total} records submitted");
	println!("finalized          {} records, {lost} batches never finalized", latencies.len());
	println!(
		"throughput         {:.0} records/s finalized, sustained (first to last finalization)",
		sustained
	);
	println!(
		"                   {:.0} records/s end to end (first submission to last finalization)",
		latencies.len() as f64 / last_seen.duration_since(start).as_secs_f64()
	);
	println!(
		"latency            p50 {:.2} s, p99 {:.2} s, max {:.2} s (submission to finalization)",
		percentile(&latencies, 50.0),
		percentile(&latencies, 99.0),
		latencies.last().copied().unwrap_or(f64::NAN)
	);
	if let Some(path) = &options.node_log {
		std::fs::write(path, node.log()).map_err(|e| format!("{path}: {e}"))?;
	}
	Ok(())
}

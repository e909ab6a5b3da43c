//! The real `ims-node --dev` produces and finalizes blocks, serves JSON-RPC
//! and Prometheus on loopback, and stops cleanly on SIGTERM.

use std::{
	thread,
	time::{Duration, Instant},
};

use crate::common::Node;
use serde_json::json;
use sp_core::crypto::{Ss58AddressFormat, Ss58Codec};
use sp_keyring::Sr25519Keyring;

/// Bound on the whole wait: at 2-second slots, 3 blocks and one finalized
/// block take about 8 seconds once the node runs; the rest is start-up on a
/// loaded 2-core CI machine.
const PRODUCE_AND_FINALIZE_WITHIN: Duration = Duration::from_secs(90);

#[test]
fn dev_chain_produces_and_finalizes_blocks_then_stops_cleanly() {
	// Given a development node on loopback ports
	let mut node = Node::start(&["--dev"]);
	node.wait_for_rpc(Duration::from_secs(60));

	// Then it reports the chain's name, token and SS58 prefix
	assert_eq!(node.rpc("system_chain", json!([])).unwrap(), json!("IMS ledger development"));
	let properties = node.rpc("system_properties", json!([])).unwrap();
	assert_eq!(properties["tokenSymbol"], json!("IMS"));
	assert_eq!(properties["tokenDecimals"], json!(12));
	assert_eq!(properties["ss58Format"], json!(4242));

	// And the transaction-payment and account-nonce RPCs are served
	let methods = node.rpc("rpc_methods", json!([])).unwrap();
	let methods: Vec<&str> =
		methods["methods"].as_array().unwrap().iter().filter_map(|m| m.as_str()).collect();
	for method in ["payment_queryInfo", "system_accountNextIndex", "author_submitExtrinsic"] {
		assert!(methods.contains(&method), "{method} missing from {methods:?}");
	}

	// And they take addresses in the chain's own SS58 format, as polkadot.js
	// passes them
	let alice = Sr25519Keyring::Alice
		.to_account_id()
		.to_ss58check_with_version(Ss58AddressFormat::custom(4242));
	let nonce = node.rpc("system_accountNextIndex", json!([alice]));
	assert_eq!(nonce.unwrap(), json!(0), "Alice's nonce by her address {alice}");

	// When we wait for blocks
	let deadline = Instant::now() + PRODUCE_AND_FINALIZE_WITHIN;
	let (mut best, mut finalized) = (0, 0);
	while Instant::now() < deadline {
		best = node.best_number().unwrap_or(best);
		finalized = node.finalized_number().unwrap_or(finalized);
		if best >= 3 && finalized >= 1 {
			break;
		}
		thread::sleep(Duration::from_millis(250));
	}

	// Then blocks are produced and finalized in time
	assert!(
		best >= 3 && finalized >= 1,
		"best {best}, finalized {finalized} after {PRODUCE_AND_FINALIZE_WITHIN:?}:\n{}",
		node.log()
	);
	assert!(finalized <= best);

	// And Prometheus reports the heights too (it samples them every few
	// seconds, so it may trail the RPC answers for a moment)
	let deadline = Instant::now() + Duration::from_secs(30);
	let mut metrics = String::new();
	while Instant::now() < deadline {
		metrics = node.metrics().expect("Prometheus answers");
		if prometheus_height(&metrics, "best") >= Some(3)
			&& prometheus_height(&metrics, "finalized") >= Some(1)
		{
			break;
		}
		thread::sleep(Duration::from_millis(500));
	}
	assert!(prometheus_height(&metrics, "best") >= Some(3), "{metrics}");
	assert!(prometheus_height(&metrics, "finalized") >= Some(1), "{metrics}");

	// And the database is ParityDB
	assert!(node.log().contains("Database: ParityDb"), "{}", node.log());

	// When we ask it to stop, it exits cleanly
	let status = node.stop(Duration::from_secs(30));
	assert!(status.success(), "exit status {status}");
}

/// The `substrate_block_height` gauge with the given `status` label.
fn prometheus_height(metrics: &str, status: &str) -> Option<u64> {
	metrics
		.lines()
		.filter(|l| l.starts_with("substrate_block_height{"))
		.find(|l| l.contains(&format!("status=\"{status}\"")))
		.and_then(|l| l.rsplit(' ').next())
		.and_then(|v| v.parse().ok())
}

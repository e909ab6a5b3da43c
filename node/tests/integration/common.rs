//! Helpers shared by the node's integration tests: the real `ims-node`
//! binary started by the shared harness (`ims-test-harness`) on loopback
//! ports with a temporary base path, JSON-RPC calls to it, signed
//! extrinsics and events.

use std::{
	path::Path,
	process::{Command, ExitStatus},
	thread,
	time::{Duration, Instant},
};

use codec::{Decode, Encode};
use frame_system::EventRecord;
use ims_runtime::{RuntimeCall, RuntimeEvent};
use serde_json::{json, Value};
use sp_core::H256;
use sp_io::hashing::twox_128;
use sp_keyring::Sr25519Keyring;
use sp_runtime::generic::Era;

/// `0x`-prefixed lower-case hex, as JSON-RPC takes bytes.
pub fn hex(bytes: &[u8]) -> String {
	let digits: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
	format!("0x{digits}")
}

/// The bytes of `0x`-prefixed hex, as JSON-RPC returns them.
pub fn unhex(text: &str) -> Vec<u8> {
	let digits = text.strip_prefix("0x").expect("0x-prefixed hex");
	(0..digits.len())
		.step_by(2)
		.map(|i| u8::from_str_radix(&digits[i..i + 2], 16).expect("hex digit"))
		.collect()
}

/// The node binary built by Cargo for these tests.
pub const NODE: &str = env!("CARGO_BIN_EXE_ims-node");

/// A running `ims-node` (started by the shared harness on a temporary base
/// path and free loopback ports), with the JSON-RPC calls the tests make.
pub struct Node {
	node: ims_test_harness::Node,
	/// JSON-RPC port on 127.0.0.1.
	pub rpc_port: u16,
	/// Prometheus port on 127.0.0.1.
	pub prometheus_port: u16,
	/// Peer-to-peer port on 127.0.0.1.
	pub p2p_port: u16,
}

impl Node {
	/// Starts `ims-node` with `args` plus a temporary base path and free
	/// loopback ports for p2p, RPC and Prometheus.
	pub fn start(args: &[&str]) -> Node {
		let node = ims_test_harness::Node::start_binary(Path::new(NODE), args);
		let (rpc_port, prometheus_port, p2p_port) =
			(node.rpc_port, node.prometheus_port, node.p2p_port);
		Node { node, rpc_port, prometheus_port, p2p_port }
	}

	/// One JSON-RPC call over HTTP; `Err` if the node does not answer or
	/// answers with a JSON-RPC error.
	pub fn rpc(&self, method: &str, params: Value) -> Result<Value, String> {
		let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
		let response: Value = ureq::post(&format!("http://127.0.0.1:{}", self.rpc_port))
			.timeout(Duration::from_secs(5))
			.send_json(body)
			.map_err(|e| e.to_string())?
			.into_json()
			.map_err(|e| e.to_string())?;
		match response.get("result") {
			Some(result) => Ok(result.clone()),
			None => Err(format!("{method}: {response}")),
		}
	}

	/// Waits until the RPC server answers, or panics with the node's log.
	pub fn wait_for_rpc(&mut self, timeout: Duration) {
		let deadline = Instant::now() + timeout;
		while Instant::now() < deadline {
			assert!(!self.node.proc.exited(), "ims-node exited early:\n{}", self.log());
			if self.rpc("system_health", json!([])).is_ok() {
				return;
			}
			thread::sleep(Duration::from_millis(200));
		}
		panic!("ims-node did not answer RPC within {timeout:?}:\n{}", self.log());
	}

	/// Number of the best block.
	pub fn best_number(&self) -> Result<u64, String> {
		let header = self.rpc("chain_getHeader", json!([]))?;
		block_number(&header)
	}

	/// Number of the last finalized block.
	pub fn finalized_number(&self) -> Result<u64, String> {
		let hash = self.rpc("chain_getFinalizedHead", json!([]))?;
		let header = self.rpc("chain_getHeader", json!([hash]))?;
		block_number(&header)
	}

	/// The Prometheus metrics page.
	pub fn metrics(&self) -> Result<String, String> {
		ureq::get(&format!("http://127.0.0.1:{}/metrics", self.prometheus_port))
			.timeout(Duration::from_secs(5))
			.call()
			.map_err(|e| e.to_string())?
			.into_string()
			.map_err(|e| e.to_string())
	}

	/// A copy of the node's log so far.
	pub fn log(&self) -> String {
		self.node.log()
	}

	/// Sends SIGTERM and waits for the process to exit; panics with its log
	/// if it does not within `timeout`.
	pub fn stop(self, timeout: Duration) -> ExitStatus {
		let log = self.node.log();
		self.node.stop(timeout).unwrap_or_else(|| {
			panic!("ims-node did not stop within {timeout:?} of SIGTERM:\n{log}")
		})
	}
}

fn block_number(header: &Value) -> Result<u64, String> {
	let hex = header
		.get("number")
		.and_then(Value::as_str)
		.ok_or_else(|| format!("header without number: {header}"))?;
	u64::from_str_radix(hex.trim_start_matches("0x"), 16).map_err(|e| e.to_string())
}

/// Runs `ims-node` with `args` to completion; returns (status, stdout, stderr).
pub fn run(args: &[&str]) -> (ExitStatus, String, String) {
	let output = Command::new(NODE).args(args).output().expect("ims-node runs");
	(
		output.status,
		String::from_utf8_lossy(&output.stdout).into_owned(),
		String::from_utf8_lossy(&output.stderr).into_owned(),
	)
}

/// Writes `contents` to `dir/name` and returns the path as a string.
pub fn write(dir: &Path, name: &str, contents: &str) -> String {
	let path = dir.join(name);
	std::fs::write(&path, contents).expect("write test file");
	path.to_string_lossy().into_owned()
}

/// An immortal transaction of `call`, signed by `signer` at `nonce`.
pub fn signed(signer: Sr25519Keyring, call: RuntimeCall, nonce: u32, genesis: H256) -> Vec<u8> {
	let extension = ims_runtime::tx_extension(nonce, Era::Immortal);
	let payload = ims_runtime::signed_payload(call.clone(), extension.clone(), genesis, genesis);
	let signature = payload.using_encoded(|bytes| signer.sign(bytes));
	ims_runtime::UncheckedExtrinsic::new_signed(
		call,
		signer.to_account_id().into(),
		ims_runtime::Signature::Sr25519(signature),
		extension,
	)
	.encode()
}

/// The events of block `number`.
pub fn events_at(node: &Node, number: u64) -> Vec<RuntimeEvent> {
	let hash = node.rpc("chain_getBlockHash", json!([number])).unwrap();
	let mut key = twox_128(b"System").to_vec();
	key.extend(twox_128(b"Events"));
	let Some(value) =
		node.rpc("state_getStorage", json!([hex(&key), hash])).unwrap().as_str().map(unhex)
	else {
		return Vec::new();
	};
	Vec::<EventRecord<RuntimeEvent, H256>>::decode(&mut &value[..])
		.expect("events decode with the runtime's types")
		.into_iter()
		.map(|record| record.event)
		.collect()
}

/// Submits `extrinsic` and waits until a block from `from` on carries an
/// event `wanted` accepts; returns that block's number.
pub fn submit_and_wait(
	node: &Node,
	extrinsic: Vec<u8>,
	from: u64,
	what: &str,
	wanted: impl Fn(&RuntimeEvent) -> bool,
) -> u64 {
	node.rpc("author_submitExtrinsic", json!([hex(&extrinsic)])).expect("accepted by the pool");
	let deadline = Instant::now() + Duration::from_secs(60);
	let mut next = from;
	while Instant::now() < deadline {
		let best = node.best_number().unwrap();
		while next <= best {
			if events_at(node, next).iter().any(&wanted) {
				return next;
			}
			next += 1;
		}
		thread::sleep(Duration::from_millis(300));
	}
	panic!("no block with {what}; the node's log:\n{}", node.log());
}

/// The genesis hash of the node's chain.
pub fn genesis_hash(node: &Node) -> H256 {
	let genesis = node.rpc("chain_getBlockHash", json!([0])).unwrap();
	H256::from_slice(&unhex(genesis.as_str().expect("genesis hash")))
}

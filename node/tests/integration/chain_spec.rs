//! `build-spec` turns each genesis preset into a chain spec the node accepts,
//! and bad chain specs give a clear error and a non-zero exit, never a panic.

use std::time::Duration;

use crate::common::{run, write, Node};
use serde_json::{json, Value};

/// Builds the plain and raw chain specs of `chain` into `dir`.
fn build_specs(chain: &str, dir: &std::path::Path) -> (Value, String) {
	let (status, plain, stderr) =
		run(&["build-spec", "--chain", chain, "--disable-default-bootnode"]);
	assert!(status.success(), "build-spec --chain {chain}: {stderr}");
	let plain_json: Value = serde_json::from_str(&plain).expect("build-spec prints JSON");
	let plain_path = write(dir, &format!("{chain}.json"), &plain);

	let (status, raw, stderr) =
		run(&["build-spec", "--chain", &plain_path, "--raw", "--disable-default-bootnode"]);
	assert!(status.success(), "build-spec --raw from {plain_path}: {stderr}");
	let raw_json: Value = serde_json::from_str(&raw).expect("raw spec is JSON");
	assert!(raw_json["genesis"]["raw"]["top"].is_object(), "raw genesis storage present");
	(plain_json, write(dir, &format!("{chain}-raw.json"), &raw))
}

/// Starts the node on `spec` and checks what it serves; returns its genesis hash.
fn node_accepts(spec: &str, extra: &[&str], expected_name: &str) -> Value {
	let mut args = vec!["--chain", spec];
	args.extend_from_slice(extra);
	let mut node = Node::start(&args);
	node.wait_for_rpc(Duration::from_secs(60));
	assert_eq!(node.rpc("system_chain", json!([])).unwrap(), json!(expected_name));
	assert_eq!(node.rpc("system_properties", json!([])).unwrap()["ss58Format"], json!(4242));
	let genesis = node.rpc("chain_getBlockHash", json!([0])).unwrap();
	let status = node.stop(Duration::from_secs(30));
	assert!(status.success(), "exit status {status}");
	genesis
}

#[test]
fn development_preset_builds_a_spec_the_node_accepts() {
	let dir = tempfile::tempdir().unwrap();
	let (plain, raw) = build_specs("dev", dir.path());

	// The plain spec names the preset and carries the chain properties.
	assert_eq!(plain["id"], json!("ims_dev"));
	assert_eq!(plain["chainType"], json!("Development"));
	assert_eq!(plain["properties"]["tokenSymbol"], json!("IMS"));
	// The preset is resolved into the genesis patch: one validator, a sudo key.
	let patch = &plain["genesis"]["runtimeGenesis"]["patch"];
	assert_eq!(patch["session"]["keys"].as_array().map(Vec::len), Some(1), "{patch}");
	assert!(patch["sudo"]["key"].is_string(), "{patch}");

	// The raw spec and the built-in `--dev` chain have the same genesis.
	let from_file = node_accepts(&raw, &["--alice", "--validator"], "IMS ledger development");
	let built_in = node_accepts("dev", &[], "IMS ledger development");
	assert_eq!(from_file, built_in);
}

#[test]
fn local_testnet_preset_builds_a_spec_the_node_accepts() {
	let dir = tempfile::tempdir().unwrap();
	let (plain, raw) = build_specs("local", dir.path());

	assert_eq!(plain["id"], json!("ims_local_testnet"));
	assert_eq!(plain["chainType"], json!("Local"));
	let patch = &plain["genesis"]["runtimeGenesis"]["patch"];
	assert_eq!(patch["session"]["keys"].as_array().map(Vec::len), Some(3), "{patch}");

	// The plain spec (built from the preset at start) and the raw one agree.
	let plain_path = write(dir.path(), "local-plain.json", &plain.to_string());
	let from_raw = node_accepts(&raw, &["--alice", "--validator"], "IMS ledger local testnet");
	let from_plain = node_accepts(&plain_path, &["--alice"], "IMS ledger local testnet");
	assert_eq!(from_raw, from_plain);
}

/// Asserts a clear error without a panic.
fn assert_clear_failure(args: &[&str], expected: &str) {
	let (status, _, stderr) = run(args);
	assert!(!status.success(), "{args:?} must fail");
	assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
	assert!(stderr.contains(expected), "{args:?}: expected `{expected}` in: {stderr}");
}

#[test]
fn missing_chain_spec_is_a_clear_error() {
	let missing = "/nonexistent/ims/chain-spec.json";
	assert_clear_failure(&["--chain", missing, "--tmp"], "not found");
	assert_clear_failure(&["build-spec", "--chain", missing], "not found");
}

#[test]
fn malformed_chain_specs_are_clear_errors() {
	let dir = tempfile::tempdir().unwrap();
	let cases = [
		("truncated.json", "{\"name\": \"IMS\", \"id\": "),
		("not-json.json", "this is not a chain spec"),
		("empty.json", ""),
		("wrong-types.json", "{\"name\": 7, \"id\": [], \"genesis\": \"none\"}"),
	];
	for (name, contents) in cases {
		let path = write(dir.path(), name, contents);
		assert_clear_failure(&["--chain", &path, "--tmp"], "Invalid chain specification");
		assert_clear_failure(&["build-spec", "--chain", &path], "Invalid chain specification");
	}
}

#[test]
fn chain_spec_with_a_broken_genesis_is_refused() {
	// A well-formed spec whose genesis is not valid for this runtime.
	let dir = tempfile::tempdir().unwrap();
	let (mut plain, _) = build_specs("dev", dir.path());
	plain["genesis"]["runtimeGenesis"]["patch"] = json!({ "noSuchPallet": { "x": 1 } });
	let path = write(dir.path(), "broken-genesis.json", &plain.to_string());
	let (status, _, stderr) = run(&["build-spec", "--chain", &path, "--raw"]);
	assert!(!status.success(), "a broken genesis must be refused");
	assert!(!stderr.contains("panicked"), "panicked: {stderr}");
	assert!(stderr.to_lowercase().contains("error"), "{stderr}");
}

#[test]
fn benchmark_command_explains_how_to_enable_it() {
	if cfg!(feature = "runtime-benchmarks") {
		return;
	}
	assert_clear_failure(
		&["benchmark", "pallet", "--pallet", "*"],
		"--features runtime-benchmarks",
	);
}

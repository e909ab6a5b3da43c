//! What an auditor's polkadot.js sees: `node/tests/polkadot-js/audit.mjs`,
//! with the real `@polkadot/api` from npm, signs an audit batch against a
//! real `ims-node --dev` and decodes the finalized event, storage and the
//! `imsAudit_records` answer from the metadata alone.
//!
//! `scripts/test.sh` installs the npm packages first (`npm ci` in
//! `node/tests/polkadot-js`).

use std::{path::Path, process::Command, time::Duration};

use crate::common::Node;

#[test]
fn polkadot_js_signs_and_decodes_the_audit_trail_without_custom_types() {
	let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/polkadot-js");
	assert!(
		dir.join("node_modules/@polkadot/api").is_dir(),
		"@polkadot/api is not installed: run `npm ci` in {} (scripts/test.sh does)",
		dir.display()
	);
	let mut node = Node::start(&["--dev"]);
	node.wait_for_rpc(Duration::from_secs(60));

	let output = Command::new("node")
		.current_dir(&dir)
		.arg("audit.mjs")
		.arg(format!("ws://127.0.0.1:{}", node.rpc_port))
		.output()
		.expect("Node.js runs");
	let stdout = String::from_utf8_lossy(&output.stdout);
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(
		output.status.success(),
		"audit.mjs failed:\n{stdout}\n{stderr}\nnode log:\n{}",
		node.log()
	);
	let summary: serde_json::Value =
		serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
	assert_eq!(summary["records"], 3);
	assert_eq!(summary["listed"], 3);

	assert!(node.stop(Duration::from_secs(30)).success());
}

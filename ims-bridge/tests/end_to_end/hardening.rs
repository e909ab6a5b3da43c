//! The running bridge keeps its secrets to itself (`src/hardening.rs`): it
//! writes no core file, and the environment variables it read its vault
//! key and signer from are gone from its environment once read.

use crate::common::*;
use std::time::Duration;

#[tokio::test]
async fn the_bridge_dumps_no_core_and_forgets_secret_variables() {
	let (_node, setup) = dev_chain().await;
	let text = std::fs::read_to_string(&setup.config).unwrap();
	let text = text
		.replace("key_file = \"vault.key\"", "key_env = \"IMS_TEST_VAULT_KEY\"")
		.replace("signer_file = \"signer\"", "signer_env = \"IMS_TEST_SIGNER\"");
	let config = setup.dir.path().join("bridge-env.toml");
	std::fs::write(&config, text).unwrap();
	let mut command = setup.bridge_command();
	command.arg("run").arg("--config").arg(&config);
	command.env("IMS_TEST_VAULT_KEY", "5a".repeat(32)).env("IMS_TEST_SIGNER", "//Alice");
	let bridge = Proc::spawn("ims-bridge", &mut command);
	wait_for("the bridge to serve Cx", Duration::from_secs(60), || {
		bridge.log().contains("serving Cx")
	});

	let log = bridge.log();
	assert!(
		log.contains("removed from it") && log.contains("IMS_TEST_SIGNER,IMS_TEST_VAULT_KEY"),
		"{log}"
	);
	assert!(!log.contains(&"5a".repeat(32)), "the key is never logged");
	let limits = std::fs::read_to_string(format!("/proc/{}/limits", bridge.id())).unwrap();
	let core = limits.lines().find(|l| l.starts_with("Max core file size")).unwrap();
	let values: Vec<&str> = core.split_whitespace().skip(4).take(2).collect();
	assert_eq!(values, ["0", "0"], "{core}");
}

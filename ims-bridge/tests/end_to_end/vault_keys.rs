//! The vault's data keys through the real binary (`docs/vault.md`): the
//! vault key rotates while an S-CSCF's MARs keep being answered, after
//! which only the new key starts the bridge; and a copy of the vault file
//! made before an erasure does not bring the erased subscriber back.

use crate::common::*;
use crate::cx_client::{code, mar, CxClient};
use ims_bridge::diameter::dict::{command, result};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ALICE: (&str, &str) = ("alice@ims.example.net", "sip:alice@ims.example.net");
const BOB: (&str, &str) = ("bob@ims.example.net", "sip:bob@ims.example.net");

fn add(setup: &Setup, name: &str, (impi, impu): (&str, &str)) {
	let args = ["--subscription", name, "--impi", impi, "--impu", impu];
	setup.add(&args, &[("IMS_BRIDGE_PASSWORD", "a-secret")]);
}

/// Runs `ims-bridge vault rotate-key` to the key in `new_key`.
fn rotate(setup: &Setup, new_key: &std::path::Path) -> std::process::Output {
	let mut command = setup.bridge_command();
	command.args(["vault", "rotate-key", "--config"]).arg(&setup.config);
	command.arg("--new-key-file").arg(new_key).output().unwrap()
}

#[tokio::test]
async fn the_vault_key_rotates_while_cx_is_answered() {
	let (_node, setup) = dev_chain().await;
	let mut bridge = setup.start_bridge();
	add(&setup, "alice", ALICE);
	let mut scscf = CxClient::open(setup.hss_port, &format!("scscf.{REALM}"));
	wait_for("alice's MAR answered", Duration::from_secs(60), || {
		code(&scscf.ask(command::MULTIMEDIA_AUTH, mar(ALICE.0, ALICE.1))) == result::SUCCESS
	});

	// MARs back to back on one connection while the key rotates.
	let stop = Arc::new(AtomicBool::new(false));
	let asking = {
		let stop = stop.clone();
		std::thread::spawn(move || {
			let (mut answered, mut codes) = (0u32, Vec::new());
			let deadline = Instant::now() + Duration::from_secs(120);
			while !stop.load(Ordering::Acquire) && Instant::now() < deadline {
				let answer = code(&scscf.ask(command::MULTIMEDIA_AUTH, mar(ALICE.0, ALICE.1)));
				if answer != result::SUCCESS {
					codes.push(answer);
				}
				answered += 1;
			}
			(answered, codes)
		})
	};
	std::thread::sleep(Duration::from_millis(300));
	let new_key = setup.dir.path().join("vault-2.key");
	write_secret(&new_key, &"6b".repeat(32));
	let output = rotate(&setup, &new_key);
	std::thread::sleep(Duration::from_millis(300));
	stop.store(true, Ordering::Release);
	let (answered, failed) = asking.join().unwrap();
	let printed = String::from_utf8_lossy(&output.stdout);
	assert!(output.status.success(), "{printed}{}", String::from_utf8_lossy(&output.stderr));
	assert!(printed.starts_with("1 data keys re-wrapped"), "{printed}");
	assert!(answered > 10 && failed.is_empty(), "{answered} MARs, refused: {failed:?}");
	assert!(bridge.log().contains("vault key rotated"), "{}", bridge.log());

	// Only the new key opens the vault now.
	bridge.terminate(Duration::from_secs(30));
	let mut old = setup.bridge_command();
	let refused = old.arg("run").arg("--config").arg(&setup.config).output().unwrap();
	assert!(!refused.status.success());
	let said = String::from_utf8_lossy(&refused.stderr).to_string()
		+ &String::from_utf8_lossy(&refused.stdout);
	assert!(said.contains("does not open this vault"), "{said}");
	let text = std::fs::read_to_string(&setup.config).unwrap();
	std::fs::write(&setup.config, text.replace("\"vault.key\"", "\"vault-2.key\"")).unwrap();
	let _bridge = setup.start_bridge();
	let mut scscf = CxClient::open(setup.hss_port, &format!("scscf.{REALM}"));
	wait_for("alice's MAR answered again", Duration::from_secs(60), || {
		code(&scscf.ask(command::MULTIMEDIA_AUTH, mar(ALICE.0, ALICE.1))) == result::SUCCESS
	});
}

#[tokio::test]
async fn an_old_copy_of_the_vault_file_does_not_bring_an_erased_subscriber_back() {
	let (_node, setup) = dev_chain().await;
	let mut bridge = setup.start_bridge();
	add(&setup, "alice", ALICE);
	add(&setup, "bob", BOB);
	bridge.terminate(Duration::from_secs(30));
	let vault = setup.dir.path().join("vault.redb");
	let backup = setup.dir.path().join("vault.redb.backup");
	std::fs::copy(&vault, &backup).unwrap();

	let mut bridge = setup.start_bridge();
	setup.remove(ALICE.0);
	bridge.terminate(Duration::from_secs(30));
	// The vault file restored from the copy, beside the live keyring.
	std::fs::copy(&backup, &vault).unwrap();
	assert!(setup.show(BOB.0).contains(&format!("impi {}", BOB.0)), "bob is restored");
	let mut show = setup.bridge_command();
	let output = show.args(["subscriber", "show", "--config"]).arg(&setup.config);
	let output = output.arg(ALICE.0).output().unwrap();
	assert!(!output.status.success());
	let said = String::from_utf8_lossy(&output.stderr);
	assert!(said.contains("data key of this vault record was destroyed"), "{said}");
}

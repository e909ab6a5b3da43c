//! `ims-bridge import` against a real `ims-node --dev`: through a running
//! bridge that follows the import by its events, answered on Cx after a
//! restart, run again without effect; bad lines refused by number with
//! nothing half-written; runs interrupted and killed, finished by the
//! next.

use crate::common::*;
use ims_bridge::chain::{self, ims};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const HEADER: &str = r#"{"format":"ims-subscribers","version":1}"#;

/// Subscriber `i`: IMPI `user<i>@REALM`, its SIP and TEL IMPUs in one
/// implicit set, SIP Digest with the password `pw<i>`.
pub fn line(i: usize) -> String {
	serde_json::json!({
		"realm": REALM,
		"subscription": format!("sub{i}"),
		"impis": [{"identity": format!("user{i}@{REALM}"), "password": format!("pw{i}")}],
		"impus": [
			{"identity": format!("sip:user{i}@{REALM}")},
			{"identity": format!("tel:+1555{i:07}")},
		],
	})
	.to_string()
}

pub fn write_file(dir: &Path, name: &str, lines: impl IntoIterator<Item = String>) -> PathBuf {
	let path = dir.join(name);
	let mut text = format!("{HEADER}\n");
	for line in lines {
		text.push_str(&line);
		text.push('\n');
	}
	std::fs::write(&path, text).unwrap();
	path
}

fn import_command(setup: &Setup, file: &Path) -> Command {
	let mut command = setup.bridge_command();
	command.args(["import", "--config"]).arg(&setup.config).arg(file);
	command
}

pub fn import(setup: &Setup, file: &Path) -> Output {
	import_command(setup, file).output().unwrap()
}

fn text(output: &Output) -> String {
	format!(
		"{}{}",
		String::from_utf8_lossy(&output.stdout),
		String::from_utf8_lossy(&output.stderr)
	)
}

/// Subscriptions in the development realm at the finalized head.
async fn subscriptions(url: &str) -> u32 {
	let client = chain::connect(url).await.unwrap();
	let at = client.at_current_block().await.unwrap();
	let realm = at.storage().try_fetch(ims::storage().identity().realms(), (0u32,)).await;
	realm.unwrap().unwrap().decode().unwrap().subscriptions
}

#[tokio::test]
async fn an_import_through_the_bridge_is_followed_served_and_not_repeated() {
	const COUNT: usize = 3000;
	let (_node, setup) = dev_chain().await;
	let before = subscriptions(&setup.rpc_url).await;
	let file = write_file(setup.dir.path(), "base.ndjson", (0..COUNT).map(line));
	let mut bridge = setup.start_bridge();
	wait_for("the bridge's first load", Duration::from_secs(60), || {
		setup.metric("ims_bridge_index_loads_total{reason=\"start\"}") == Some(1.0)
	});

	// Through the running bridge: it owns the vault.
	let output = import(&setup, &file);
	assert!(output.status.success(), "{}", text(&output));
	let report = String::from_utf8_lossy(&output.stdout).to_string();
	assert!(
		report.contains(&format!(
			"{COUNT} subscriber lines: {COUNT} added, 0 already imported, 0 refused"
		)),
		"{report}"
	);
	assert!(
		bridge.log().contains("command=\"import\"") || bridge.log().contains("command=import"),
		"the import ran in the bridge"
	);
	assert_eq!(subscriptions(&setup.rpc_url).await, before + COUNT as u32);
	// Followed by its events: every IMPI indexed, nothing loaded again.
	wait_for("the bridge to index every imported IMPI", Duration::from_secs(60), || {
		setup.metric("ims_bridge_index_identities{kind=\"impi\"}").unwrap_or(0.0) >= COUNT as f64
	});
	assert_eq!(setup.metric("ims_bridge_index_loads_total{reason=\"start\"}"), Some(1.0));
	assert_eq!(setup.metric("ims_bridge_index_loads_total{reason=\"gap\"}"), None);

	// After a restart, a sample registers through Kamailio.
	assert!(bridge.terminate(Duration::from_secs(20)).is_some(), "the bridge stops on SIGTERM");
	let _bridge = setup.start_bridge();
	let _scscf = setup.kamailio("scscf");
	let _icscf = setup.kamailio("icscf");
	wait_for("both CSCFs connected to the bridge", Duration::from_secs(60), || {
		setup.metric("ims_bridge_peers") == Some(2.0)
	});
	for i in [0, COUNT / 2, COUNT - 1] {
		let user = format!("user{i}");
		assert!(setup.sipp("register_digest", &user, &["-ap", &format!("pw{i}")]), "{user}");
	}

	// Again: nothing added, nothing sent.
	let output = import(&setup, &file);
	assert!(output.status.success(), "{}", text(&output));
	assert!(
		text(&output).contains(&format!("0 added, {COUNT} already imported, 0 refused")),
		"{}",
		text(&output)
	);
	assert_eq!(subscriptions(&setup.rpc_url).await, before + COUNT as u32);
}

#[tokio::test]
async fn bad_lines_are_refused_by_number_and_nothing_is_half_written() {
	let (_node, setup) = dev_chain().await;
	let before = subscriptions(&setup.rpc_url).await;
	let other_realm = line(3).replace(REALM, "nowhere.example.net");
	let lines = vec![
		line(1),
		r#"{"realm":"ims.example.net","subscription":"#.to_string(),
		// Another subscription claiming subscriber 1's SIP IMPU.
		line(2).replace("sip:user2@", "sip:user1@"),
		other_realm,
		line(4).replace(r#","password":"pw4""#, ""),
		// The chain's rule: a set's default identity may not be barred.
		line(5).replace(r#"{"identity":"sip:user5@ims.example.net"}"#, r#"{"identity":"sip:user5@ims.example.net","barred":true,"implicit_set":1}"#),
		r#"{"format":"ims-subscribers","version":1}"#.to_string(),
		line(6),
		r#"{"realm":"ims.example.net","subscription":"s7","impis":[{"identity":"user7@ims.example.net","password":12345678}],"impus":[]}"#.to_string(),
	];
	let file = write_file(setup.dir.path(), "bad.ndjson", lines);
	let output = import(&setup, &file);
	let said = text(&output);
	assert!(!output.status.success(), "refused lines fail the command:\n{said}");
	for expected in [
		"line 3: malformed",
		"line 4: sip:user1@ims.example.net is already held by another subscription",
		"line 5: realm nowhere.example.net does not exist on chain",
		"line 6: user4@ims.example.net: digest schemes need a password or HA1",
		"line 7: refused by the chain: ",
		"line 8: malformed",
		"line 10: malformed",
		"9 subscriber lines: 2 added, 0 already imported, 7 refused",
	] {
		assert!(said.contains(expected), "{expected:?} missing from:\n{said}");
	}
	assert!(!said.contains("12345678"), "a refusal never repeats a value:\n{said}");
	// Only the two good subscribers, in the vault and on chain.
	assert_eq!(subscriptions(&setup.rpc_url).await, before + 2);
	for (identity, held) in [
		("user1@ims.example.net", true),
		("user6@ims.example.net", true),
		("user2@ims.example.net", false),
		("user5@ims.example.net", false),
		("user4@ims.example.net", false),
	] {
		let shown = setup.show(identity);
		assert_eq!(!shown.is_empty(), held, "{identity}: {shown}");
		if held {
			assert!(shown.contains("registration: NotRegistered"), "{identity} on chain: {shown}");
		}
	}
	// A file that is not an import file is refused whole.
	let wrong = setup.dir.path().join("wrong.ndjson");
	std::fs::write(&wrong, format!("{}\n", line(9))).unwrap();
	let output = import(&setup, &wrong);
	assert!(!output.status.success());
	assert!(text(&output).contains("line 1: "), "{}", text(&output));
}

/// Starts an import and stops it with `signal` once the chain holds more
/// than `past` subscriptions; returns its output.
async fn stopped(setup: &Setup, file: &Path, past: u32, signal: &str) -> String {
	// Calls of 50 subscribers, so that a signal finds most of the file
	// still to send: a round takes at most 16 calls and three rounds are
	// in flight, 2,400 subscribers at most.
	let mut command = import_command(setup, file);
	command.args(["--batch", "50"]);
	let mut run = Proc::spawn("ims-bridge import", &mut command);
	let deadline = Instant::now() + Duration::from_secs(120);
	while subscriptions(&setup.rpc_url).await <= past {
		assert!(Instant::now() < deadline, "no call landed:\n{}", run.log());
		assert!(!run.exited(), "the import ended early:\n{}", run.log());
		tokio::time::sleep(Duration::from_millis(200)).await;
	}
	run.signal_group(signal);
	let deadline = Instant::now() + Duration::from_secs(180);
	while !run.exited() {
		assert!(Instant::now() < deadline, "the import did not stop on {signal}");
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	run.log()
}

#[tokio::test]
async fn interrupted_and_killed_imports_are_finished_by_the_next_run() {
	const COUNT: usize = 8000;
	let (_node, setup) = dev_chain().await;
	let before = subscriptions(&setup.rpc_url).await;
	let file = write_file(setup.dir.path(), "base.ndjson", (0..COUNT).map(line));

	// Ctrl-C: the calls in flight end, the run says where it stopped.
	let said = stopped(&setup, &file, before, "-INT").await;
	assert!(said.contains("interrupted: run the import again"), "{said}");
	let landed = subscriptions(&setup.rpc_url).await - before;
	assert!(landed > 0 && (landed as usize) < COUNT, "{landed} landed");

	// Killed: batches in the vault, calls in flight.
	let past = subscriptions(&setup.rpc_url).await;
	stopped(&setup, &file, past, "-KILL").await;

	// The next run settles what the killed one left and imports the rest.
	let output = import(&setup, &file);
	let said = text(&output);
	assert!(output.status.success(), "{said}");
	assert!(
		said.contains(&format!("{COUNT} subscriber lines: ")) && said.contains(" 0 refused"),
		"{said}"
	);
	// Every subscriber exactly once on chain (a chain record left behind
	// by an erased vault entry would count twice) ...
	assert_eq!(subscriptions(&setup.rpc_url).await, before + COUNT as u32);
	// ... and in the vault: a last run finds everything imported.
	let output = import(&setup, &file);
	assert!(
		text(&output).contains(&format!("0 added, {COUNT} already imported, 0 refused")),
		"{}",
		text(&output)
	);
	for i in [0, COUNT / 2, COUNT - 1] {
		let shown = setup.show(&format!("user{i}@{REALM}"));
		assert!(shown.contains("registration: NotRegistered"), "user{i}: {shown}");
	}
}

//! The index snapshot (`docs/index.md`, "Snapshots") against a real
//! `ims-node --dev`, Kamailio and SIPp: a bridge stopped with SIGTERM
//! writes one; started again it reads that file instead of the whole
//! model, replays the blocks finalized meanwhile (a subscriber added, one
//! removed) and serves them; a damaged snapshot is refused with the reason
//! and the model read in full.

use crate::common::*;
use std::time::Duration;

const SNAPSHOT: &str = "ims_bridge_index_loads_total{reason=\"snapshot\"}";
const START: &str = "ims_bridge_index_loads_total{reason=\"start\"}";

fn add(setup: &Setup, user: &str) {
	setup.add(
		&[
			"--subscription",
			user,
			"--impi",
			&format!("{user}@ims.example.net"),
			"--impu",
			&format!("sip:{user}@ims.example.net"),
		],
		&[("IMS_BRIDGE_PASSWORD", &format!("{user}-secret"))],
	);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_resumes_from_the_snapshot_and_replays_what_changed_meanwhile() {
	let (_node, setup) = dev_chain().await;
	add(&setup, "alice");
	add(&setup, "bob");
	let mut bridge = setup.start_bridge();
	wait_for("the bridge's first load", Duration::from_secs(60), || {
		setup.metric(START) == Some(1.0)
	});
	assert!(bridge.terminate(Duration::from_secs(20)).is_some(), "the bridge stops on SIGTERM");
	assert!(bridge.log().contains("index snapshot written"), "{}", bridge.log());
	assert!(setup.dir.path().join("index.snapshot").is_file());

	// While no bridge runs: Carol joins, Bob leaves.
	add(&setup, "carol");
	setup.remove("sip:bob@ims.example.net");

	let bridge = setup.start_bridge();
	wait_for("the bridge to resume from its snapshot", Duration::from_secs(60), || {
		setup.metric(SNAPSHOT) == Some(1.0)
	});
	assert_eq!(setup.metric(START), None, "the model was not read in full");
	assert!(bridge.log().contains("index read from its snapshot"), "{}", bridge.log());
	let _scscf = setup.kamailio("scscf");
	let _icscf = setup.kamailio("icscf");
	wait_for("both CSCFs connected to the bridge", Duration::from_secs(60), || {
		setup.metric("ims_bridge_peers") == Some(2.0)
	});
	assert!(setup.sipp("register_digest", "alice", &["-ap", "alice-secret"]), "alice");
	assert!(setup.sipp("register_digest", "carol", &["-ap", "carol-secret"]), "carol");
	assert!(setup.sipp("register_forbidden", "bob", &[]), "bob is gone");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_snapshot_is_refused_and_the_model_read_in_full() {
	let (_node, setup) = dev_chain().await;
	add(&setup, "alice");
	let mut bridge = setup.start_bridge();
	wait_for("the bridge's first load", Duration::from_secs(60), || {
		setup.metric(START) == Some(1.0)
	});
	assert!(bridge.terminate(Duration::from_secs(20)).is_some(), "the bridge stops on SIGTERM");
	let path = setup.dir.path().join("index.snapshot");
	let mut bytes = std::fs::read(&path).unwrap();
	let last = bytes.len() - 1;
	bytes[last] ^= 0xff;
	std::fs::write(&path, &bytes).unwrap();

	let bridge = setup.start_bridge();
	wait_for("the bridge's full load", Duration::from_secs(60), || {
		setup.metric(START) == Some(1.0)
	});
	assert_eq!(setup.metric(SNAPSHOT), None);
	assert!(bridge.log().contains("checksum mismatch"), "{}", bridge.log());
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_answer_while_the_chain_cannot_be_reached() {
	// No node listens on this port: the bridge keeps trying to connect.
	let setup = Setup::new(free_tcp_port());
	let mut bridge = setup.start_bridge();
	wait_for("the bridge's metrics", Duration::from_secs(30), || {
		setup.metric("ims_bridge_peers") == Some(0.0)
	});
	assert_eq!(setup.metric(START), None, "nothing loaded without a chain");
	assert!(bridge.terminate(Duration::from_secs(20)).is_some(), "the bridge stops on SIGTERM");
}

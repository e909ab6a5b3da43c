//! End to end, all real: `ims-node --dev`, the `ims-bridge` binary as the
//! HSS, Debian's Kamailio as I-CSCF and S-CSCF (configured from
//! `tests/ims/`), and SIPp registering subscribers provisioned with
//! `ims-bridge subscriber add`.
//!
//! - SIP Digest, Digest-MD5 and AKAv1 registrations reach 200 OK;
//! - a wrong password, an unknown user and a barred identity get 403;
//! - every Cx transaction's audit record is finalized on chain: the
//!   bridge's sequence number there equals the number of records it wrote;
//! - killing the bridge (SIGKILL) in the middle of a run of registrations
//!   and starting it again loses no record;
//! - barring an identity registered before a restart while no bridge runs,
//!   or removing one after it, still sends the RTR.
//!
//! Needs `kamailio`, `kamailio-ims-modules` and `sip-tester` (SIPp) from
//! Debian; `scripts/setup.sh` installs them.

use crate::common::*;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread")]
async fn kamailio_registers_through_the_bridge_and_the_audit_trail_is_finalized() {
	for tool in ["kamailio", "sipp"] {
		let found =
			Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().unwrap();
		assert!(
			found.status.success(),
			"{tool} is not installed: run scripts/setup.sh (Debian packages kamailio, \
			 kamailio-ims-modules, kamailio-presence-modules, sip-tester)"
		);
	}
	let (_node, setup) = dev_chain().await;

	// A profile the realm does not have is refused before anything is
	// written, with what to do instead of a pallet error.
	let refused = setup.add_output(
		&["--subscription", "nobody", "--impi", "nobody@ims.example.net"],
		&["--impu", "sip:nobody@ims.example.net", "--profile", "7"],
		&[("IMS_BRIDGE_PASSWORD", "nobody-secret")],
	);
	assert!(!refused.status.success());
	let said = String::from_utf8_lossy(&refused.stderr);
	assert!(
		said.contains("has no service profile 7") && said.contains("put_service_profile"),
		"{said}"
	);
	assert_eq!(setup.show("nobody@ims.example.net"), "", "nothing was written");

	// Provisioning: vault and chain together, into the development realm's
	// profile 0, which its preset puts there.
	setup.add(
		&[
			"--subscription",
			"alice",
			"--impi",
			"alice@ims.example.net",
			"--impu",
			"sip:alice@ims.example.net",
			"--impu",
			"tel:+15550001",
		],
		&[("IMS_BRIDGE_PASSWORD", "alice-secret")],
	);
	setup.add(
		&[
			"--subscription",
			"bob",
			"--impi",
			"bob@ims.example.net",
			"--impu",
			"sip:bob@ims.example.net",
			"--schemes",
			"digest-md5",
			"--keep-password",
		],
		&[("IMS_BRIDGE_PASSWORD", "bob-secret")],
	);
	setup.add(
		&[
			"--subscription",
			"carol",
			"--impi",
			"carol@ims.example.net",
			"--impu",
			"sip:carol@ims.example.net",
			"--schemes",
			"aka1",
			"--amf",
			&ascii_hex("00"),
		],
		&[
			("IMS_BRIDGE_K", &ascii_hex("carol-key-123456")),
			("IMS_BRIDGE_OP", &ascii_hex("carol-op-1234567")),
		],
	);
	setup.add(
		&[
			"--subscription",
			"dave",
			"--impi",
			"dave@ims.example.net",
			"--impu",
			"sip:dave@ims.example.net",
			"--barred",
		],
		&[("IMS_BRIDGE_PASSWORD", "dave-secret")],
	);

	setup.add(
		&[
			"--subscription",
			"frank",
			"--impi",
			"frank@ims.example.net",
			"--impu",
			"sip:frank@ims.example.net",
			"--impu",
			"tel:+15550002",
		],
		&[("IMS_BRIDGE_PASSWORD", "frank-secret")],
	);

	let alice_tel = setup.pseudonym("tel:+15550001");
	let frank_tel = setup.pseudonym("tel:+15550002");
	let mut bridge = setup.start_bridge();
	let _scscf = setup.kamailio("scscf");
	let _icscf = setup.kamailio("icscf");
	wait_for("both CSCFs connected to the bridge", Duration::from_secs(60), || {
		setup.metric("ims_bridge_peers") == Some(2.0)
	});

	// Registrations that must succeed, one per scheme.
	assert!(setup.sipp("register_digest", "alice", &["-ap", "alice-secret"]), "SIP Digest");
	assert!(setup.sipp("register_digest", "bob", &["-ap", "bob-secret"]), "Digest-MD5");
	let aka = ("carol-key-123456", "carol-op-1234567", "00");
	assert!(setup.sipp_aka("register_aka", "carol", aka.0, aka.1, aka.2), "AKAv1-MD5");
	// The challenge SIPp answered reads back from its log: what tells
	// SIPp's own defect apart from a failure of the bridge.
	assert!(setup.last_challenge_rand("register_aka").is_some(), "AKA challenge in SIPp's log");
	// And those that must not.
	assert!(setup.sipp("register_wrong_password", "alice", &["-ap", "not-it"]), "wrong password");
	assert!(setup.sipp("register_forbidden", "eve", &[]), "unknown user");
	assert!(setup.sipp("register_forbidden", "dave", &[]), "barred identity");

	// The operator bars Alice's telephone number on chain (the default
	// identity of an implicit set cannot be barred): the S-CSCF that serves
	// her implicit set gets an RTR and agrees.
	bar(&setup.rpc_url, alice_tel).await;
	wait_for("the RTR to be answered", Duration::from_secs(30), || {
		setup.metric("ims_bridge_cx_requests_total{command=\"RTR\",result=\"2001\"}") == Some(1.0)
	});

	// Provisioning while the bridge runs: the commands go through its admin
	// socket (the vault is the bridge's), and the new subscriber registers.
	let impis = setup.metric("ims_bridge_index_identities{kind=\"impi\"}").unwrap_or(0.0);
	setup.add(
		&[
			"--subscription",
			"erin",
			"--impi",
			"erin@ims.example.net",
			"--impu",
			"sip:erin@ims.example.net",
		],
		&[("IMS_BRIDGE_PASSWORD", "erin-secret")],
	);
	assert!(bridge.log().contains("admin request"), "the add went through the bridge");
	wait_for("the bridge to index the new subscriber", Duration::from_secs(30), || {
		setup.metric("ims_bridge_index_identities{kind=\"impi\"}").unwrap_or(0.0) > impis
	});
	// The add went to the chain as an `identity.import`: the index read its
	// identities from the import's events, not everything again.
	assert_eq!(setup.metric("ims_bridge_index_loads_total{reason=\"start\"}"), Some(1.0));
	assert_eq!(setup.metric("ims_bridge_index_loads_total{reason=\"gap\"}"), None);
	assert!(
		setup.sipp("register_digest", "erin", &["-ap", "erin-secret"]),
		"a subscriber added while the bridge runs"
	);
	// `show` through the socket; the registration reaches the chain with
	// the next registration batch.
	let mut shown = String::new();
	wait_for("erin's registration on chain", Duration::from_secs(60), || {
		shown = setup.show("erin@ims.example.net");
		shown.contains("registration: Registered")
	});
	assert!(!shown.contains("erin-secret"), "show never prints secrets: {shown}");
	setup.remove("sip:erin@ims.example.net");
	wait_for("the bridge to forget the removed subscriber", Duration::from_secs(30), || {
		setup.metric("ims_bridge_index_identities{kind=\"impi\"}").unwrap_or(0.0) <= impis
	});
	assert!(
		setup.sipp("register_forbidden", "erin", &["-ap", "erin-secret"]),
		"a removed subscriber is refused"
	);

	// Frank registers; his registration reaches the chain.
	assert!(setup.sipp("register_digest", "frank", &["-ap", "frank-secret"]), "frank registers");
	wait_for("frank's registration on chain", Duration::from_secs(60), || {
		setup.show("frank@ims.example.net").contains("registration: Registered")
	});

	// Every Cx transaction so far has a record, and all of them get
	// finalized on chain under consecutive sequence numbers.
	let answered = setup.metric("ims_bridge_cx_requests_total").unwrap_or(0.0) as u64;
	assert!(answered >= 12, "UAR, MAR and SAR for each registration: {answered}");
	let deadline = Instant::now() + Duration::from_secs(90);
	loop {
		let recorded = next_sequence(&setup.rpc_url).await;
		if recorded == answered {
			break;
		}
		assert!(Instant::now() < deadline, "{recorded} of {answered} records finalized");
		tokio::time::sleep(Duration::from_secs(1)).await;
	}

	// Kill the bridge in the middle of a run of registrations, start it
	// again: the records of every answered transaction still reach the
	// chain, none twice (the pallet refuses gaps and skips replays).
	let sipp_setup = Arc::new(setup);
	let runner = {
		let setup = sipp_setup.clone();
		std::thread::spawn(move || {
			let mut passed = 0;
			for _ in 0..12 {
				if setup.sipp("register_digest", "bob", &["-ap", "bob-secret"]) {
					passed += 1;
				}
			}
			passed
		})
	};
	tokio::time::sleep(Duration::from_secs(3)).await;
	bridge.kill();
	let mut bridge = sipp_setup.start_bridge();
	let passed = tokio::task::spawn_blocking(move || runner.join().unwrap()).await.unwrap();
	assert!(passed >= 1, "registrations go on after the restart");
	// The chain bars Frank's number while no bridge runs. The bridge started
	// next has seen neither that block nor a SAR for Frank, whom the chain
	// holds registered: its first load finds him barred and still held by
	// an S-CSCF, and it sends the RTR to the S-CSCF the chain names as soon
	// as that S-CSCF has reconnected (Kamailio retries every Tc, 30 s; the
	// bridge sends the RTR again until then).
	assert!(bridge.terminate(Duration::from_secs(15)).is_some(), "the bridge stops on SIGTERM");
	// Without an index snapshot (the stopped bridge may have written one)
	// the next start reads the whole model: that load is what is tested
	// here; resuming from a snapshot is `snapshot.rs`'s.
	let _ = std::fs::remove_file(sipp_setup.dir.path().join("index.snapshot"));
	bar(&sipp_setup.rpc_url, frank_tel).await;
	let mut bridge = sipp_setup.start_bridge();
	wait_for("the RTR owed after the restart to be answered", Duration::from_secs(180), || {
		sipp_setup.metric("ims_bridge_cx_requests_total{command=\"RTR\",result=\"2001\"}")
			== Some(1.0)
	});
	assert!(bridge.log().contains("RTR owed identities=1"), "the bar was found at the load");
	// Carol, registered before the restart and not since, is removed
	// through the restarted bridge: her vault entry is erased as soon as the
	// chain's removal is final, while the RTR for it follows that same
	// finalized block; it still names her because the bridge kept her names
	// before the erasure.
	sipp_setup.remove("sip:carol@ims.example.net");
	wait_for("the RTR for the removed subscriber", Duration::from_secs(60), || {
		sipp_setup.metric("ims_bridge_cx_requests_total{command=\"RTR\",result=\"2001\"}")
			== Some(2.0)
	});
	assert!(
		bridge.log().contains("subscriber leaving; RTR targets kept registered=1"),
		"the running bridge kept carol's implicit set"
	);
	// Wait for the journal to drain, then stop the bridge and compare its
	// journal with the chain. The gauge is trusted once the restarted
	// bridge has reported a finalized block; it is set at each finalized
	// block (2 s), so it must read 0 twice, a few blocks apart, for the
	// RTR's own record to have been counted.
	for _ in 0..2 {
		wait_for("the journal to drain", Duration::from_secs(120), || {
			sipp_setup.metric("ims_bridge_chain_finalized_block").is_some_and(|b| b > 0.0)
				&& sipp_setup.metric("ims_bridge_audit_queue_depth") == Some(0.0)
		});
		tokio::time::sleep(Duration::from_secs(6)).await;
	}
	assert!(bridge.terminate(Duration::from_secs(15)).is_some(), "the bridge stops on SIGTERM");
	let journal =
		ims_bridge::journal::Journal::open(&sipp_setup.dir.path().join("journal.redb")).unwrap();
	let written = journal.next_sequence().unwrap();
	assert_eq!(journal.depth().unwrap().0, 0);
	let recorded = next_sequence(&sipp_setup.rpc_url).await;
	assert_eq!(recorded, written, "every journaled record is on chain, once");
	assert!(
		written >= answered + 3 * passed as u64,
		"{written} records for {passed} more registrations"
	);
}

//! The journal's backlog mark through the real bridge (`docs/journal.md`,
//! "Pressure"): with the node paused nothing is confirmed, so once the
//! backlog reaches `max_backlog` every Cx request gets 3004 and the
//! metric says so; when the node goes on, the chain confirms the records
//! and the bridge answers again by itself.

use crate::common::*;
use crate::cx_client::{code, mar, CxClient};
use ims_bridge::diameter::dict::{command, result};
use std::process::Command;
use std::time::Duration;

const MAX_BACKLOG: u32 = 40;

fn signal(pid: u32, name: &str) {
	let sent = Command::new("kill").args([name, &pid.to_string()]).status().unwrap();
	assert!(sent.success(), "kill {name} {pid}");
}

#[tokio::test]
async fn at_its_backlog_mark_the_bridge_answers_too_busy_and_recovers_by_itself() {
	let (node, setup) = dev_chain().await;
	let text = std::fs::read_to_string(&setup.config).unwrap().replace(
		"path = \"journal.redb\"",
		&format!("path = \"journal.redb\"\nmax_backlog = {MAX_BACKLOG}"),
	);
	let config = setup.dir.path().join("bridge-backlog.toml");
	std::fs::write(&config, text).unwrap();
	let _bridge = setup.start_bridge_with(&config);
	let (impi, impu) = ("alice@ims.example.net", "sip:alice@ims.example.net");
	let args = ["--subscription", "alice", "--impi", impi, "--impu", impu];
	setup.add(&args, &[("IMS_BRIDGE_PASSWORD", "alice-secret")]);
	let mut scscf = CxClient::open(setup.hss_port, &format!("scscf.{REALM}"));
	wait_for("Alice's MAR answered", Duration::from_secs(60), || {
		code(&scscf.ask(command::MULTIMEDIA_AUTH, mar(impi, impu))) == result::SUCCESS
	});
	wait_for("the journal to drain", Duration::from_secs(60), || {
		setup.metric("ims_bridge_audit_queue_depth") == Some(0.0)
	});

	signal(node.proc.id(), "-STOP");
	let mut codes = Vec::new();
	for _ in 0..MAX_BACKLOG + 5 {
		codes.push(code(&scscf.ask(command::MULTIMEDIA_AUTH, mar(impi, impu))));
	}
	let answered = codes.iter().filter(|c| **c == result::SUCCESS).count() as u32;
	assert!(answered <= MAX_BACKLOG, "{codes:?}");
	assert!(codes.ends_with(&[result::TOO_BUSY; 5]), "{codes:?}");
	assert_eq!(setup.metric("ims_bridge_journal_refusing"), Some(1.0));

	signal(node.proc.id(), "-CONT");
	wait_for("the bridge to answer again", Duration::from_secs(90), || {
		code(&scscf.ask(command::MULTIMEDIA_AUTH, mar(impi, impu))) == result::SUCCESS
	});
	assert_eq!(setup.metric("ims_bridge_journal_refusing"), Some(0.0));
	assert!(
		setup.metric("ims_bridge_cx_requests_total{command=\"MAR\",result=\"3004\"}") >= Some(5.0)
	);
}

//! The bridge reaches a node on another host over `wss://`, trusting only
//! the CA of `[chain] ca` (`docs/submitter.md`, "The node's RPC"). Here
//! Debian's stunnel stands in for the TLS front of the node's RPC: the
//! bridge provisions and answers through it, comes back by itself after
//! the front restarts, and refuses a node whose certificate another CA
//! signed.

use crate::common::*;
use crate::cx_client::{code, mar, CxClient};
use ims_bridge::diameter::dict::{command, result};
use ims_test_harness::pki::Pki;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// stunnel as the node's TLS front: `accept` on `port`, the node's plain
/// RPC behind it, the certificate `localhost` of `pki`.
fn start_front(setup: &Setup, pki: &Pki, port: u16, name: &str) -> Proc {
	let rpc_port = setup.rpc_url.rsplit(':').next().unwrap();
	let issued = pki.issue("localhost");
	let conf = setup.dir.path().join(format!("{name}.conf"));
	let text = format!(
		"foreground = yes\npid =\ndebug = notice\n\n[node-rpc]\naccept = 127.0.0.1:{port}\n\
		 connect = 127.0.0.1:{rpc_port}\ncert = {}\nkey = {}\n",
		issued.cert.display(),
		issued.key.display()
	);
	std::fs::write(&conf, text).unwrap();
	let front = Proc::spawn(name, Command::new("stunnel4").arg(&conf));
	wait_for("the node's TLS front", Duration::from_secs(30), || {
		std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
	});
	front
}

/// The set-up's configuration with the chain reached at `wss://localhost:
/// port` trusting `ca`, written as `name`.
fn over_wss(setup: &Setup, port: u16, ca: &Path, name: &str) -> PathBuf {
	let text = std::fs::read_to_string(&setup.config).unwrap();
	let url = format!("url = \"wss://localhost:{port}\"\nca = {:?}", ca.display().to_string());
	let config = setup.dir.path().join(name);
	std::fs::write(&config, text.replace(&format!("url = {:?}", setup.rpc_url), &url)).unwrap();
	config
}

fn add(setup: &Setup, config: &Path, name: &str) -> (String, String) {
	let (impi, impu) = (format!("{name}@{REALM}"), format!("sip:{name}@{REALM}"));
	let output = setup
		.bridge_command()
		.args(["subscriber", "add", "--config"])
		.arg(config)
		.args(["--realm", REALM, "--subscription", name, "--impi", &impi, "--impu", &impu])
		.env("IMS_BRIDGE_PASSWORD", "a-secret")
		.output()
		.unwrap();
	assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
	(impi, impu)
}

#[tokio::test]
async fn the_bridge_reaches_the_node_over_wss_with_a_pinned_ca() {
	let (_node, setup) = dev_chain().await;
	let pki = Pki::new(setup.dir.path(), "node-ca");
	let port = free_tcp_port();
	let mut front = start_front(&setup, &pki, port, "front");
	let config = over_wss(&setup, port, &pki.ca_pem, "bridge-wss.toml");
	let bridge = setup.start_bridge_with(&config);
	let (impi, impu) = add(&setup, &config, "alice");
	let mut scscf = CxClient::open(setup.hss_port, &format!("scscf.{REALM}"));
	wait_for("alice's MAR answered", Duration::from_secs(60), || {
		code(&scscf.ask(command::MULTIMEDIA_AUTH, mar(&impi, &impu))) == result::SUCCESS
	});

	// The front goes away and comes back: calls and the follower resume.
	front.kill();
	std::thread::sleep(Duration::from_secs(2));
	let _front = start_front(&setup, &pki, port, "front-again");
	let (impi, impu) = add(&setup, &config, "bob");
	wait_for("bob's MAR answered", Duration::from_secs(60), || {
		code(&scscf.ask(command::MULTIMEDIA_AUTH, mar(&impi, &impu))) == result::SUCCESS
	});
	assert!(bridge.log().contains("connected to the node's RPC again"), "{}", bridge.log());
}

#[tokio::test]
async fn a_node_certificate_of_another_ca_is_refused() {
	let (_node, setup) = dev_chain().await;
	let pki = Pki::new(setup.dir.path(), "node-ca");
	let other = tempfile::tempdir().unwrap();
	let stranger = Pki::new(other.path(), "other-ca");
	let port = free_tcp_port();
	let _front = start_front(&setup, &pki, port, "front");
	let config = over_wss(&setup, port, &stranger.ca_pem, "bridge-other-ca.toml");
	let mut command = setup.bridge_command();
	let bridge = Proc::spawn("ims-bridge", command.arg("run").arg("--config").arg(&config));
	wait_for("the certificate refused", Duration::from_secs(30), || {
		bridge.log().contains("cannot connect to the node's RPC")
	});
	let log = bridge.log();
	assert!(log.to_lowercase().contains("certificate"), "{log}");
	assert!(log.contains("UnknownIssuer"), "{log}");
	// Still trying, and serving no Cx request in the meantime.
	std::thread::sleep(Duration::from_secs(3));
	let log = bridge.log();
	assert!(log.matches("cannot connect to the node's RPC").count() > 3, "{log}");
	assert!(!log.contains("serving Cx"), "{log}");
}

//! Kamailio's cdp speaks plain TCP only, so a CSCF on another host reaches
//! the bridge through a TLS tunnel on its own host (`docs/diameter-peers.md`,
//! "Mutual TLS"): Debian's stunnel presents the CSCF's client certificate,
//! signed by the operator's CA, and the bridge's mutual TLS binds that
//! certificate to the CER's Origin-Host. Here Kamailio's I-CSCF and S-CSCF
//! each go through a tunnel of their own and a registration reaches 200 OK.

use crate::common::*;
use ims_test_harness::pki::Pki;
use std::process::Command;
use std::time::Duration;

/// stunnel's client side: one service per CSCF, each accepting on its own
/// loopback port and presenting that CSCF's certificate to the bridge,
/// whose own certificate must chain to the operator's CA.
fn stunnel_config(setup: &Setup, pki: &Pki, tunnels: &[(&str, u16)]) -> String {
	let mut text = String::from("foreground = yes\npid =\ndebug = notice\n");
	for (cscf, port) in tunnels {
		let issued = pki.issue(&format!("{cscf}.{REALM}"));
		text += &format!(
			"\n[{cscf}]\nclient = yes\naccept = 127.0.0.1:{port}\nconnect = 127.0.0.1:{hss}\n\
			 cert = {cert}\nkey = {key}\nCAfile = {ca}\nverifyChain = yes\ncheckHost = localhost\n\
			 sni = localhost\n",
			hss = setup.hss_port,
			cert = issued.cert.display(),
			key = issued.key.display(),
			ca = pki.ca_pem.display(),
		);
	}
	text
}

#[tokio::test]
async fn kamailio_registers_through_stunnel_and_mutual_tls() {
	let (_node, setup) = dev_chain().await;
	let pki = Pki::new(setup.dir.path(), "operator-ca");
	let ours = pki.issue("localhost");
	let tls = format!(
		"[diameter.tls]\ncert = {:?}\nkey = {:?}\nclient_ca = {:?}\n\n[[diameter.peers]]",
		ours.cert, ours.key, pki.ca_pem
	);
	let config = setup.dir.path().join("bridge-tls.toml");
	let text = std::fs::read_to_string(&setup.config).unwrap();
	std::fs::write(&config, text.replacen("[[diameter.peers]]", &tls, 1)).unwrap();
	let bridge = setup.start_bridge_with(&config);

	let (icscf_tunnel, scscf_tunnel) = (free_tcp_port(), free_tcp_port());
	let stunnel_conf = setup.dir.path().join("stunnel.conf");
	let tunnels = [("icscf", icscf_tunnel), ("scscf", scscf_tunnel)];
	std::fs::write(&stunnel_conf, stunnel_config(&setup, &pki, &tunnels)).unwrap();
	let _stunnel = Proc::spawn("stunnel", Command::new("stunnel4").arg(&stunnel_conf));
	wait_for("stunnel's ports", Duration::from_secs(30), || {
		tunnels.iter().all(|(_, port)| std::net::TcpStream::connect(("127.0.0.1", *port)).is_ok())
	});
	setup.route_cscfs_through(icscf_tunnel, scscf_tunnel);

	let args = ["--subscription", "alice", "--impi", "alice@ims.example.net"];
	let args = [&args[..], &["--impu", "sip:alice@ims.example.net"]].concat();
	setup.add(&args, &[("IMS_BRIDGE_PASSWORD", "alice-secret")]);
	let _scscf = setup.kamailio("scscf");
	let _icscf = setup.kamailio("icscf");
	wait_for("both CSCFs connected through their tunnels", Duration::from_secs(90), || {
		setup.metric("ims_bridge_peers") == Some(2.0)
	});
	let log = bridge.log();
	for cscf in ["icscf", "scscf"] {
		assert!(
			log.lines().any(|l| l.contains("Diameter peer connected")
				&& l.contains(&format!("{cscf}.{REALM}"))
				&& l.contains("transport=\"tls\"")),
			"{cscf} connected over TLS:\n{log}"
		);
	}
	let registered =
		(0..5).any(|_| setup.sipp("register_digest", "alice", &["-ap", "alice-secret"]));
	assert!(registered, "alice registers through the tunnels");
	assert_eq!(
		setup
			.metric("ims_bridge_cx_requests_total{command=\"SAR\",result=\"2001\"}")
			.map(|n| n >= 1.0),
		Some(true)
	);
}

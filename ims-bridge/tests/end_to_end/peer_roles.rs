//! A peer's role through the real bridge (`docs/diameter-peers.md`): an
//! I-CSCF's MAR, an S-CSCF's UAR and an S-CSCF's SAR naming another S-CSCF
//! are answered 5003 with nothing of the subscriber's, and each is on
//! chain as access denied, about the subscriber, from that peer.

use crate::common::*;
use crate::cx_client::{code, mar, CxClient};
use ims_bridge::diameter::codec::Avp;
use ims_bridge::diameter::dict::{avp, command, result};
use ims_primitives::audit::{Activity, Actor, Peer};
use ims_primitives::Denial;
use ims_primitives::Token;
use std::time::Duration;

/// The access denials recorded on chain about `subject` in the development
/// realm (0).
async fn denials(url: &str, subject: [u8; 32]) -> Vec<(Denial, Actor<[u8; 32]>)> {
	let entries = audit_entries(url, subject).await;
	entries
		.into_iter()
		.filter_map(|entry| match entry.activity {
			Activity::AccessDenied(denial) => Some((denial, entry.actor)),
			_ => None,
		})
		.collect()
}

#[tokio::test]
async fn requests_outside_a_peers_role_are_refused_and_recorded_on_chain() {
	let (_node, setup) = dev_chain().await;
	let _bridge = setup.start_bridge();
	let (impi, impu) = ("alice@ims.example.net", "sip:alice@ims.example.net");
	let args = ["--subscription", "alice", "--impi", impi, "--impu", impu];
	setup.add(&args, &[("IMS_BRIDGE_PASSWORD", "alice-secret")]);
	let alice = setup.pseudonym(impu);
	let scscf_name = format!("sip:127.0.0.1:{}", setup.scscf_port);

	let mut scscf = CxClient::open(setup.hss_port, &format!("scscf.{REALM}"));
	let mut icscf = CxClient::open(setup.hss_port, &format!("icscf.{REALM}"));
	// The S-CSCF gets Alice's challenge once the chain's record is final.
	wait_for("the S-CSCF's MAR answered", Duration::from_secs(60), || {
		code(&scscf.ask(command::MULTIMEDIA_AUTH, mar(impi, impu))) == result::SUCCESS
	});

	let answer = icscf.ask(command::MULTIMEDIA_AUTH, mar(impi, impu));
	assert_eq!(code(&answer), result::AUTHORIZATION_REJECTED);
	assert!(answer.find(&avp::SIP_AUTH_DATA_ITEM).is_none(), "no credentials for an I-CSCF");
	let uar = vec![Avp::utf8_of(&avp::USER_NAME, impi), Avp::utf8_of(&avp::PUBLIC_IDENTITY, impu)];
	assert_eq!(code(&scscf.ask(command::USER_AUTHORIZATION, uar)), result::AUTHORIZATION_REJECTED);
	let sar = |server: &str| {
		vec![
			Avp::utf8_of(&avp::USER_NAME, impi),
			Avp::utf8_of(&avp::PUBLIC_IDENTITY, impu),
			Avp::utf8_of(&avp::SERVER_NAME, server),
			Avp::u32_of(&avp::SERVER_ASSIGNMENT_TYPE, 1),
			Avp::u32_of(&avp::USER_DATA_ALREADY_AVAILABLE, 0),
		]
	};
	let answer = scscf.ask(command::SERVER_ASSIGNMENT, sar("sip:elsewhere.example.net"));
	assert_eq!(code(&answer), result::AUTHORIZATION_REJECTED);
	assert!(answer.find(&avp::USER_DATA).is_none(), "no profile");
	// Its own name registers her.
	assert_eq!(code(&scscf.ask(command::SERVER_ASSIGNMENT, sar(&scscf_name))), result::SUCCESS);

	let peer =
		|host: &str| Actor::Peer(Peer::Diameter(Token::truncate_from(host.as_bytes().to_vec())));
	let (icscf_peer, scscf_peer) =
		(peer(&format!("icscf.{REALM}")), peer(&format!("scscf.{REALM}")));
	let mut found = Vec::new();
	for _ in 0..60 {
		found = denials(&setup.rpc_url, alice).await;
		if found.len() >= 3 {
			break;
		}
		tokio::time::sleep(Duration::from_secs(1)).await;
	}
	assert_eq!(
		found,
		vec![
			(Denial::PeerRole, icscf_peer),
			(Denial::PeerRole, scscf_peer.clone()),
			(Denial::ServerNameMismatch, scscf_peer),
		]
	);
}

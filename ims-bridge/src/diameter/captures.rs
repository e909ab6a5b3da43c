//! Messages of Debian's Kamailio 5.6.3 (I-CSCF and S-CSCF, `ims_icscf`,
//! `ims_auth`, `ims_registrar_scscf`) captured on loopback during the
//! end-to-end test and kept as hex in `ims-bridge/tests/captures/`
//! (`scripts/diameter-captures.py` made them; README "Captures").
//!
//! The codec must read each one as Kamailio meant it, encode it back to the
//! same bytes, and refuse every truncation of it with a clear error.

use super::codec::{frame_len, Message, Value};
use super::dict::{avp, command, APP_COMMON, APP_CX, VENDOR_3GPP};

macro_rules! captures {
	($($name:literal),* $(,)?) => {
		[$(($name, include_str!(concat!("../../tests/captures/", $name, ".hex")))),*]
	};
}

const CAPTURES: [(&str, &str); 8] = captures![
	"icscf-cer-R",
	"icscf-uar-R",
	"scscf-cer-R",
	"scscf-mar-digest-md5-R",
	"scscf-mar-digest-akav1-md5-R",
	"scscf-sar-registration-R",
	"scscf-sar-re-registration-R",
	"scscf-rtr-A",
];

fn bytes(name: &str) -> Vec<u8> {
	let (_, text) = CAPTURES.iter().find(|(n, _)| *n == name).expect("a capture of that name");
	hex::decode(text.split_whitespace().collect::<String>()).expect("hex")
}

fn decoded(name: &str) -> Message {
	Message::decode(&bytes(name)).expect("Kamailio's message decodes")
}

fn utf8<'a>(message: &'a Message, def: &'static super::dict::AvpDef) -> &'a str {
	message.required_utf8(def).expect("present and UTF-8")
}

#[test]
fn every_capture_frames_decodes_and_encodes_back_byte_for_byte() {
	for (name, _) in CAPTURES {
		let wire = bytes(name);
		assert_eq!(frame_len(&wire, 1 << 16), Ok(Some(wire.len())), "{name}");
		let message = decoded(name);
		assert_eq!(message.encode().expect("encodes"), wire, "{name} re-encoded");
		// Nothing Kamailio sends in these is a mandatory AVP we do not know.
		assert!(message.unsupported_mandatory().is_none(), "{name}");
	}
}

#[test]
fn every_truncation_of_a_capture_is_incomplete_or_refused_never_a_panic() {
	for (name, _) in CAPTURES {
		let wire = bytes(name);
		for cut in 0..wire.len() {
			// The framer waits for the length, then for that many bytes.
			let wanted = frame_len(&wire[..cut], 1 << 16).expect("a valid start");
			assert_eq!(wanted, (cut >= 4).then_some(wire.len()), "{name} cut at {cut}");
			// A frame that claims to end there is refused...
			let mut short = wire[..cut].to_vec();
			if cut >= 20 {
				short[1..4].copy_from_slice(&(cut as u32).to_be_bytes()[1..]);
			}
			// ... unless it ends between two AVPs: then it is a shorter message.
			if let Ok(message) = Message::decode(&short) {
				let whole = decoded(name);
				assert!(message.avps.len() < whole.avps.len(), "{name} cut at {cut}");
				assert_eq!(
					message.avps[..],
					whole.avps[..message.avps.len()],
					"{name} cut at {cut}"
				);
			}
		}
	}
}

#[test]
fn capabilities_exchange_requests_advertise_cx() {
	for (name, host) in [("icscf-cer-R", "icscf"), ("scscf-cer-R", "scscf")] {
		let cer = decoded(name);
		assert_eq!(
			(cer.header.command, cer.header.application),
			(command::CAPABILITIES_EXCHANGE, APP_COMMON)
		);
		assert!(cer.header.is_request());
		assert_eq!(utf8(&cer, &avp::ORIGIN_HOST), format!("{host}.ims.example.net"));
		assert_eq!(utf8(&cer, &avp::ORIGIN_REALM), "ims.example.net");
		let ip = cer.find(&avp::HOST_IP_ADDRESS).expect("Host-IP-Address");
		assert_eq!(ip.address(&avp::HOST_IP_ADDRESS).unwrap(), std::net::Ipv4Addr::LOCALHOST);
		assert_eq!(cer.required_u32(&avp::VENDOR_ID), Ok(VENDOR_3GPP));
		assert_eq!(cer.required_u32(&avp::SUPPORTED_VENDOR_ID), Ok(VENDOR_3GPP));
		assert_eq!(utf8(&cer, &avp::PRODUCT_NAME), "CDiameterPeer");
		let vsai = cer.find(&avp::VENDOR_SPECIFIC_APPLICATION_ID).expect("VSAI");
		let app = vsai.child(&avp::VENDOR_SPECIFIC_APPLICATION_ID, &avp::AUTH_APPLICATION_ID);
		assert_eq!(app.unwrap().unwrap().u32(&avp::AUTH_APPLICATION_ID), Ok(APP_CX));
	}
}

fn cx_request(name: &str, code: u32) -> Message {
	let message = decoded(name);
	assert_eq!((message.header.command, message.header.application), (code, APP_CX), "{name}");
	assert!(message.header.is_request(), "{name}");
	assert_eq!(
		message.required_u32(&avp::AUTH_SESSION_STATE),
		Ok(1),
		"{name}: NO_STATE_MAINTAINED"
	);
	assert_eq!(utf8(&message, &avp::DESTINATION_REALM), "ims.example.net");
	message
}

#[test]
fn the_i_cscf_user_authorization_request() {
	let uar = cx_request("icscf-uar-R", command::USER_AUTHORIZATION);
	assert!(utf8(&uar, &avp::SESSION_ID).starts_with("icscf.ims.example.net;"));
	assert_eq!(utf8(&uar, &avp::USER_NAME), "alice@ims.example.net");
	assert_eq!(utf8(&uar, &avp::PUBLIC_IDENTITY), "sip:alice@ims.example.net");
	// Kamailio quotes the visited network, as its config gives it.
	let visited = uar.find(&avp::VISITED_NETWORK_IDENTIFIER).expect("Visited-Network-Identifier");
	assert_eq!(visited.octets(&avp::VISITED_NETWORK_IDENTIFIER).unwrap(), b"\"ims.example.net\"");
	// No User-Authorization-Type: an initial registration.
	assert_eq!(uar.optional_u32(&avp::USER_AUTHORIZATION_TYPE), Ok(None));
}

#[test]
fn the_s_cscf_multimedia_auth_requests_name_their_scheme() {
	for (name, user, scheme) in [
		("scscf-mar-digest-md5-R", "alice", "Digest-MD5"),
		("scscf-mar-digest-akav1-md5-R", "carol", "Digest-AKAv1-MD5"),
	] {
		let mar = cx_request(name, command::MULTIMEDIA_AUTH);
		assert_eq!(utf8(&mar, &avp::USER_NAME), format!("{user}@ims.example.net"));
		assert_eq!(utf8(&mar, &avp::PUBLIC_IDENTITY), format!("sip:{user}@ims.example.net"));
		assert!(utf8(&mar, &avp::SERVER_NAME).starts_with("sip:127.0.0.1:"));
		assert_eq!(mar.required_u32(&avp::SIP_NUMBER_AUTH_ITEMS), Ok(1));
		let item = mar.find(&avp::SIP_AUTH_DATA_ITEM).expect("SIP-Auth-Data-Item");
		let scheme_avp = item.child(&avp::SIP_AUTH_DATA_ITEM, &avp::SIP_AUTHENTICATION_SCHEME);
		assert_eq!(scheme_avp.unwrap().unwrap().utf8(&avp::SIP_AUTHENTICATION_SCHEME), Ok(scheme));
		// A first challenge: no SIP-Authorization (AUTS) in the item.
		let auts = item.child(&avp::SIP_AUTH_DATA_ITEM, &avp::SIP_AUTHORIZATION);
		assert_eq!(auts, Ok(None), "{name}");
	}
}

#[test]
fn the_s_cscf_server_assignment_requests_and_their_vendor_50_call_id() {
	for (name, user, kind, already) in
		[("scscf-sar-registration-R", "alice", 1, 0), ("scscf-sar-re-registration-R", "bob", 2, 1)]
	{
		let sar = cx_request(name, command::SERVER_ASSIGNMENT);
		assert_eq!(utf8(&sar, &avp::USER_NAME), format!("{user}@ims.example.net"));
		assert_eq!(utf8(&sar, &avp::PUBLIC_IDENTITY), format!("sip:{user}@ims.example.net"));
		assert_eq!(sar.required_u32(&avp::SERVER_ASSIGNMENT_TYPE), Ok(kind), "{name}");
		assert_eq!(sar.required_u32(&avp::USER_DATA_ALREADY_AVAILABLE), Ok(already), "{name}");
		// Kamailio adds its SIP Call-ID as AVP 494 of vendor 50, V bit set and
		// M bit clear: unknown to the dictionary, kept raw, tolerated.
		let call_id =
			sar.avps.iter().find(|a| (a.code, a.vendor) == (494, 50)).expect("Call-ID AVP");
		assert!(!call_id.is_mandatory());
		assert!(matches!(&call_id.value, Value::Raw(raw) if raw.ends_with(b"@127.0.0.1")));
	}
}

#[test]
fn the_s_cscf_registration_termination_answer() {
	let rta = decoded("scscf-rtr-A");
	assert_eq!(
		(rta.header.command, rta.header.application),
		(command::REGISTRATION_TERMINATION, APP_CX)
	);
	assert!(!rta.header.is_request());
	// It echoes the identifiers and Session-Id of the bridge's RTR.
	assert_eq!(rta.header.hop_by_hop, 1);
	assert_eq!(utf8(&rta, &avp::SESSION_ID), "127.0.0.1;0;rtr");
	assert_eq!(rta.required_u32(&avp::RESULT_CODE), Ok(2001));
	assert_eq!(utf8(&rta, &avp::ORIGIN_HOST), "scscf.ims.example.net");
}

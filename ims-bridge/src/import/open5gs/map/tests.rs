//! Open5GS documents as lines, read back by the import format's parser.

use super::*;
use crate::import::format;
use ims_primitives::AuthScheme;

const REALM: &str = "ims.mnc001.mcc001.3gppnetwork.org";

fn placement() -> Placement {
	Placement { realm: REALM.into(), profile: 0 }
}

/// A document as `mongoexport` writes Open5GS's web UI's subscriber in
/// canonical extended JSON: keys with spaces, the SQN a `$numberLong`.
const DOCUMENT: &str = r#"{"_id":{"$oid":"6571a0c2f1b2c3d4e5f60718"},"imsi":"001010000000001","msisdn":["15550001","+15550011"],"imeisv":[],"mme_host":[],"mme_realm":[],"purge_flag":[],"security":{"k":"465B5CE8 B199B49F AA5F0A2E E238A6BC","op":null,"opc":"E8ED289D EBA952E4 283B54E8 8E6183CA","amf":"8000","sqn":{"$numberLong":"97"}},"ambr":{"downlink":{"value":1,"unit":3},"uplink":{"value":1,"unit":3}},"slice":[],"access_restriction_data":32,"subscriber_status":0,"network_access_mode":0,"subscribed_rau_tau_timer":12,"__v":0}"#;

#[test]
fn an_open5gs_document_is_its_imsi_and_msisdns_with_aka() {
	let mapped = document(DOCUMENT, &placement()).unwrap();
	assert!(mapped.notes.is_empty(), "{:?}", mapped.notes);
	let parsed = format::parse(&mapped.line).unwrap();
	assert_eq!(parsed.subscriber.subscription, "001010000000001");
	let impi = &parsed.subscriber.impis[0];
	assert_eq!(impi.identity, format!("001010000000001@{REALM}"));
	assert_eq!(parsed.impis[0].default_scheme, AuthScheme::AkaV1Md5);
	let aka = impi.aka.as_ref().unwrap();
	assert_eq!(hex::encode(aka.k), "465b5ce8b199b49faa5f0a2ee238a6bc");
	assert_eq!(hex::encode(aka.opc), "e8ed289deba952e4283b54e88e6183ca");
	assert_eq!((aka.amf, aka.sqn), ([0x80, 0], 97));
	let impus: Vec<_> = parsed.subscriber.impus.iter().map(String::as_str).collect();
	let (one, eleven) = (format!("sip:15550001@{REALM}"), format!("sip:15550011@{REALM}"));
	assert_eq!(impus, [one.as_str(), "tel:+15550001", eleven.as_str(), "tel:+15550011"]);
}

#[test]
fn op_is_used_when_opc_is_not_set_and_barring_is_kept() {
	let op = DOCUMENT
		.replace(
			r#""op":null,"opc":"E8ED289D EBA952E4 283B54E8 8E6183CA""#,
			r#""op":"11111111111111111111111111111111","opc":null"#,
		)
		.replace(r#""subscriber_status":0"#, r#""subscriber_status":{"$numberInt":"1"}"#)
		.replace(r#"{"$numberLong":"97"}"#, "5");
	let mapped = document(&op, &placement()).unwrap();
	assert_eq!(
		mapped.notes,
		[
			"its subscriber_status is 1 (operator-determined barring)",
			"it is barred: imported with every public identity barred, in no implicit set",
		]
	);
	let parsed = format::parse(&mapped.line).unwrap();
	let aka = parsed.subscriber.impis[0].aka.as_ref().unwrap();
	assert_eq!(aka.opc, crate::auth::milenage::opc(&aka.k, &[0x11; 16]));
	assert_eq!(aka.sqn, 5);
	assert!(parsed.impus.iter().all(|u| u.barred && u.implicit_set.is_none()));
}

#[test]
fn bad_documents_are_refused_without_their_values() {
	let refused = |text: &str| match document(text, &placement()) {
		Err(e) => e.to_string(),
		Ok(_) => panic!("mapped: {text}"),
	};
	assert_eq!(
		refused(&DOCUMENT.replace(r#""msisdn":["15550001","+15550011"]"#, r#""msisdn":[]"#)),
		"it has no MSISDN"
	);
	let no_keys = refused(r#"{"imsi":"001010000000002","msisdn":["1555"]}"#);
	assert!(no_keys.contains("security"), "{no_keys}");
	// serde_json quotes the value it did not expect; the refusal leaves it
	// out, since it may be a key.
	let wrong_type =
		r#"{"imsi":"001010000000003","msisdn":["1"],"security":{"k":4657,"amf":"8000"}}"#;
	let wrong_type = refused(wrong_type);
	assert!(wrong_type.starts_with("malformed") && !wrong_type.contains("4657"), "{wrong_type}");
	assert_eq!(
		refused(&DOCUMENT.replace("001010000000001", "not-an-imsi")),
		"it has no IMSI of digits"
	);
}

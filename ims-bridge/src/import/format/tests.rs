use super::*;
use crate::pseudonym::Kind;

const ALICE: &str = r#"{"realm":"ims.test","subscription":"alice","impis":[{"identity":"alice@ims.test","password":"s3cret"}],"impus":[{"identity":"sip:alice@ims.test"},{"identity":"tel:+15550001"}]}"#;

fn refused(text: &str) -> LineError {
	match parse(text) {
		Ok(_) => panic!("accepted: {text}"),
		Err(e) => e,
	}
}

#[test]
fn the_header_names_format_and_version() {
	assert!(header(r#"{"format":"ims-subscribers","version":1}"#).is_ok());
	let other = header(r#"{"format":"csv","version":1}"#).unwrap_err();
	assert!(matches!(other, LineError::Header(ref m) if m.contains("csv")), "{other}");
	let newer = header(r#"{"format":"ims-subscribers","version":2}"#).unwrap_err();
	assert!(newer.to_string().contains("version 2"), "{newer}");
	assert!(matches!(header("{}"), Err(LineError::Malformed(_))));
	assert!(matches!(header("not json"), Err(LineError::Malformed(_))));
}

#[test]
fn a_minimal_line_gets_the_defaults_of_subscriber_add() {
	let parsed = parse(ALICE).unwrap();
	assert_eq!(parsed.realm, "ims.test");
	let s = &parsed.subscriber;
	assert_eq!(s.subscription, "alice");
	assert_eq!(s.impus, vec!["sip:alice@ims.test".to_string(), "tel:+15550001".into()]);
	let digest = s.impis[0].digest.as_ref().unwrap();
	assert_eq!(digest.ha1, auth::digest_ha1("alice@ims.test", "ims.test", "s3cret"));
	assert_eq!(digest.password, None, "kept only for digest-md5");
	assert!(s.impis[0].aka.is_none());
	assert_eq!(parsed.impis[0].default_scheme, AuthScheme::SipDigest);
	assert_eq!(parsed.impis[0].schemes, AuthSchemes::of(&[AuthScheme::SipDigest]));
	for impu in &parsed.impus {
		assert_eq!(impu.kind, ImpuKind::PublicIdentity);
		assert_eq!(impu.implicit_set, Some(DEFAULT_SET));
		assert!(!impu.barred && impu.can_register);
		assert_eq!((impu.profile, impu.charging), (0, None));
	}
	// Every IMPU linked to the one IMPI.
	assert_eq!(parsed.links, vec![(0, 0), (0, 1)]);
	// Charged by the runtime as one identity and one implicit set beyond a
	// reference subscriber.
	assert_eq!(crate::import::budget::extra_identities(&parsed), 1);
	assert_eq!(crate::import::budget::implicit_sets(&parsed), 1);
	// A fresh salt each time: pseudonyms differ between parses.
	let again = parse(ALICE).unwrap();
	assert_ne!(
		again.subscriber.pseudonym(Kind::Impi, "alice@ims.test"),
		s.pseudonym(Kind::Impi, "alice@ims.test")
	);
}

#[test]
fn every_field_is_read() {
	let line = r#"{"realm":"ims.test","subscription":"bob",
		"impis":[
			{"identity":"bob@ims.test","schemes":["digest-md5","aka1"],"default_scheme":"aka1",
			 "password":"pw","aka":{"k":"000102030405060708090a0b0c0d0e0f","op":"00112233445566778899aabbccddeeff","amf":"9000","sqn":77}},
			{"identity":"bob2@ims.test","ha1":"0123456789ABCDEF0123456789abcdef"}],
		"impus":[
			{"identity":"sip:bob@ims.test","implicit_set":7,"profile":2,"charging":3,"roaming":["visited.net"],"impis":["bob2@ims.test"]},
			{"identity":"sip:svc@ims.test","kind":"wildcard-psi","barred":true,"can_register":false,"implicit_set":null},
			{"identity":"sip:psi@ims.test","kind":"distinct-psi","barred":true}]}"#;
	let line = line.replace(['\n', '\t'], "");
	let parsed = parse(&line).unwrap();
	let bob = &parsed.subscriber.impis[0];
	assert_eq!(bob.digest.as_ref().unwrap().password.as_deref(), Some("pw"));
	let aka = bob.aka.as_ref().unwrap();
	assert_eq!(aka.k, *b"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f");
	let op = hex::decode("00112233445566778899aabbccddeeff").unwrap();
	assert_eq!(aka.opc, auth::milenage::opc(&aka.k, &op.try_into().unwrap()));
	assert_eq!((aka.amf, aka.sqn), ([0x90, 0], 77));
	assert_eq!(parsed.impis[0].default_scheme, AuthScheme::AkaV1Md5);
	let bob2 = parsed.subscriber.impis[1].digest.as_ref().unwrap();
	assert_eq!(bob2.ha1, "0123456789abcdef0123456789abcdef");
	let [first, wildcard, psi] = &parsed.impus[..] else { panic!("three IMPUs") };
	assert_eq!((first.implicit_set, first.profile, first.charging), (Some(7), 2, Some(3)));
	assert_eq!(first.roaming, vec![b"visited.net".to_vec()]);
	assert_eq!(
		(wildcard.kind, wildcard.barred, wildcard.can_register),
		(ImpuKind::WildcardPsi, true, false)
	);
	assert_eq!(wildcard.implicit_set, None, "null: no set");
	assert_eq!((psi.kind, psi.implicit_set), (ImpuKind::DistinctPsi, None), "barred: alone");
	assert_eq!(parsed.links, vec![(1, 0), (0, 1), (1, 1), (0, 2), (1, 2)]);
}

#[test]
fn bad_lines_are_refused_with_their_reason() {
	let cases: &[(&str, &str)] = &[
		(r#"{"realm":"ims.test""#, "EOF"),
		(r#"[1,2]"#, "invalid type"),
		(r#"{"realm":"ims.test","subscription":"a","impis":[],"impus":[]}"#, "at least one IMPI"),
		(
			r#"{"realm":"","subscription":"a","impis":[{"identity":"a"}],"impus":[{"identity":"b"}]}"#,
			"empty",
		),
		(
			r#"{"realm":"r","subscription":"a","impis":[{"identity":"a","password":"p"}],"impus":[{"identity":"a"}]}"#,
			"appears twice",
		),
		(
			r#"{"realm":"r","subscription":"a","impis":[{"identity":"a"}],"impus":[{"identity":"b"}]}"#,
			"password or HA1",
		),
		(
			r#"{"realm":"r","subscription":"a","impis":[{"identity":"a","schemes":["aka2"]}],"impus":[{"identity":"b"}]}"#,
			"AKA schemes need",
		),
		(
			r#"{"realm":"r","subscription":"a","impis":[{"identity":"a","schemes":["digest-md5"],"ha1":"00000000000000000000000000000000"}],"impus":[{"identity":"b"}]}"#,
			"password itself",
		),
		(
			r#"{"realm":"r","subscription":"a","impis":[{"identity":"a","schemes":["smoke"]}],"impus":[{"identity":"b"}]}"#,
			"unknown scheme",
		),
		(
			r#"{"realm":"r","subscription":"a","impis":[{"identity":"a","password":"p","default_scheme":"aka1"}],"impus":[{"identity":"b"}]}"#,
			"one of its schemes",
		),
		(
			r#"{"realm":"r","subscription":"a","impis":[{"identity":"a","ha1":"xyz"}],"impus":[{"identity":"b"}]}"#,
			"32 hex digits",
		),
		(
			r#"{"realm":"r","subscription":"a","impis":[{"identity":"a","password":"p","ha1":"00000000000000000000000000000000"}],"impus":[{"identity":"b"}]}"#,
			"not both",
		),
		(
			r#"{"realm":"r","subscription":"a","impis":[{"identity":"a","schemes":["aka1"],"aka":{"k":"00"}}],"impus":[{"identity":"b"}]}"#,
			"16 bytes",
		),
		(
			r#"{"realm":"r","subscription":"a","impis":[{"identity":"a","schemes":["aka1"],"aka":{"k":"000102030405060708090a0b0c0d0e0f"}}],"impus":[{"identity":"b"}]}"#,
			"exactly one of OPc and OP",
		),
		(
			r#"{"realm":"r","subscription":"a","impis":[{"identity":"a","password":"p"}],"impus":[{"identity":"b","impis":["z"]}]}"#,
			"not an IMPI of the line",
		),
		(
			r#"{"realm":"r","subscription":"a","impis":[{"identity":"a","password":"p"}],"impus":[{"identity":"b","impis":["a","a"]}]}"#,
			"twice",
		),
		(
			r#"{"realm":"r","subscription":"a","impis":[{"identity":"a","password":"p"}],"impus":[{"identity":"b","kind":"group"}]}"#,
			"unknown variant",
		),
		(
			r#"{"realm":"r","subscription":"a","impis":[{"identity":"a","password":"p"}],"impus":[{"identity":"b"}],"extra":1}"#,
			"unknown field",
		),
	];
	for (line, expected) in cases {
		let error = refused(line).to_string();
		assert!(error.contains(expected), "{line}: {error} lacks {expected:?}");
	}
}

#[test]
fn a_refusal_never_repeats_a_value_of_the_line() {
	// A password where a number belongs: serde_json would quote it.
	let line = r#"{"realm":"r","subscription":"a","impis":[{"identity":"a","password":"p","aka":{"k":"00","opc":"00","sqn":"hunter2"}}],"impus":[{"identity":"b"}]}"#;
	let error = refused(line).to_string();
	assert!(!error.contains("hunter2"), "{error}");
	assert!(error.contains("invalid type"), "{error}");
	let error = refused(
		r#"{"realm":"r","subscription":"a","impis":[{"identity":"a","password":12345678}],"impus":[]}"#,
	)
	.to_string();
	assert!(!error.contains("12345678"), "{error}");
	assert!(error.contains("expected a string"), "{error}");
	// Field names stay: they say what is wrong.
	let error = refused(r#"{"realm":"r","subscription":"a","impis":[],"impus":[],"pasword":"x"}"#);
	assert!(error.to_string().contains("unknown field `pasword`"), "{error}");
}

//! FHoSS rows as lines, checked by reading each line back with the import
//! format's own parser.

use super::*;
use crate::import::format::{self, Parsed};
use ims_primitives::{AuthScheme, AuthSchemes};

const REALM: &str = "open-ims.test";

fn imsu(id: i64, name: &str) -> Imsu {
	Imsu { id, name: name.into() }
}

/// An IMPI as FHoSS's own sample data holds `alice`: every scheme but SIP
/// Digest (127), AKAv1 by default, k = "alice", OP and AMF zero.
fn impi(id: i64, identity: &str) -> Impi {
	Impi {
		id,
		id_imsu: 1,
		identity: identity.into(),
		k: Zeroizing::new(b"alice".to_vec()),
		auth_scheme: 127,
		default_auth_scheme: 1,
		amf: vec![0, 0],
		op: Zeroizing::new(vec![0; 16]),
		opc: None,
		sqn: "000000000020".into(),
	}
}

fn impu(id: i64, identity: &str, set: i64) -> Impu {
	Impu {
		id,
		identity: identity.into(),
		kind: 0,
		barring: 0,
		id_sp: Some(1),
		id_implicit_set: set,
		id_charging_info: None,
		can_register: 1,
		display_name: String::new(),
	}
}

fn map(
	imsu: &Imsu,
	impis: &[Impi],
	impus: &[(Impu, Vec<i64>)],
	visited: &BTreeMap<i64, Vec<String>>,
) -> Result<Mapped, LineError> {
	let rows = Rows {
		imsu,
		unique_name: None,
		impis: impis.iter().collect(),
		impus: impus.iter().map(|(u, l)| (u, l.clone())).collect(),
		visited,
	};
	subscription(&rows)
}

fn parse(mapped: &Mapped) -> Parsed {
	match format::parse(&mapped.line) {
		Ok(parsed) => parsed,
		Err(e) => panic!("the line does not parse: {e}"),
	}
}

#[test]
fn fhoss_sample_subscriber_keeps_digest_and_aka_secrets() {
	let owner = imsu(1, "alice");
	let impis = [impi(4, "alice@open-ims.test")];
	let impus = [(impu(1, "sip:alice@open-ims.test", 1), vec![4])];
	let mut visited = BTreeMap::new();
	visited.insert(1, vec!["open-ims.test".to_string()]);
	let mapped = map(&owner, &impis, &impus, &visited).unwrap();
	assert_eq!(
		mapped.notes,
		["impi 4: schemes HTTP_Digest_MD5, Early-IMS-Security, NASS-Bundled dropped (not offered)"]
	);
	let parsed = parse(&mapped);
	assert_eq!(parsed.realm, REALM);
	assert_eq!(parsed.subscriber.subscription, "alice");
	let chain = &parsed.impis[0];
	let ours =
		[AuthScheme::AkaV1Md5, AuthScheme::AkaV2Md5, AuthScheme::DigestMd5, AuthScheme::SipDigest];
	assert_eq!(chain.schemes, AuthSchemes::of(&ours));
	assert_eq!(chain.default_scheme, AuthScheme::AkaV1Md5);
	let secrets = &parsed.subscriber.impis[0];
	let digest = secrets.digest.as_ref().unwrap();
	assert_eq!(digest.ha1, crate::auth::digest_ha1("alice@open-ims.test", REALM, "alice"));
	// Digest-MD5 hands the password itself to the S-CSCF: it is kept.
	assert_eq!(digest.password.as_deref(), Some("alice"));
	let aka = secrets.aka.as_ref().unwrap();
	assert_eq!(&aka.k[..5], b"alice");
	assert_eq!(aka.k[5..], [0; 11]);
	assert_eq!(aka.opc, crate::auth::milenage::opc(&aka.k, &[0; 16]));
	assert_eq!((aka.amf, aka.sqn), ([0, 0], 0x20));
	let impu = &parsed.impus[0];
	assert_eq!((impu.implicit_set, impu.profile, impu.charging), (Some(1), 1, None));
	assert_eq!(impu.roaming, [b"open-ims.test".to_vec()]);
}

#[test]
fn opc_column_is_used_when_set_and_op_otherwise() {
	let owner = imsu(1, "bob");
	let mut bob = impi(2, "bob@open-ims.test");
	bob.auth_scheme = 1;
	bob.opc = Some(Zeroizing::new(vec![0x11; 16]));
	let impus = [(impu(2, "sip:bob@open-ims.test", 2), vec![2])];
	let mapped = map(&owner, std::slice::from_ref(&bob), &impus, &BTreeMap::new()).unwrap();
	assert!(mapped.notes.is_empty(), "{:?}", mapped.notes);
	let parsed = parse(&mapped);
	let secrets = &parsed.subscriber.impis[0];
	assert!(secrets.digest.is_none());
	assert_eq!(secrets.aka.as_ref().unwrap().opc, [0x11; 16]);
	// An all-zero opc column is FHoSS's "unset".
	bob.opc = Some(Zeroizing::new(vec![0; 16]));
	bob.op = Zeroizing::new(vec![0x22; 16]);
	let mapped = map(&owner, std::slice::from_ref(&bob), &impus, &BTreeMap::new()).unwrap();
	let parsed = parse(&mapped);
	let aka = parsed.subscriber.impis[0].aka.as_ref().unwrap();
	assert_eq!(aka.opc, crate::auth::milenage::opc(&aka.k, &[0x22; 16]));
}

#[test]
fn implicit_sets_lead_with_an_identity_that_is_not_barred() {
	let owner = imsu(1, "carol");
	let mut carol = impi(3, "carol@open-ims.test");
	carol.auth_scheme = 128;
	carol.default_auth_scheme = 128;
	let mut barred = impu(10, "sip:carol-barred@open-ims.test", 10);
	barred.barring = 1;
	let open = impu(11, "tel:+15550003", 10);
	let mut alone = impu(12, "sip:carol-alone@open-ims.test", 12);
	alone.barring = 1;
	alone.display_name = "Carol".into();
	let impus = [(barred, vec![3]), (open, vec![3]), (alone, vec![3])];
	let mapped = map(&owner, std::slice::from_ref(&carol), &impus, &BTreeMap::new()).unwrap();
	assert_eq!(
		mapped.notes,
		[
			"impu 12: every member of its implicit set is barred, which the ledger refuses; imported barred, in no set",
			"impu 12: its display name is not kept",
		]
	);
	let parsed = parse(&mapped);
	let order: Vec<_> = parsed.subscriber.impus.iter().map(String::as_str).collect();
	let expected =
		["tel:+15550003", "sip:carol-barred@open-ims.test", "sip:carol-alone@open-ims.test"];
	assert_eq!(order, expected);
	let sets: Vec<_> = parsed.impus.iter().map(|u| (u.barred, u.implicit_set)).collect();
	assert_eq!(sets, [(false, Some(10)), (true, Some(10)), (true, None)]);
	// SIP Digest alone keeps HA1, never the password.
	assert!(parsed.subscriber.impis[0].digest.as_ref().unwrap().password.is_none());
}

#[test]
fn identities_linked_to_some_impis_name_them() {
	let owner = imsu(1, "dave");
	let impis = [impi(5, "dave@open-ims.test"), impi(6, "dave-2@open-ims.test")];
	let impus = [
		(impu(20, "sip:dave@open-ims.test", 20), vec![5, 6]),
		(impu(21, "sip:dave-2@open-ims.test", 21), vec![6]),
	];
	let parsed = parse(&map(&owner, &impis, &impus, &BTreeMap::new()).unwrap());
	assert_eq!(parsed.links, [(0, 0), (1, 0), (1, 1)]);
}

#[test]
fn what_cannot_be_placed_is_refused_with_the_reason() {
	let owner = imsu(1, "eve");
	let visited = BTreeMap::new();
	let reason =
		|impis: &[Impi], impus: &[(Impu, Vec<i64>)]| match map(&owner, impis, impus, &visited) {
			Err(LineError::Invalid(why)) => why,
			Err(other) => panic!("{other}"),
			Ok(_) => panic!("mapped"),
		};
	let sip = || (impu(30, "sip:eve@open-ims.test", 30), vec![7]);
	assert_eq!(reason(&[], &[sip()]), "the subscription has no private identity");
	let mut early = impi(7, "eve@open-ims.test");
	early.auth_scheme = 32 | 64;
	assert!(reason(&[early], &[sip()]).contains("no scheme the ledger offers"));
	let elsewhere = [impi(7, "eve@open-ims.test"), impi(8, "eve@other.test")];
	assert!(reason(&elsewhere, &[sip()]).contains("different realms"));
	assert!(reason(&[impi(7, "eve")], &[sip()]).contains("not user@realm"));
	let eve = [impi(7, "eve@open-ims.test")];
	let (mut no_profile, links) = sip();
	no_profile.id_sp = None;
	assert_eq!(reason(&eve, &[(no_profile, links)]), "impu 30: it has no service profile");
	let (mut psi, links) = sip();
	psi.kind = 7;
	assert!(reason(&eve, &[(psi, links)]).starts_with("impu 30: its type"));
	let mut binary = impi(7, "eve@open-ims.test");
	binary.k = Zeroizing::new(vec![0xff, 0xfe]);
	assert!(reason(&[binary], &[sip()]).contains("Digest-MD5 needs a text password"));
}

#[test]
fn a_binary_password_becomes_ha1_as_fhoss_computes_it() {
	let owner = imsu(1, "frank");
	let mut frank = impi(9, "frank@open-ims.test");
	frank.k = Zeroizing::new(vec![0xff, 0x01]);
	frank.auth_scheme = 128;
	frank.default_auth_scheme = 1;
	let impus = [(impu(40, "sip:frank@open-ims.test", 40), vec![9])];
	let mapped = map(&owner, std::slice::from_ref(&frank), &impus, &BTreeMap::new()).unwrap();
	let note = "impi 9: default scheme 1 is not among its schemes here; sip-digest is";
	assert_eq!(mapped.notes, [note]);
	let parsed = parse(&mapped);
	let digest = parsed.subscriber.impis[0].digest.as_ref().unwrap();
	let expected = crate::auth::digest_ha1_bytes("frank@open-ims.test", REALM, &[0xff, 0x01]);
	assert_eq!(digest.ha1, expected);
}

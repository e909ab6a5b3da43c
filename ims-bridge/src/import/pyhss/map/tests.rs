//! PyHSS rows as lines, read back by the import format's own parser.

use super::*;
use crate::import::format;
use crate::import::pyhss::rows::Auc;
use ims_primitives::AuthScheme;
use zeroize::Zeroizing;

const REALM: &str = "ims.mnc001.mcc001.3gppnetwork.org";

fn placement() -> Placement {
	Placement { realm: REALM.into(), profile: 2 }
}

fn row() -> ImsSubscriber {
	ImsSubscriber {
		id: 7,
		imsi: Some("001010000000007".into()),
		msisdn: Some("+15550007".into()),
		msisdn_list: Some("15550107, +15550007,".into()),
		ifc_path: Some("default_ifc.xml".into()),
		enabled: Some(true),
		auc: Some(Auc {
			ki: Zeroizing::new("465b5ce8b199b49faa5f0a2ee238a6bc".into()),
			opc: Zeroizing::new("cd63cb71954a9f4e48a5994e37a02baf".into()),
			amf: "8000".into(),
			sqn: Some(0x21),
		}),
	}
}

#[test]
fn a_pyhss_subscriber_is_its_imsi_and_msisdns_with_aka() {
	let mapped = subscriber(&row(), &placement()).unwrap();
	assert_eq!(
		mapped.notes,
		["its iFC template default_ifc.xml is not imported: its identities use the realm's profile 2"]
	);
	let parsed = format::parse(&mapped.line).unwrap();
	assert_eq!(
		(parsed.realm.as_str(), parsed.subscriber.subscription.as_str()),
		(REALM, "001010000000007")
	);
	let impi = &parsed.subscriber.impis[0];
	assert_eq!(impi.identity, format!("001010000000007@{REALM}"));
	assert_eq!(parsed.impis[0].default_scheme, AuthScheme::AkaV1Md5);
	let aka = impi.aka.as_ref().unwrap();
	assert_eq!(hex::encode(aka.k), "465b5ce8b199b49faa5f0a2ee238a6bc");
	// PyHSS keeps OPc itself: taken as it is, not derived again.
	assert_eq!(hex::encode(aka.opc), "cd63cb71954a9f4e48a5994e37a02baf");
	assert_eq!((aka.amf, aka.sqn), ([0x80, 0], 0x21));
	assert!(impi.digest.is_none());
	let impus: Vec<_> = parsed.subscriber.impus.iter().map(String::as_str).collect();
	let sip = format!("sip:15550007@{REALM}");
	let other = format!("sip:15550107@{REALM}");
	assert_eq!(impus, [sip.as_str(), "tel:+15550007", other.as_str(), "tel:+15550107"]);
	assert!(parsed.impus.iter().all(|u| !u.barred && u.implicit_set == Some(1) && u.profile == 2));
}

#[test]
fn a_disabled_subscriber_is_barred_in_no_set() {
	let mut disabled = row();
	disabled.enabled = Some(false);
	disabled.ifc_path = None;
	let mapped = subscriber(&disabled, &placement()).unwrap();
	assert_eq!(
		mapped.notes,
		["it is barred: imported with every public identity barred, in no implicit set"]
	);
	let parsed = format::parse(&mapped.line).unwrap();
	assert!(parsed.impus.iter().all(|u| u.barred && u.implicit_set.is_none()));
}

#[test]
fn what_pyhss_could_not_serve_is_refused() {
	let reason = |row: ImsSubscriber| match subscriber(&row, &placement()) {
		Err(LineError::Invalid(why)) => why,
		Err(other) => panic!("{other}"),
		Ok(_) => panic!("mapped"),
	};
	assert_eq!(reason(ImsSubscriber { imsi: None, ..row() }), "it has no IMSI of digits");
	assert_eq!(
		reason(ImsSubscriber { msisdn: Some("".into()), ..row() }),
		"it has no MSISDN of digits"
	);
	assert_eq!(
		reason(ImsSubscriber { enabled: None, auc: None, ..row() }),
		"no subscriber has its IMSI, so it has no AuC entry"
	);
	assert_eq!(reason(ImsSubscriber { auc: None, ..row() }), "its subscriber has no AuC entry");
	let list = ImsSubscriber { msisdn_list: Some("15550107,call-me".into()), ..row() };
	assert_eq!(reason(list), "its MSISDN \"call-me\" is not digits");
	// A key the format refuses is refused by the format, never quoted.
	let mut short = row();
	short.auc = Some(Auc { ki: Zeroizing::new("abcd".into()), ..row().auc.unwrap() });
	let mapped = subscriber(&short, &placement()).unwrap();
	let refused = format::parse(&mapped.line).err().unwrap().to_string();
	assert!(!refused.contains("abcd"), "{refused}");
}

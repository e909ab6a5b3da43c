//! A mobile subscriber as the HSSs of packet cores keep it (PyHSS,
//! Open5GS): an IMSI, MSISDNs and USIM keys, put into the operator's realm
//! as such HSSs answer Cx for it: the private identity `<IMSI>@<realm>`
//! with AKAv1, and for each MSISDN the public identities
//! `sip:<MSISDN>@<realm>` and `tel:+<MSISDN>` in one implicit set, all in
//! the realm's profile `--profile` (`docs/import.md`).

use super::database::{self, AkaOut, ImpiOut, ImpuOut, LineOut, Mapped};
use super::{LineError, Placement};

/// USIM keys, hex (spaces allowed, as Open5GS's web UI writes them).
pub struct Keys<'a> {
	pub k: &'a str,
	/// OPc, when the HSS keeps it.
	pub opc: Option<&'a str>,
	/// OP, when it keeps that instead.
	pub op: Option<&'a str>,
	pub amf: &'a str,
	pub sqn: u64,
}

/// A mobile subscriber.
pub struct Mobile<'a> {
	pub imsi: &'a str,
	/// Its MSISDNs, the first the main one, each digits with or without a
	/// leading `+`.
	pub msisdns: Vec<&'a str>,
	/// Whether it may use the network: a barred one is imported with every
	/// public identity barred, in no set.
	pub enabled: bool,
	pub keys: Keys<'a>,
	/// What the importer already has to say of it.
	pub notes: Vec<String>,
}

/// The subscriber as a line of the import format, or why it cannot be.
pub fn line(mobile: Mobile, placement: &Placement) -> Result<Mapped, LineError> {
	let invalid = |why: String| Err(LineError::Invalid(why));
	if !is_digits(mobile.imsi) {
		return invalid("it has no IMSI of digits".into());
	}
	let mut numbers: Vec<&str> = Vec::new();
	for number in mobile.msisdns.iter().map(|m| m.trim().trim_start_matches('+')) {
		if number.is_empty() || numbers.contains(&number) {
			continue;
		}
		if !is_digits(number) {
			return invalid(format!("its MSISDN {number:?} is not digits"));
		}
		numbers.push(number);
	}
	if numbers.is_empty() {
		return invalid("it has no MSISDN".into());
	}
	let mut notes = mobile.notes;
	if !mobile.enabled {
		notes.push(
			"it is barred: imported with every public identity barred, in no implicit set".into(),
		);
	}
	let realm = placement.realm.as_str();
	let names: Vec<String> =
		numbers.iter().flat_map(|n| [format!("sip:{n}@{realm}"), format!("tel:+{n}")]).collect();
	let impus = names
		.iter()
		.map(|identity| ImpuOut {
			identity,
			kind: "public",
			barred: !mobile.enabled,
			can_register: true,
			implicit_set: mobile.enabled.then_some(1),
			profile: placement.profile,
			charging: None,
			roaming: &[],
			impis: None,
		})
		.collect();
	let keys = &mobile.keys;
	let (k, opc, op) = (compact(keys.k), keys.opc.map(compact), keys.op.map(compact));
	let aka = AkaOut {
		k: &k,
		opc: opc.as_deref().map(|s| s.as_str()),
		op: op.as_deref().map(|s| s.as_str()),
		amf: compact(keys.amf).to_string(),
		sqn: keys.sqn,
	};
	let impi = format!("{}@{realm}", mobile.imsi);
	let impis = vec![ImpiOut {
		identity: &impi,
		schemes: vec!["aka1"],
		default_scheme: "aka1",
		password: None,
		ha1: None,
		aka: Some(aka),
	}];
	let line = database::line(&LineOut { realm, subscription: mobile.imsi, impis, impus })?;
	Ok(Mapped { line, notes })
}

/// Hex without the spaces some HSSs' tools put between its groups.
fn compact(hex: &str) -> zeroize::Zeroizing<String> {
	zeroize::Zeroizing::new(hex.chars().filter(|c| !c.is_whitespace()).collect())
}

fn is_digits(text: &str) -> bool {
	!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

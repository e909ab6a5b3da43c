//! One PyHSS IMS subscriber as a line of the import format, as PyHSS
//! answers Cx for it: the private identity `<IMSI>@<realm>` with AKA from
//! its AuC entry, and for its MSISDN and each of its further MSISDNs the
//! public identities `sip:<MSISDN>@<realm>` and `tel:+<MSISDN>`, in one
//! implicit set (`docs/import.md` "From PyHSS").

use super::rows::ImsSubscriber;
use crate::import::database::{self, AkaOut, ImpiOut, ImpuOut, LineOut, Mapped};
use crate::import::{LineError, Placement};

/// Maps a subscriber into `placement`'s realm and profile, or says why
/// it cannot be imported.
pub fn subscriber(row: &ImsSubscriber, placement: &Placement) -> Result<Mapped, LineError> {
	let invalid = |why: &str| Err(LineError::Invalid(why.into()));
	let Some(imsi) = row.imsi.as_deref().filter(|i| is_digits(i)) else {
		return invalid("it has no IMSI of digits");
	};
	let Some(msisdn) = row.msisdn.as_deref().map(number).filter(|m| is_digits(m)) else {
		return invalid("it has no MSISDN of digits");
	};
	let Some(enabled) = row.enabled else {
		return invalid("no subscriber has its IMSI, so it has no AuC entry");
	};
	let Some(auc) = &row.auc else {
		return invalid("its subscriber has no AuC entry");
	};
	let mut notes = Vec::new();
	if let Some(path) = row.ifc_path.as_deref().filter(|p| !p.is_empty()) {
		notes.push(format!(
			"its iFC template {path} is not imported: its identities use the realm's profile {}",
			placement.profile
		));
	}
	if !enabled {
		notes.push(
			"it is disabled: imported with every public identity barred, in no implicit set".into(),
		);
	}
	let mut numbers = vec![msisdn];
	for extra in row.msisdn_list.iter().flat_map(|list| list.split(',')).map(number) {
		if extra.is_empty() || numbers.contains(&extra) {
			continue;
		}
		if !is_digits(extra) {
			return Err(LineError::Invalid(format!("its MSISDN list holds {extra:?}, not digits")));
		}
		numbers.push(extra);
	}
	let realm = placement.realm.as_str();
	let names: Vec<String> =
		numbers.iter().flat_map(|n| [format!("sip:{n}@{realm}"), format!("tel:+{n}")]).collect();
	let impus = names
		.iter()
		.map(|identity| ImpuOut {
			identity,
			kind: "public",
			barred: !enabled,
			can_register: true,
			implicit_set: enabled.then_some(1),
			profile: placement.profile,
			charging: None,
			roaming: &[],
			impis: None,
		})
		.collect();
	let impi = format!("{imsi}@{realm}");
	let aka = AkaOut {
		k: auc.ki.trim(),
		opc: Some(auc.opc.trim()),
		op: None,
		amf: auc.amf.trim().to_string(),
		sqn: auc.sqn.unwrap_or(0).max(0) as u64,
	};
	let impis = vec![ImpiOut {
		identity: &impi,
		schemes: vec!["aka1"],
		default_scheme: "aka1",
		password: None,
		ha1: None,
		aka: Some(aka),
	}];
	let line = database::line(&LineOut { realm, subscription: imsi, impis, impus })?;
	Ok(Mapped { line, notes })
}

/// An MSISDN as PyHSS stores it: digits, with a leading `+` some tools
/// write left out.
fn number(text: &str) -> &str {
	text.trim().trim_start_matches('+')
}

fn is_digits(text: &str) -> bool {
	!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests;

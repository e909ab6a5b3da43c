//! One PyHSS IMS subscriber as a line of the import format, as PyHSS
//! answers Cx for it (`crate::import::mobile`): its IMSI, its MSISDN and
//! further MSISDNs, AKA from its AuC entry (`docs/import.md` "From
//! PyHSS").

use super::rows::ImsSubscriber;
use crate::import::database::Mapped;
use crate::import::mobile::{self, Keys, Mobile};
use crate::import::{LineError, Placement};

/// Maps a subscriber into `placement`'s realm and profile, or says why
/// it cannot be imported.
pub fn subscriber(row: &ImsSubscriber, placement: &Placement) -> Result<Mapped, LineError> {
	let invalid = |why: &str| Err(LineError::Invalid(why.into()));
	let Some(imsi) = row.imsi.as_deref() else {
		return invalid("it has no IMSI of digits");
	};
	let Some(msisdn) = row.msisdn.as_deref().filter(|m| !m.trim().is_empty()) else {
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
	let mut msisdns = vec![msisdn];
	msisdns.extend(row.msisdn_list.iter().flat_map(|list| list.split(',')));
	let keys = Keys {
		k: &auc.ki,
		opc: Some(&auc.opc),
		op: None,
		amf: &auc.amf,
		sqn: auc.sqn.unwrap_or(0).max(0) as u64,
	};
	mobile::line(Mobile { imsi, msisdns, enabled, keys, notes }, placement)
}

#[cfg(test)]
mod tests;

//! FHoSS's service data as the realm's: application servers, charging
//! information, shared iFC sets and service profiles under FHoSS's own
//! ids, so that its subscribers' `id_sp` and `id_charging_info` name them
//! (`docs/import.md` "From FHoSS"). An object that cannot be expressed is
//! refused by its row, and so is whatever refers to it.

use super::rows::{Charging, Ifc, Profile, Server, ServiceRows, Spt};
use crate::import::{LineError, Record, Refusal};
use ims_primitives::limits::{
	MAX_IFCS, MAX_NAME_LEN as NAME, MAX_SHARED_IFC_SETS, MAX_SPTS, MAX_TEXT_LEN as TEXT,
	MAX_TOKEN_LEN as TOKEN,
};
use ims_primitives::{
	ApplicationServer, ChargingInformation, DefaultHandling, InitialFilterCriterion, ProfilePart,
	ServicePointTrigger, ServiceProfile, SessionCase, SptCondition, TriggerPoint,
};
use std::collections::BTreeMap;

/// The realm service data of a FHoSS database.
#[derive(Default, Debug, PartialEq)]
pub struct Services {
	pub servers: BTreeMap<u32, ApplicationServer>,
	pub charging: BTreeMap<u32, ChargingInformation>,
	pub ifc_sets: BTreeMap<u32, ims_primitives::Ifcs>,
	pub profiles: BTreeMap<u32, ServiceProfile>,
	/// Rows that could not be expressed, with why.
	pub refused: Vec<Refusal>,
	/// What was lost on the way, one sentence each.
	pub notes: Vec<String>,
}

type Mapped<T> = Result<T, String>;

/// Maps every row.
pub fn services(rows: &ServiceRows) -> Services {
	let mut out = Services::default();
	for server in &rows.servers {
		let record = Record::ApplicationServer(server.id.max(0) as u64);
		match application_server(server, &mut out.notes) {
			Ok(value) => drop(out.servers.insert(id(server.id), value)),
			Err(why) => out.refuse(record, why),
		}
	}
	for charging in &rows.charging {
		match charging_information(charging) {
			Ok(value) => drop(out.charging.insert(id(charging.id), value)),
			Err(why) => out.refuse(Record::ChargingInfo(charging.id.max(0) as u64), why),
		}
	}
	let ifcs: BTreeMap<i64, &Ifc> = rows.ifcs.iter().map(|ifc| (ifc.id, ifc)).collect();
	let mut sets: BTreeMap<i64, Vec<(i64, i64)>> = BTreeMap::new();
	for (set, ifc, priority) in &rows.shared {
		sets.entry(*set).or_default().push((*ifc, *priority));
	}
	for (set, members) in sets {
		let record = Record::SharedIfcSet(set.max(0) as u64);
		match criteria(&members, &ifcs, rows, &out) {
			Ok(value) => drop(out.ifc_sets.insert(id(set), value)),
			Err(why) => out.refuse(record, why),
		}
	}
	for profile in &rows.profiles {
		match service_profile(profile, &ifcs, rows, &out) {
			Ok(value) => drop(out.profiles.insert(id(profile.id), value)),
			Err(why) => out.refuse(Record::Sp(profile.id.max(0) as u64), why),
		}
	}
	notes_of_triggers(rows, &mut out.notes);
	out
}

impl Services {
	fn refuse(&mut self, record: Record, why: String) {
		self.refused.push(Refusal { record, reason: LineError::Invalid(why) });
	}
}

/// A row id as the realm's number (ids beyond `u32` cannot be: they are
/// refused where read).
fn id(id: i64) -> u32 {
	u32::try_from(id).unwrap_or(u32::MAX)
}

fn number(what: &str, value: i64) -> Mapped<u32> {
	u32::try_from(value).map_err(|_| format!("{what} {value} is not a number the ledger keeps"))
}

/// Text as one of the ledger's bounded byte strings (`Name`, `Token`,
/// `Text`), `most` bytes long at most.
fn bounded<T: TryFrom<Vec<u8>>>(what: &str, most: u32, text: &str) -> Mapped<T> {
	T::try_from(text.as_bytes().to_vec())
		.map_err(|_| format!("its {what} is longer than the ledger's {most} bytes"))
}

/// `None` for an empty column.
fn optional<T: TryFrom<Vec<u8>>>(what: &str, most: u32, text: Option<&str>) -> Mapped<Option<T>> {
	match text.filter(|t| !t.is_empty()) {
		None => Ok(None),
		Some(text) => bounded(what, most, text).map(Some),
	}
}

fn application_server(server: &Server, notes: &mut Vec<String>) -> Mapped<ApplicationServer> {
	number("id", server.id)?;
	if server.server_name.is_empty() {
		return Err("it has no server name".into());
	}
	if server.sh {
		notes.push(format!(
			"application_server {}: its Sh permissions are not imported (the ledger grants them per realm: access.authorize_application_server)",
			server.id
		));
	}
	Ok(ApplicationServer {
		server_name: bounded("server name", NAME, &server.server_name)?,
		default_handling: match server.default_handling {
			0 => DefaultHandling::SessionContinued,
			1 => DefaultHandling::SessionTerminated,
			other => return Err(format!("its default handling {other} is neither 0 nor 1")),
		},
		service_info: optional("service information", TEXT, Some(&server.service_info))?,
		include_register_request: server.include_register_request,
		include_register_response: server.include_register_response,
	})
}

fn charging_information(charging: &Charging) -> Mapped<ChargingInformation> {
	number("id", charging.id)?;
	let info = ChargingInformation {
		primary_ecf: optional("primary ECF", NAME, Some(&charging.pri_ecf))?,
		secondary_ecf: optional("secondary ECF", NAME, Some(&charging.sec_ecf))?,
		primary_ccf: optional("primary CCF", NAME, Some(&charging.pri_ccf))?,
		secondary_ccf: optional("secondary CCF", NAME, Some(&charging.sec_ccf))?,
	};
	if info.is_empty() {
		return Err("it names no charging function".into());
	}
	Ok(info)
}

/// The criteria `(ifc id, priority)`, in priority order.
fn criteria(
	members: &[(i64, i64)],
	ifcs: &BTreeMap<i64, &Ifc>,
	rows: &ServiceRows,
	out: &Services,
) -> Mapped<ims_primitives::Ifcs> {
	let mut criteria = Vec::with_capacity(members.len());
	for (ifc, priority) in members {
		let Some(row) = ifcs.get(ifc) else {
			return Err(format!("ifc {ifc} does not exist"));
		};
		let criterion =
			criterion(row, *priority, rows, out).map_err(|why| format!("ifc {ifc}: {why}"))?;
		criteria.push(criterion);
	}
	criteria.sort_by_key(|c| c.priority);
	let count = criteria.len();
	criteria
		.try_into()
		.map_err(|_| format!("it has {count} iFCs, more than the ledger's {}", MAX_IFCS))
}

fn criterion(
	ifc: &Ifc,
	priority: i64,
	rows: &ServiceRows,
	out: &Services,
) -> Mapped<InitialFilterCriterion> {
	let Some(server) = ifc.id_application_server else {
		return Err("it names no application server".into());
	};
	if !out.servers.contains_key(&number("application server", server)?) {
		return Err(format!("its application server {server} was not imported"));
	}
	let trigger_point = match ifc.id_tp {
		None => None,
		Some(tp) => Some(trigger_point(tp, ifc.cnf, rows)?),
	};
	Ok(InitialFilterCriterion {
		priority: number("priority", priority)?,
		trigger_point,
		application_server: id(server),
		profile_part: match ifc.profile_part {
			None | Some(-1) => None,
			Some(0) => Some(ProfilePart::Registered),
			Some(1) => Some(ProfilePart::Unregistered),
			Some(other) => return Err(format!("its profile part {other} is none of -1, 0, 1")),
		},
	})
}

fn trigger_point(tp: i64, cnf: Option<bool>, rows: &ServiceRows) -> Mapped<TriggerPoint> {
	let Some(cnf) = cnf else {
		return Err(format!("its trigger point {tp} does not exist"));
	};
	let spts = rows
		.spts
		.iter()
		.filter(|spt| spt.id_tp == tp)
		.map(|spt| service_point_trigger(spt).map_err(|why| format!("spt {}: {why}", spt.id)))
		.collect::<Mapped<Vec<_>>>()?;
	if spts.is_empty() {
		return Err(format!("its trigger point {tp} has no service point trigger"));
	}
	let count = spts.len();
	let spts = spts.try_into().map_err(|_| {
		format!("its trigger point {tp} has {count} triggers, more than the ledger's {}", MAX_SPTS)
	})?;
	Ok(TriggerPoint { condition_type_cnf: cnf, spts })
}

fn service_point_trigger(spt: &Spt) -> Mapped<ServicePointTrigger> {
	let required =
		|what: &str, value: &Option<String>| match value.as_deref().filter(|v| !v.is_empty()) {
			Some(value) => Ok(value.to_string()),
			None => Err(format!("it has no {what}")),
		};
	let condition = match spt.kind {
		0 => SptCondition::RequestUri(bounded(
			"Request-URI",
			TEXT,
			&required("Request-URI", &spt.request_uri)?,
		)?),
		1 => SptCondition::Method(bounded("method", TOKEN, &required("method", &spt.method)?)?),
		2 => SptCondition::SipHeader {
			header: bounded("header", TOKEN, &required("header", &spt.header)?)?,
			content: optional("header content", TEXT, spt.header_content.as_deref())?,
		},
		3 => SptCondition::SessionCase(match spt.session_case {
			Some(0) => SessionCase::Originating,
			Some(1) => SessionCase::TerminatingRegistered,
			Some(2) => SessionCase::TerminatingUnregistered,
			Some(3) => SessionCase::OriginatingUnregistered,
			Some(4) => SessionCase::OriginatingCdiv,
			other => return Err(format!("its session case {other:?} is none of 0 to 4")),
		}),
		4 => SptCondition::SessionDescription {
			line: bounded("SDP line", TOKEN, &required("SDP line", &spt.sdp_line)?)?,
			content: optional("SDP line content", TEXT, spt.sdp_line_content.as_deref())?,
		},
		other => return Err(format!("its type {other} is none of 0 to 4")),
	};
	let group = number("group", spt.group)?;
	Ok(ServicePointTrigger {
		negated: spt.negated,
		groups: vec![group].try_into().map_err(|_| "no room for its group".to_string())?,
		condition,
	})
}

fn service_profile(
	profile: &Profile,
	ifcs: &BTreeMap<i64, &Ifc>,
	rows: &ServiceRows,
	out: &Services,
) -> Mapped<ServiceProfile> {
	number("id", profile.id)?;
	let own: Vec<(i64, i64)> = rows
		.profile_ifcs
		.iter()
		.filter(|(sp, ..)| *sp == profile.id)
		.map(|(_, ifc, priority)| (*ifc, *priority))
		.collect();
	let mut shared = Vec::new();
	for (_, set) in rows.profile_shared.iter().filter(|(sp, _)| *sp == profile.id) {
		let set = number("shared iFC set", *set)?;
		if !out.ifc_sets.contains_key(&set) {
			return Err(format!("its shared iFC set {set} was not imported"));
		}
		shared.push(set);
	}
	let count = shared.len();
	Ok(ServiceProfile {
		name: bounded("name", NAME, &profile.name)?,
		ifcs: criteria(&own, ifcs, rows, out)?,
		shared_ifc_sets: shared.try_into().map_err(|_| {
			format!(
				"it has {count} shared iFC sets, more than the ledger's {}",
				MAX_SHARED_IFC_SETS
			)
		})?,
		subscribed_media_profile: match profile.cn_service_auth {
			None => None,
			Some(value) => Some(number("subscribed media profile", value)?),
		},
	})
}

/// Registration types of REGISTER triggers (initial, re-, de-registration)
/// have no place in the ledger's trigger: said once per trigger.
fn notes_of_triggers(rows: &ServiceRows, notes: &mut Vec<String>) {
	for spt in rows.spts.iter().filter(|spt| spt.registration_type != 0) {
		notes.push(format!(
			"spt {}: its registration type {} is not kept: the trigger matches every REGISTER",
			spt.id, spt.registration_type
		));
	}
}

#[cfg(test)]
mod tests;

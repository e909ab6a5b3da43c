//! FHoSS service rows as the ledger's realm service data.

use super::*;

fn spt(id: i64, group: i64, kind: i64) -> Spt {
	Spt {
		id,
		id_tp: 1,
		negated: false,
		group,
		kind,
		request_uri: None,
		method: None,
		header: None,
		header_content: None,
		session_case: None,
		sdp_line: None,
		sdp_line_content: None,
		registration_type: 0,
	}
}

/// The service data of FHoSS's own sample database: one presence server,
/// a trigger point on PUBLISH or SUBSCRIBE with an Event header, one iFC,
/// one profile, one shared set.
fn sample() -> ServiceRows {
	let publish = Spt { method: Some("PUBLISH".into()), ..spt(2, 0, 1) };
	let event = Spt {
		header: Some("Event".into()),
		header_content: Some(".*presence.*".into()),
		..spt(5, 0, 2)
	};
	let originating = Spt { session_case: Some(0), ..spt(6, 0, 3) };
	ServiceRows {
		servers: vec![Server {
			id: 1,
			server_name: "sip:127.0.0.1:5065".into(),
			default_handling: 0,
			service_info: String::new(),
			include_register_request: false,
			include_register_response: true,
			sh: true,
		}],
		charging: vec![Charging {
			id: 1,
			pri_ecf: String::new(),
			sec_ecf: String::new(),
			pri_ccf: "pri_ccf_address".into(),
			sec_ccf: String::new(),
		}],
		spts: vec![publish, event, originating],
		ifcs: vec![Ifc {
			id: 1,
			id_application_server: Some(1),
			id_tp: Some(1),
			cnf: Some(false),
			profile_part: Some(-1),
		}],
		profiles: vec![Profile { id: 1, name: "default_sp".into(), cn_service_auth: Some(0) }],
		profile_ifcs: vec![(1, 1, 0)],
		shared: vec![(1, 1, 0)],
		profile_shared: vec![(1, 1)],
	}
}

fn bytes<T: TryFrom<Vec<u8>>>(value: &str) -> T {
	match T::try_from(value.as_bytes().to_vec()) {
		Ok(t) => t,
		Err(_) => panic!("{value} is too long"),
	}
}

#[test]
fn fhoss_sample_service_data_is_the_realms() {
	let services = services(&sample());
	assert!(services.refused.is_empty(), "{:?}", services.refused);
	assert_eq!(services.notes, ["application_server 1: its Sh permissions are not imported (the ledger grants them per realm: access.authorize_application_server)"]);
	let server = &services.servers[&1];
	assert_eq!(server.server_name, bytes::<ims_primitives::Name>("sip:127.0.0.1:5065"));
	assert_eq!(server.default_handling, DefaultHandling::SessionContinued);
	assert_eq!((server.service_info.is_none(), server.include_register_response), (true, true));
	let charging = &services.charging[&1];
	assert_eq!(charging.primary_ccf, Some(bytes("pri_ccf_address")));
	assert!(charging.primary_ecf.is_none());
	let profile = &services.profiles[&1];
	assert_eq!(profile.name, bytes::<ims_primitives::Name>("default_sp"));
	assert_eq!(profile.subscribed_media_profile, Some(0));
	assert_eq!(profile.shared_ifc_sets.to_vec(), [1]);
	let ifc = &profile.ifcs[0];
	assert_eq!((ifc.priority, ifc.application_server, ifc.profile_part), (0, 1, None));
	let trigger = ifc.trigger_point.as_ref().unwrap();
	assert!(!trigger.condition_type_cnf);
	let conditions: Vec<_> =
		trigger.spts.iter().map(|s| (s.groups.to_vec(), s.condition.clone())).collect();
	assert_eq!(
		conditions,
		[
			(vec![0], SptCondition::Method(bytes("PUBLISH"))),
			(
				vec![0],
				SptCondition::SipHeader {
					header: bytes("Event"),
					content: Some(bytes(".*presence.*"))
				}
			),
			(vec![0], SptCondition::SessionCase(SessionCase::Originating)),
		]
	);
	assert_eq!(services.ifc_sets[&1].to_vec(), profile.ifcs.to_vec());
}

#[test]
fn what_cannot_be_expressed_is_refused_with_what_needs_it() {
	let mut rows = sample();
	// A trigger of a type FHoSS never wrote refuses its iFC, so the shared
	// set and the profile that hold it.
	rows.spts.push(spt(9, 1, 7));
	rows.charging[0].pri_ccf.clear();
	rows.servers.push(Server { id: 2, server_name: String::new(), ..sample().servers.remove(0) });
	let services = services(&rows);
	let refused: Vec<_> = services.refused.iter().map(ToString::to_string).collect();
	assert_eq!(
		refused,
		[
			"application_server 2: it has no server name",
			"charging_info 1: it names no charging function",
			"shared_ifc_set 1: ifc 1: spt 9: its type 7 is none of 0 to 4",
			"sp 1: its shared iFC set 1 was not imported",
		]
	);
	assert!(services.profiles.is_empty() && services.ifc_sets.is_empty());
	assert_eq!(services.servers.len(), 1);
}

#[test]
fn an_ifc_needs_its_server_and_its_trigger_point() {
	let mut rows = sample();
	rows.profile_shared.clear();
	rows.ifcs[0].id_application_server = Some(5);
	let refused = services(&rows).refused;
	assert_eq!(refused[1].to_string(), "sp 1: ifc 1: its application server 5 was not imported");
	let mut rows = sample();
	rows.profile_shared.clear();
	rows.ifcs[0].cnf = None;
	let refused = services(&rows).refused;
	assert_eq!(refused[1].to_string(), "sp 1: ifc 1: its trigger point 1 does not exist");
	// No trigger point at all: unconditional.
	let mut rows = sample();
	rows.ifcs[0].id_tp = None;
	rows.ifcs[0].profile_part = Some(1);
	let services = services(&rows);
	let ifc = &services.profiles[&1].ifcs[0];
	assert_eq!(
		(ifc.trigger_point.is_none(), ifc.profile_part),
		(true, Some(ProfilePart::Unregistered))
	);
}

#[test]
fn register_triggers_lose_their_registration_type_with_a_note() {
	let mut rows = sample();
	rows.spts[0].registration_type = 3;
	let notes = services(&rows).notes;
	assert_eq!(
		notes[1],
		"spt 2: its registration type 3 is not kept: the trigger matches every REGISTER"
	);
}

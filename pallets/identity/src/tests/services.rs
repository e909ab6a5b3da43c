//! Tests of realm service data: application servers, charging, iFC sets, service profiles.

use super::*;

fn put_server(origin: RuntimeOrigin, realm: u32, uri: &str) -> DispatchResult {
	Identity::put_application_server(origin, realm, AS, server(uri))
}

#[test]
fn put_application_server_refuses_an_unsigned_origin() {
	given(genesis, || {
		assert_noop!(put_server(none(), REALM, "sip:as"), DispatchError::BadOrigin);
	});
}

#[test]
fn put_application_server_refuses_an_unknown_realm() {
	given(genesis, || {
		assert_noop!(put_server(root(), 9, "sip:as"), Error::<Test>::RealmNotFound);
	});
}

#[test]
fn put_application_server_refuses_a_provisioner() {
	given(genesis, || {
		// Provisioning subscribers does not imply managing services.
		assert_noop!(
			put_server(signed(PROVISIONER), REALM, "sip:as"),
			Error::<Test>::NotAuthorized
		);
	});
}

#[test]
fn put_application_server_refuses_an_empty_server_name() {
	given(genesis, || {
		assert_noop!(put_server(root(), REALM, ""), Error::<Test>::EmptyServerName);
	});
}

#[test]
fn put_application_server_by_the_owner_stores_counts_emits_and_audits() {
	given(genesis, || {
		assert_ok!(put_server(signed(OWNER), REALM, "sip:as"));
		assert_eq!(
			ApplicationServers::<Test>::get(REALM, AS),
			Some(Shared { value: server("sip:as"), users: 0 })
		);
		assert_eq!(Realms::<Test>::get(REALM).unwrap().services, 1);
		assert_eq!(
			events(),
			vec![Event::ApplicationServerStored { realm: REALM, application_server: AS }]
		);
		assert_eq!(
			take_audit(),
			vec![(Some(OWNER), REALM, Subject::ApplicationServer(AS), Change::Created)]
		);
	});
}

#[test]
fn put_application_server_again_replaces_it_and_keeps_its_users() {
	given(genesis, || {
		assert_ok!(put_server(signed(OWNER), REALM, "sip:as"));
		assert_ok!(Identity::put_ifc_set(root(), REALM, IFC_SET, ifcs(vec![ifc(1, AS)])));
		System::reset_events();
		take_audit();
		assert_ok!(put_server(signed(OWNER), REALM, "sip:as2"));
		assert_eq!(
			ApplicationServers::<Test>::get(REALM, AS),
			Some(Shared { value: server("sip:as2"), users: 1 })
		);
		// The server and the iFC set: the server is not counted twice.
		assert_eq!(Realms::<Test>::get(REALM).unwrap().services, 2);
		assert_eq!(
			events(),
			vec![Event::ApplicationServerStored { realm: REALM, application_server: AS }]
		);
		assert_eq!(
			take_audit(),
			vec![(Some(OWNER), REALM, Subject::ApplicationServer(AS), Change::Updated)]
		);
	});
}

/// Application server AS, used by iFC set IFC_SET.
fn server_in_use() {
	assert_ok!(put_server(root(), REALM, "sip:as"));
	assert_ok!(Identity::put_ifc_set(root(), REALM, IFC_SET, ifcs(vec![ifc(1, AS)])));
	System::reset_events();
	take_audit();
}

fn remove_server(origin: RuntimeOrigin, realm: u32, id: u32) -> DispatchResult {
	Identity::remove_application_server(origin, realm, id)
}

#[test]
fn remove_application_server_refuses_an_unsigned_origin() {
	given(server_in_use, || {
		assert_noop!(remove_server(none(), REALM, AS), DispatchError::BadOrigin);
	});
}

#[test]
fn remove_application_server_refuses_an_unknown_realm() {
	given(server_in_use, || {
		assert_noop!(remove_server(root(), 9, AS), Error::<Test>::RealmNotFound);
	});
}

#[test]
fn remove_application_server_refuses_a_provisioner() {
	given(server_in_use, || {
		assert_noop!(remove_server(signed(PROVISIONER), REALM, AS), Error::<Test>::NotAuthorized);
	});
}

#[test]
fn remove_application_server_refuses_an_unknown_server() {
	given(server_in_use, || {
		assert_noop!(remove_server(root(), REALM, AS2), Error::<Test>::ApplicationServerNotFound);
	});
}

#[test]
fn remove_application_server_refuses_a_server_in_use() {
	given(server_in_use, || {
		assert_noop!(remove_server(root(), REALM, AS), Error::<Test>::InUse);
	});
}

#[test]
fn remove_application_server_by_the_owner_erases_counts_and_emits() {
	given(server_in_use, || {
		assert_ok!(Identity::remove_ifc_set(root(), REALM, IFC_SET));
		System::reset_events();
		assert_ok!(remove_server(signed(OWNER), REALM, AS));
		assert!(ApplicationServers::<Test>::get(REALM, AS).is_none());
		assert_eq!(Realms::<Test>::get(REALM).unwrap().services, 0);
		assert_eq!(
			events(),
			vec![Event::ApplicationServerRemoved { realm: REALM, application_server: AS }]
		);
	});
}

fn put_charging(origin: RuntimeOrigin, realm: u32, value: ChargingInformation) -> DispatchResult {
	Identity::put_charging_information(origin, realm, CHARGING, value)
}

#[test]
fn put_charging_information_refuses_an_unsigned_origin() {
	given(genesis, || {
		assert_noop!(put_charging(none(), REALM, charging()), DispatchError::BadOrigin);
	});
}

#[test]
fn put_charging_information_refuses_an_unknown_realm() {
	given(genesis, || {
		assert_noop!(put_charging(root(), 9, charging()), Error::<Test>::RealmNotFound);
	});
}

#[test]
fn put_charging_information_refuses_a_provisioner() {
	given(genesis, || {
		assert_noop!(
			put_charging(signed(PROVISIONER), REALM, charging()),
			Error::<Test>::NotAuthorized
		);
	});
}

#[test]
fn put_charging_information_refuses_no_function_address() {
	given(genesis, || {
		let empty = ChargingInformation {
			primary_ecf: None,
			secondary_ecf: None,
			primary_ccf: None,
			secondary_ccf: None,
		};
		assert_noop!(put_charging(root(), REALM, empty), Error::<Test>::EmptyChargingInformation);
	});
}

#[test]
fn put_charging_information_by_the_owner_stores_emits_and_audits() {
	given(genesis, || {
		assert_ok!(put_charging(signed(OWNER), REALM, charging()));
		assert_eq!(
			ChargingInfos::<Test>::get(REALM, CHARGING),
			Some(Shared { value: charging(), users: 0 })
		);
		assert_eq!(
			events(),
			vec![Event::ChargingInformationStored { realm: REALM, charging: CHARGING }]
		);
		assert_eq!(
			take_audit(),
			vec![(Some(OWNER), REALM, Subject::Charging(CHARGING), Change::Created)]
		);
	});
}

/// Charging information CHARGING in REALM, used by nobody.
fn stored_charging() {
	assert_ok!(put_charging(root(), REALM, charging()));
	System::reset_events();
	take_audit();
}

fn remove_charging(origin: RuntimeOrigin, realm: u32, id: u32) -> DispatchResult {
	Identity::remove_charging_information(origin, realm, id)
}

#[test]
fn remove_charging_information_refuses_an_unsigned_origin() {
	given(stored_charging, || {
		assert_noop!(remove_charging(none(), REALM, CHARGING), DispatchError::BadOrigin);
	});
}

#[test]
fn remove_charging_information_refuses_an_unknown_realm() {
	given(stored_charging, || {
		assert_noop!(remove_charging(root(), 9, CHARGING), Error::<Test>::RealmNotFound);
	});
}

#[test]
fn remove_charging_information_refuses_a_provisioner() {
	given(stored_charging, || {
		assert_noop!(
			remove_charging(signed(PROVISIONER), REALM, CHARGING),
			Error::<Test>::NotAuthorized
		);
	});
}

#[test]
fn remove_charging_information_refuses_unknown_information() {
	given(stored_charging, || {
		assert_noop!(remove_charging(root(), REALM, 99), Error::<Test>::ChargingNotFound);
	});
}

#[test]
fn remove_charging_information_refuses_information_in_use() {
	given(stored_charging, || {
		ChargingInfos::<Test>::mutate(REALM, CHARGING, |entry| entry.as_mut().unwrap().users = 1);
		assert_noop!(remove_charging(root(), REALM, CHARGING), Error::<Test>::InUse);
		// Back to the truth for the invariant checks after the test.
		ChargingInfos::<Test>::mutate(REALM, CHARGING, |entry| entry.as_mut().unwrap().users = 0);
	});
}

#[test]
fn remove_charging_information_by_the_owner_erases_and_emits() {
	given(stored_charging, || {
		assert_ok!(remove_charging(signed(OWNER), REALM, CHARGING));
		assert!(ChargingInfos::<Test>::get(REALM, CHARGING).is_none());
		assert_eq!(
			events(),
			vec![Event::ChargingInformationRemoved { realm: REALM, charging: CHARGING }]
		);
	});
}

/// Application servers AS and AS2 in REALM.
fn two_servers() {
	assert_ok!(Identity::put_application_server(root(), REALM, AS, server("sip:as")));
	assert_ok!(Identity::put_application_server(root(), REALM, AS2, server("sip:as2")));
	System::reset_events();
	take_audit();
}

fn put_set(origin: RuntimeOrigin, realm: u32, list: Vec<InitialFilterCriterion>) -> DispatchResult {
	Identity::put_ifc_set(origin, realm, IFC_SET, ifcs(list))
}

/// An iFC whose trigger point has no service point trigger.
fn empty_trigger() -> InitialFilterCriterion {
	let mut empty = ifc(1, AS);
	if let Some(trigger) = empty.trigger_point.as_mut() {
		trigger.spts = BoundedVec::default();
	}
	empty
}

#[test]
fn put_ifc_set_refuses_an_unsigned_origin() {
	given(two_servers, || {
		assert_noop!(put_set(none(), REALM, vec![ifc(1, AS)]), DispatchError::BadOrigin);
	});
}

#[test]
fn put_ifc_set_refuses_an_unknown_realm() {
	given(two_servers, || {
		assert_noop!(put_set(root(), 9, vec![ifc(1, AS)]), Error::<Test>::RealmNotFound);
	});
}

#[test]
fn put_ifc_set_refuses_a_provisioner() {
	given(two_servers, || {
		assert_noop!(
			put_set(signed(PROVISIONER), REALM, vec![ifc(1, AS)]),
			Error::<Test>::NotAuthorized
		);
	});
}

#[test]
fn put_ifc_set_refuses_a_priority_twice() {
	given(two_servers, || {
		assert_noop!(
			put_set(root(), REALM, vec![ifc(1, AS), ifc(1, AS2)]),
			Error::<Test>::DuplicatePriority
		);
	});
}

#[test]
fn put_ifc_set_refuses_an_unknown_application_server() {
	given(two_servers, || {
		assert_noop!(
			put_set(root(), REALM, vec![ifc(1, 99)]),
			Error::<Test>::ApplicationServerNotFound
		);
	});
}

#[test]
fn put_ifc_set_refuses_an_empty_trigger_point() {
	given(two_servers, || {
		assert_noop!(
			put_set(root(), REALM, vec![empty_trigger()]),
			Error::<Test>::EmptyTriggerPoint
		);
	});
}

#[test]
fn put_ifc_set_by_the_owner_counts_server_references_emits_and_audits() {
	given(two_servers, || {
		assert_ok!(put_set(signed(OWNER), REALM, vec![ifc(1, AS), ifc(2, AS)]));
		assert_eq!(users_of_server(AS), 2);
		assert_eq!(events(), vec![Event::IfcSetStored { realm: REALM, ifc_set: IFC_SET }]);
		assert_eq!(
			take_audit(),
			vec![(Some(OWNER), REALM, Subject::IfcSet(IFC_SET), Change::Created)]
		);
	});
}

#[test]
fn put_ifc_set_again_moves_the_server_references() {
	given(two_servers, || {
		assert_ok!(put_set(signed(OWNER), REALM, vec![ifc(1, AS), ifc(2, AS)]));
		System::reset_events();
		take_audit();
		assert_ok!(put_set(signed(OWNER), REALM, vec![ifc(1, AS2)]));
		assert_eq!(events(), vec![Event::IfcSetStored { realm: REALM, ifc_set: IFC_SET }]);
		assert_eq!((users_of_server(AS), users_of_server(AS2)), (0, 1));
		assert_eq!(
			IfcSets::<Test>::get(REALM, IFC_SET),
			Some(Shared { value: ifcs(vec![ifc(1, AS2)]), users: 0 })
		);
		assert_eq!(
			take_audit(),
			vec![(Some(OWNER), REALM, Subject::IfcSet(IFC_SET), Change::Updated)]
		);
	});
}

/// `two_servers()` and iFC set IFC_SET, used by service profile PROFILE.
fn set_in_use() {
	two_servers();
	assert_ok!(put_set(root(), REALM, vec![ifc(1, AS2)]));
	assert_ok!(Identity::put_service_profile(
		root(),
		REALM,
		PROFILE,
		profile(vec![], vec![IFC_SET])
	));
	System::reset_events();
	take_audit();
}

fn remove_set(origin: RuntimeOrigin, realm: u32, id: u32) -> DispatchResult {
	Identity::remove_ifc_set(origin, realm, id)
}

#[test]
fn remove_ifc_set_refuses_an_unsigned_origin() {
	given(set_in_use, || {
		assert_noop!(remove_set(none(), REALM, IFC_SET), DispatchError::BadOrigin);
	});
}

#[test]
fn remove_ifc_set_refuses_an_unknown_realm() {
	given(set_in_use, || {
		assert_noop!(remove_set(root(), 9, IFC_SET), Error::<Test>::RealmNotFound);
	});
}

#[test]
fn remove_ifc_set_refuses_a_provisioner() {
	given(set_in_use, || {
		assert_noop!(remove_set(signed(PROVISIONER), REALM, IFC_SET), Error::<Test>::NotAuthorized);
	});
}

#[test]
fn remove_ifc_set_refuses_an_unknown_set() {
	given(set_in_use, || {
		assert_noop!(remove_set(root(), REALM, 99), Error::<Test>::IfcSetNotFound);
	});
}

#[test]
fn remove_ifc_set_refuses_a_set_in_use() {
	given(set_in_use, || {
		assert_noop!(remove_set(root(), REALM, IFC_SET), Error::<Test>::InUse);
	});
}

#[test]
fn remove_ifc_set_by_the_owner_erases_releases_its_servers_and_emits() {
	given(set_in_use, || {
		assert_ok!(Identity::remove_service_profile(root(), REALM, PROFILE));
		System::reset_events();
		assert_ok!(remove_set(signed(OWNER), REALM, IFC_SET));
		assert!(IfcSets::<Test>::get(REALM, IFC_SET).is_none());
		assert_eq!(users_of_server(AS2), 0);
		assert_eq!(events(), vec![Event::IfcSetRemoved { realm: REALM, ifc_set: IFC_SET }]);
	});
}

/// Application server AS and iFC set IFC_SET (one iFC on AS) in REALM.
fn server_and_set() {
	assert_ok!(Identity::put_application_server(root(), REALM, AS, server("sip:as")));
	assert_ok!(Identity::put_ifc_set(root(), REALM, IFC_SET, ifcs(vec![ifc(5, AS)])));
	System::reset_events();
	take_audit();
}

fn put_profile(origin: RuntimeOrigin, realm: u32, value: ServiceProfile) -> DispatchResult {
	Identity::put_service_profile(origin, realm, PROFILE, value)
}

/// One iFC of its own on AS, and the shared set IFC_SET.
fn good() -> ServiceProfile {
	profile(vec![ifc(1, AS)], vec![IFC_SET])
}

#[test]
fn put_service_profile_refuses_an_unsigned_origin() {
	given(server_and_set, || {
		assert_noop!(put_profile(none(), REALM, good()), DispatchError::BadOrigin);
	});
}

#[test]
fn put_service_profile_refuses_an_unknown_realm() {
	given(server_and_set, || {
		assert_noop!(put_profile(root(), 9, good()), Error::<Test>::RealmNotFound);
	});
}

#[test]
fn put_service_profile_refuses_a_provisioner() {
	given(server_and_set, || {
		assert_noop!(put_profile(signed(PROVISIONER), REALM, good()), Error::<Test>::NotAuthorized);
	});
}

#[test]
fn put_service_profile_refuses_an_empty_name() {
	given(server_and_set, || {
		assert_noop!(
			put_profile(root(), REALM, ServiceProfile { name: name(""), ..good() }),
			Error::<Test>::EmptyName
		);
	});
}

#[test]
fn put_service_profile_refuses_a_priority_twice() {
	given(server_and_set, || {
		assert_noop!(
			put_profile(root(), REALM, profile(vec![ifc(1, AS), ifc(1, AS)], vec![])),
			Error::<Test>::DuplicatePriority
		);
	});
}

#[test]
fn put_service_profile_refuses_an_unknown_application_server() {
	given(server_and_set, || {
		assert_noop!(
			put_profile(root(), REALM, profile(vec![ifc(1, 99)], vec![])),
			Error::<Test>::ApplicationServerNotFound
		);
	});
}

#[test]
fn put_service_profile_refuses_an_empty_trigger_point() {
	given(server_and_set, || {
		assert_noop!(
			put_profile(root(), REALM, profile(vec![empty_trigger()], vec![])),
			Error::<Test>::EmptyTriggerPoint
		);
	});
}

#[test]
fn put_service_profile_refuses_a_shared_set_twice() {
	given(server_and_set, || {
		assert_noop!(
			put_profile(root(), REALM, profile(vec![], vec![IFC_SET, IFC_SET])),
			Error::<Test>::DuplicateIfcSet
		);
	});
}

#[test]
fn put_service_profile_refuses_an_unknown_shared_set() {
	given(server_and_set, || {
		assert_noop!(
			put_profile(root(), REALM, profile(vec![], vec![99])),
			Error::<Test>::IfcSetNotFound
		);
	});
}

#[test]
fn put_service_profile_does_not_resolve_another_realms_data() {
	given(server_and_set, || {
		assert_noop!(
			put_profile(root(), OTHER_REALM, good()),
			Error::<Test>::ApplicationServerNotFound
		);
	});
}

#[test]
fn put_service_profile_by_the_owner_counts_references_emits_and_audits() {
	given(server_and_set, || {
		assert_ok!(put_profile(signed(OWNER), REALM, good()));
		assert_eq!(
			ServiceProfiles::<Test>::get(REALM, PROFILE),
			Some(Shared { value: good(), users: 0 })
		);
		// AS: once by the set, once by the profile's own iFC.
		assert_eq!(users_of_server(AS), 2);
		assert_eq!(IfcSets::<Test>::get(REALM, IFC_SET).unwrap().users, 1);
		assert_eq!(events(), vec![Event::ServiceProfileStored { realm: REALM, profile: PROFILE }]);
		assert_eq!(
			take_audit(),
			vec![(Some(OWNER), REALM, Subject::ServiceProfile(PROFILE), Change::Created)]
		);
	});
}

#[test]
fn put_service_profile_again_releases_the_old_references() {
	given(server_and_set, || {
		assert_ok!(put_profile(signed(OWNER), REALM, good()));
		System::reset_events();
		take_audit();
		assert_ok!(put_profile(signed(OWNER), REALM, profile(vec![], vec![])));
		assert_eq!(users_of_server(AS), 1);
		assert_eq!(IfcSets::<Test>::get(REALM, IFC_SET).unwrap().users, 0);
		assert_eq!(events(), vec![Event::ServiceProfileStored { realm: REALM, profile: PROFILE }]);
		assert_eq!(
			take_audit(),
			vec![(Some(OWNER), REALM, Subject::ServiceProfile(PROFILE), Change::Updated)]
		);
	});
}

/// `server_and_set()` and profile PROFILE, used by IMPU of subscription SUB.
fn profile_in_use() {
	server_and_set();
	assert_ok!(put_profile(root(), REALM, good()));
	assert_ok!(Identity::create_subscription(root(), REALM, SUB));
	assert_ok!(Identity::create_impu(
		root(),
		SUB,
		IMPU,
		ImpuAttributes { charging: None, ..attributes(None) }
	));
	System::reset_events();
	take_audit();
}

fn remove_profile(origin: RuntimeOrigin, realm: u32, id: u32) -> DispatchResult {
	Identity::remove_service_profile(origin, realm, id)
}

#[test]
fn remove_service_profile_refuses_an_unsigned_origin() {
	given(profile_in_use, || {
		assert_noop!(remove_profile(none(), REALM, PROFILE), DispatchError::BadOrigin);
	});
}

#[test]
fn remove_service_profile_refuses_an_unknown_realm() {
	given(profile_in_use, || {
		assert_noop!(remove_profile(root(), 9, PROFILE), Error::<Test>::RealmNotFound);
	});
}

#[test]
fn remove_service_profile_refuses_a_provisioner() {
	given(profile_in_use, || {
		assert_noop!(
			remove_profile(signed(PROVISIONER), REALM, PROFILE),
			Error::<Test>::NotAuthorized
		);
	});
}

#[test]
fn remove_service_profile_refuses_an_unknown_profile() {
	given(profile_in_use, || {
		assert_noop!(remove_profile(root(), REALM, 99), Error::<Test>::ProfileNotFound);
	});
}

#[test]
fn remove_service_profile_refuses_a_profile_in_use() {
	given(profile_in_use, || {
		assert_noop!(remove_profile(root(), REALM, PROFILE), Error::<Test>::InUse);
	});
}

#[test]
fn remove_service_profile_by_the_owner_erases_and_emits() {
	given(profile_in_use, || {
		assert_ok!(Identity::remove_impu(root(), IMPU));
		System::reset_events();
		assert_ok!(remove_profile(signed(OWNER), REALM, PROFILE));
		assert!(ServiceProfiles::<Test>::get(REALM, PROFILE).is_none());
		assert_eq!(events(), vec![Event::ServiceProfileRemoved { realm: REALM, profile: PROFILE }]);
	});
}

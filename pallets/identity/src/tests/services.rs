//! Tests of realm service data: application servers, charging, iFC sets, service profiles.

use super::*;

#[test]
fn application_servers_work() {
	ExtBuilder::build_and_execute(|| {
		let put = |origin, realm, uri: &str| {
			Identity::put_application_server(origin, realm, AS, server(uri))
		};
		assert_noop!(put(none(), REALM, "sip:as"), DispatchError::BadOrigin);
		assert_noop!(put(root(), 9, "sip:as"), Error::<Test>::RealmNotFound);
		// Provisioning subscribers does not imply managing services.
		assert_noop!(put(signed(PROVISIONER), REALM, "sip:as"), Error::<Test>::NotAuthorized);
		assert_noop!(put(root(), REALM, ""), Error::<Test>::EmptyServerName);
		assert_ok!(put(signed(OWNER), REALM, "sip:as"));
		assert_eq!(
			ApplicationServers::<Test>::get(REALM, AS),
			Some(Shared { value: server("sip:as"), users: 0 })
		);
		assert_eq!(Realms::<Test>::get(REALM).unwrap().services, 1);
		// Replacing keeps the users and does not count twice.
		assert_ok!(Identity::put_ifc_set(root(), REALM, IFC_SET, ifcs(vec![ifc(1, AS)])));
		assert_ok!(put(signed(OWNER), REALM, "sip:as2"));
		assert_eq!(
			ApplicationServers::<Test>::get(REALM, AS),
			Some(Shared { value: server("sip:as2"), users: 1 })
		);
		assert_eq!(Realms::<Test>::get(REALM).unwrap().services, 2);
		assert_eq!(
			events(),
			vec![
				Event::ApplicationServerStored { realm: REALM, application_server: AS },
				Event::IfcSetStored { realm: REALM, ifc_set: IFC_SET },
				Event::ApplicationServerStored { realm: REALM, application_server: AS },
			]
		);
		let audit = take_audit();
		assert_eq!(audit[0], (Some(OWNER), REALM, Subject::ApplicationServer(AS), Change::Created));
		assert_eq!(audit[2], (Some(OWNER), REALM, Subject::ApplicationServer(AS), Change::Updated));

		let remove = |origin, realm, id| Identity::remove_application_server(origin, realm, id);
		assert_noop!(remove(none(), REALM, AS), DispatchError::BadOrigin);
		assert_noop!(remove(root(), 9, AS), Error::<Test>::RealmNotFound);
		assert_noop!(remove(signed(PROVISIONER), REALM, AS), Error::<Test>::NotAuthorized);
		assert_noop!(remove(root(), REALM, AS2), Error::<Test>::ApplicationServerNotFound);
		assert_noop!(remove(root(), REALM, AS), Error::<Test>::InUse);
		assert_ok!(Identity::remove_ifc_set(root(), REALM, IFC_SET));
		System::reset_events();
		assert_ok!(remove(signed(OWNER), REALM, AS));
		assert!(ApplicationServers::<Test>::get(REALM, AS).is_none());
		assert_eq!(Realms::<Test>::get(REALM).unwrap().services, 0);
		assert_eq!(
			events(),
			vec![Event::ApplicationServerRemoved { realm: REALM, application_server: AS }]
		);
	});
}

#[test]
fn charging_information_works() {
	ExtBuilder::build_and_execute(|| {
		let put = |origin, realm, charging| {
			Identity::put_charging_information(origin, realm, CHARGING, charging)
		};
		assert_noop!(put(none(), REALM, charging()), DispatchError::BadOrigin);
		assert_noop!(put(root(), 9, charging()), Error::<Test>::RealmNotFound);
		assert_noop!(put(signed(PROVISIONER), REALM, charging()), Error::<Test>::NotAuthorized);
		let empty = ChargingInformation {
			primary_ecf: None,
			secondary_ecf: None,
			primary_ccf: None,
			secondary_ccf: None,
		};
		assert_noop!(put(root(), REALM, empty), Error::<Test>::EmptyChargingInformation);
		assert_ok!(put(signed(OWNER), REALM, charging()));
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

		let remove = |origin, realm, id| Identity::remove_charging_information(origin, realm, id);
		assert_noop!(remove(none(), REALM, CHARGING), DispatchError::BadOrigin);
		assert_noop!(remove(root(), 9, CHARGING), Error::<Test>::RealmNotFound);
		assert_noop!(remove(signed(PROVISIONER), REALM, CHARGING), Error::<Test>::NotAuthorized);
		assert_noop!(remove(root(), REALM, 99), Error::<Test>::ChargingNotFound);
		ChargingInfos::<Test>::mutate(REALM, CHARGING, |entry| entry.as_mut().unwrap().users = 1);
		assert_noop!(remove(root(), REALM, CHARGING), Error::<Test>::InUse);
		ChargingInfos::<Test>::mutate(REALM, CHARGING, |entry| entry.as_mut().unwrap().users = 0);
		assert_ok!(remove(signed(OWNER), REALM, CHARGING));
		assert!(ChargingInfos::<Test>::get(REALM, CHARGING).is_none());
		assert_eq!(
			events(),
			vec![Event::ChargingInformationRemoved { realm: REALM, charging: CHARGING }]
		);
	});
}

#[test]
fn ifc_sets_work() {
	ExtBuilder::build_and_execute(|| {
		assert_ok!(Identity::put_application_server(root(), REALM, AS, server("sip:as")));
		assert_ok!(Identity::put_application_server(root(), REALM, AS2, server("sip:as2")));
		System::reset_events();
		take_audit();
		let put = |origin, realm, list| Identity::put_ifc_set(origin, realm, IFC_SET, ifcs(list));
		assert_noop!(put(none(), REALM, vec![ifc(1, AS)]), DispatchError::BadOrigin);
		assert_noop!(put(root(), 9, vec![ifc(1, AS)]), Error::<Test>::RealmNotFound);
		assert_noop!(
			put(signed(PROVISIONER), REALM, vec![ifc(1, AS)]),
			Error::<Test>::NotAuthorized
		);
		assert_noop!(
			put(root(), REALM, vec![ifc(1, AS), ifc(1, AS2)]),
			Error::<Test>::DuplicatePriority
		);
		assert_noop!(
			put(root(), REALM, vec![ifc(1, 99)]),
			Error::<Test>::ApplicationServerNotFound
		);
		let mut empty_trigger = ifc(1, AS);
		empty_trigger.trigger_point.as_mut().unwrap().spts = BoundedVec::default();
		assert_noop!(put(root(), REALM, vec![empty_trigger]), Error::<Test>::EmptyTriggerPoint);

		assert_ok!(put(signed(OWNER), REALM, vec![ifc(1, AS), ifc(2, AS)]));
		assert_eq!(users_of_server(AS), 2);
		// Replacing moves the references.
		assert_ok!(put(signed(OWNER), REALM, vec![ifc(1, AS2)]));
		assert_eq!((users_of_server(AS), users_of_server(AS2)), (0, 1));
		assert_eq!(
			IfcSets::<Test>::get(REALM, IFC_SET),
			Some(Shared { value: ifcs(vec![ifc(1, AS2)]), users: 0 })
		);
		assert_eq!(
			events(),
			vec![
				Event::IfcSetStored { realm: REALM, ifc_set: IFC_SET },
				Event::IfcSetStored { realm: REALM, ifc_set: IFC_SET }
			]
		);
		assert_eq!(
			take_audit()[1],
			(Some(OWNER), REALM, Subject::IfcSet(IFC_SET), Change::Updated)
		);

		let remove = |origin, realm, id| Identity::remove_ifc_set(origin, realm, id);
		assert_noop!(remove(none(), REALM, IFC_SET), DispatchError::BadOrigin);
		assert_noop!(remove(root(), 9, IFC_SET), Error::<Test>::RealmNotFound);
		assert_noop!(remove(signed(PROVISIONER), REALM, IFC_SET), Error::<Test>::NotAuthorized);
		assert_noop!(remove(root(), REALM, 99), Error::<Test>::IfcSetNotFound);
		assert_ok!(Identity::put_service_profile(
			root(),
			REALM,
			PROFILE,
			profile(vec![], vec![IFC_SET])
		));
		assert_noop!(remove(root(), REALM, IFC_SET), Error::<Test>::InUse);
		assert_ok!(Identity::remove_service_profile(root(), REALM, PROFILE));
		System::reset_events();
		assert_ok!(remove(signed(OWNER), REALM, IFC_SET));
		assert!(IfcSets::<Test>::get(REALM, IFC_SET).is_none());
		assert_eq!(users_of_server(AS2), 0);
		assert_eq!(events(), vec![Event::IfcSetRemoved { realm: REALM, ifc_set: IFC_SET }]);
	});
}

#[test]
fn service_profiles_work() {
	ExtBuilder::build_and_execute(|| {
		assert_ok!(Identity::put_application_server(root(), REALM, AS, server("sip:as")));
		assert_ok!(Identity::put_ifc_set(root(), REALM, IFC_SET, ifcs(vec![ifc(5, AS)])));
		System::reset_events();
		take_audit();
		let put =
			|origin, realm, profile| Identity::put_service_profile(origin, realm, PROFILE, profile);
		let good = profile(vec![ifc(1, AS)], vec![IFC_SET]);
		assert_noop!(put(none(), REALM, good.clone()), DispatchError::BadOrigin);
		assert_noop!(put(root(), 9, good.clone()), Error::<Test>::RealmNotFound);
		assert_noop!(put(signed(PROVISIONER), REALM, good.clone()), Error::<Test>::NotAuthorized);
		assert_noop!(
			put(root(), REALM, ServiceProfile { name: name(""), ..good.clone() }),
			Error::<Test>::EmptyName
		);
		assert_noop!(
			put(root(), REALM, profile(vec![ifc(1, AS), ifc(1, AS)], vec![])),
			Error::<Test>::DuplicatePriority
		);
		assert_noop!(
			put(root(), REALM, profile(vec![ifc(1, 99)], vec![])),
			Error::<Test>::ApplicationServerNotFound
		);
		let mut empty_trigger = ifc(1, AS);
		empty_trigger.trigger_point.as_mut().unwrap().spts = BoundedVec::default();
		assert_noop!(
			put(root(), REALM, profile(vec![empty_trigger], vec![])),
			Error::<Test>::EmptyTriggerPoint
		);
		assert_noop!(
			put(root(), REALM, profile(vec![], vec![IFC_SET, IFC_SET])),
			Error::<Test>::DuplicateIfcSet
		);
		assert_noop!(put(root(), REALM, profile(vec![], vec![99])), Error::<Test>::IfcSetNotFound);
		// Another realm's data does not resolve here.
		assert_noop!(
			put(root(), OTHER_REALM, good.clone()),
			Error::<Test>::ApplicationServerNotFound
		);

		assert_ok!(put(signed(OWNER), REALM, good.clone()));
		assert_eq!(
			ServiceProfiles::<Test>::get(REALM, PROFILE),
			Some(Shared { value: good.clone(), users: 0 })
		);
		assert_eq!(users_of_server(AS), 2);
		assert_eq!(IfcSets::<Test>::get(REALM, IFC_SET).unwrap().users, 1);
		assert_ok!(put(signed(OWNER), REALM, profile(vec![], vec![])));
		assert_eq!(users_of_server(AS), 1);
		assert_eq!(IfcSets::<Test>::get(REALM, IFC_SET).unwrap().users, 0);
		assert_eq!(
			events(),
			vec![
				Event::ServiceProfileStored { realm: REALM, profile: PROFILE },
				Event::ServiceProfileStored { realm: REALM, profile: PROFILE }
			]
		);
		let audit = take_audit();
		assert_eq!(
			audit[0],
			(Some(OWNER), REALM, Subject::ServiceProfile(PROFILE), Change::Created)
		);
		assert_eq!(
			audit[1],
			(Some(OWNER), REALM, Subject::ServiceProfile(PROFILE), Change::Updated)
		);

		let remove = |origin, realm, id| Identity::remove_service_profile(origin, realm, id);
		assert_noop!(remove(none(), REALM, PROFILE), DispatchError::BadOrigin);
		assert_noop!(remove(root(), 9, PROFILE), Error::<Test>::RealmNotFound);
		assert_noop!(remove(signed(PROVISIONER), REALM, PROFILE), Error::<Test>::NotAuthorized);
		assert_noop!(remove(root(), REALM, 99), Error::<Test>::ProfileNotFound);
		assert_ok!(Identity::create_subscription(root(), REALM, SUB));
		assert_ok!(Identity::create_impu(
			root(),
			SUB,
			IMPU,
			ImpuAttributes { charging: None, ..attributes(None) }
		));
		assert_noop!(remove(root(), REALM, PROFILE), Error::<Test>::InUse);
		assert_ok!(Identity::remove_impu(root(), IMPU));
		System::reset_events();
		assert_ok!(remove(signed(OWNER), REALM, PROFILE));
		assert!(ServiceProfiles::<Test>::get(REALM, PROFILE).is_none());
		assert_eq!(events(), vec![Event::ServiceProfileRemoved { realm: REALM, profile: PROFILE }]);
	});
}

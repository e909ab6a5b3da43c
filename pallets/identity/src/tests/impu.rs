//! Tests of public identities.

use super::*;

#[test]
fn create_impu_works() {
	ExtBuilder::build_and_execute(|| {
		services();
		assert_ok!(Identity::create_subscription(root(), REALM, SUB));
		System::reset_events();
		take_audit();
		assert_noop!(
			Identity::create_impu(none(), SUB, IMPU, attributes(None)),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Identity::create_impu(root(), NOBODY, IMPU, attributes(None)),
			Error::<Test>::SubscriptionNotFound
		);
		assert_noop!(
			Identity::create_impu(signed(STRANGER), SUB, IMPU, attributes(None)),
			Error::<Test>::NotAuthorized
		);
		// A dangling profile (none with this number in the realm).
		let dangling = ImpuAttributes { service_profile: 99, ..attributes(None) };
		assert_noop!(
			Identity::create_impu(root(), SUB, IMPU, dangling),
			Error::<Test>::ProfileNotFound
		);
		let dangling = ImpuAttributes { charging: Some(99), ..attributes(None) };
		assert_noop!(
			Identity::create_impu(root(), SUB, IMPU, dangling),
			Error::<Test>::ChargingNotFound
		);
		let twice = ImpuAttributes { roaming: roaming(&["a.net", "a.net"]), ..attributes(None) };
		assert_noop!(
			Identity::create_impu(root(), SUB, IMPU, twice),
			Error::<Test>::DuplicateVisitedNetwork
		);
		let empty = ImpuAttributes { roaming: roaming(&[""]), ..attributes(None) };
		assert_noop!(Identity::create_impu(root(), SUB, IMPU, empty), Error::<Test>::EmptyName);
		// A barred identity cannot open (and so default) a new implicit set.
		let barred = ImpuAttributes { barred: true, ..attributes(Some(SET)) };
		assert_noop!(
			Identity::create_impu(root(), SUB, IMPU, barred.clone()),
			Error::<Test>::BarredDefault
		);

		assert_ok!(Identity::create_impu(signed(PROVISIONER), SUB, IMPU, attributes(Some(SET))));
		assert_eq!(
			Impus::<Test>::get(IMPU),
			Some(ImpuRecord {
				subscription: SUB,
				realm: REALM,
				kind: ImpuKind::PublicIdentity,
				barred: false,
				can_register: true,
				implicit_set: Some(SET),
				service_profile: PROFILE,
				charging: Some(CHARGING),
				roaming: roaming(&["ims.visited.net"]),
				impis: 0,
			})
		);
		assert_eq!(ImplicitSets::<Test>::get(SUB, SET).unwrap().members.into_inner(), vec![IMPU]);
		assert_eq!(users_of_profile(REALM, PROFILE), 1);
		assert_eq!(ChargingInfos::<Test>::get(REALM, CHARGING).unwrap().users, 1);
		assert_eq!(events(), vec![Event::ImpuCreated { subscription: SUB, impu: IMPU }]);
		assert_eq!(
			take_audit(),
			vec![(Some(PROVISIONER), REALM, Subject::Impu(IMPU), Change::Created)]
		);
		assert_noop!(
			Identity::create_impu(root(), SUB, IMPU, attributes(None)),
			Error::<Test>::ImpuAlreadyExists
		);
		// A barred identity may join an existing set as a non-default member.
		assert_ok!(Identity::create_impu(root(), SUB, IMPU2, barred));
		assert_eq!(
			ImplicitSets::<Test>::get(SUB, SET).unwrap().members.into_inner(),
			vec![IMPU, IMPU2]
		);
		// The mock allows four IMPUs per subscription.
		assert_ok!(Identity::create_impu(root(), SUB, IMPU3, attributes(None)));
		assert_ok!(Identity::create_impu(root(), SUB, H256::repeat_byte(0xb4), attributes(None)));
		assert_noop!(
			Identity::create_impu(root(), SUB, NOBODY, attributes(None)),
			Error::<Test>::TooManyImpus
		);
	});
}

#[test]
fn update_impu_works() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		let kind = ImpuKind::DistinctPsi;
		assert_noop!(Identity::update_impu(none(), IMPU, kind, false), DispatchError::BadOrigin);
		assert_noop!(
			Identity::update_impu(root(), NOBODY, kind, false),
			Error::<Test>::ImpuNotFound
		);
		assert_noop!(
			Identity::update_impu(signed(FRONT), IMPU, kind, false),
			Error::<Test>::NotAuthorized
		);
		assert_ok!(Identity::update_impu(signed(PROVISIONER), IMPU, kind, false));
		let record = Impus::<Test>::get(IMPU).unwrap();
		assert_eq!((record.kind, record.can_register), (kind, false));
		assert_eq!(events(), vec![Event::ImpuUpdated { impu: IMPU, kind, can_register: false }]);
		assert_eq!(
			take_audit(),
			vec![(Some(PROVISIONER), REALM, Subject::Impu(IMPU), Change::Updated)]
		);
	});
}

#[test]
fn set_barring_works() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		assert_noop!(Identity::set_barring(none(), IMPU2, true), DispatchError::BadOrigin);
		assert_noop!(Identity::set_barring(root(), NOBODY, true), Error::<Test>::ImpuNotFound);
		assert_noop!(
			Identity::set_barring(signed(STRANGER), IMPU2, true),
			Error::<Test>::NotAuthorized
		);
		// IMPU is the default of its implicit set: it cannot be barred.
		assert_noop!(Identity::set_barring(root(), IMPU, true), Error::<Test>::BarredDefault);
		assert_ok!(Identity::set_barring(signed(PROVISIONER), IMPU2, true));
		assert!(Impus::<Test>::get(IMPU2).unwrap().barred);
		assert_ok!(Identity::set_barring(signed(PROVISIONER), IMPU2, false));
		assert!(!Impus::<Test>::get(IMPU2).unwrap().barred);
		assert_eq!(
			events(),
			vec![Event::ImpuBarred { impu: IMPU2 }, Event::ImpuUnbarred { impu: IMPU2 }]
		);
		assert_eq!(
			take_audit(),
			vec![
				(Some(PROVISIONER), REALM, Subject::Impu(IMPU2), Change::Barred),
				(Some(PROVISIONER), REALM, Subject::Impu(IMPU2), Change::Unbarred)
			]
		);
	});
}

#[test]
fn set_service_profile_works() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		assert_noop!(
			Identity::set_service_profile(none(), IMPU, PROFILE2, None),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Identity::set_service_profile(root(), NOBODY, PROFILE2, None),
			Error::<Test>::ImpuNotFound
		);
		assert_noop!(
			Identity::set_service_profile(signed(OTHER_OWNER), IMPU, PROFILE2, None),
			Error::<Test>::NotAuthorized
		);
		assert_noop!(
			Identity::set_service_profile(root(), IMPU, 99, None),
			Error::<Test>::ProfileNotFound
		);
		assert_noop!(
			Identity::set_service_profile(root(), IMPU, PROFILE2, Some(99)),
			Error::<Test>::ChargingNotFound
		);
		assert_ok!(Identity::set_service_profile(signed(PROVISIONER), IMPU, PROFILE2, None));
		let record = Impus::<Test>::get(IMPU).unwrap();
		assert_eq!((record.service_profile, record.charging), (PROFILE2, None));
		assert_eq!(users_of_profile(REALM, PROFILE), 1);
		assert_eq!(users_of_profile(REALM, PROFILE2), 1);
		assert_eq!(ChargingInfos::<Test>::get(REALM, CHARGING).unwrap().users, 1);
		assert_eq!(
			events(),
			vec![Event::ServiceProfileAssigned { impu: IMPU, profile: PROFILE2, charging: None }]
		);
		assert_eq!(
			take_audit(),
			vec![(Some(PROVISIONER), REALM, Subject::Impu(IMPU), Change::Updated)]
		);
		// Re-assigning the same profile keeps the counters.
		assert_ok!(Identity::set_service_profile(root(), IMPU, PROFILE2, None));
		assert_eq!(users_of_profile(REALM, PROFILE2), 1);
	});
}

#[test]
fn set_roaming_works() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		let list = roaming(&["ims.a.net", "ims.b.net"]);
		assert_noop!(Identity::set_roaming(none(), IMPU, list.clone()), DispatchError::BadOrigin);
		assert_noop!(
			Identity::set_roaming(root(), NOBODY, list.clone()),
			Error::<Test>::ImpuNotFound
		);
		assert_noop!(
			Identity::set_roaming(signed(STRANGER), IMPU, list.clone()),
			Error::<Test>::NotAuthorized
		);
		assert_noop!(
			Identity::set_roaming(root(), IMPU, roaming(&["ims.a.net", "ims.a.net"])),
			Error::<Test>::DuplicateVisitedNetwork
		);
		assert_noop!(
			Identity::set_roaming(root(), IMPU, roaming(&["ims.a.net", ""])),
			Error::<Test>::EmptyName
		);
		assert_ok!(Identity::set_roaming(signed(PROVISIONER), IMPU, list.clone()));
		assert_eq!(Impus::<Test>::get(IMPU).unwrap().roaming, list);
		assert_eq!(events(), vec![Event::RoamingSet { impu: IMPU, networks: 2 }]);
		assert_eq!(take_audit().len(), 1);
	});
}

#[test]
fn set_implicit_set_works() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		assert_noop!(Identity::set_implicit_set(none(), IMPU2, None), DispatchError::BadOrigin);
		assert_noop!(Identity::set_implicit_set(root(), NOBODY, None), Error::<Test>::ImpuNotFound);
		assert_noop!(
			Identity::set_implicit_set(signed(STRANGER), IMPU2, None),
			Error::<Test>::NotAuthorized
		);
		assert_noop!(
			Identity::set_implicit_set(root(), IMPU2, Some(SET)),
			Error::<Test>::AlreadyInImplicitSet
		);
		// The default leaves only as the last member.
		assert_noop!(
			Identity::set_implicit_set(root(), IMPU, None),
			Error::<Test>::DefaultOfImplicitSet
		);

		// IMPU2 leaves for a new set 2, which it defaults.
		assert_ok!(Identity::set_implicit_set(signed(PROVISIONER), IMPU2, Some(2)));
		assert_eq!(ImplicitSets::<Test>::get(SUB, SET).unwrap().members.into_inner(), vec![IMPU]);
		assert_eq!(ImplicitSets::<Test>::get(SUB, 2).unwrap().members.into_inner(), vec![IMPU2]);
		assert_eq!(Impus::<Test>::get(IMPU2).unwrap().implicit_set, Some(2));
		// It leaves every set: set 2 is gone.
		assert_ok!(Identity::set_implicit_set(signed(PROVISIONER), IMPU2, None));
		assert!(ImplicitSets::<Test>::get(SUB, 2).is_none());
		assert_noop!(
			Identity::set_implicit_set(root(), IMPU2, None),
			Error::<Test>::NotInImplicitSet
		);
		// Barred, it cannot open a new set, but may join an existing one.
		assert_ok!(Identity::set_barring(root(), IMPU2, true));
		assert_noop!(
			Identity::set_implicit_set(root(), IMPU2, Some(3)),
			Error::<Test>::BarredDefault
		);
		assert_ok!(Identity::set_implicit_set(root(), IMPU2, Some(SET)));
		assert_eq!(
			events(),
			vec![
				Event::ImplicitSetChanged { impu: IMPU2, implicit_set: Some(2) },
				Event::ImplicitSetChanged { impu: IMPU2, implicit_set: None },
				Event::ImpuBarred { impu: IMPU2 },
				Event::ImplicitSetChanged { impu: IMPU2, implicit_set: Some(SET) },
			]
		);
		assert_eq!(
			take_audit()[0],
			(Some(PROVISIONER), REALM, Subject::Impu(IMPU2), Change::Updated)
		);
	});
}

#[test]
fn set_implicit_default_works() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		assert_ok!(Identity::create_impu(root(), SUB, IMPU3, attributes(None)));
		System::reset_events();
		take_audit();
		assert_noop!(Identity::set_implicit_default(none(), IMPU2), DispatchError::BadOrigin);
		assert_noop!(Identity::set_implicit_default(root(), NOBODY), Error::<Test>::ImpuNotFound);
		assert_noop!(
			Identity::set_implicit_default(signed(STRANGER), IMPU2),
			Error::<Test>::NotAuthorized
		);
		assert_noop!(
			Identity::set_implicit_default(root(), IMPU3),
			Error::<Test>::NotInImplicitSet
		);
		assert_ok!(Identity::set_barring(root(), IMPU2, true));
		assert_noop!(Identity::set_implicit_default(root(), IMPU2), Error::<Test>::BarredDefault);
		assert_ok!(Identity::set_barring(root(), IMPU2, false));
		System::reset_events();
		take_audit();

		assert_ok!(Identity::set_implicit_default(signed(PROVISIONER), IMPU2));
		assert_eq!(
			ImplicitSets::<Test>::get(SUB, SET).unwrap().members.into_inner(),
			vec![IMPU2, IMPU]
		);
		assert_eq!(
			events(),
			vec![Event::ImplicitSetDefaultChanged {
				subscription: SUB,
				implicit_set: SET,
				impu: IMPU2
			}]
		);
		assert_eq!(take_audit().len(), 1);
		// The old default can now be barred.
		assert_ok!(Identity::set_barring(root(), IMPU, true));
	});
}

#[test]
fn remove_impu_works() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		assert_ok!(Identity::record_registrations(
			root(),
			vec![RegistrationUpdate {
				impu: IMPU2,
				state: RegistrationState::Unregistered,
				scscf: Some(name("sip:scscf")),
			}]
			.try_into()
			.unwrap()
		));
		System::reset_events();
		take_audit();
		assert_noop!(Identity::remove_impu(none(), IMPU2), DispatchError::BadOrigin);
		assert_noop!(Identity::remove_impu(root(), NOBODY), Error::<Test>::ImpuNotFound);
		assert_noop!(Identity::remove_impu(signed(STRANGER), IMPU2), Error::<Test>::NotAuthorized);
		assert_noop!(Identity::remove_impu(root(), IMPU), Error::<Test>::DefaultOfImplicitSet);

		let info = Identity::remove_impu(signed(PROVISIONER), IMPU2).unwrap();
		assert_eq!(info.actual_weight, Some(<() as crate::WeightInfo>::remove_impu(1)));
		assert!(Impus::<Test>::get(IMPU2).is_none());
		assert!(Registrations::<Test>::get(IMPU2).is_none());
		assert!(Registrations::<Test>::get(IMPU).is_some());
		assert!(!ImpusOfImpi::<Test>::contains_key(IMPI, IMPU2));
		assert_eq!(Impis::<Test>::get(IMPI).unwrap().impus, 1);
		assert_eq!(ImplicitSets::<Test>::get(SUB, SET).unwrap().members.into_inner(), vec![IMPU]);
		assert_eq!(users_of_profile(REALM, PROFILE), 1);
		assert_eq!(Subscriptions::<Test>::get(SUB).unwrap().impus.into_inner(), vec![IMPU]);
		assert_eq!(
			events(),
			vec![Event::Unlinked { impi: IMPI, impu: IMPU2 }, Event::ImpuRemoved { impu: IMPU2 }]
		);
		assert_eq!(
			take_audit(),
			vec![(Some(PROVISIONER), REALM, Subject::Impu(IMPU2), Change::Removed)]
		);
		// The last member (the default) may go; the set goes with it.
		assert_ok!(Identity::remove_impu(root(), IMPU));
		assert!(ImplicitSets::<Test>::get(SUB, SET).is_none());
	});
}

//! Tests of realms: creation, ownership, removal, the directory and call scopes.

use super::*;

#[test]
fn create_realm_refuses_a_signed_origin() {
	given(genesis, || {
		assert_noop!(
			Identity::create_realm(signed(OWNER), name("ims.third.net"), OWNER),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn create_realm_refuses_an_empty_name() {
	given(genesis, || {
		assert_noop!(Identity::create_realm(root(), name(""), OWNER), Error::<Test>::EmptyName);
	});
}

#[test]
fn create_realm_refuses_a_taken_name() {
	given(genesis, || {
		assert_noop!(
			Identity::create_realm(root(), name("ims.example.net"), OWNER),
			Error::<Test>::RealmNameTaken
		);
	});
}

#[test]
fn create_realm_numbers_indexes_emits_and_audits() {
	given(genesis, || {
		// Given two genesis realms; when governance creates a third,
		assert_ok!(Identity::create_realm(root(), name("ims.third.net"), STRANGER));
		// then it is numbered 2 and indexed by name.
		assert_eq!(
			Realms::<Test>::get(2),
			Some(RealmInfo {
				owner: STRANGER,
				name: name("ims.third.net"),
				subscriptions: 0,
				services: 0
			})
		);
		assert_eq!(RealmByName::<Test>::get(name("ims.third.net")), Some(2));
		assert_eq!(NextRealmId::<Test>::get(), 3);
		assert_eq!(
			events(),
			vec![Event::RealmCreated { realm: 2, name: name("ims.third.net"), owner: STRANGER }]
		);
		assert_eq!(take_audit(), vec![(None, 2, Subject::Realm, Change::Created)]);
	});
}

#[test]
fn create_realm_stops_when_numbers_run_out() {
	ExtBuilder::build_and_execute(|| {
		NextRealmId::<Test>::put(u32::MAX);
		assert_noop!(
			Identity::create_realm(root(), name("ims.last.net"), OWNER),
			Error::<Test>::RealmIdsExhausted
		);
		// Keep the invariant "numbers below NextRealmId" for the check after.
		NextRealmId::<Test>::put(2);
	});
}

#[test]
fn set_realm_owner_refuses_an_unsigned_origin() {
	given(genesis, || {
		assert_noop!(Identity::set_realm_owner(none(), REALM, STRANGER), DispatchError::BadOrigin);
	});
}

#[test]
fn set_realm_owner_refuses_an_unknown_realm() {
	given(genesis, || {
		assert_noop!(Identity::set_realm_owner(root(), 9, STRANGER), Error::<Test>::RealmNotFound);
	});
}

#[test]
fn set_realm_owner_refuses_a_provisioner() {
	given(genesis, || {
		// A provisioner does not administer the realm.
		assert_noop!(
			Identity::set_realm_owner(signed(PROVISIONER), REALM, PROVISIONER),
			Error::<Test>::NotAuthorized
		);
	});
}

#[test]
fn set_realm_owner_refuses_another_realms_owner() {
	given(genesis, || {
		assert_noop!(
			Identity::set_realm_owner(signed(OTHER_OWNER), REALM, OTHER_OWNER),
			Error::<Test>::NotAuthorized
		);
	});
}

#[test]
fn set_realm_owner_by_the_owner_hands_over_emits_and_audits() {
	given(genesis, || {
		assert_ok!(Identity::set_realm_owner(signed(OWNER), REALM, STRANGER));
		assert_eq!(Realms::<Test>::get(REALM).unwrap().owner, STRANGER);
		assert_eq!(events(), vec![Event::RealmOwnerChanged { realm: REALM, owner: STRANGER }]);
		assert_eq!(take_audit(), vec![(Some(OWNER), REALM, Subject::Realm, Change::Updated)]);
	});
}

#[test]
fn set_realm_owner_leaves_the_old_owner_without_a_say() {
	given(genesis, || {
		assert_ok!(Identity::set_realm_owner(signed(OWNER), REALM, STRANGER));
		assert_noop!(
			Identity::set_realm_owner(signed(OWNER), REALM, OWNER),
			Error::<Test>::NotAuthorized
		);
		// Governance can still act.
		assert_ok!(Identity::set_realm_owner(root(), REALM, OWNER));
	});
}

#[test]
fn remove_realm_refuses_a_signed_origin() {
	given(genesis, || {
		assert_noop!(Identity::remove_realm(signed(OWNER), REALM), DispatchError::BadOrigin);
	});
}

#[test]
fn remove_realm_refuses_an_unknown_realm() {
	given(genesis, || {
		assert_noop!(Identity::remove_realm(root(), 9), Error::<Test>::RealmNotFound);
	});
}

#[test]
fn remove_realm_refuses_a_realm_with_a_subscription() {
	given(genesis, || {
		assert_ok!(Identity::create_subscription(root(), REALM, SUB));
		assert_noop!(Identity::remove_realm(root(), REALM), Error::<Test>::RealmNotEmpty);
	});
}

#[test]
fn remove_realm_refuses_a_realm_with_service_data() {
	given(genesis, || {
		assert_ok!(Identity::put_charging_information(root(), OTHER_REALM, CHARGING, charging()));
		assert_noop!(Identity::remove_realm(root(), OTHER_REALM), Error::<Test>::RealmNotEmpty);
	});
}

#[test]
fn remove_realm_refuses_a_realm_another_pallet_holds_records_of() {
	given(genesis, || {
		use_realm(OTHER_REALM);
		assert_noop!(Identity::remove_realm(root(), OTHER_REALM), Error::<Test>::RealmInUse);
		ExtBuilder::reset_observer();
	});
}

#[test]
fn remove_realm_erases_the_realm_and_its_name_emits_and_audits() {
	given(genesis, || {
		// Service data put and taken away again does not keep the realm.
		assert_ok!(Identity::put_charging_information(root(), OTHER_REALM, CHARGING, charging()));
		assert_ok!(Identity::remove_charging_information(root(), OTHER_REALM, CHARGING));
		System::reset_events();
		take_audit();
		assert_ok!(Identity::remove_realm(root(), OTHER_REALM));
		assert!(Realms::<Test>::get(OTHER_REALM).is_none());
		assert!(RealmByName::<Test>::get(name("ims.other.net")).is_none());
		assert_eq!(events(), vec![Event::RealmRemoved { realm: OTHER_REALM }]);
		assert_eq!(take_audit(), vec![(None, OTHER_REALM, Subject::Realm, Change::Removed)]);
	});
}

#[test]
fn remove_realm_frees_its_name() {
	given(genesis, || {
		assert_ok!(Identity::remove_realm(root(), OTHER_REALM));
		assert_ok!(Identity::create_realm(root(), name("ims.other.net"), OTHER_OWNER));
	});
}

#[test]
fn directory_resolves_pseudonyms() {
	use ims_primitives::Directory;
	ExtBuilder::build_and_execute(|| {
		subscriber();
		assert_eq!(<Identity as Directory<u64>>::realm_owner(REALM), Some(OWNER));
		assert_eq!(<Identity as Directory<u64>>::realm_owner(OTHER_REALM), Some(OTHER_OWNER));
		assert_eq!(<Identity as Directory<u64>>::realm_owner(9), None);
		// A subscription, its IMPI and its IMPU all lead to the subscription.
		for pseudonym in [SUB, IMPI, IMPU] {
			assert_eq!(
				<Identity as Directory<u64>>::subscription_of(pseudonym),
				Some((REALM, SUB)),
				"{pseudonym:?}"
			);
		}
		assert_eq!(<Identity as Directory<u64>>::subscription_of(NOBODY), None);
		// A subject's realm is read from the map its kind names: a pseudonym
		// of another kind is not found.
		let realm_of = <Identity as Directory<u64>>::realm_of;
		assert_eq!(realm_of(&Subject::Subscription(SUB)), Some(REALM));
		assert_eq!(
			realm_of(&Subject::Consent(SUB, b"ads".to_vec().try_into().unwrap())),
			Some(REALM)
		);
		assert_eq!(realm_of(&Subject::Impi(IMPI)), Some(REALM));
		assert_eq!(realm_of(&Subject::Impu(IMPU)), Some(REALM));
		assert_eq!(realm_of(&Subject::Impu(IMPI)), None);
		assert_eq!(realm_of(&Subject::Impi(SUB)), None);
		assert_eq!(realm_of(&Subject::Subscription(NOBODY)), None);
		assert_eq!(realm_of(&Subject::Unknown(IMPU)), None);
		assert_eq!(realm_of(&Subject::Realm), None);
	});
}

#[test]
fn calls_name_their_scope() {
	use ims_primitives::CallScope;
	let realm_call = Call::<Test>::create_subscription { realm: OTHER_REALM, subscription: SUB };
	assert_eq!(realm_call.scope(), Some(CallScope::Realm(OTHER_REALM)));
	assert_eq!(
		Call::<Test>::link { impi: IMPI, impu: IMPU }.scope(),
		Some(CallScope::Subscriber(IMPI))
	);
	assert_eq!(
		Call::<Test>::set_barring { impu: IMPU, barred: true }.scope(),
		Some(CallScope::Subscriber(IMPU))
	);
	let batch =
		vec![RegistrationUpdate { impu: IMPU2, state: RegistrationState::Registered, scscf: None }];
	let record =
		Call::<Test>::record_registrations { updates: batch.try_into().unwrap(), members: 0 };
	assert_eq!(record.scope(), Some(CallScope::Subscriber(IMPU2)));
	let bulk =
		Call::<Test>::import_subscribers { realm: OTHER_REALM, subscribers: Default::default() };
	assert_eq!(bulk.scope(), Some(CallScope::Realm(OTHER_REALM)));
	// Governance-only calls and empty batches name nothing.
	assert_eq!(Call::<Test>::remove_realm { realm: REALM }.scope(), None);
	assert_eq!(Call::<Test>::import { items: Default::default() }.scope(), None);
}

#[test]
fn genesis_realms_are_created() {
	ExtBuilder::build_and_execute(|| {
		assert_eq!(Realms::<Test>::get(0).unwrap().owner, OWNER);
		assert_eq!(RealmByName::<Test>::get(name("ims.other.net")), Some(1));
		assert_eq!(NextRealmId::<Test>::get(), 2);
	});
}

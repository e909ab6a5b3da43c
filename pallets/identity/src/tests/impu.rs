//! Tests of public identities.

use super::*;

/// `services()` and subscription SUB, without identities.
fn subscription() {
	services();
	assert_ok!(Identity::create_subscription(root(), REALM, SUB));
	System::reset_events();
	take_audit();
}

fn create(origin: RuntimeOrigin, impu: H256, attributes: ImpuAttributes) -> DispatchResult {
	Identity::create_impu(origin, SUB, impu, attributes)
}

#[test]
fn create_impu_refuses_an_unsigned_origin() {
	given(subscription, || {
		assert_noop!(create(none(), IMPU, attributes(None)), DispatchError::BadOrigin);
	});
}

#[test]
fn create_impu_refuses_an_unknown_subscription() {
	given(subscription, || {
		assert_noop!(
			Identity::create_impu(root(), NOBODY, IMPU, attributes(None)),
			Error::<Test>::SubscriptionNotFound
		);
	});
}

#[test]
fn create_impu_refuses_a_stranger() {
	given(subscription, || {
		assert_noop!(
			create(signed(STRANGER), IMPU, attributes(None)),
			Error::<Test>::NotAuthorized
		);
	});
}

#[test]
fn create_impu_refuses_a_profile_the_realm_lacks() {
	given(subscription, || {
		let dangling = ImpuAttributes { service_profile: 99, ..attributes(None) };
		assert_noop!(create(root(), IMPU, dangling), Error::<Test>::ProfileNotFound);
	});
}

#[test]
fn create_impu_refuses_charging_the_realm_lacks() {
	given(subscription, || {
		let dangling = ImpuAttributes { charging: Some(99), ..attributes(None) };
		assert_noop!(create(root(), IMPU, dangling), Error::<Test>::ChargingNotFound);
	});
}

#[test]
fn create_impu_refuses_a_visited_network_twice() {
	given(subscription, || {
		let twice = ImpuAttributes { roaming: roaming(&["a.net", "a.net"]), ..attributes(None) };
		assert_noop!(create(root(), IMPU, twice), Error::<Test>::DuplicateVisitedNetwork);
	});
}

#[test]
fn create_impu_refuses_an_empty_visited_network() {
	given(subscription, || {
		let empty = ImpuAttributes { roaming: roaming(&[""]), ..attributes(None) };
		assert_noop!(create(root(), IMPU, empty), Error::<Test>::EmptyName);
	});
}

#[test]
fn create_impu_refuses_a_barred_identity_opening_an_implicit_set() {
	given(subscription, || {
		// It would be the default of the new set.
		let barred = ImpuAttributes { barred: true, ..attributes(Some(SET)) };
		assert_noop!(create(root(), IMPU, barred), Error::<Test>::BarredDefault);
	});
}

#[test]
fn create_impu_stores_the_record_counts_users_emits_and_audits() {
	given(subscription, || {
		assert_ok!(create(signed(PROVISIONER), IMPU, attributes(Some(SET))));
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
	});
}

#[test]
fn create_impu_refuses_an_impu_that_exists() {
	given(subscription, || {
		assert_ok!(create(root(), IMPU, attributes(Some(SET))));
		assert_noop!(create(root(), IMPU, attributes(None)), Error::<Test>::ImpuAlreadyExists);
	});
}

#[test]
fn create_impu_lets_a_barred_identity_join_an_existing_set() {
	given(subscription, || {
		assert_ok!(create(root(), IMPU, attributes(Some(SET))));
		let barred = ImpuAttributes { barred: true, ..attributes(Some(SET)) };
		assert_ok!(create(root(), IMPU2, barred));
		assert_eq!(
			ImplicitSets::<Test>::get(SUB, SET).unwrap().members.into_inner(),
			vec![IMPU, IMPU2]
		);
	});
}

#[test]
fn create_impu_refuses_more_impus_than_a_subscription_holds() {
	given(subscription, || {
		// The mock allows four IMPUs per subscription.
		for impu in [IMPU, IMPU2, IMPU3, H256::repeat_byte(0xb4)] {
			assert_ok!(create(root(), impu, attributes(None)));
		}
		assert_noop!(create(root(), NOBODY, attributes(None)), Error::<Test>::TooManyImpus);
	});
}

const PSI: ImpuKind = ImpuKind::DistinctPsi;

#[test]
fn update_impu_refuses_an_unsigned_origin() {
	given(subscriber, || {
		assert_noop!(Identity::update_impu(none(), IMPU, PSI, false), DispatchError::BadOrigin);
	});
}

#[test]
fn update_impu_refuses_an_unknown_impu() {
	given(subscriber, || {
		assert_noop!(
			Identity::update_impu(root(), NOBODY, PSI, false),
			Error::<Test>::ImpuNotFound
		);
	});
}

#[test]
fn update_impu_refuses_a_front_end() {
	given(subscriber, || {
		assert_noop!(
			Identity::update_impu(signed(FRONT), IMPU, PSI, false),
			Error::<Test>::NotAuthorized
		);
	});
}

#[test]
fn update_impu_stores_the_kind_emits_and_audits() {
	given(subscriber, || {
		assert_ok!(Identity::update_impu(signed(PROVISIONER), IMPU, PSI, false));
		let record = Impus::<Test>::get(IMPU).unwrap();
		assert_eq!((record.kind, record.can_register), (PSI, false));
		assert_eq!(
			events(),
			vec![Event::ImpuUpdated { impu: IMPU, kind: PSI, can_register: false }]
		);
		assert_eq!(
			take_audit(),
			vec![(Some(PROVISIONER), REALM, Subject::Impu(IMPU), Change::Updated)]
		);
	});
}

#[test]
fn set_barring_refuses_an_unsigned_origin() {
	given(subscriber, || {
		assert_noop!(Identity::set_barring(none(), IMPU2, true), DispatchError::BadOrigin);
	});
}

#[test]
fn set_barring_refuses_an_unknown_impu() {
	given(subscriber, || {
		assert_noop!(Identity::set_barring(root(), NOBODY, true), Error::<Test>::ImpuNotFound);
	});
}

#[test]
fn set_barring_refuses_a_stranger() {
	given(subscriber, || {
		assert_noop!(
			Identity::set_barring(signed(STRANGER), IMPU2, true),
			Error::<Test>::NotAuthorized
		);
	});
}

#[test]
fn set_barring_refuses_the_default_of_an_implicit_set() {
	given(subscriber, || {
		assert_noop!(Identity::set_barring(root(), IMPU, true), Error::<Test>::BarredDefault);
	});
}

#[test]
fn set_barring_bars_and_lifts_emits_and_audits() {
	given(subscriber, || {
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
fn set_service_profile_refuses_an_unsigned_origin() {
	given(subscriber, || {
		assert_noop!(
			Identity::set_service_profile(none(), IMPU, PROFILE2, None),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn set_service_profile_refuses_an_unknown_impu() {
	given(subscriber, || {
		assert_noop!(
			Identity::set_service_profile(root(), NOBODY, PROFILE2, None),
			Error::<Test>::ImpuNotFound
		);
	});
}

#[test]
fn set_service_profile_refuses_another_realms_owner() {
	given(subscriber, || {
		assert_noop!(
			Identity::set_service_profile(signed(OTHER_OWNER), IMPU, PROFILE2, None),
			Error::<Test>::NotAuthorized
		);
	});
}

#[test]
fn set_service_profile_refuses_a_profile_the_realm_lacks() {
	given(subscriber, || {
		assert_noop!(
			Identity::set_service_profile(root(), IMPU, 99, None),
			Error::<Test>::ProfileNotFound
		);
	});
}

#[test]
fn set_service_profile_refuses_charging_the_realm_lacks() {
	given(subscriber, || {
		assert_noop!(
			Identity::set_service_profile(root(), IMPU, PROFILE2, Some(99)),
			Error::<Test>::ChargingNotFound
		);
	});
}

#[test]
fn set_service_profile_moves_the_user_counts_emits_and_audits() {
	given(subscriber, || {
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
	});
}

#[test]
fn set_service_profile_to_the_same_profile_keeps_the_counts() {
	given(subscriber, || {
		assert_ok!(Identity::set_service_profile(root(), IMPU, PROFILE2, None));
		assert_ok!(Identity::set_service_profile(root(), IMPU, PROFILE2, None));
		assert_eq!(users_of_profile(REALM, PROFILE2), 1);
	});
}

fn two_networks() -> VisitedNetworks {
	roaming(&["ims.a.net", "ims.b.net"])
}

#[test]
fn set_roaming_refuses_an_unsigned_origin() {
	given(subscriber, || {
		assert_noop!(Identity::set_roaming(none(), IMPU, two_networks()), DispatchError::BadOrigin);
	});
}

#[test]
fn set_roaming_refuses_an_unknown_impu() {
	given(subscriber, || {
		assert_noop!(
			Identity::set_roaming(root(), NOBODY, two_networks()),
			Error::<Test>::ImpuNotFound
		);
	});
}

#[test]
fn set_roaming_refuses_a_stranger() {
	given(subscriber, || {
		assert_noop!(
			Identity::set_roaming(signed(STRANGER), IMPU, two_networks()),
			Error::<Test>::NotAuthorized
		);
	});
}

#[test]
fn set_roaming_refuses_a_network_twice() {
	given(subscriber, || {
		assert_noop!(
			Identity::set_roaming(root(), IMPU, roaming(&["ims.a.net", "ims.a.net"])),
			Error::<Test>::DuplicateVisitedNetwork
		);
	});
}

#[test]
fn set_roaming_refuses_an_empty_network() {
	given(subscriber, || {
		assert_noop!(
			Identity::set_roaming(root(), IMPU, roaming(&["ims.a.net", ""])),
			Error::<Test>::EmptyName
		);
	});
}

#[test]
fn set_roaming_stores_the_list_emits_and_audits() {
	given(subscriber, || {
		assert_ok!(Identity::set_roaming(signed(PROVISIONER), IMPU, two_networks()));
		assert_eq!(Impus::<Test>::get(IMPU).unwrap().roaming, two_networks());
		assert_eq!(events(), vec![Event::RoamingSet { impu: IMPU, networks: 2 }]);
		assert_eq!(take_audit().len(), 1);
	});
}

#[test]
fn set_implicit_set_refuses_an_unsigned_origin() {
	given(subscriber, || {
		assert_noop!(Identity::set_implicit_set(none(), IMPU2, None), DispatchError::BadOrigin);
	});
}

#[test]
fn set_implicit_set_refuses_an_unknown_impu() {
	given(subscriber, || {
		assert_noop!(Identity::set_implicit_set(root(), NOBODY, None), Error::<Test>::ImpuNotFound);
	});
}

#[test]
fn set_implicit_set_refuses_a_stranger() {
	given(subscriber, || {
		assert_noop!(
			Identity::set_implicit_set(signed(STRANGER), IMPU2, None),
			Error::<Test>::NotAuthorized
		);
	});
}

#[test]
fn set_implicit_set_refuses_the_set_the_impu_is_in() {
	given(subscriber, || {
		assert_noop!(
			Identity::set_implicit_set(root(), IMPU2, Some(SET)),
			Error::<Test>::AlreadyInImplicitSet
		);
	});
}

#[test]
fn set_implicit_set_keeps_the_default_while_others_remain() {
	given(subscriber, || {
		// The default leaves only as the last member.
		assert_noop!(
			Identity::set_implicit_set(root(), IMPU, None),
			Error::<Test>::DefaultOfImplicitSet
		);
	});
}

#[test]
fn set_implicit_set_to_a_new_set_makes_the_impu_its_default() {
	given(subscriber, || {
		assert_ok!(Identity::set_implicit_set(signed(PROVISIONER), IMPU2, Some(2)));
		assert_eq!(ImplicitSets::<Test>::get(SUB, SET).unwrap().members.into_inner(), vec![IMPU]);
		assert_eq!(ImplicitSets::<Test>::get(SUB, 2).unwrap().members.into_inner(), vec![IMPU2]);
		assert_eq!(Impus::<Test>::get(IMPU2).unwrap().implicit_set, Some(2));
	});
}

#[test]
fn set_implicit_set_to_none_drops_a_set_left_empty() {
	given(subscriber, || {
		assert_ok!(Identity::set_implicit_set(root(), IMPU2, Some(2)));
		assert_ok!(Identity::set_implicit_set(signed(PROVISIONER), IMPU2, None));
		assert!(ImplicitSets::<Test>::get(SUB, 2).is_none());
	});
}

#[test]
fn set_implicit_set_refuses_to_leave_when_in_no_set() {
	given(subscriber, || {
		assert_ok!(Identity::set_implicit_set(root(), IMPU2, None));
		assert_noop!(
			Identity::set_implicit_set(root(), IMPU2, None),
			Error::<Test>::NotInImplicitSet
		);
	});
}

#[test]
fn set_implicit_set_refuses_a_barred_identity_opening_a_set() {
	given(subscriber, || {
		assert_ok!(Identity::set_implicit_set(root(), IMPU2, None));
		assert_ok!(Identity::set_barring(root(), IMPU2, true));
		assert_noop!(
			Identity::set_implicit_set(root(), IMPU2, Some(3)),
			Error::<Test>::BarredDefault
		);
	});
}

#[test]
fn set_implicit_set_emits_and_audits_each_move() {
	given(subscriber, || {
		// A barred identity may still join an existing set.
		assert_ok!(Identity::set_implicit_set(signed(PROVISIONER), IMPU2, Some(2)));
		assert_ok!(Identity::set_implicit_set(signed(PROVISIONER), IMPU2, None));
		assert_ok!(Identity::set_barring(root(), IMPU2, true));
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
fn set_implicit_default_refuses_an_unsigned_origin() {
	given(with_impu3, || {
		assert_noop!(Identity::set_implicit_default(none(), IMPU2), DispatchError::BadOrigin);
	});
}

#[test]
fn set_implicit_default_refuses_an_unknown_impu() {
	given(with_impu3, || {
		assert_noop!(Identity::set_implicit_default(root(), NOBODY), Error::<Test>::ImpuNotFound);
	});
}

#[test]
fn set_implicit_default_refuses_a_stranger() {
	given(with_impu3, || {
		assert_noop!(
			Identity::set_implicit_default(signed(STRANGER), IMPU2),
			Error::<Test>::NotAuthorized
		);
	});
}

#[test]
fn set_implicit_default_refuses_an_impu_in_no_set() {
	given(with_impu3, || {
		assert_noop!(
			Identity::set_implicit_default(root(), IMPU3),
			Error::<Test>::NotInImplicitSet
		);
	});
}

#[test]
fn set_implicit_default_refuses_a_barred_identity() {
	given(with_impu3, || {
		assert_ok!(Identity::set_barring(root(), IMPU2, true));
		assert_noop!(Identity::set_implicit_default(root(), IMPU2), Error::<Test>::BarredDefault);
	});
}

#[test]
fn set_implicit_default_puts_the_impu_first_emits_and_audits() {
	given(with_impu3, || {
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
	});
}

#[test]
fn set_implicit_default_lets_the_old_default_be_barred() {
	given(with_impu3, || {
		assert_ok!(Identity::set_implicit_default(root(), IMPU2));
		assert_ok!(Identity::set_barring(root(), IMPU, true));
	});
}

/// `subscriber()` with the registration state of its implicit set on chain
/// (recorded through IMPU2).
fn registered_subscriber() {
	subscriber();
	assert_ok!(Identity::record_registrations(
		root(),
		vec![RegistrationUpdate {
			impu: IMPU2,
			state: RegistrationState::Unregistered,
			scscf: Some(name("sip:scscf")),
		}]
		.try_into()
		.unwrap(),
		1
	));
	System::reset_events();
	take_audit();
}

#[test]
fn remove_impu_refuses_an_unsigned_origin() {
	given(registered_subscriber, || {
		assert_noop!(Identity::remove_impu(none(), IMPU2), DispatchError::BadOrigin);
	});
}

#[test]
fn remove_impu_refuses_an_unknown_impu() {
	given(registered_subscriber, || {
		assert_noop!(Identity::remove_impu(root(), NOBODY), Error::<Test>::ImpuNotFound);
	});
}

#[test]
fn remove_impu_refuses_a_stranger() {
	given(registered_subscriber, || {
		assert_noop!(Identity::remove_impu(signed(STRANGER), IMPU2), Error::<Test>::NotAuthorized);
	});
}

#[test]
fn remove_impu_refuses_the_default_while_others_remain() {
	given(registered_subscriber, || {
		assert_noop!(Identity::remove_impu(root(), IMPU), Error::<Test>::DefaultOfImplicitSet);
	});
}

#[test]
fn remove_impu_unlinks_erases_refunds_emits_and_audits() {
	given(registered_subscriber, || {
		let info = Identity::remove_impu(signed(PROVISIONER), IMPU2).unwrap();
		assert_eq!(info.actual_weight, Some(<() as crate::WeightInfo>::remove_impu(1)));
		assert!(Impus::<Test>::get(IMPU2).is_none());
		assert!(Registrations::<Test>::get(IMPU2).is_none());
		assert!(Registrations::<Test>::get(IMPU).is_some());
		assert_eq!(impus_of(IMPI), vec![IMPU]);
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
	});
}

#[test]
fn remove_impu_of_the_last_member_drops_the_set() {
	given(registered_subscriber, || {
		assert_ok!(Identity::remove_impu(root(), IMPU2));
		assert_ok!(Identity::remove_impu(root(), IMPU));
		assert!(ImplicitSets::<Test>::get(SUB, SET).is_none());
	});
}

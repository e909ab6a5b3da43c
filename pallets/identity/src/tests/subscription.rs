//! Tests of subscriptions: creation and erasure.

use super::*;

#[test]
fn create_subscription_refuses_an_unsigned_origin() {
	given(genesis, || {
		assert_noop!(Identity::create_subscription(none(), REALM, SUB), DispatchError::BadOrigin);
	});
}

#[test]
fn create_subscription_refuses_an_unknown_realm() {
	given(genesis, || {
		assert_noop!(Identity::create_subscription(root(), 9, SUB), Error::<Test>::RealmNotFound);
	});
}

#[test]
fn create_subscription_refuses_accounts_without_the_provision_permission() {
	given(genesis, || {
		for who in [STRANGER, FRONT, OTHER_OWNER] {
			assert_noop!(
				Identity::create_subscription(signed(who), REALM, SUB),
				Error::<Test>::NotAuthorized
			);
		}
	});
}

#[test]
fn create_subscription_stores_counts_emits_and_audits() {
	given(genesis, || {
		assert_ok!(Identity::create_subscription(signed(PROVISIONER), REALM, SUB));
		assert_eq!(
			Subscriptions::<Test>::get(SUB),
			Some(Subscription {
				realm: REALM,
				impis: Default::default(),
				impus: Default::default()
			})
		);
		assert_eq!(Realms::<Test>::get(REALM).unwrap().subscriptions, 1);
		assert_eq!(events(), vec![Event::SubscriptionCreated { realm: REALM, subscription: SUB }]);
		assert_eq!(
			take_audit(),
			vec![(Some(PROVISIONER), REALM, Subject::Subscription(SUB), Change::Created)]
		);
	});
}

#[test]
fn create_subscription_refuses_a_pseudonym_taken_in_another_realm() {
	given(genesis, || {
		// Pseudonyms are unique across realms.
		assert_ok!(Identity::create_subscription(root(), REALM, SUB));
		assert_noop!(
			Identity::create_subscription(root(), OTHER_REALM, SUB),
			Error::<Test>::SubscriptionAlreadyExists
		);
	});
}

#[test]
fn create_subscription_refuses_counter_overflow() {
	ExtBuilder::build().execute_with(|| {
		Realms::<Test>::mutate(REALM, |info| info.as_mut().unwrap().subscriptions = u32::MAX);
		assert_noop!(Identity::create_subscription(root(), REALM, SUB), Error::<Test>::Overflow);
	});
}

#[test]
fn remove_subscription_erases_everything() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		assert_ok!(Identity::create_impi(root(), SUB, IMPI2, schemes(), AuthScheme::SipDigest));
		assert_ok!(Identity::link(root(), IMPI2, IMPU));
		assert_ok!(Identity::record_registrations(
			signed(FRONT),
			vec![RegistrationUpdate {
				impu: IMPU,
				state: RegistrationState::Registered,
				scscf: Some(name("sip:scscf.ims.example.net:6060")),
			}]
			.try_into()
			.unwrap(),
			1
		));
		System::reset_events();
		take_audit();
		assert_noop!(Identity::remove_subscription(none(), SUB), DispatchError::BadOrigin);
		assert_noop!(
			Identity::remove_subscription(root(), NOBODY),
			Error::<Test>::SubscriptionNotFound
		);
		assert_noop!(
			Identity::remove_subscription(signed(OTHER_OWNER), SUB),
			Error::<Test>::NotAuthorized
		);

		// When the subscriber is erased,
		let info = Identity::remove_subscription(signed(PROVISIONER), SUB).unwrap();
		assert_eq!(
			info,
			PostDispatchInfo {
				actual_weight: Some(
					<() as crate::WeightInfo>::remove_subscription(2, 2)
						.saturating_add(ERASE_WEIGHT)
				),
				pays_fee: Default::default(),
			}
		);

		// then no record of any of its pseudonyms remains,
		assert!(Subscriptions::<Test>::get(SUB).is_none());
		for impi in [IMPI, IMPI2] {
			assert!(Impis::<Test>::get(impi).is_none());
		}
		for impu in [IMPU, IMPU2] {
			assert!(Impus::<Test>::get(impu).is_none());
			assert!(Registrations::<Test>::get(impu).is_none());
		}
		assert_eq!(ImplicitSets::<Test>::iter_prefix(SUB).count(), 0);
		// the shared service data is released,
		assert_eq!(users_of_profile(REALM, PROFILE), 0);
		assert_eq!(ChargingInfos::<Test>::get(REALM, CHARGING).unwrap().users, 0);
		assert_eq!(Realms::<Test>::get(REALM).unwrap().subscriptions, 0);
		// the other pallets are told, once,
		assert_eq!(take_erased(), vec![SUB]);
		// and one event and one audit record say so, with counts only.
		assert_eq!(
			events(),
			vec![Event::SubscriptionErased { realm: REALM, subscription: SUB, impis: 2, impus: 2 }]
		);
		assert_eq!(
			take_audit(),
			vec![(Some(PROVISIONER), REALM, Subject::Subscription(SUB), Change::Erased)]
		);
	});
}

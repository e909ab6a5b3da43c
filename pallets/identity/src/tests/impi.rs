//! Tests of private identities.

use super::*;

fn create(
	origin: RuntimeOrigin,
	subscription: H256,
	impi: H256,
	schemes: AuthSchemes,
	default: AuthScheme,
) -> DispatchResult {
	Identity::create_impi(origin, subscription, impi, schemes, default)
}

/// Subscription SUB in REALM, without identities.
fn subscription() {
	assert_ok!(Identity::create_subscription(root(), REALM, SUB));
	System::reset_events();
	take_audit();
}

#[test]
fn create_impi_refuses_an_unsigned_origin() {
	given(subscription, || {
		assert_noop!(
			create(none(), SUB, IMPI, schemes(), AuthScheme::AkaV1Md5),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn create_impi_refuses_an_unknown_subscription() {
	given(subscription, || {
		assert_noop!(
			create(root(), NOBODY, IMPI, schemes(), AuthScheme::AkaV1Md5),
			Error::<Test>::SubscriptionNotFound
		);
	});
}

#[test]
fn create_impi_refuses_an_account_without_the_provision_permission() {
	given(subscription, || {
		assert_noop!(
			create(signed(FRONT), SUB, IMPI, schemes(), AuthScheme::AkaV1Md5),
			Error::<Test>::NotAuthorized
		);
	});
}

#[test]
fn create_impi_refuses_no_scheme() {
	given(subscription, || {
		assert_noop!(
			create(root(), SUB, IMPI, AuthSchemes(0), AuthScheme::AkaV1Md5),
			Error::<Test>::NoAuthScheme
		);
	});
}

#[test]
fn create_impi_refuses_an_unknown_scheme_bit() {
	given(subscription, || {
		assert_noop!(
			create(root(), SUB, IMPI, AuthSchemes(1 | 512), AuthScheme::AkaV1Md5),
			Error::<Test>::UnknownAuthScheme
		);
	});
}

#[test]
fn create_impi_refuses_a_default_scheme_outside_the_allowed_ones() {
	given(subscription, || {
		assert_noop!(
			create(root(), SUB, IMPI, schemes(), AuthScheme::DigestMd5),
			Error::<Test>::DefaultSchemeNotAllowed
		);
	});
}

#[test]
fn create_impi_stores_the_record_lists_it_emits_and_audits() {
	given(subscription, || {
		assert_ok!(create(signed(PROVISIONER), SUB, IMPI, schemes(), AuthScheme::SipDigest));
		assert_eq!(
			Impis::<Test>::get(IMPI),
			Some(ImpiRecord {
				subscription: SUB,
				realm: REALM,
				schemes: schemes(),
				default_scheme: AuthScheme::SipDigest,
				credential_epoch: 0,
				impus: Default::default(),
			})
		);
		assert_eq!(Subscriptions::<Test>::get(SUB).unwrap().impis.into_inner(), vec![IMPI]);
		assert_eq!(events(), vec![Event::ImpiCreated { subscription: SUB, impi: IMPI }]);
		assert_eq!(
			take_audit(),
			vec![(Some(PROVISIONER), REALM, Subject::Impi(IMPI), Change::Created)]
		);
	});
}

#[test]
fn create_impi_refuses_an_impi_that_exists() {
	given(subscription, || {
		assert_ok!(create(root(), SUB, IMPI, schemes(), AuthScheme::AkaV1Md5));
		assert_noop!(
			create(root(), SUB, IMPI, schemes(), AuthScheme::AkaV1Md5),
			Error::<Test>::ImpiAlreadyExists
		);
	});
}

#[test]
fn create_impi_refuses_more_impis_than_a_subscription_holds() {
	given(subscription, || {
		// The mock allows two IMPIs per subscription.
		assert_ok!(create(root(), SUB, IMPI, schemes(), AuthScheme::AkaV1Md5));
		assert_ok!(create(root(), SUB, IMPI2, schemes(), AuthScheme::AkaV1Md5));
		assert_noop!(
			create(root(), SUB, NOBODY, schemes(), AuthScheme::AkaV1Md5),
			Error::<Test>::TooManyImpis
		);
	});
}

fn all() -> AuthSchemes {
	AuthSchemes::of(&AuthScheme::ALL)
}

#[test]
fn update_impi_refuses_an_unsigned_origin() {
	given(subscriber, || {
		assert_noop!(
			Identity::update_impi(none(), IMPI, all(), AuthScheme::DigestMd5),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn update_impi_refuses_an_unknown_impi() {
	given(subscriber, || {
		assert_noop!(
			Identity::update_impi(root(), NOBODY, all(), AuthScheme::DigestMd5),
			Error::<Test>::ImpiNotFound
		);
	});
}

#[test]
fn update_impi_refuses_another_realms_owner() {
	given(subscriber, || {
		assert_noop!(
			Identity::update_impi(signed(OTHER_OWNER), IMPI, all(), AuthScheme::DigestMd5),
			Error::<Test>::NotAuthorized
		);
	});
}

#[test]
fn update_impi_refuses_no_scheme() {
	given(subscriber, || {
		assert_noop!(
			Identity::update_impi(root(), IMPI, AuthSchemes(0), AuthScheme::DigestMd5),
			Error::<Test>::NoAuthScheme
		);
	});
}

#[test]
fn update_impi_refuses_an_unknown_scheme_bit() {
	given(subscriber, || {
		assert_noop!(
			Identity::update_impi(root(), IMPI, AuthSchemes(0x100), AuthScheme::DigestMd5),
			Error::<Test>::UnknownAuthScheme
		);
	});
}

#[test]
fn update_impi_refuses_a_default_scheme_outside_the_allowed_ones() {
	given(subscriber, || {
		assert_noop!(
			Identity::update_impi(root(), IMPI, schemes(), AuthScheme::DigestMd5),
			Error::<Test>::DefaultSchemeNotAllowed
		);
	});
}

#[test]
fn update_impi_by_the_owner_stores_the_schemes_emits_and_audits() {
	given(subscriber, || {
		assert_ok!(Identity::update_impi(signed(OWNER), IMPI, all(), AuthScheme::DigestMd5));
		let record = Impis::<Test>::get(IMPI).unwrap();
		assert_eq!((record.schemes, record.default_scheme), (all(), AuthScheme::DigestMd5));
		assert_eq!(
			events(),
			vec![Event::ImpiUpdated {
				impi: IMPI,
				schemes: all(),
				default_scheme: AuthScheme::DigestMd5
			}]
		);
		assert_eq!(take_audit(), vec![(Some(OWNER), REALM, Subject::Impi(IMPI), Change::Updated)]);
	});
}

#[test]
fn rotate_credentials_refuses_an_unsigned_origin() {
	given(subscriber, || {
		assert_noop!(Identity::rotate_credentials(none(), IMPI), DispatchError::BadOrigin);
	});
}

#[test]
fn rotate_credentials_refuses_an_unknown_impi() {
	given(subscriber, || {
		assert_noop!(Identity::rotate_credentials(root(), NOBODY), Error::<Test>::ImpiNotFound);
	});
}

#[test]
fn rotate_credentials_refuses_a_provisioner() {
	given(subscriber, || {
		// Provisioning does not imply touching credentials.
		assert_noop!(
			Identity::rotate_credentials(signed(PROVISIONER), IMPI),
			Error::<Test>::NotAuthorized
		);
	});
}

#[test]
fn rotate_credentials_by_the_vault_counts_epochs_emits_and_audits() {
	given(subscriber, || {
		assert_ok!(Identity::rotate_credentials(signed(VAULT), IMPI));
		assert_ok!(Identity::rotate_credentials(signed(VAULT), IMPI));
		assert_eq!(Impis::<Test>::get(IMPI).unwrap().credential_epoch, 2);
		assert_eq!(
			events(),
			vec![
				Event::CredentialsRotated { impi: IMPI, epoch: 1 },
				Event::CredentialsRotated { impi: IMPI, epoch: 2 }
			]
		);
		assert_eq!(
			take_audit()[0],
			(Some(VAULT), REALM, Subject::Impi(IMPI), Change::CredentialsRotated)
		);
	});
}

#[test]
fn rotate_credentials_refuses_to_wrap_the_epoch() {
	given(subscriber, || {
		Impis::<Test>::mutate(IMPI, |record| record.as_mut().unwrap().credential_epoch = u32::MAX);
		assert_noop!(Identity::rotate_credentials(root(), IMPI), Error::<Test>::Overflow);
	});
}

#[test]
fn remove_impi_refuses_an_unsigned_origin() {
	given(subscriber, || {
		assert_noop!(Identity::remove_impi(none(), IMPI), DispatchError::BadOrigin);
	});
}

#[test]
fn remove_impi_refuses_an_unknown_impi() {
	given(subscriber, || {
		assert_noop!(Identity::remove_impi(root(), NOBODY), Error::<Test>::ImpiNotFound);
	});
}

#[test]
fn remove_impi_refuses_a_stranger() {
	given(subscriber, || {
		assert_noop!(Identity::remove_impi(signed(STRANGER), IMPI), Error::<Test>::NotAuthorized);
	});
}

#[test]
fn remove_impi_unlinks_erases_refunds_emits_and_audits() {
	given(subscriber, || {
		let info = Identity::remove_impi(signed(PROVISIONER), IMPI).unwrap();
		assert_eq!(info.actual_weight, Some(<() as crate::WeightInfo>::remove_impi(2)));
		assert!(Impis::<Test>::get(IMPI).is_none());
		assert!(Identity::impis_linked_to(IMPU, SUB).is_empty());
		assert_eq!(Impus::<Test>::get(IMPU).unwrap().impis, 0);
		assert!(Subscriptions::<Test>::get(SUB).unwrap().impis.is_empty());
		let mut got = events();
		let removed = got.pop();
		got.sort_by_key(|event| format!("{event:?}"));
		assert_eq!(removed, Some(Event::ImpiRemoved { impi: IMPI }));
		assert_eq!(
			got,
			vec![
				Event::Unlinked { impi: IMPI, impu: IMPU },
				Event::Unlinked { impi: IMPI, impu: IMPU2 }
			]
		);
		assert_eq!(
			take_audit(),
			vec![(Some(PROVISIONER), REALM, Subject::Impi(IMPI), Change::Removed)]
		);
	});
}

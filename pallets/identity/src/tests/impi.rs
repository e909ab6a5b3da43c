//! Tests of private identities.

use super::*;

#[test]
fn create_impi_works() {
	ExtBuilder::build_and_execute(|| {
		assert_ok!(Identity::create_subscription(root(), REALM, SUB));
		System::reset_events();
		take_audit();
		let create = |origin, subscription, impi, schemes, default| {
			Identity::create_impi(origin, subscription, impi, schemes, default)
		};
		assert_noop!(
			create(none(), SUB, IMPI, schemes(), AuthScheme::AkaV1Md5),
			DispatchError::BadOrigin
		);
		assert_noop!(
			create(root(), NOBODY, IMPI, schemes(), AuthScheme::AkaV1Md5),
			Error::<Test>::SubscriptionNotFound
		);
		assert_noop!(
			create(signed(FRONT), SUB, IMPI, schemes(), AuthScheme::AkaV1Md5),
			Error::<Test>::NotAuthorized
		);
		assert_noop!(
			create(root(), SUB, IMPI, AuthSchemes(0), AuthScheme::AkaV1Md5),
			Error::<Test>::NoAuthScheme
		);
		assert_noop!(
			create(root(), SUB, IMPI, AuthSchemes(1 | 512), AuthScheme::AkaV1Md5),
			Error::<Test>::UnknownAuthScheme
		);
		assert_noop!(
			create(root(), SUB, IMPI, schemes(), AuthScheme::DigestMd5),
			Error::<Test>::DefaultSchemeNotAllowed
		);
		assert_ok!(create(signed(PROVISIONER), SUB, IMPI, schemes(), AuthScheme::SipDigest));
		assert_eq!(
			Impis::<Test>::get(IMPI),
			Some(ImpiRecord {
				subscription: SUB,
				realm: REALM,
				schemes: schemes(),
				default_scheme: AuthScheme::SipDigest,
				credential_epoch: 0,
				impus: 0,
			})
		);
		assert_eq!(Subscriptions::<Test>::get(SUB).unwrap().impis.into_inner(), vec![IMPI]);
		assert_eq!(events(), vec![Event::ImpiCreated { subscription: SUB, impi: IMPI }]);
		assert_eq!(
			take_audit(),
			vec![(Some(PROVISIONER), REALM, Subject::Impi(IMPI), Change::Created)]
		);
		assert_noop!(
			create(root(), SUB, IMPI, schemes(), AuthScheme::AkaV1Md5),
			Error::<Test>::ImpiAlreadyExists
		);
		// The mock allows two IMPIs per subscription.
		assert_ok!(create(root(), SUB, IMPI2, schemes(), AuthScheme::AkaV1Md5));
		assert_noop!(
			create(root(), SUB, NOBODY, schemes(), AuthScheme::AkaV1Md5),
			Error::<Test>::TooManyImpis
		);
	});
}

#[test]
fn update_impi_works() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		let all = AuthSchemes::of(&AuthScheme::ALL);
		assert_noop!(
			Identity::update_impi(none(), IMPI, all, AuthScheme::DigestMd5),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Identity::update_impi(root(), NOBODY, all, AuthScheme::DigestMd5),
			Error::<Test>::ImpiNotFound
		);
		assert_noop!(
			Identity::update_impi(signed(OTHER_OWNER), IMPI, all, AuthScheme::DigestMd5),
			Error::<Test>::NotAuthorized
		);
		assert_noop!(
			Identity::update_impi(root(), IMPI, AuthSchemes(0), AuthScheme::DigestMd5),
			Error::<Test>::NoAuthScheme
		);
		assert_noop!(
			Identity::update_impi(root(), IMPI, AuthSchemes(0x100), AuthScheme::DigestMd5),
			Error::<Test>::UnknownAuthScheme
		);
		assert_noop!(
			Identity::update_impi(root(), IMPI, schemes(), AuthScheme::DigestMd5),
			Error::<Test>::DefaultSchemeNotAllowed
		);
		assert_ok!(Identity::update_impi(signed(OWNER), IMPI, all, AuthScheme::DigestMd5));
		let record = Impis::<Test>::get(IMPI).unwrap();
		assert_eq!((record.schemes, record.default_scheme), (all, AuthScheme::DigestMd5));
		assert_eq!(
			events(),
			vec![Event::ImpiUpdated {
				impi: IMPI,
				schemes: all,
				default_scheme: AuthScheme::DigestMd5
			}]
		);
		assert_eq!(take_audit(), vec![(Some(OWNER), REALM, Subject::Impi(IMPI), Change::Updated)]);
	});
}

#[test]
fn rotate_credentials_works() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		assert_noop!(Identity::rotate_credentials(none(), IMPI), DispatchError::BadOrigin);
		assert_noop!(Identity::rotate_credentials(root(), NOBODY), Error::<Test>::ImpiNotFound);
		// Provisioning does not imply touching credentials.
		assert_noop!(
			Identity::rotate_credentials(signed(PROVISIONER), IMPI),
			Error::<Test>::NotAuthorized
		);
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
		Impis::<Test>::mutate(IMPI, |record| record.as_mut().unwrap().credential_epoch = u32::MAX);
		assert_noop!(Identity::rotate_credentials(root(), IMPI), Error::<Test>::Overflow);
	});
}

#[test]
fn remove_impi_works() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		assert_noop!(Identity::remove_impi(none(), IMPI), DispatchError::BadOrigin);
		assert_noop!(Identity::remove_impi(root(), NOBODY), Error::<Test>::ImpiNotFound);
		assert_noop!(Identity::remove_impi(signed(STRANGER), IMPI), Error::<Test>::NotAuthorized);
		let info = Identity::remove_impi(signed(PROVISIONER), IMPI).unwrap();
		assert_eq!(info.actual_weight, Some(<() as crate::WeightInfo>::remove_impi(2)));
		assert!(Impis::<Test>::get(IMPI).is_none());
		assert_eq!(ImpusOfImpi::<Test>::iter_prefix(IMPI).count(), 0);
		assert!(!ImpisOfImpu::<Test>::contains_key(IMPU, IMPI));
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

//! Tests of consents.

use super::*;

#[test]
fn grant_consent_works() {
	ExtBuilder::build_and_execute(|| {
		subscribers();
		clear();
		let grant = |origin, subscriber, purpose: Purpose, expires_at| {
			Access::grant_consent(
				origin,
				subscriber,
				purpose,
				LawfulBasis::Consent,
				expires_at,
				EVIDENCE,
			)
		};
		assert_noop!(grant(none(), IMPI, presence(), None), DispatchError::BadOrigin);
		assert_noop!(
			grant(signed(PROVISIONER), NOBODY, presence(), None),
			Error::<Test>::SubscriberNotFound
		);
		for who in [FRONT, AUDITOR, OTHER_ADMIN, STRANGER] {
			assert_noop!(grant(signed(who), IMPI, presence(), None), Error::<Test>::NotAuthorized);
		}
		// A provisioner of realm 0 cannot record for realm 1's subscriber.
		assert_noop!(
			grant(signed(PROVISIONER), OTHER_IMPI, presence(), None),
			Error::<Test>::NotAuthorized
		);
		assert_noop!(
			grant(signed(PROVISIONER), IMPI, Purpose::default(), None),
			Error::<Test>::EmptyPurpose
		);
		assert_noop!(
			grant(signed(PROVISIONER), IMPI, presence(), Some(1)),
			Error::<Test>::ExpiryInPast
		);
		assert!(events().is_empty());

		// When the provisioner records consent, naming the subscriber by IMPI,
		assert_ok!(grant(signed(PROVISIONER), IMPI, presence(), Some(50)));
		// then it is stored under the subscription,
		let record = ConsentRecord {
			purpose: presence(),
			basis: LawfulBasis::Consent,
			granted_at: 1,
			expires_at: Some(50),
			evidence: EVIDENCE,
		};
		assert_eq!(Consents::<Test>::get(SUB).unwrap().into_inner(), vec![record]);
		assert_eq!(
			events(),
			vec![Event::ConsentGranted {
				realm: REALM,
				subscription: SUB,
				purpose: presence(),
				basis: LawfulBasis::Consent,
				expires_at: Some(50),
				evidence: EVIDENCE
			}]
		);
		// a second record for the purpose replaces the first,
		System::set_block_number(2);
		assert_ok!(Access::grant_consent(
			root(),
			SUB,
			presence(),
			LawfulBasis::Contract,
			None,
			H256::repeat_byte(2)
		));
		let held = Consents::<Test>::get(SUB).unwrap();
		assert_eq!(held.len(), 1);
		assert_eq!(
			(held[0].basis, held[0].granted_at, held[0].expires_at),
			(LawfulBasis::Contract, 2, None)
		);
		assert_eq!(
			take_audit(),
			vec![
				(Some(PROVISIONER), REALM, Subject::Consent(SUB, presence()), Change::Created),
				(None, REALM, Subject::Consent(SUB, presence()), Change::Updated),
			]
		);
		// and a subscription holds at most three purposes.
		assert_ok!(grant(signed(ADMIN), SUB, token("marketing"), None));
		assert_ok!(grant(signed(OWNER), SUB, token("analytics"), None));
		assert_noop!(
			grant(signed(PROVISIONER), SUB, token("research"), None),
			Error::<Test>::TooManyConsents
		);
	});
}

#[test]
fn withdraw_consent_works() {
	ExtBuilder::build_and_execute(|| {
		subscribers();
		assert_ok!(Access::grant_consent(
			signed(PROVISIONER),
			IMPI,
			presence(),
			LawfulBasis::Consent,
			None,
			EVIDENCE
		));
		assert_ok!(Access::authorize_application_server(root(), REALM, host(), presence_server()));
		let read = || {
			Access::decide(
				as_peer(FINGERPRINT),
				REALM,
				Some(IMPI),
				Action::ShRead(ShData::ImsUserState),
			)
		};
		assert_eq!(read(), Ok(()));
		clear();
		let withdrawal = H256::repeat_byte(0xd0);
		assert_noop!(
			Access::withdraw_consent(none(), IMPI, presence(), withdrawal),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Access::withdraw_consent(signed(PROVISIONER), NOBODY, presence(), withdrawal),
			Error::<Test>::SubscriberNotFound
		);
		assert_noop!(
			Access::withdraw_consent(signed(FRONT), IMPI, presence(), withdrawal),
			Error::<Test>::NotAuthorized
		);
		assert_noop!(
			Access::withdraw_consent(signed(PROVISIONER), IMPI, token("marketing"), withdrawal),
			Error::<Test>::ConsentNotFound
		);
		assert_noop!(
			Access::withdraw_consent(signed(OTHER_ADMIN), OTHER_IMPI, presence(), withdrawal),
			Error::<Test>::ConsentNotFound
		);

		// Withdrawing takes one call, like granting, and holds for the very
		// next decision in the same block.
		assert_ok!(Access::withdraw_consent(signed(PROVISIONER), SUB, presence(), withdrawal));
		assert!(Consents::<Test>::get(SUB).is_none());
		assert_eq!(read(), Err(Denial::NoConsent));
		assert_eq!(
			events(),
			vec![Event::ConsentWithdrawn {
				realm: REALM,
				subscription: SUB,
				purpose: presence(),
				evidence: withdrawal
			}]
		);
		assert_eq!(
			take_audit(),
			vec![(Some(PROVISIONER), REALM, Subject::Consent(SUB, presence()), Change::Removed)]
		);
	});
}

//! Tests of consents.

use super::*;

fn grant(
	origin: RuntimeOrigin,
	subscriber: Pseudonym,
	purpose: Purpose,
	expires_at: Option<u64>,
) -> DispatchResult {
	Access::grant_consent(origin, subscriber, purpose, LawfulBasis::Consent, expires_at, EVIDENCE)
}

/// `subscribers()` from a clean slate.
fn both_realms() {
	subscribers();
	clear();
}

#[test]
fn grant_consent_refuses_an_unsigned_origin() {
	given(both_realms, || {
		assert_noop!(grant(none(), IMPI, presence(), None), DispatchError::BadOrigin);
	});
}

#[test]
fn grant_consent_refuses_an_unknown_subscriber() {
	given(both_realms, || {
		assert_noop!(
			grant(signed(PROVISIONER), NOBODY, presence(), None),
			Error::<Test>::SubscriberNotFound
		);
	});
}

#[test]
fn grant_consent_refuses_accounts_without_the_provision_permission() {
	given(both_realms, || {
		for who in [FRONT, AUDITOR, OTHER_ADMIN, STRANGER] {
			assert_noop!(grant(signed(who), IMPI, presence(), None), Error::<Test>::NotAuthorized);
		}
	});
}

#[test]
fn grant_consent_refuses_a_provisioner_of_another_realm() {
	given(both_realms, || {
		// A provisioner of realm 0 cannot record for realm 1's subscriber.
		assert_noop!(
			grant(signed(PROVISIONER), OTHER_IMPI, presence(), None),
			Error::<Test>::NotAuthorized
		);
	});
}

#[test]
fn grant_consent_refuses_an_empty_purpose() {
	given(both_realms, || {
		assert_noop!(
			grant(signed(PROVISIONER), IMPI, Purpose::default(), None),
			Error::<Test>::EmptyPurpose
		);
	});
}

#[test]
fn grant_consent_refuses_an_expiry_in_the_past() {
	given(both_realms, || {
		assert_noop!(
			grant(signed(PROVISIONER), IMPI, presence(), Some(1)),
			Error::<Test>::ExpiryInPast
		);
	});
}

#[test]
fn grant_consent_refusals_leave_no_event() {
	given(both_realms, || {
		let _ = grant(signed(STRANGER), IMPI, presence(), None);
		let _ = grant(signed(PROVISIONER), IMPI, presence(), Some(1));
		assert!(events().is_empty());
	});
}

#[test]
fn grant_consent_named_by_impi_is_stored_under_the_subscription_emitted_and_audited() {
	given(both_realms, || {
		assert_ok!(grant(signed(PROVISIONER), IMPI, presence(), Some(50)));
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
		assert_eq!(
			take_audit(),
			vec![(Some(PROVISIONER), REALM, Subject::Consent(SUB, presence()), Change::Created)]
		);
	});
}

#[test]
fn grant_consent_again_for_a_purpose_replaces_the_record() {
	given(both_realms, || {
		assert_ok!(grant(signed(PROVISIONER), IMPI, presence(), Some(50)));
		take_audit();
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
			vec![(None, REALM, Subject::Consent(SUB, presence()), Change::Updated)]
		);
	});
}

#[test]
fn grant_consent_refuses_a_fourth_purpose() {
	given(both_realms, || {
		// The mock holds at most three purposes per subscription.
		assert_ok!(grant(signed(PROVISIONER), IMPI, presence(), None));
		assert_ok!(grant(signed(ADMIN), SUB, token("marketing"), None));
		assert_ok!(grant(signed(OWNER), SUB, token("analytics"), None));
		assert_noop!(
			grant(signed(PROVISIONER), SUB, token("research"), None),
			Error::<Test>::TooManyConsents
		);
	});
}

/// `subscribers()`, SUB's consent to presence and the presence server
/// authorised, from a clean slate.
fn consented() {
	subscribers();
	assert_ok!(grant(signed(PROVISIONER), IMPI, presence(), None));
	assert_ok!(Access::authorize_application_server(root(), REALM, host(), presence_server()));
	clear();
}

fn read_user_state() -> Result<(), Denial> {
	Access::decide(as_peer(FINGERPRINT), REALM, Some(IMPI), Action::ShRead(ShData::ImsUserState))
}

const WITHDRAWAL: H256 = H256::repeat_byte(0xd0);

#[test]
fn withdraw_consent_refuses_an_unsigned_origin() {
	given(consented, || {
		assert_noop!(
			Access::withdraw_consent(none(), IMPI, presence(), WITHDRAWAL),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn withdraw_consent_refuses_an_unknown_subscriber() {
	given(consented, || {
		assert_noop!(
			Access::withdraw_consent(signed(PROVISIONER), NOBODY, presence(), WITHDRAWAL),
			Error::<Test>::SubscriberNotFound
		);
	});
}

#[test]
fn withdraw_consent_refuses_a_front_end() {
	given(consented, || {
		assert_noop!(
			Access::withdraw_consent(signed(FRONT), IMPI, presence(), WITHDRAWAL),
			Error::<Test>::NotAuthorized
		);
	});
}

#[test]
fn withdraw_consent_refuses_a_purpose_never_consented_to() {
	given(consented, || {
		assert_noop!(
			Access::withdraw_consent(signed(PROVISIONER), IMPI, token("marketing"), WITHDRAWAL),
			Error::<Test>::ConsentNotFound
		);
	});
}

#[test]
fn withdraw_consent_refuses_a_subscriber_without_consents() {
	given(consented, || {
		assert_noop!(
			Access::withdraw_consent(signed(OTHER_ADMIN), OTHER_IMPI, presence(), WITHDRAWAL),
			Error::<Test>::ConsentNotFound
		);
	});
}

#[test]
fn withdraw_consent_erases_the_record_emits_and_audits() {
	given(consented, || {
		assert_ok!(Access::withdraw_consent(signed(PROVISIONER), SUB, presence(), WITHDRAWAL));
		assert!(Consents::<Test>::get(SUB).is_none());
		assert_eq!(
			events(),
			vec![Event::ConsentWithdrawn {
				realm: REALM,
				subscription: SUB,
				purpose: presence(),
				evidence: WITHDRAWAL
			}]
		);
		assert_eq!(
			take_audit(),
			vec![(Some(PROVISIONER), REALM, Subject::Consent(SUB, presence()), Change::Removed)]
		);
	});
}

#[test]
fn withdraw_consent_holds_for_the_next_decision_in_the_same_block() {
	given(consented, || {
		assert_eq!(read_user_state(), Ok(()));
		assert_ok!(Access::withdraw_consent(signed(PROVISIONER), SUB, presence(), WITHDRAWAL));
		assert_eq!(read_user_state(), Err(Denial::NoConsent));
	});
}

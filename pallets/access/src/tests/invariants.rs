//! Tests of the invariants `try_state` checks.

use super::*;

#[test]
fn try_state_catches_broken_records() {
	ExtBuilder::build().execute_with(|| {
		subscribers();
		assert_ok!(Access::do_try_state());

		// Grants out of order (or a role twice).
		let held = Roles::<Test>::get(REALM, ADMIN).unwrap();
		let mut twice = held.clone();
		twice.try_push(held[0].clone()).unwrap();
		Roles::<Test>::insert(REALM, ADMIN, twice);
		assert!(Access::do_try_state().is_err());
		Roles::<Test>::insert(REALM, ADMIN, held);
		assert_ok!(Access::do_try_state());

		// A grant in a realm that does not exist.
		Roles::<Test>::insert(9, STRANGER, Roles::<Test>::get(REALM, ADMIN).unwrap());
		assert!(Access::do_try_state().is_err());
		Roles::<Test>::remove(9, STRANGER);

		// A malformed authorisation.
		let mut authorization = presence_server();
		authorization.sh_read = ShDataSet(1 << 30);
		ApplicationServers::<Test>::insert(REALM, host(), authorization);
		assert!(Access::do_try_state().is_err());
		ApplicationServers::<Test>::remove(REALM, host());

		// A consent under an IMPI instead of its subscription, or under a
		// pseudonym that names nothing.
		let consents: ConsentsOf<Test> = vec![ConsentRecord {
			purpose: presence(),
			basis: LawfulBasis::Consent,
			granted_at: 1,
			expires_at: None,
			evidence: EVIDENCE,
		}]
		.try_into()
		.unwrap();
		for key in [IMPI, NOBODY] {
			Consents::<Test>::insert(key, consents.clone());
			assert!(Access::do_try_state().is_err());
			Consents::<Test>::remove(key);
		}
		Consents::<Test>::insert(SUB, consents);
		assert_ok!(Access::do_try_state());
	});
}

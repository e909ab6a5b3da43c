//! Tests of the invariants `try_state` checks and of the configuration
//! bounds `integrity_test` checks.

use super::*;

#[test]
fn try_state_catches_broken_invariants() {
	ExtBuilder::build().execute_with(|| {
		subscriber();
		assert_ok!(Identity::do_try_state());
		// A link the IMPU does not count,
		Impus::<Test>::mutate(IMPU, |record| record.as_mut().unwrap().impis = 0);
		assert!(Identity::do_try_state().is_err());
		Impus::<Test>::mutate(IMPU, |record| record.as_mut().unwrap().impis = 1);
		// a link to a missing IMPU,
		Impis::<Test>::mutate(IMPI, |record| {
			record.as_mut().unwrap().impus.try_push(NOBODY).unwrap()
		});
		assert!(Identity::do_try_state().is_err());
		Impis::<Test>::mutate(IMPI, |record| {
			record.as_mut().unwrap().impus.retain(|u| *u != NOBODY)
		});
		assert_ok!(Identity::do_try_state());
		// a wrong counter,
		ServiceProfiles::<Test>::mutate(REALM, PROFILE, |entry| entry.as_mut().unwrap().users = 9);
		assert!(Identity::do_try_state().is_err());
		ServiceProfiles::<Test>::mutate(REALM, PROFILE, |entry| entry.as_mut().unwrap().users = 2);
		assert_ok!(Identity::do_try_state());
		// an orphan,
		Registrations::<Test>::insert(
			NOBODY,
			RegistrationRecord { state: RegistrationState::Registered, scscf: None, updated_at: 1 },
		);
		assert!(Identity::do_try_state().is_err());
		Registrations::<Test>::remove(NOBODY);
		// a barred default.
		Impus::<Test>::mutate(IMPU, |record| record.as_mut().unwrap().barred = true);
		assert!(Identity::do_try_state().is_err());
	});
}

#[test]
fn integrity_test_passes() {
	use frame_support::traits::Hooks;
	ExtBuilder::build().execute_with(|| {
		<Identity as Hooks<u64>>::integrity_test();
	});
}

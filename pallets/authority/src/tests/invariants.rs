//! Tests of invariants.

use super::*;

fn broken(corrupt: impl FnOnce(), message: &str) {
	ExtBuilder::default().build().execute_with(|| {
		Authority::do_try_state().unwrap();
		corrupt();
		assert_eq!(
			Authority::do_try_state(),
			Err(sp_runtime::TryRuntimeError::Other(Box::leak(
				message.to_string().into_boxed_str()
			))),
		);
	});
}

#[test]
fn try_state_catches_every_breakage() {
	broken(
		|| Ledgers::<Test>::mutate(DE, |l| l.as_mut().unwrap().active = 1),
		"a ledger differs from the held balance",
	);
	broken(
		|| {
			Ledgers::<Test>::insert(
				STRANGER,
				Ledger { active: 0, unlocking: BoundedVec::truncate_from(vec![]) },
			)
		},
		"an empty ledger is kept",
	);
	broken(
		|| {
			Ledgers::<Test>::mutate(DE, |l| {
				l.as_mut()
					.unwrap()
					.unlocking
					.try_push(Unlocking { amount: 0, from_session: 1 })
					.unwrap()
			})
		},
		"an unlocking chunk is empty",
	);
	broken(
		|| {
			Candidates::<Test>::mutate(DE, |c| {
				c.as_mut().unwrap().region = Region::new(b"de", None)
			})
		},
		"a candidate's region is malformed",
	);
	broken(
		|| {
			let mut p = parameters();
			p.min_validators = 0;
			Params::<Test>::put(p)
		},
		"invalid parameters stored",
	);
	broken(|| AllowedRegions::<Test>::put(codes(&[])), "invalid region rule stored");
	broken(
		|| {
			Active::<Test>::mutate(|seats| {
				let first = seats[0].clone();
				seats[1] = first;
			})
		},
		"a validator is seated twice",
	);
	broken(
		|| Queued::<Test>::mutate(|plan| plan.as_mut().unwrap().session = 5),
		"the queued set is not for the next session",
	);
	broken(
		|| Queued::<Test>::mutate(|plan| plan.as_mut().unwrap().seats.clear()),
		"an empty set is queued",
	);
}

#[test]
fn the_held_balance_is_what_the_ledgers_say_over_sessions() {
	with_genesis(|| {
		assert_ok!(Authority::unbond(signed(DE), 10));
		assert_ok!(Authority::bond(signed(FR), 10));
		assert_ok!(Authority::retire(signed(US)));
		for session in 1..=UNBONDING + 1 {
			run_to_session(session);
			Authority::do_try_state().unwrap();
		}
		assert_ok!(Authority::withdraw_unbonded(signed(DE)));
		assert_ok!(Authority::withdraw_unbonded(signed(US)));
		assert_eq!(held(DE), 3_990);
		assert_eq!(held(FR), 3_010);
		assert_eq!(held(US), 0);
	});
}

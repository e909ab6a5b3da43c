//! Tests of retire.

use super::*;

#[test]
fn needs_a_signed_candidate() {
	with_genesis(|| {
		assert_noop!(Authority::retire(root()), DispatchError::BadOrigin);
		assert_noop!(Authority::retire(signed(STRANGER)), AuthorityError::NotCandidate);
	});
}

#[test]
fn unbonds_everything_and_leaves() {
	with_genesis(|| {
		assert_ok!(Authority::retire(signed(US)));
		assert_eq!(status(US), None);
		assert_eq!(active_stake(US), 0);
		assert_eq!(held(US), 1_500);
		assert_eq!(
			authority_events(),
			vec![
				Event::Unbonded { who: US, amount: 1_500, from_session: UNBONDING },
				Event::Retired { candidate: US },
			]
		);
	});
}

#[test]
fn folds_the_bond_into_the_last_chunk_when_the_list_is_full() {
	with_genesis(|| {
		for _ in 0..MAX_CHUNKS {
			assert_ok!(Authority::unbond(signed(US), 100));
		}
		run_to_session(1);
		assert_ok!(Authority::retire(signed(US)));
		let ledger = Ledgers::<Test>::get(US).unwrap();
		assert_eq!(ledger.active, 0);
		assert_eq!(ledger.unlocking.len() as u32, MAX_CHUNKS);
		assert_eq!(
			ledger.unlocking.last(),
			Some(&Unlocking { amount: 100 + 1_200, from_session: 1 + UNBONDING })
		);
		assert_eq!(held(US), 1_500);
	});
}

//! Tests of unbond and withdraw.

use super::*;

#[test]
fn need_a_signed_origin_and_a_ledger() {
	with_genesis(|| {
		assert_noop!(Authority::unbond(root(), 1), DispatchError::BadOrigin);
		assert_noop!(Authority::withdraw_unbonded(root()), DispatchError::BadOrigin);
		assert_noop!(Authority::unbond(signed(STRANGER), 1), AuthorityError::NotBonded);
		assert_noop!(Authority::withdraw_unbonded(signed(STRANGER)), AuthorityError::NotBonded);
	});
}

#[test]
fn unbond_refuses_zero_too_much_and_too_many_chunks() {
	with_genesis(|| {
		assert_noop!(Authority::unbond(signed(DE), 0), AuthorityError::ZeroAmount);
		assert_noop!(Authority::unbond(signed(DE), 4_001), AuthorityError::InsufficientBond);
		for _ in 0..MAX_CHUNKS {
			assert_ok!(Authority::unbond(signed(DE), 1));
		}
		assert_noop!(Authority::unbond(signed(DE), 1), AuthorityError::TooManyUnlockingChunks);
	});
}

#[test]
fn unbonded_stake_stays_held_for_the_delay() {
	with_genesis(|| {
		assert_ok!(Authority::unbond(signed(DE), 1_000));
		assert_eq!(active_stake(DE), 3_000);
		assert_eq!(held(DE), 4_000);
		assert_eq!(
			last_event(),
			Event::Unbonded { who: DE, amount: 1_000, from_session: UNBONDING }
		);
		assert_noop!(Authority::withdraw_unbonded(signed(DE)), AuthorityError::NothingToWithdraw);
		run_to_session(UNBONDING - 1);
		assert_noop!(Authority::withdraw_unbonded(signed(DE)), AuthorityError::NothingToWithdraw);
		run_to_session(UNBONDING);
		assert_ok!(Authority::withdraw_unbonded(signed(DE)));
		assert_eq!(held(DE), 3_000);
		assert_eq!(Balances::free_balance(DE), BALANCE - 3_000);
		assert_eq!(last_event(), Event::Withdrawn { who: DE, amount: 1_000 });
		assert_eq!(Ledgers::<Test>::get(DE).map(|l| l.unlocking.len()), Some(0));
	});
}

#[test]
fn withdrawing_everything_drops_the_ledger() {
	with_genesis(|| {
		assert_ok!(Authority::retire(signed(US)));
		run_to_session(UNBONDING);
		assert_ok!(Authority::withdraw_unbonded(signed(US)));
		assert_eq!(Ledgers::<Test>::get(US), None);
		assert_eq!(held(US), 0);
		assert_eq!(Balances::free_balance(US), BALANCE);
	});
}

#[test]
fn only_due_chunks_are_released() {
	with_genesis(|| {
		assert_ok!(Authority::unbond(signed(DE), 100));
		run_to_session(1);
		assert_ok!(Authority::unbond(signed(DE), 200));
		run_to_session(UNBONDING);
		assert_ok!(Authority::withdraw_unbonded(signed(DE)));
		assert_eq!(last_event(), Event::Withdrawn { who: DE, amount: 100 });
		assert_eq!(held(DE), 3_900);
		run_to_session(UNBONDING + 1);
		assert_ok!(Authority::withdraw_unbonded(signed(DE)));
		assert_eq!(held(DE), 3_700);
	});
}

#[test]
fn a_stake_below_the_minimum_is_not_selected() {
	with_genesis(|| {
		assert_ok!(Authority::unbond(signed(NL), 2_000 - MIN_BOND + 1));
		run_to_session(2);
		assert_eq!(Session::validators(), vec![DE, FR, IE]);
	});
}

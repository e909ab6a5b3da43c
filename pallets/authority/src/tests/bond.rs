//! Tests of bond.

use super::*;

#[test]
fn needs_a_signed_candidate() {
	with_genesis(|| {
		assert_noop!(Authority::bond(root(), 10), DispatchError::BadOrigin);
		assert_noop!(Authority::bond(signed(STRANGER), 10), AuthorityError::NotCandidate);
	});
}

#[test]
fn refuses_zero_and_more_than_the_balance() {
	with_genesis(|| {
		assert_noop!(Authority::bond(signed(DE), 0), AuthorityError::ZeroAmount);
		assert_noop!(Authority::bond(signed(DE), BALANCE), AuthorityError::InsufficientBalance);
	});
}

#[test]
fn refuses_an_overflowing_bond() {
	with_genesis(|| {
		Ledgers::<Test>::mutate(DE, |l| l.as_mut().unwrap().active = u64::MAX);
		assert_noop!(Authority::bond(signed(DE), 1), AuthorityError::Overflow);
		Ledgers::<Test>::mutate(DE, |l| l.as_mut().unwrap().active = 4_000);
	});
}

#[test]
fn holds_the_amount() {
	with_genesis(|| {
		assert_ok!(Authority::bond(signed(IE), 5_000));
		assert_eq!(active_stake(IE), 6_000);
		assert_eq!(held(IE), 6_000);
		assert_eq!(Balances::free_balance(IE), BALANCE - 6_000);
		assert_eq!(last_event(), Event::Bonded { who: IE, amount: 5_000 });
		// An applicant bonds before admission; its ledger is created.
		assert_ok!(Authority::apply(signed(APPLICANT), 106, region(b"DE")));
		assert_ok!(Authority::bond(signed(APPLICANT), 700));
		assert_eq!(Ledgers::<Test>::get(APPLICANT).map(|l| l.active), Some(700));
	});
}

#[test]
fn more_stake_ranks_higher_at_the_next_planned_session() {
	with_genesis(|| {
		assert_ok!(Authority::bond(signed(IE), 5_000));
		run_to_session(1);
		assert_eq!(Session::validators(), vec![DE, FR, NL, IE]);
		run_to_session(2);
		assert_eq!(Session::validators(), vec![IE, DE, FR, NL]);
	});
}

//! Unit tests: every call (bad origin, every error, success with storage and
//! events), then selection, GRANDPA weights and liveness over many sessions.
//!
//! Timeline of the mock: sessions of 10 blocks; session `n` starts at block
//! `10 n`, and its set is planned when session `n - 1` starts. A change made
//! during session 0 therefore shows in the set of session 2 (block 20).

use crate::{
	mock::*, pallet::*, Code, KeepReason, Ledger, Parameters, Region, RegionPolicy, Seat, Status,
	Unlocking,
};
use frame_support::{
	assert_noop, assert_ok,
	traits::{fungible::InspectHold, EstimateNextSessionRotation},
	BoundedVec,
};
use sp_runtime::{DispatchError, Perbill, Permill, TokenError};

type AuthorityError = Error<Test>;

/// Runs `test` on the default genesis, then checks the invariants.
fn with_genesis(test: impl FnOnce()) {
	ExtBuilder::default().build().execute_with(|| {
		test();
		Authority::do_try_state().expect("invariants hold");
	});
}

fn signed(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

fn root() -> RuntimeOrigin {
	RuntimeOrigin::root()
}

fn codes(list: &[&[u8; 2]]) -> RegionPolicy<sp_core::ConstU32<MAX_REGIONS>> {
	RegionPolicy::Only(BoundedVec::truncate_from(list.iter().map(|c| Code::new(c)).collect()))
}

fn last_event() -> Event<Test> {
	authority_events().pop().expect("an event")
}

fn active_stake(who: u64) -> u64 {
	Ledgers::<Test>::get(who).map_or(0, |ledger| ledger.active)
}

fn held(who: u64) -> u64 {
	Balances::balance_on_hold(&HoldReason::Bond.into(), &who)
}

fn status(who: u64) -> Option<Status> {
	Candidates::<Test>::get(who).map(|c| c.status)
}

/// Applies, gets admitted and registers keys.
fn join(who: u64, operator: u64, country: &[u8; 2], bond: u64) {
	assert_ok!(Authority::apply(signed(who), operator, region(country)));
	assert_ok!(Authority::admit(root(), who));
	assert_ok!(Authority::bond(signed(who), bond));
	assert_ok!(Session::set_keys(signed(who), keys(who), key_proof(who)));
}

/// Asserts GRANDPA's current voters and their weights (shares in parts per
/// billion), within a rounding of 2.
fn assert_grandpa(expected: &[(u64, u64)]) {
	let actual = grandpa_weights();
	let voters: Vec<u64> = actual.iter().map(|(who, _)| *who).collect();
	assert_eq!(voters, expected.iter().map(|(who, _)| *who).collect::<Vec<_>>());
	for ((_, weight), (_, share)) in actual.iter().zip(expected) {
		assert!(weight.abs_diff(*share) <= 2, "{actual:?} vs {expected:?}");
	}
}

/// Per-operator shares of GRANDPA's current weights, all below one third.
fn no_operator_reaches_a_third() -> bool {
	let weights = grandpa_weights();
	let total: u64 = weights.iter().map(|(_, w)| w).sum();
	let mut per_operator = std::collections::BTreeMap::<u64, u64>::new();
	for (who, weight) in weights {
		let operator = Candidates::<Test>::get(who).map_or(who, |c| c.operator);
		*per_operator.entry(operator).or_default() += weight;
	}
	per_operator.values().all(|w| 3 * w < total)
}

#[test]
fn tokens_are_held_not_transferred() {
	with_genesis(|| {
		// A held bond cannot be spent.
		assert_noop!(
			Balances::transfer_allow_death(signed(DE), STRANGER, BALANCE - 4_000 + 1),
			TokenError::FundsUnavailable
		);
	});
}

mod admit_and_remove;
mod apply;
mod bond;
mod genesis;
mod invariants;
mod liveness;
mod resume;
mod retire;
mod rules;
mod unbond_and_withdraw;

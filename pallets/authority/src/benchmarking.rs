//! Benchmarks of every call in its worst case, and of the session hooks:
//! the selection among `c` candidates, the liveness check of `v`
//! validators and the count of an authored block.

#![allow(
	clippy::expect_used,
	clippy::unwrap_used,
	clippy::indexing_slicing,
	reason = "benchmark set-up: a step that fails fails the benchmark"
)]

use super::*;
use crate::pallet::*;
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{
		fungible::{Inspect, Mutate},
		EnsureOrigin, Get,
	},
	BoundedVec,
};
use frame_system::RawOrigin;
use sp_runtime::{traits::Saturating, Perbill};

/// Makes what the benchmarks need outside this pallet.
pub trait BenchmarkHelper<AccountId> {
	/// Registers session keys for `who` (unique to it).
	fn register_keys(who: &AccountId);
}

/// A stake that fits any balance type: 1000 times the minimum bond.
fn stake<T: Config>() -> BalanceOf<T> {
	T::MinBond::get().saturating_mul(1_000u32.into()).max(1_000u32.into())
}

/// A funded account.
fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	let funds =
		stake::<T>().saturating_mul(10u32.into()).saturating_add(T::Currency::minimum_balance());
	T::Currency::set_balance(&who, funds);
	who
}

/// An admitted candidate of its own operator, bonded, with keys, in `DE`
/// (group `EU`).
fn candidate<T: Config>(index: u32) -> T::AccountId {
	let who = funded::<T>("candidate", index);
	let operator: T::AccountId = account("operator", index, 0);
	Candidates::<T>::insert(
		&who,
		Candidate { operator, region: Region::new(b"DE", Some(b"EU")), status: Status::Admitted },
	);
	let bond = stake::<T>().saturating_add(index.into());
	Pallet::<T>::bond(RawOrigin::Signed(who.clone()).into(), bond)
		.expect("funded candidate bonds; qed");
	T::BenchmarkHelper::register_keys(&who);
	who
}

/// Governance that selects up to `MaxValidators`, one per operator, with a
/// region rule of `MaxRegions` codes (the last one `EU`).
fn generous_rules<T: Config>() {
	let max = T::MaxValidators::get();
	Params::<T>::put(Parameters {
		desired_validators: max,
		min_validators: 1,
		max_per_operator: 1,
		max_operator_share: Perbill::from_percent(30),
		offline_after: 1,
		session_length: 100u32.into(),
	});
	AllowedRegions::<T>::put(region_rule::<T>());
}

/// `MaxRegions` distinct codes, `EU` last.
fn region_rule<T: Config>() -> RegionPolicyOf<T> {
	let count = T::MaxRegions::get().max(1);
	let mut codes: Vec<Code> = (0..count.saturating_sub(1))
		.map(|i| Code([b'A' + (i / 26 % 26) as u8, b'A' + (i % 26) as u8]))
		.filter(|code| *code != Code::new(b"EU"))
		.collect();
	codes.push(Code::new(b"EU"));
	RegionPolicy::Only(BoundedVec::truncate_from(codes))
}

/// An unbonding ledger for `who` with `chunks` pending amounts.
fn unlocking<T: Config>(who: &T::AccountId, chunks: u32, due: SessionIndex) {
	let mut ledger = Ledgers::<T>::get(who).expect("bonded; qed");
	for _ in 0..chunks {
		let amount: BalanceOf<T> = 1u32.into();
		ledger.active = ledger.active.saturating_sub(amount);
		ledger
			.unlocking
			.try_push(Unlocking { amount, from_session: due })
			.expect("at most MaxUnlockingChunks; qed");
	}
	Ledgers::<T>::insert(who, ledger);
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn apply() {
		let who = funded::<T>("applicant", 0);
		let operator: T::AccountId = account("operator", 0, 0);
		let region = Region::new(b"DE", Some(b"EU"));

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), operator, region);

		assert!(Candidates::<T>::get(&who).is_some_and(|c| c.status == Status::Applied));
	}

	#[benchmark]
	fn admit() -> Result<(), BenchmarkError> {
		let who = funded::<T>("applicant", 0);
		Pallet::<T>::apply(
			RawOrigin::Signed(who.clone()).into(),
			account("operator", 0, 0),
			Region::new(b"DE", Some(b"EU")),
		)?;
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone());

		assert!(Candidates::<T>::get(&who).is_some_and(|c| c.status == Status::Admitted));
		Ok(())
	}

	#[benchmark]
	fn remove() -> Result<(), BenchmarkError> {
		let who = candidate::<T>(0);
		unlocking::<T>(&who, T::MaxUnlockingChunks::get(), 0);
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone());

		assert!(!Candidates::<T>::contains_key(&who));
		Ok(())
	}

	#[benchmark]
	fn retire() {
		let who = candidate::<T>(0);
		unlocking::<T>(&who, T::MaxUnlockingChunks::get(), 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));

		assert!(!Candidates::<T>::contains_key(&who));
	}

	#[benchmark]
	fn bond() {
		let who = candidate::<T>(0);
		let before = Pallet::<T>::held(&who);

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), stake::<T>());

		assert_eq!(Pallet::<T>::held(&who), before.saturating_add(stake::<T>()));
	}

	#[benchmark]
	fn unbond() {
		let who = candidate::<T>(0);
		unlocking::<T>(&who, T::MaxUnlockingChunks::get().saturating_sub(1), 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), 1u32.into());

		assert_eq!(
			Ledgers::<T>::get(&who).map(|l| l.unlocking.len() as u32),
			Some(T::MaxUnlockingChunks::get())
		);
	}

	#[benchmark]
	fn withdraw_unbonded() {
		let who = candidate::<T>(0);
		unlocking::<T>(&who, T::MaxUnlockingChunks::get(), 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));

		assert_eq!(Ledgers::<T>::get(&who).map(|l| l.unlocking.len()), Some(0));
	}

	#[benchmark]
	fn resume() {
		let who = candidate::<T>(0);
		Candidates::<T>::mutate(&who, |c| {
			if let Some(c) = c {
				c.status = Status::Offline
			}
		});
		Missed::<T>::insert(&who, 3);

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));

		assert!(Candidates::<T>::get(&who).is_some_and(|c| c.status == Status::Admitted));
	}

	#[benchmark]
	fn set_allowed_regions() -> Result<(), BenchmarkError> {
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let policy = region_rule::<T>();

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, policy.clone());

		assert_eq!(AllowedRegions::<T>::get(), policy);
		Ok(())
	}

	#[benchmark]
	fn set_parameters() -> Result<(), BenchmarkError> {
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let mut parameters = Pallet::<T>::parameters();
		parameters.max_operator_share = Perbill::from_percent(25);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, parameters);

		assert_eq!(Params::<T>::get(), Some(parameters));
		Ok(())
	}

	/// A block authored: one more for its author and for the session.
	#[benchmark]
	fn note_author() {
		let who = candidate::<T>(0);

		#[block]
		{
			Pallet::<T>::count_block(&who);
		}

		assert!(Authored::<T>::get(&who) >= 1);
	}

	/// Selection among `c` eligible candidates, planning a set that differs
	/// from the current one.
	#[benchmark]
	fn new_session(c: Linear<1, { T::MaxCandidates::get() }>) {
		generous_rules::<T>();
		let _ = Candidates::<T>::clear(u32::MAX, None);
		Active::<T>::kill();
		for index in 0..c {
			candidate::<T>(index);
		}

		#[block]
		{
			let _ = Pallet::<T>::plan(2);
		}

		let planned = Queued::<T>::get().map(|plan| plan.seats.len() as u32);
		assert_eq!(planned, Some(c.min(T::MaxValidators::get())));
	}

	/// The end of a session of `v` validators that all authored nothing and
	/// go offline.
	#[benchmark]
	fn end_session(v: Linear<1, { T::MaxValidators::get() }>) {
		generous_rules::<T>();
		let _ = Candidates::<T>::clear(u32::MAX, None);
		let seats: Vec<SeatOf<T>> = (0..v)
			.map(|index| {
				let validator = candidate::<T>(index);
				Seat { validator, operator: account("operator", index, 0), stake: stake::<T>() }
			})
			.collect();
		Active::<T>::put(BoundedVec::truncate_from(seats));
		SessionBlocks::<T>::put(v);

		#[block]
		{
			Pallet::<T>::end();
		}

		assert_eq!(
			Candidates::<T>::iter().filter(|(_, c)| c.status == Status::Offline).count() as u32,
			v
		);
	}

	impl_benchmark_test_suite!(Pallet, mock::ExtBuilder::default().build(), mock::Test);
}

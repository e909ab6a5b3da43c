//! Invariants of the pallet's storage, checked by `try-runtime` and after
//! every unit test:
//! - the candidate counter matches the map and `MaxCandidates`; every
//!   candidate's region is well formed;
//! - every ledger holds something, has at most `MaxUnlockingChunks`
//!   chunks, and its active plus unlocking amounts equal what the token
//!   holds for the account under [`HoldReason::Bond`];
//! - the parameters and the region rule are valid;
//! - the active and queued sets have no validator twice and at most
//!   `MaxValidators`; the queued set is for the next session; a queued set
//!   is never empty once a set was selected.

use alloc::collections::BTreeSet;
use frame_support::traits::Get;
use sp_runtime::{
	traits::{Saturating, Zero},
	TryRuntimeError,
};

use crate::pallet::{
	Active, AllowedRegions, BalanceOf, Candidates, Config, CurrentSession, Ledgers, Pallet, Params,
	Queued, SeatOf,
};

impl<T: Config> Pallet<T> {
	/// Checks every invariant listed in this module's documentation.
	pub fn do_try_state() -> Result<(), TryRuntimeError> {
		Self::check_candidates()?;
		Self::check_ledgers()?;
		Self::check_rules()?;
		Self::check_sets()
	}

	fn check_candidates() -> Result<(), TryRuntimeError> {
		let mut listed = 0u32;
		for (_, candidate) in Candidates::<T>::iter() {
			listed = listed.saturating_add(1);
			ensure(candidate.region.is_valid(), "a candidate's region is malformed")?;
		}
		ensure(listed == Candidates::<T>::count(), "the candidate counter is off")?;
		ensure(listed <= T::MaxCandidates::get(), "more candidates than MaxCandidates")
	}

	fn check_ledgers() -> Result<(), TryRuntimeError> {
		for (who, ledger) in Ledgers::<T>::iter() {
			let unlocking = ledger
				.unlocking
				.iter()
				.fold(BalanceOf::<T>::zero(), |sum, chunk| sum.saturating_add(chunk.amount));
			let total = ledger.active.saturating_add(unlocking);
			ensure(!total.is_zero(), "an empty ledger is kept")?;
			ensure(
				ledger.unlocking.iter().all(|chunk| !chunk.amount.is_zero()),
				"an unlocking chunk is empty",
			)?;
			ensure(total == Self::held(&who), "a ledger differs from the held balance")?;
		}
		Ok(())
	}

	fn check_rules() -> Result<(), TryRuntimeError> {
		if let Some(parameters) = Params::<T>::get() {
			ensure(parameters.is_valid(T::MaxValidators::get()), "invalid parameters stored")?;
		}
		ensure(AllowedRegions::<T>::get().is_valid(), "invalid region rule stored")
	}

	fn check_sets() -> Result<(), TryRuntimeError> {
		distinct::<T>(&Active::<T>::get())?;
		if let Some(plan) = Queued::<T>::get() {
			distinct::<T>(&plan.seats)?;
			ensure(!plan.seats.is_empty(), "an empty set is queued")?;
			ensure(
				plan.session == CurrentSession::<T>::get().saturating_add(1),
				"the queued set is not for the next session",
			)?;
		}
		Ok(())
	}
}

fn distinct<T: Config>(seats: &[SeatOf<T>]) -> Result<(), TryRuntimeError> {
	let mut seen = BTreeSet::new();
	ensure(seats.iter().all(|seat| seen.insert(&seat.validator)), "a validator is seated twice")?;
	ensure(seats.len() <= T::MaxValidators::get() as usize, "more seats than MaxValidators")
}

fn ensure(condition: bool, message: &'static str) -> Result<(), TryRuntimeError> {
	if condition {
		Ok(())
	} else {
		Err(TryRuntimeError::Other(message))
	}
}

//! Invariants of the audit trail, checked after every unit test and by
//! `try-runtime`.

use crate::pallet::*;
use frame_support::{ensure, traits::Get};
use ims_primitives::audit::chain_next;
use sp_core::H256;
use sp_runtime::TryRuntimeError;

impl<T: Config> Pallet<T> {
	/// - Each realm's batches are numbered 0 to `batches - 1` with none
	///   missing or beyond, hold `records` records between them, and their
	///   chain links lead from the zero hash to the trail's head: no
	///   commitment was altered, dropped or inserted.
	/// - No batch is empty.
	/// - Between blocks, no change waits to be sealed, and none is counted.
	/// - A front with a last record time has records, and the time is on
	///   the step.
	pub fn do_try_state() -> Result<(), TryRuntimeError> {
		for (realm, trail) in Trails::<T>::iter() {
			let (mut head, mut records) = (H256::zero(), 0u64);
			for batch in 0..trail.batches {
				let commitment =
					Batches::<T>::get(realm, batch).ok_or("a batch of a trail is missing")?;
				ensure!(commitment.count > 0, "an empty batch is recorded");
				head = chain_next(
					&head,
					realm,
					batch,
					&commitment.root,
					commitment.count,
					&commitment.block,
				);
				ensure!(head == commitment.head, "a batch's chain link is broken");
				records = records.saturating_add(commitment.count.into());
			}
			ensure!(head == trail.head, "a trail's head is not its last batch's");
			ensure!(records == trail.records, "a trail's record count is wrong");
		}
		for (realm, batch) in Batches::<T>::iter_keys() {
			let trail = Trails::<T>::get(realm).ok_or("a batch has no trail")?;
			ensure!(batch < trail.batches, "a batch lies beyond its trail");
		}
		ensure!(Pending::<T>::decode_len().unwrap_or(0) == 0, "changes were left unsealed");
		ensure!(PendingCount::<T>::get() == 0, "the pending count outlived its block");
		let step = T::RecordTimeStep::get().max(1);
		for (front, time) in LastRecordTime::<T>::iter() {
			ensure!(NextSequence::<T>::get(&front) > 0, "a front has a time but no records");
			ensure!(time % step == 0, "a front's last record time is off the step");
		}
		Ok(())
	}
}

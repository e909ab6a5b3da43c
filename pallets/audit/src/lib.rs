#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
mod checks;
mod impls;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
#[cfg(any(feature = "try-runtime", test))]
mod try_state;
pub mod weights;

pub use pallet::*;
pub use weights::WeightInfo;

// The pallet macros expand to code this crate's lints would flag: needless
// path qualifications, and `expect` in what `#[pallet::storage]`,
// `#[pallet::error]` and `#[pallet::pallet]` generate. The pallet module
// keeps every other lint; the code in
// `impls.rs` and `try_state.rs` keeps them all.
#[allow(unused_qualifications, clippy::expect_used)]
#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{pallet_prelude::*, traits::UnixTime};
	use frame_system::pallet_prelude::*;
	use ims_primitives::{
		audit::{BatchCommitment, Entry, FrontRecord, Source, Trail},
		Authorizer, Directory, RealmId,
	};
	use sp_core::H256;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the pallet.
	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// Who holds `SubmitAudit` in a realm (the access policy: HSS fronts).
		type Authorizer: Authorizer<Self::AccountId>;

		/// Which realms exist (the identity pallet).
		type Directory: Directory<Self::AccountId>;

		/// The block's time, stamped on the changes made on chain.
		type Time: UnixTime;

		/// Records in one submitted batch.
		#[pallet::constant]
		type MaxBatchSize: Get<u32>;

		/// The step a submitted record's time must fall on, in milliseconds:
		/// fronts coarsen their clocks to it, so that records cannot be
		/// lined up with other traffic by their times (`docs/privacy.md`).
		#[pallet::constant]
		type RecordTimeStep: Get<u64>;

		/// How far ahead of the block's time a submitted record's time may
		/// be, in milliseconds: the clocks of fronts and block authors
		/// differ a little.
		#[pallet::constant]
		type MaxClockSkew: Get<u64>;

		/// Changes buffered in a block before they are sealed into batches;
		/// a fuller block seals early rather than drop any.
		#[pallet::constant]
		type MaxPendingChanges: Get<u32>;

		/// Weights of the calls, from the benchmarks.
		type WeightInfo: WeightInfo;

		/// Makes a realm and an HSS front for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: benchmarking::BenchmarkHelper<Self::AccountId>;
	}

	/// A batch's commitment under the runtime's block number.
	pub type CommitmentOf<T> = BatchCommitment<BlockNumberFor<T>>;
	/// A record of the trail under the runtime's account.
	pub type EntryOf<T> = Entry<<T as frame_system::Config>::AccountId>;
	/// A batch as a front submits it.
	pub type FrontBatchOf<T> = BoundedVec<
		FrontRecord<<T as frame_system::Config>::AccountId>,
		<T as Config>::MaxBatchSize,
	>;

	/// Each realm's trail: batch and record counts, chain head.
	#[pallet::storage]
	pub type Trails<T: Config> = StorageMap<_, Twox64Concat, RealmId, Trail, OptionQuery>;

	/// Every batch's commitment, by realm and index. Kept for good: 80 bytes
	/// a batch, against the records themselves in the block bodies.
	#[pallet::storage]
	pub type Batches<T: Config> =
		StorageDoubleMap<_, Twox64Concat, RealmId, Twox64Concat, u64, CommitmentOf<T>, OptionQuery>;

	/// The sequence number each front must submit next.
	#[pallet::storage]
	pub type NextSequence<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u64, ValueQuery>;

	/// The time of the latest record each front submitted: its next
	/// records may not be older.
	#[pallet::storage]
	pub type LastRecordTime<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u64, OptionQuery>;

	/// Changes the other pallets reported in this block, sealed at its end.
	#[pallet::storage]
	pub type Pending<T: Config> = StorageValue<
		_,
		BoundedVec<(RealmId, EntryOf<T>), <T as Config>::MaxPendingChanges>,
		ValueQuery,
	>;

	/// How many changes `Pending` holds, so that buffering one more need not
	/// read the whole buffer back to learn its length.
	#[pallet::storage]
	pub type PendingCount<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// Events of the pallet.
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A batch was added to `realm`'s trail: its index, where it comes
		/// from, its Merkle root, the chain head after it and its records.
		/// (Not `entries`: polkadot.js event data is an array, whose
		/// `entries()` method would hide such a field.)
		Recorded {
			realm: RealmId,
			batch: u64,
			source: Source<T::AccountId>,
			root: H256,
			head: H256,
			records: Vec<EntryOf<T>>,
		},
		/// Records a front had already submitted came again and were
		/// skipped: sequence numbers `first_sequence` to
		/// `first_sequence + count - 1`.
		Replayed { submitter: T::AccountId, first_sequence: u64, count: u32 },
	}

	/// Errors of the pallet.
	#[pallet::error]
	pub enum Error<T> {
		/// No such realm.
		RealmNotFound,
		/// The signer may not submit audit records in the realm.
		NotAuthorized,
		/// The batch holds no record.
		EmptyBatch,
		/// The batch starts after the next expected sequence number: records
		/// in between are missing. Resubmit from `NextSequence`.
		SequenceGap,
		/// The sequence numbers would pass `u64::MAX`.
		SequenceOverflow,
		/// A record claims a change made on chain, which only the chain
		/// records.
		ChainOnlyActivity,
		/// A record is about something a front does not answer for: not a
		/// subscriber (subscription, IMPI, IMPU), an unknown identity, or a
		/// peer whose request was refused.
		NotASubscriber,
		/// A record names a subscriber that is not the realm's.
		SubjectNotInRealm,
		/// A record's time is not a whole multiple of `RecordTimeStep`.
		TimeNotOnStep,
		/// A record's time is ahead of the block's by more than
		/// `MaxClockSkew`.
		TimeInFuture,
		/// A record's time is before the front's previous record's.
		TimeBeforePrevious,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Seals the changes reported in the block. Their weight was
		/// registered when each was reported.
		fn on_finalize(_: BlockNumberFor<T>) {
			Self::seal_pending();
		}

		fn integrity_test() {
			assert!(T::MaxBatchSize::get() > 0, "a front must be able to submit");
			assert!(T::RecordTimeStep::get() > 0, "record times need a step");
			assert!(T::MaxPendingChanges::get() > 0, "changes must be buffered");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Add a front's batch to `realm`'s trail. Record `i` carries the
		/// sequence number `first_sequence + i`; sequence numbers run on per
		/// submitter, across realms. Records already recorded (below the
		/// submitter's `NextSequence`) are skipped, so a front may replay
		/// its queue after a crash. A batch recorded in full is charged the
		/// weight of an empty one and its length, never free: a leaked key
		/// could otherwise fill blocks at no cost.
		///
		/// Each new record must be about a subscriber of `realm` (looked up
		/// once per distinct subscriber), an unknown identity, or a peer
		/// the front refused; its time on a whole `RecordTimeStep`, at most
		/// `MaxClockSkew` ahead of the block's and not before the front's
		/// previous record's (`pallets/audit/README.md`, "What a front may
		/// record").
		///
		/// Origin: signed, holding `SubmitAudit` in the realm (HSS front).
		/// Emits `Recorded` for the new records and `Replayed` for skipped
		/// ones.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::submit(records.len().try_into().unwrap_or(u32::MAX)))]
		pub fn submit(
			origin: OriginFor<T>,
			realm: RealmId,
			first_sequence: u64,
			records: FrontBatchOf<T>,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			Self::do_submit(who, realm, first_sequence, records)
		}
	}
}

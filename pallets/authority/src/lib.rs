#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
mod impls;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
#[cfg(any(feature = "try-runtime", test))]
mod try_state;
pub mod types;
pub mod voting;
pub mod weights;

pub use impls::{HasSessionKeys, StakeWeightedGrandpa};
pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

// The pallet macros expand to code this crate's lints would flag: needless
// path qualifications, and `expect` in what `#[pallet::storage]`,
// `#[pallet::error]` and `#[pallet::pallet]` generate. The pallet module
// keeps every other lint; the code in
// `impls.rs`, `voting.rs` and `try_state.rs` keeps them all.
#[allow(unused_qualifications, clippy::expect_used)]
#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, InspectHold, Mutate, MutateHold},
			tokens::Precision,
			Contains,
		},
	};
	use frame_system::pallet_prelude::*;
	use sp_runtime::traits::{CheckedAdd, CheckedSub, Saturating, Zero};

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the pallet.
	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The token stake is bonded in, held under [`HoldReason::Bond`].
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ Mutate<Self::AccountId>;

		/// The runtime's hold reasons.
		type RuntimeHoldReason: From<HoldReason>;

		/// The operators' governance: admits and removes candidates, sets the
		/// allowed regions and the parameters.
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Who has registered session keys (see [`HasSessionKeys`]).
		type SessionKeys: Contains<Self::AccountId>;

		/// Candidates, applied or admitted, at most.
		#[pallet::constant]
		type MaxCandidates: Get<u32>;

		/// Validators in one session, at most (the consensus engines' bound).
		#[pallet::constant]
		type MaxValidators: Get<u32>;

		/// Codes in the allowed-region rule, at most.
		#[pallet::constant]
		type MaxRegions: Get<u32>;

		/// Pending unbondings of one account, at most.
		#[pallet::constant]
		type MaxUnlockingChunks: Get<u32>;

		/// Sessions an unbonded amount stays held. At least 2, so that stake
		/// backing a selected validator stays held while it validates.
		#[pallet::constant]
		type UnbondingSessions: Get<SessionIndex>;

		/// The least active bond of an eligible candidate.
		#[pallet::constant]
		type MinBond: Get<BalanceOf<Self>>;

		/// Weights of the calls and hooks, from the benchmarks.
		type WeightInfo: WeightInfo;

		/// Registers session keys for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: benchmarking::BenchmarkHelper<Self::AccountId>;
	}

	/// A balance of the bonded token.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
	/// A candidate under the runtime's account.
	pub type CandidateOf<T> = Candidate<<T as frame_system::Config>::AccountId>;
	/// A bond ledger under the runtime's types.
	pub type LedgerOf<T> = Ledger<BalanceOf<T>, <T as Config>::MaxUnlockingChunks>;
	/// The allowed-region rule under the runtime's bound.
	pub type RegionPolicyOf<T> = RegionPolicy<<T as Config>::MaxRegions>;
	/// The governance parameters under the runtime's block number.
	pub type ParametersOf<T> = Parameters<BlockNumberFor<T>>;
	/// A session's seat under the runtime's types.
	pub type SeatOf<T> = Seat<<T as frame_system::Config>::AccountId, BalanceOf<T>>;
	/// The seats of one session.
	pub type SeatsOf<T> = BoundedVec<SeatOf<T>, <T as Config>::MaxValidators>;
	/// A planned session under the runtime's types.
	pub type PlanOf<T> =
		Plan<<T as frame_system::Config>::AccountId, BalanceOf<T>, <T as Config>::MaxValidators>;

	/// A genesis candidate: `(validator, operator, region, bond)`.
	pub type GenesisCandidateOf<T> = (
		<T as frame_system::Config>::AccountId,
		<T as frame_system::Config>::AccountId,
		Region,
		BalanceOf<T>,
	);

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// Stake bonded by a validator candidate (active or unlocking).
		#[codec(index = 0)]
		Bond,
	}

	/// The candidates, by validator account.
	#[pallet::storage]
	pub type Candidates<T: Config> =
		CountedStorageMap<_, Blake2_128Concat, T::AccountId, CandidateOf<T>>;

	/// What each account has bonded (while anything is held).
	#[pallet::storage]
	pub type Ledgers<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, LedgerOf<T>>;

	/// Where validators may run.
	#[pallet::storage]
	pub type AllowedRegions<T: Config> = StorageValue<_, RegionPolicyOf<T>, ValueQuery>;

	/// The rules of selection and liveness.
	#[pallet::storage]
	pub type Params<T: Config> = StorageValue<_, ParametersOf<T>, OptionQuery>;

	/// The validators of the current session.
	#[pallet::storage]
	pub type Active<T: Config> = StorageValue<_, SeatsOf<T>, ValueQuery>;

	/// The validators selected for the next session.
	#[pallet::storage]
	pub type Queued<T: Config> = StorageValue<_, PlanOf<T>, OptionQuery>;

	/// The block the current session started at.
	#[pallet::storage]
	pub type SessionStart<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

	/// Set when the share cap changed: the next planned session gets a new
	/// GRANDPA set even if its validators are the same.
	#[pallet::storage]
	pub type Reweigh<T: Config> = StorageValue<_, bool, ValueQuery>;

	/// Blocks of the current session.
	#[pallet::storage]
	pub type SessionBlocks<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// Blocks authored in the current session, by validator.
	#[pallet::storage]
	pub type Authored<T: Config> = StorageMap<_, Twox64Concat, T::AccountId, u32, ValueQuery>;

	/// Consecutive sessions in which a validator was expected to author and
	/// authored nothing.
	#[pallet::storage]
	pub type Missed<T: Config> = StorageMap<_, Twox64Concat, T::AccountId, u32, ValueQuery>;

	/// The genesis: admitted candidates with their bonds, the region rule and
	/// the parameters. The first set is selected from them.
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// `(validator, operator, region, bond)`, each admitted.
		pub candidates: Vec<GenesisCandidateOf<T>>,
		/// `None` for no restriction, else the allowed country and group
		/// codes.
		pub allowed_regions: Option<Vec<Code>>,
		/// Selection and liveness rules; `None` keeps the pallet's defaults.
		pub parameters: Option<ParametersOf<T>>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		// A genesis that cannot be built is a chain-spec error: refuse to start.
		#[allow(clippy::expect_used)]
		fn build(&self) {
			let parameters = self.parameters.unwrap_or_else(Pallet::<T>::default_parameters);
			assert!(
				parameters.is_valid(T::MaxValidators::get()),
				"authority genesis: invalid parameters {parameters:?}"
			);
			Params::<T>::put(parameters);
			let policy = match &self.allowed_regions {
				None => RegionPolicy::Anywhere,
				Some(codes) => RegionPolicy::Only(BoundedVec::try_from(codes.clone()).expect(
					"more genesis region codes than MaxRegions is a chain-spec error; qed",
				)),
			};
			assert!(policy.is_valid(), "authority genesis: invalid region rule");
			AllowedRegions::<T>::put(policy);
			for (validator, operator, region, bond) in &self.candidates {
				assert!(region.is_valid(), "authority genesis: invalid region of {validator:?}");
				assert!(
					!Candidates::<T>::contains_key(validator),
					"authority genesis: {validator:?} listed twice"
				);
				assert!(
					Candidates::<T>::count() < T::MaxCandidates::get(),
					"authority genesis: more candidates than MaxCandidates"
				);
				Candidates::<T>::insert(
					validator,
					Candidate {
						operator: operator.clone(),
						region: *region,
						status: Status::Admitted,
					},
				);
				if !bond.is_zero() {
					T::Currency::hold(&HoldReason::Bond.into(), validator, *bond)
						.expect("a genesis bond that exceeds its account's balance is a chain-spec error; qed");
					Ledgers::<T>::insert(
						validator,
						Ledger { active: *bond, unlocking: BoundedVec::new() },
					);
				}
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An account applied to validate.
		Applied { candidate: T::AccountId, operator: T::AccountId, region: Region },
		/// Governance admitted a candidate.
		Admitted { candidate: T::AccountId },
		/// Governance removed a candidate (or refused its application).
		Removed { candidate: T::AccountId },
		/// A candidate withdrew.
		Retired { candidate: T::AccountId },
		/// Stake was bonded.
		Bonded { who: T::AccountId, amount: BalanceOf<T> },
		/// Stake was unbonded; it stays held until `from_session`.
		Unbonded { who: T::AccountId, amount: BalanceOf<T>, from_session: SessionIndex },
		/// Unbonded stake was released.
		Withdrawn { who: T::AccountId, amount: BalanceOf<T> },
		/// A validator authored nothing in `sessions` sessions in a row and is
		/// excluded until it resumes.
		WentOffline { validator: T::AccountId, sessions: u32 },
		/// An offline validator asked to be selected again.
		Resumed { validator: T::AccountId },
		/// Governance changed where validators may run.
		AllowedRegionsSet { policy: RegionPolicyOf<T> },
		/// Governance changed the parameters.
		ParametersSet { parameters: ParametersOf<T> },
		/// A new set was selected for `session`, with each validator's GRANDPA
		/// voting weight.
		Selected { session: SessionIndex, validators: Vec<(T::AccountId, u64)> },
		/// `session` keeps the previous set.
		SetKept { session: SessionIndex, reason: KeepReason },
		/// The set selected for `session` has too few operators for the share
		/// cap: each of its `operators` operators gets an equal share.
		OperatorShareAboveCap { session: SessionIndex, operators: u32 },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// A region code is not two upper-case letters, or the rule lists no
		/// code or one code twice.
		InvalidRegion,
		/// The account is already a candidate.
		AlreadyCandidate,
		/// `MaxCandidates` is reached.
		TooManyCandidates,
		/// The account is not a candidate.
		NotCandidate,
		/// The candidate is already admitted.
		AlreadyAdmitted,
		/// The amount is zero.
		ZeroAmount,
		/// The free balance cannot cover the bond.
		InsufficientBalance,
		/// The bond would overflow the balance type.
		Overflow,
		/// The account has nothing bonded.
		NotBonded,
		/// More than the active bond was asked for.
		InsufficientBond,
		/// `MaxUnlockingChunks` unbondings are pending; withdraw first.
		TooManyUnlockingChunks,
		/// No unbonded stake is due yet.
		NothingToWithdraw,
		/// The validator is not marked offline.
		NotOffline,
		/// The parameters break a rule (minimum within desired within
		/// `MaxValidators`, a share cap below one third, ...).
		InvalidParameters,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxUnlockingChunks::get() >= 1, "MaxUnlockingChunks must be at least 1");
			assert!(T::UnbondingSessions::get() >= 2, "UnbondingSessions must be at least 2");
			assert!(T::MaxValidators::get() >= 1, "MaxValidators must be at least 1");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Applies to validate for `operator`, from `region`. Governance then
		/// admits the candidate, attesting both.
		#[pallet::call_index(0)]
		#[pallet::weight(<T as Config>::WeightInfo::apply())]
		pub fn apply(
			origin: OriginFor<T>,
			operator: T::AccountId,
			region: Region,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(region.is_valid(), Error::<T>::InvalidRegion);
			ensure!(!Candidates::<T>::contains_key(&who), Error::<T>::AlreadyCandidate);
			ensure!(
				Candidates::<T>::count() < T::MaxCandidates::get(),
				Error::<T>::TooManyCandidates
			);
			Candidates::<T>::insert(
				&who,
				Candidate { operator: operator.clone(), region, status: Status::Applied },
			);
			Self::deposit_event(Event::Applied { candidate: who, operator, region });
			Ok(())
		}

		/// Admits an applicant: it may be selected from the next planned
		/// session on.
		#[pallet::call_index(1)]
		#[pallet::weight(<T as Config>::WeightInfo::admit())]
		pub fn admit(origin: OriginFor<T>, candidate: T::AccountId) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Candidates::<T>::try_mutate(&candidate, |entry| {
				let entry = entry.as_mut().ok_or(Error::<T>::NotCandidate)?;
				ensure!(entry.status == Status::Applied, Error::<T>::AlreadyAdmitted);
				entry.status = Status::Admitted;
				Ok::<_, Error<T>>(())
			})?;
			Self::deposit_event(Event::Admitted { candidate });
			Ok(())
		}

		/// Removes a candidate or refuses an application. Its whole bond
		/// starts unbonding; a validator in the current or next set stays
		/// there until the set after.
		#[pallet::call_index(2)]
		#[pallet::weight(<T as Config>::WeightInfo::remove())]
		pub fn remove(origin: OriginFor<T>, candidate: T::AccountId) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::drop_candidate(&candidate)?;
			Self::deposit_event(Event::Removed { candidate });
			Ok(())
		}

		/// Withdraws the caller's candidacy; its whole bond starts unbonding.
		#[pallet::call_index(3)]
		#[pallet::weight(<T as Config>::WeightInfo::retire())]
		pub fn retire(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::drop_candidate(&who)?;
			Self::deposit_event(Event::Retired { candidate: who });
			Ok(())
		}

		/// Bonds `amount` more of the caller's free balance (held under
		/// [`HoldReason::Bond`]). Only candidates bond.
		#[pallet::call_index(4)]
		#[pallet::weight(<T as Config>::WeightInfo::bond())]
		pub fn bond(
			origin: OriginFor<T>,
			#[pallet::compact] amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
			ensure!(Candidates::<T>::contains_key(&who), Error::<T>::NotCandidate);
			let mut ledger = Ledgers::<T>::get(&who)
				.unwrap_or(Ledger { active: Zero::zero(), unlocking: BoundedVec::new() });
			ledger.active = ledger.active.checked_add(&amount).ok_or(Error::<T>::Overflow)?;
			T::Currency::hold(&HoldReason::Bond.into(), &who, amount)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
			Ledgers::<T>::insert(&who, ledger);
			Self::deposit_event(Event::Bonded { who, amount });
			Ok(())
		}

		/// Unbonds `amount` of the caller's active bond. It no longer counts
		/// for selection and is released by `withdraw_unbonded` after
		/// `UnbondingSessions` sessions.
		#[pallet::call_index(5)]
		#[pallet::weight(<T as Config>::WeightInfo::unbond())]
		pub fn unbond(
			origin: OriginFor<T>,
			#[pallet::compact] amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
			let mut ledger = Ledgers::<T>::get(&who).ok_or(Error::<T>::NotBonded)?;
			ledger.active =
				ledger.active.checked_sub(&amount).ok_or(Error::<T>::InsufficientBond)?;
			let from_session = Self::unlock_session();
			ledger
				.unlocking
				.try_push(Unlocking { amount, from_session })
				.map_err(|_| Error::<T>::TooManyUnlockingChunks)?;
			Ledgers::<T>::insert(&who, ledger);
			Self::deposit_event(Event::Unbonded { who, amount, from_session });
			Ok(())
		}

		/// Releases the caller's unbonded stake whose session has come.
		#[pallet::call_index(6)]
		#[pallet::weight(<T as Config>::WeightInfo::withdraw_unbonded())]
		pub fn withdraw_unbonded(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut ledger = Ledgers::<T>::get(&who).ok_or(Error::<T>::NotBonded)?;
			let now = CurrentSession::<T>::get();
			let mut due: BalanceOf<T> = Zero::zero();
			ledger.unlocking.retain(|chunk| {
				if chunk.from_session <= now {
					due = due.saturating_add(chunk.amount);
					false
				} else {
					true
				}
			});
			ensure!(!due.is_zero(), Error::<T>::NothingToWithdraw);
			let released =
				T::Currency::release(&HoldReason::Bond.into(), &who, due, Precision::Exact)?;
			if ledger.active.is_zero() && ledger.unlocking.is_empty() {
				Ledgers::<T>::remove(&who);
			} else {
				Ledgers::<T>::insert(&who, ledger);
			}
			Self::deposit_event(Event::Withdrawn { who, amount: released });
			Ok(())
		}

		/// Asks to be selected again after being marked offline.
		#[pallet::call_index(7)]
		#[pallet::weight(<T as Config>::WeightInfo::resume())]
		pub fn resume(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Candidates::<T>::try_mutate(&who, |entry| {
				let entry = entry.as_mut().ok_or(Error::<T>::NotCandidate)?;
				ensure!(entry.status == Status::Offline, Error::<T>::NotOffline);
				entry.status = Status::Admitted;
				Ok::<_, Error<T>>(())
			})?;
			Missed::<T>::remove(&who);
			Self::deposit_event(Event::Resumed { validator: who });
			Ok(())
		}

		/// Sets where validators may run. Validators elsewhere leave the set
		/// at the next planned session.
		#[pallet::call_index(8)]
		#[pallet::weight(<T as Config>::WeightInfo::set_allowed_regions())]
		pub fn set_allowed_regions(
			origin: OriginFor<T>,
			policy: RegionPolicyOf<T>,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			ensure!(policy.is_valid(), Error::<T>::InvalidRegion);
			AllowedRegions::<T>::put(policy.clone());
			Self::deposit_event(Event::AllowedRegionsSet { policy });
			Ok(())
		}

		/// Sets the selection and liveness rules.
		#[pallet::call_index(9)]
		#[pallet::weight(<T as Config>::WeightInfo::set_parameters())]
		pub fn set_parameters(origin: OriginFor<T>, parameters: ParametersOf<T>) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			ensure!(parameters.is_valid(T::MaxValidators::get()), Error::<T>::InvalidParameters);
			if parameters.max_operator_share != Self::parameters().max_operator_share {
				Reweigh::<T>::put(true);
			}
			Params::<T>::put(parameters);
			Self::deposit_event(Event::ParametersSet { parameters });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The parameters in force.
		pub fn parameters() -> ParametersOf<T> {
			Params::<T>::get().unwrap_or_else(Self::default_parameters)
		}

		/// Parameters of a chain whose genesis sets none: one validator,
		/// shares capped at 30 %, offline after 3 idle sessions, sessions of
		/// 100 blocks.
		pub fn default_parameters() -> ParametersOf<T> {
			Parameters {
				desired_validators: 1,
				min_validators: 1,
				max_per_operator: 1,
				max_operator_share: sp_runtime::Perbill::from_percent(30),
				offline_after: 3,
				session_length: 100u32.into(),
			}
		}

		/// The bond an account has held under this pallet (active and
		/// unlocking), as the token sees it.
		pub fn held(who: &T::AccountId) -> BalanceOf<T> {
			T::Currency::balance_on_hold(&HoldReason::Bond.into(), who)
		}

		/// Removes a candidate and starts unbonding its whole active bond.
		fn drop_candidate(who: &T::AccountId) -> DispatchResult {
			ensure!(Candidates::<T>::contains_key(who), Error::<T>::NotCandidate);
			if let Some(mut ledger) = Ledgers::<T>::get(who) {
				if !ledger.active.is_zero() {
					let amount = core::mem::replace(&mut ledger.active, Zero::zero());
					let from_session = Self::unlock_session();
					// A full list of unlockings absorbs the amount into its
					// last chunk, whose session is the latest.
					match ledger.unlocking.try_push(Unlocking { amount, from_session }) {
						Ok(()) => {},
						Err(chunk) => {
							if let Some(last) = ledger.unlocking.last_mut() {
								last.amount = last.amount.saturating_add(chunk.amount);
								last.from_session = from_session;
							}
						},
					}
					Ledgers::<T>::insert(who, ledger);
					Self::deposit_event(Event::Unbonded { who: who.clone(), amount, from_session });
				}
			}
			Candidates::<T>::remove(who);
			Missed::<T>::remove(who);
			Ok(())
		}

		/// The session an amount unbonded now may be withdrawn at.
		fn unlock_session() -> SessionIndex {
			CurrentSession::<T>::get().saturating_add(T::UnbondingSessions::get())
		}
	}

	/// The index of the current session (kept here so that the pallet does
	/// not depend on `pallet-session`'s configuration).
	#[pallet::storage]
	pub type CurrentSession<T: Config> = StorageValue<_, SessionIndex, ValueQuery>;
}

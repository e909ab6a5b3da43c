//! Selection, liveness and the consensus glue: the pallet is
//! `pallet-session`'s session manager and session-end rule,
//! `pallet-authorship`'s event handler, and [`StakeWeightedGrandpa`] hands
//! GRANDPA the selected set with stake weights.

use alloc::{collections::BTreeMap, vec::Vec};
use core::marker::PhantomData;
use frame_support::{
	dispatch::DispatchClass,
	traits::{Contains, EstimateNextSessionRotation, Get, OneSessionHandler},
	weights::Weight,
	BoundedVec, WeakBoundedVec,
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_consensus_grandpa::{AuthorityId as GrandpaId, AuthorityWeight};
use sp_runtime::{
	traits::{Saturating, UniqueSaturatedInto, Zero},
	BoundToRuntimeAppPublic, Permill,
};

use crate::{
	pallet::{
		Active, AllowedRegions, Authored, Candidates, Config, CurrentSession, Event, Ledgers,
		Missed, Pallet, Queued, Reweigh, SeatOf, SeatsOf, SessionBlocks, SessionStart,
	},
	voting::{voter_weights, VoterWeights},
	KeepReason, Plan, Seat, SessionIndex, Status, WeightInfo,
};

impl<T: Config> Pallet<T> {
	/// The set the rules give now: admitted, online candidates in an allowed
	/// region, with session keys and at least `MinBond` active, top
	/// `desired_validators` by stake (ties by account), at most
	/// `max_per_operator` per operator; or why the current set must stay.
	pub fn select() -> Result<Vec<SeatOf<T>>, KeepReason> {
		let parameters = Self::parameters();
		let policy = AllowedRegions::<T>::get();
		let min_bond = T::MinBond::get();
		let mut eligible: Vec<SeatOf<T>> = Candidates::<T>::iter()
			.filter(|(who, candidate)| {
				candidate.status == Status::Admitted
					&& policy.allows(&candidate.region)
					&& T::SessionKeys::contains(who)
			})
			.filter_map(|(validator, candidate)| {
				let stake = Ledgers::<T>::get(&validator)?.active;
				(stake >= min_bond && !stake.is_zero()).then_some(Seat {
					validator,
					operator: candidate.operator,
					stake,
				})
			})
			.collect();
		eligible.sort_by(|a, b| b.stake.cmp(&a.stake).then_with(|| a.validator.cmp(&b.validator)));

		let mut per_operator: BTreeMap<T::AccountId, u32> = BTreeMap::new();
		let mut seats = Vec::new();
		for seat in eligible {
			if seats.len() >= parameters.desired_validators as usize {
				break;
			}
			let count = per_operator.entry(seat.operator.clone()).or_insert(0);
			if *count < parameters.max_per_operator {
				*count = count.saturating_add(1);
				seats.push(seat);
			}
		}
		let selectable = u32::try_from(seats.len()).unwrap_or(u32::MAX);
		if selectable < parameters.min_validators {
			return Err(KeepReason::TooFewEligible {
				eligible: selectable,
				minimum: parameters.min_validators,
			});
		}
		Ok(seats)
	}

	/// GRANDPA weights of `seats` under the current share cap.
	pub fn weigh(seats: &[SeatOf<T>]) -> VoterWeights {
		let stakes: Vec<(T::AccountId, u128)> = seats
			.iter()
			.map(|seat| (seat.operator.clone(), seat.stake.unique_saturated_into()))
			.collect();
		voter_weights(&stakes, Self::parameters().max_operator_share)
	}

	/// Plans `session`: its set, or `None` to keep the current one.
	pub(crate) fn plan(session: SessionIndex) -> Option<Vec<T::AccountId>> {
		let current = Active::<T>::get();
		let seats = match Self::select() {
			Ok(seats) => seats,
			Err(reason) => {
				// Keep the current set; with none yet (a genesis without
				// eligible candidates), `pallet-session` keeps its own.
				if current.is_empty() {
					Queued::<T>::kill();
				} else {
					Queued::<T>::put(Plan { session, seats: current });
				}
				Self::deposit_event(Event::SetKept { session, reason });
				return None;
			},
		};
		// `select` takes at most `desired_validators <= MaxValidators`.
		let seats: SeatsOf<T> = BoundedVec::truncate_from(seats);
		Queued::<T>::put(Plan { session, seats: seats.clone() });
		let reweigh = Reweigh::<T>::take();
		if session == 0 {
			// The genesis session is active at once.
			Active::<T>::put(seats.clone());
		} else if seats == current && !reweigh {
			return None;
		}
		let weights = Self::weigh(&seats);
		if !weights.cap_met {
			Self::deposit_event(Event::OperatorShareAboveCap {
				session,
				operators: weights.operators,
			});
		}
		let validators: Vec<T::AccountId> = seats.iter().map(|s| s.validator.clone()).collect();
		Self::deposit_event(Event::Selected {
			session,
			validators: validators.iter().cloned().zip(weights.weights).collect(),
		});
		Some(validators)
	}

	/// A session starts: its planned set becomes the active one and the
	/// block count restarts.
	pub(crate) fn start(session: SessionIndex) {
		if let Some(plan) = Queued::<T>::get() {
			if plan.session == session {
				Active::<T>::put(plan.seats);
			}
		}
		CurrentSession::<T>::put(session);
		SessionStart::<T>::put(frame_system::Pallet::<T>::block_number());
		SessionBlocks::<T>::kill();
	}

	/// A session ends: validators that were expected to author and authored
	/// nothing count one more missed session; at `offline_after` they are
	/// marked offline.
	pub(crate) fn end() {
		let blocks = SessionBlocks::<T>::take();
		let seats = Active::<T>::get();
		let offline_after = Self::parameters().offline_after;
		// Aura gives validators slots in turn: a session of at least as many
		// blocks as validators spans at least one slot of each.
		let expected = blocks as usize >= seats.len();
		let authored: BTreeMap<T::AccountId, u32> = Authored::<T>::drain().collect();
		if !expected {
			return;
		}
		for seat in &seats {
			let authored = authored.get(&seat.validator).copied().unwrap_or(0);
			if authored > 0 {
				Missed::<T>::remove(&seat.validator);
				continue;
			}
			let missed = Missed::<T>::mutate(&seat.validator, |missed| {
				*missed = missed.saturating_add(1);
				*missed
			});
			if missed >= offline_after {
				let marked = Candidates::<T>::mutate(&seat.validator, |entry| match entry {
					Some(candidate) if candidate.status == Status::Admitted => {
						candidate.status = Status::Offline;
						true
					},
					_ => false,
				});
				if marked {
					Self::deposit_event(Event::WentOffline {
						validator: seat.validator.clone(),
						sessions: missed,
					});
				}
			}
		}
	}

	/// Counts a block for its author.
	pub(crate) fn count_block(author: &T::AccountId) {
		Authored::<T>::mutate(author, |n| *n = n.saturating_add(1));
		SessionBlocks::<T>::mutate(|n| *n = n.saturating_add(1));
		frame_system::Pallet::<T>::register_extra_weight_unchecked(
			<T as Config>::WeightInfo::note_author(),
			DispatchClass::Mandatory,
		);
	}

	/// The block the current session ends at.
	fn session_end() -> BlockNumberFor<T> {
		SessionStart::<T>::get().saturating_add(Self::parameters().session_length)
	}
}

impl<T: Config> pallet_session::SessionManager<T::AccountId> for Pallet<T> {
	fn new_session(new_index: SessionIndex) -> Option<Vec<T::AccountId>> {
		Self::plan(new_index)
	}

	fn end_session(_end_index: SessionIndex) {
		Self::end()
	}

	fn start_session(start_index: SessionIndex) {
		Self::start(start_index)
	}
}

impl<T: Config> pallet_session::ShouldEndSession<BlockNumberFor<T>> for Pallet<T> {
	fn should_end_session(now: BlockNumberFor<T>) -> bool {
		now >= Self::session_end()
	}
}

impl<T: Config> EstimateNextSessionRotation<BlockNumberFor<T>> for Pallet<T> {
	fn average_session_length() -> BlockNumberFor<T> {
		Self::parameters().session_length
	}

	fn estimate_current_session_progress(now: BlockNumberFor<T>) -> (Option<Permill>, Weight) {
		let start = SessionStart::<T>::get();
		let length = Self::parameters().session_length;
		let progress = if length.is_zero() {
			Permill::one()
		} else {
			Permill::from_rational(now.saturating_sub(start).min(length), length)
		};
		(Some(progress), T::DbWeight::get().reads(2))
	}

	fn estimate_next_session_rotation(
		_now: BlockNumberFor<T>,
	) -> (Option<BlockNumberFor<T>>, Weight) {
		(Some(Self::session_end()), T::DbWeight::get().reads(2))
	}
}

impl<T: Config> pallet_authorship::EventHandler<T::AccountId, BlockNumberFor<T>> for Pallet<T> {
	fn note_author(author: T::AccountId) {
		Self::count_block(&author)
	}
}

/// Whether an account has registered session keys with `pallet-session`.
pub struct HasSessionKeys<T>(PhantomData<T>);

impl<T: pallet_session::Config> Contains<T::ValidatorId> for HasSessionKeys<T> {
	fn contains(who: &T::ValidatorId) -> bool {
		pallet_session::NextKeys::<T>::contains_key(who)
	}
}

/// GRANDPA's session handler with stake weights.
///
/// `pallet-grandpa`'s own handler gives every voter weight 1. This one lets
/// it do its bookkeeping (set ids, stalls, session mapping) and then
/// replaces the weights of the authority list it scheduled (or, at genesis,
/// installed) with those of the seats: see [`crate::voting`]. Use it in
/// place of `Grandpa` in the runtime's `SessionHandler` tuple.
pub struct StakeWeightedGrandpa<T>(PhantomData<T>);

impl<T> BoundToRuntimeAppPublic for StakeWeightedGrandpa<T> {
	type Public = GrandpaId;
}

impl<T> StakeWeightedGrandpa<T>
where
	T: Config + pallet_grandpa::Config + pallet_session::Config,
{
	/// Each key with the weight of its validator's seat in the active set.
	/// A validator without a seat (not selected by this pallet: a genesis
	/// set given to `pallet-session` directly) counts as its own operator
	/// with the least stake.
	fn weighted(validators: &[(&T::AccountId, GrandpaId)]) -> Vec<(GrandpaId, AuthorityWeight)> {
		let active = Active::<T>::get();
		let stakes: Vec<(T::AccountId, u128)> = validators
			.iter()
			.map(|(who, _)| {
				active
					.iter()
					.find(|seat| seat.validator == **who)
					.map(|seat| (seat.operator.clone(), seat.stake.unique_saturated_into()))
					.unwrap_or_else(|| ((*who).clone(), 1))
			})
			.collect();
		let weights = voter_weights(&stakes, Pallet::<T>::parameters().max_operator_share);
		validators.iter().map(|(_, key)| key.clone()).zip(weights.weights).collect()
	}
}

fn pairs<'a, A>(list: &'a [(&'a A, GrandpaId)]) -> impl Iterator<Item = (&'a A, GrandpaId)> + 'a {
	list.iter().map(|(who, key)| (*who, key.clone()))
}

impl<T> OneSessionHandler<T::AccountId> for StakeWeightedGrandpa<T>
where
	T: Config + pallet_grandpa::Config + pallet_session::Config,
{
	type Key = GrandpaId;

	fn on_genesis_session<'a, I>(validators: I)
	where
		I: 'a + Iterator<Item = (&'a T::AccountId, GrandpaId)>,
		T::AccountId: 'a,
	{
		let list: Vec<(&T::AccountId, GrandpaId)> = validators.collect();
		<pallet_grandpa::Pallet<T> as OneSessionHandler<T::AccountId>>::on_genesis_session(pairs(
			&list,
		));
		let weighted = Self::weighted(&list);
		if !weighted.is_empty() {
			pallet_grandpa::Authorities::<T>::put(WeakBoundedVec::force_from(weighted, None));
		}
	}

	fn on_new_session<'a, I>(changed: bool, validators: I, queued: I)
	where
		I: 'a + Iterator<Item = (&'a T::AccountId, GrandpaId)>,
		T::AccountId: 'a,
	{
		let list: Vec<(&T::AccountId, GrandpaId)> = validators.collect();
		let queued: Vec<(&T::AccountId, GrandpaId)> = queued.collect();
		let set_before = pallet_grandpa::CurrentSetId::<T>::get();
		<pallet_grandpa::Pallet<T> as OneSessionHandler<T::AccountId>>::on_new_session(
			changed,
			pairs(&list),
			pairs(&queued),
		);
		if pallet_grandpa::CurrentSetId::<T>::get() != set_before {
			// GRANDPA scheduled `list` with weight 1 each: weigh it.
			let weighted = Self::weighted(&list);
			pallet_grandpa::PendingChange::<T>::mutate(|change| {
				if let Some(change) = change {
					change.next_authorities = WeakBoundedVec::force_from(weighted, None);
				}
			});
		}
	}

	fn on_before_session_ending() {
		<pallet_grandpa::Pallet<T> as OneSessionHandler<T::AccountId>>::on_before_session_ending()
	}

	fn on_disabled(validator_index: u32) {
		<pallet_grandpa::Pallet<T> as OneSessionHandler<T::AccountId>>::on_disabled(validator_index)
	}
}

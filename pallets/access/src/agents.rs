//! Agents: an account appoints another to make IMS calls in its name.
//!
//! The provisioning API's bridge signs for its users this way: each user's
//! account appoints the bridge's, and the bridge wraps the user's call in
//! `act_for`, so that the user's own roles decide and the trail names the
//! user (`docs/provisioning-api.md`).

use crate::{pallet::*, types::*, weights::WeightInfo};
use frame_support::{
	dispatch::{DispatchErrorWithPostInfo, PostDispatchInfo},
	ensure,
	pallet_prelude::*,
	traits::{Contains, IsSubType, IsType},
};
use frame_system::pallet_prelude::*;
use sp_runtime::traits::Dispatchable;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_appoint_agent(
		principal: T::AccountId,
		agent: T::AccountId,
		expires_at: Option<BlockNumberFor<T>>,
	) -> DispatchResult {
		ensure!(principal != agent, Error::<T>::SelfAgent);
		let since = frame_system::Pallet::<T>::block_number();
		ensure!(holds_at(&expires_at, &since), Error::<T>::ExpiryInPast);
		Agents::<T>::insert(&principal, &agent, Appointment { since, expires_at });
		Self::deposit_event(Event::AgentAppointed { principal, agent, expires_at });
		Ok(())
	}

	pub(crate) fn do_dismiss_agent(principal: T::AccountId, agent: T::AccountId) -> DispatchResult {
		ensure!(Agents::<T>::take(&principal, &agent).is_some(), Error::<T>::NotAnAgent);
		Self::deposit_event(Event::AgentDismissed { principal, agent });
		Ok(())
	}

	/// Whether `agent` holds an unexpired appointment from `principal`.
	pub fn ensure_agent(principal: &T::AccountId, agent: &T::AccountId) -> DispatchResult {
		let appointment = Agents::<T>::get(principal, agent).ok_or(Error::<T>::NotAnAgent)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(holds_at(&appointment.expires_at, &now), Error::<T>::AgentExpired);
		Ok(())
	}

	/// Whether an agent may make `call`: the runtime's filter admits it and
	/// it is none of this pallet's agent calls (an agent cannot appoint
	/// others, nor act through another agent).
	fn is_delegable(call: &<T as Config>::RuntimeCall) -> bool {
		let agent_call = matches!(
			call.is_sub_type(),
			Some(Call::appoint_agent { .. } | Call::dismiss_agent { .. } | Call::act_for { .. })
		);
		!agent_call && T::AgentCalls::contains(call)
	}

	pub(crate) fn do_act_for(
		principal: T::AccountId,
		agent: T::AccountId,
		call: <T as Config>::RuntimeCall,
	) -> DispatchResultWithPostInfo {
		Self::ensure_agent(&principal, &agent)?;
		ensure!(Self::is_delegable(&call), Error::<T>::CallNotDelegable);
		let overhead = T::WeightInfo::act_for();
		let add = |post: PostDispatchInfo| PostDispatchInfo {
			actual_weight: post.actual_weight.map(|w| w.saturating_add(overhead)),
			pays_fee: post.pays_fee,
		};
		// `dispatch` applies the runtime's base call filter, as for any
		// signed call.
		match call.dispatch(frame_system::RawOrigin::Signed(principal).into()) {
			Ok(post) => Ok(add(post)),
			Err(e) => {
				Err(DispatchErrorWithPostInfo { post_info: add(e.post_info), error: e.error })
			},
		}
	}

	/// The principal and the inner call of an `act_for`, for
	/// [`crate::ReportDenials`].
	pub fn acted_for(
		call: &<T as frame_system::Config>::RuntimeCall,
	) -> Option<(&T::AccountId, &<T as frame_system::Config>::RuntimeCall)> {
		match <T as Config>::RuntimeCall::from_ref(call).is_sub_type() {
			Some(Call::act_for { principal, call }) => Some((principal, call.as_ref().into_ref())),
			_ => None,
		}
	}

	/// Whether `error` is `act_for`'s own refusal of its signer (not the
	/// inner call's refusal of the principal).
	pub fn is_agent_error(error: &DispatchError) -> bool {
		[
			Error::<T>::NotAnAgent.into(),
			Error::<T>::AgentExpired.into(),
			Error::<T>::CallNotDelegable.into(),
		]
		.contains(error)
	}
}

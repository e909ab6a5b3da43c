//! Reporting refusals: a transaction extension that sees the result of every
//! signed IMS call and reports those refused for lack of a right.
//!
//! A refused call is reverted as a whole, so whatever it would write itself,
//! an audit record included, is lost with it. This extension runs after the
//! call, outside its storage layer: what it writes stays.

use crate::{pallet::*, weights::WeightInfo};
use codec::{Decode, DecodeWithMemTracking, Encode};
use core::marker::PhantomData;
use frame_support::{pallet_prelude::Weight, traits::OriginTrait, DefaultNoBound};
use ims_primitives::{AuditSink, CallScope, Change, Directory, Subject};
use scale_info::TypeInfo;
use sp_runtime::{
	impl_tx_ext_default,
	traits::{DispatchInfoOf, PostDispatchInfoOf, TransactionExtension},
	transaction_validity::TransactionValidityError,
	DispatchError, DispatchResult, ModuleError,
};

/// How the runtime tells [`ReportDenials`] which calls to watch and which
/// errors are refusals.
pub trait DenialScope<Call> {
	/// What `call` acts on, with its pallet and call index, for the calls
	/// whose refusals are reported.
	fn scope(call: &Call) -> Option<(CallScope, u8, u8)>;
	/// Whether `error` is a refusal for lack of a right (not bad input).
	fn is_denial(error: &DispatchError) -> bool;
}

/// Watches nothing.
impl<Call> DenialScope<Call> for () {
	fn scope(_: &Call) -> Option<(CallScope, u8, u8)> {
		None
	}
	fn is_denial(_: &DispatchError) -> bool {
		false
	}
}

/// A signed call being watched.
pub struct Watched<AccountId> {
	/// Whose call it is: the signer, or the principal an agent's `act_for`
	/// names.
	pub who: AccountId,
	/// The agent, when the call came through `act_for`: its own refusals
	/// (no appointment, a call it may not make) are reported as the
	/// agent's.
	pub agent: Option<AccountId>,
	/// What the call acts on.
	pub scope: CallScope,
	/// The call's pallet index.
	pub pallet: u8,
	/// The call's index in its pallet.
	pub call: u8,
}

/// Reports every signed call the runtime's [`DenialScope`] watches that
/// fails with a refusal: an `AccessDenied` event and an audit record
/// (signer, realm, call, error). It carries no data and signs nothing extra.
#[derive(Encode, Decode, DecodeWithMemTracking, DefaultNoBound, Clone, Eq, PartialEq, TypeInfo)]
#[scale_info(skip_type_params(T))]
pub struct ReportDenials<T>(PhantomData<T>);

impl<T> ReportDenials<T> {
	/// The extension.
	pub fn new() -> Self {
		Self(PhantomData)
	}
}

impl<T> core::fmt::Debug for ReportDenials<T> {
	fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
		f.write_str("ReportDenials")
	}
}

type CallOf<T> = <T as frame_system::Config>::RuntimeCall;

impl<T: Config + Send + Sync> TransactionExtension<CallOf<T>> for ReportDenials<T> {
	const IDENTIFIER: &'static str = "ReportDenials";
	type Implicit = ();
	type Val = ();
	type Pre = Option<Watched<T::AccountId>>;

	fn weight(&self, call: &CallOf<T>) -> Weight {
		let call = Pallet::<T>::acted_for(call).map_or(call, |(_, inner)| inner);
		match T::DenialScope::scope(call) {
			Some(_) => T::WeightInfo::report_denial(),
			None => Weight::zero(),
		}
	}

	impl_tx_ext_default!(CallOf<T>; validate);

	fn prepare(
		self,
		_: (),
		origin: &T::RuntimeOrigin,
		call: &CallOf<T>,
		_: &DispatchInfoOf<CallOf<T>>,
		_: usize,
	) -> Result<Self::Pre, TransactionValidityError> {
		let Some(signer) = origin.as_signer() else { return Ok(None) };
		let (who, agent, call) = match Pallet::<T>::acted_for(call) {
			Some((principal, inner)) => (principal, Some(signer.clone()), inner),
			None => (signer, None, call),
		};
		Ok(T::DenialScope::scope(call).map(|(scope, pallet, call)| Watched {
			who: who.clone(),
			agent,
			scope,
			pallet,
			call,
		}))
	}

	fn post_dispatch_details(
		watched: Self::Pre,
		_: &DispatchInfoOf<CallOf<T>>,
		_: &PostDispatchInfoOf<CallOf<T>>,
		_: usize,
		result: &DispatchResult,
	) -> Result<Weight, TransactionValidityError> {
		let Some(mut watched) = watched else { return Ok(Weight::zero()) };
		match result {
			Err(error) if watched.agent.is_some() && Pallet::<T>::is_agent_error(error) => {
				if let Some(agent) = watched.agent.take() {
					watched.who = agent;
				}
				Pallet::<T>::report_denial(watched, error);
				Ok(Weight::zero())
			},
			Err(error) if T::DenialScope::is_denial(error) => {
				Pallet::<T>::report_denial(watched, error);
				Ok(Weight::zero())
			},
			// Nothing to report: the whole charge is unspent.
			_ => Ok(T::WeightInfo::report_denial()),
		}
	}
}

impl<T: Config> Pallet<T> {
	/// Report a refused call in the realm it acted on. A subscriber the
	/// directory no longer knows, or an error from outside a pallet, leaves
	/// no realm to report in: the refusal then stays in the block as the
	/// failed extrinsic only.
	pub(crate) fn report_denial(watched: Watched<T::AccountId>, error: &DispatchError) {
		let realm = match watched.scope {
			CallScope::Realm(realm) => Some(realm),
			CallScope::Subscriber(subscriber) => {
				T::Directory::subscription_of(subscriber).map(|(realm, _)| realm)
			},
		};
		let (Some(realm), DispatchError::Module(ModuleError { index, error, .. })) = (realm, error)
		else {
			return;
		};
		let (module, error) = (*index, error.first().copied().unwrap_or_default());
		let Watched { who, pallet, call, .. } = watched;
		Self::deposit_event(Event::AccessDenied {
			who: who.clone(),
			realm,
			pallet,
			call,
			module,
			error,
		});
		T::AuditSink::record(
			Some(&who),
			realm,
			Subject::Call { pallet, call },
			Change::Denied { module, error },
		);
	}
}

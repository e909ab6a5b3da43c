//! What the calls do, one module per domain, and the read side behind the
//! runtime API. The helpers here check permissions and keep the reference
//! counts of shared service data.

mod batches;
mod glue;
mod impi;
mod impu;
mod links;
mod read;
mod realm;
mod services;
mod subscription;
mod uses;

pub(crate) use uses::Uses;

use crate::{pallet::*, types::*, weights::WeightInfo};
use alloc::{collections::BTreeSet, vec, vec::Vec};
use codec::FullCodec;
use frame_support::{
	ensure, pallet_prelude::*, storage::StorageDoubleMap as DoubleMapT, traits::Get,
};
use ims_primitives::{
	ApplicationServer, ApplicationServerId, AuditSink, AuthScheme, AuthSchemes, AuthenticationView,
	Authorizer, CallScope, Change, ChargingId, ChargingInformation, Directory, IdentityObserver,
	IfcSetId, IfcView, Ifcs, ImpiId, ImplicitSetId, ImpuId, ImpuKind, ImpuView, LookupError, Name,
	Permission, ProfileId, ProfileView, Pseudonym, PublicIdentityView, RealmId, RegistrationState,
	RegistrationView, ServerAssignmentPage, ServerAssignmentView, ServiceProfile, Subject,
	SubscriptionId, VisitedNetworks,
};

pub(crate) use ims_primitives::origin::Actor;

impl<T: Config> ims_primitives::origin::Acting<T> for Pallet<T> {
	type Admin = T::AdminOrigin;
}

/// Operator data shared by reference, in a `(realm, number)` double map.
pub(crate) trait SharedMap<V: FullCodec>:
	DoubleMapT<RealmId, u32, Shared<V>, Query = Option<Shared<V>>>
{
}
impl<V: FullCodec, M: DoubleMapT<RealmId, u32, Shared<V>, Query = Option<Shared<V>>>> SharedMap<V>
	for M
{
}

impl<T: Config> Pallet<T> {
	pub(super) fn permit(
		actor: Actor<T>,
		realm: RealmId,
		permission: Permission,
	) -> DispatchResult {
		if let Some(who) = actor {
			ensure!(
				T::Authorizer::is_authorized(who, realm, permission),
				Error::<T>::NotAuthorized
			);
		}
		Ok(())
	}

	pub(super) fn realm_permit(
		actor: Actor<T>,
		realm: RealmId,
		permission: Permission,
	) -> DispatchResult {
		ensure!(Realms::<T>::contains_key(realm), Error::<T>::RealmNotFound);
		Self::permit(actor, realm, permission)
	}

	pub(super) fn adjust_services(realm: RealmId, grow: bool) -> DispatchResult {
		Realms::<T>::try_mutate(realm, |info| {
			let info = info.as_mut().ok_or(Error::<T>::RealmNotFound)?;
			info.services = if grow {
				info.services.checked_add(1).ok_or(Error::<T>::Overflow)?
			} else {
				info.services.saturating_sub(1)
			};
			Ok(())
		})
	}

	/// Count one more user of shared data, which must exist.
	pub(super) fn acquire<V: FullCodec, M: SharedMap<V>>(
		realm: RealmId,
		id: u32,
		missing: Error<T>,
	) -> DispatchResult {
		Self::acquire_many::<V, M>(realm, id, 1, missing)
	}

	/// Count `users` more users of shared data, which must exist.
	pub(super) fn acquire_many<V: FullCodec, M: SharedMap<V>>(
		realm: RealmId,
		id: u32,
		users: u32,
		missing: Error<T>,
	) -> DispatchResult {
		M::try_mutate(realm, id, |entry| {
			let entry = entry.as_mut().ok_or(missing)?;
			entry.users = entry.users.checked_add(users).ok_or(Error::<T>::Overflow)?;
			Ok(())
		})
	}

	/// Count one user less.
	pub(super) fn release<V: FullCodec, M: SharedMap<V>>(realm: RealmId, id: u32) {
		M::mutate(realm, id, |entry| {
			if let Some(entry) = entry {
				entry.users = entry.users.saturating_sub(1);
			}
		})
	}

	/// Store shared data, keeping its users; a new entry counts in the
	/// realm's services.
	pub(super) fn put_shared<V: FullCodec, M: SharedMap<V>>(
		realm: RealmId,
		id: u32,
		value: V,
	) -> Result<Option<V>, DispatchError> {
		let old = M::take(realm, id);
		let users = old.as_ref().map_or(0, |old| old.users);
		if old.is_none() {
			Self::adjust_services(realm, true)?;
		}
		M::insert(realm, id, Shared { value, users });
		Ok(old.map(|old| old.value))
	}

	/// Remove shared data nothing uses.
	pub(super) fn remove_shared<V: FullCodec, M: SharedMap<V>>(
		realm: RealmId,
		id: u32,
		missing: Error<T>,
	) -> Result<V, DispatchError> {
		let entry = M::get(realm, id).ok_or(missing)?;
		ensure!(entry.users == 0, Error::<T>::InUse);
		M::remove(realm, id);
		Self::adjust_services(realm, false)?;
		Ok(entry.value)
	}
}

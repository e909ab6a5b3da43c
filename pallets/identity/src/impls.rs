//! What the calls do, and the read side behind the runtime API.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use crate::{pallet::*, types::*, weights::WeightInfo};
use alloc::{collections::BTreeSet, vec, vec::Vec};
use codec::FullCodec;
use core::marker::PhantomData;
use frame_support::{
	ensure,
	pallet_prelude::*,
	storage::StorageDoubleMap as DoubleMapT,
	traits::{EnsureOrigin, Get},
};
use frame_system::pallet_prelude::*;
use ims_primitives::{
	ApplicationServer, ApplicationServerId, AuditSink, AuthScheme, AuthSchemes, AuthenticationView,
	Authorizer, CallScope, Change, ChargingId, ChargingInformation, Directory, IdentityObserver,
	IfcSetId, IfcView, Ifcs, ImpiId, ImplicitSetId, ImpuId, ImpuKind, ImpuView, LookupError, Name,
	Permission, ProfileId, ProfileView, Pseudonym, PublicIdentityView, RealmId, RegistrationState,
	RegistrationView, ServerAssignmentView, ServiceProfile, Subject, SubscriptionId,
	VisitedNetworks,
};

/// Who acts: `None` is governance (`AdminOrigin`), which may act anywhere.
pub(crate) type Actor<'a, T> = Option<&'a <T as frame_system::Config>::AccountId>;

/// Operator data shared by reference, in a `(realm, number)` double map.
trait SharedMap<V: FullCodec>: DoubleMapT<RealmId, u32, Shared<V>, Query = Option<Shared<V>>> {}
impl<V: FullCodec, M: DoubleMapT<RealmId, u32, Shared<V>, Query = Option<Shared<V>>>> SharedMap<V>
	for M
{
}

impl<T: Config> Pallet<T> {
	/// Classify the origin: governance, or a signed account whose
	/// permissions are checked per realm later. Anything else is `BadOrigin`.
	pub(crate) fn actor(origin: OriginFor<T>) -> Result<Option<T::AccountId>, DispatchError> {
		match T::AdminOrigin::try_origin(origin) {
			Ok(_) => Ok(None),
			Err(origin) => Ok(Some(ensure_signed(origin)?)),
		}
	}

	fn permit(actor: Actor<T>, realm: RealmId, permission: Permission) -> DispatchResult {
		if let Some(who) = actor {
			ensure!(
				T::Authorizer::is_authorized(who, realm, permission),
				Error::<T>::NotAuthorized
			);
		}
		Ok(())
	}

	fn realm_permit(actor: Actor<T>, realm: RealmId, permission: Permission) -> DispatchResult {
		ensure!(Realms::<T>::contains_key(realm), Error::<T>::RealmNotFound);
		Self::permit(actor, realm, permission)
	}

	fn adjust_services(realm: RealmId, grow: bool) -> DispatchResult {
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
	fn acquire<V: FullCodec, M: SharedMap<V>>(
		realm: RealmId,
		id: u32,
		missing: Error<T>,
	) -> DispatchResult {
		M::try_mutate(realm, id, |entry| {
			let entry = entry.as_mut().ok_or(missing)?;
			entry.users = entry.users.checked_add(1).ok_or(Error::<T>::Overflow)?;
			Ok(())
		})
	}

	/// Count one user less.
	fn release<V: FullCodec, M: SharedMap<V>>(realm: RealmId, id: u32) {
		M::mutate(realm, id, |entry| {
			if let Some(entry) = entry {
				entry.users = entry.users.saturating_sub(1);
			}
		})
	}

	/// Store shared data, keeping its users; a new entry counts in the
	/// realm's services.
	fn put_shared<V: FullCodec, M: SharedMap<V>>(
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
	fn remove_shared<V: FullCodec, M: SharedMap<V>>(
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

	fn audit(actor: Actor<T>, realm: RealmId, subject: Subject<T::AccountId>, change: Change) {
		T::AuditSink::record(actor, realm, subject, change)
	}

	// --- realms ---

	pub(crate) fn do_create_realm(
		name: Name,
		owner: T::AccountId,
	) -> Result<RealmId, DispatchError> {
		ensure!(!name.is_empty(), Error::<T>::EmptyName);
		ensure!(!RealmByName::<T>::contains_key(&name), Error::<T>::RealmNameTaken);
		let realm = NextRealmId::<T>::get();
		let next = realm.checked_add(1).ok_or(Error::<T>::RealmIdsExhausted)?;
		NextRealmId::<T>::put(next);
		RealmByName::<T>::insert(&name, realm);
		Realms::<T>::insert(
			realm,
			RealmInfo { owner: owner.clone(), name: name.clone(), subscriptions: 0, services: 0 },
		);
		Self::deposit_event(Event::RealmCreated { realm, name, owner });
		Self::audit(None, realm, Subject::Realm, Change::Created);
		Ok(realm)
	}

	pub(crate) fn do_set_realm_owner(
		actor: Actor<T>,
		realm: RealmId,
		owner: T::AccountId,
	) -> DispatchResult {
		Self::realm_permit(actor, realm, Permission::AdministerRealm)?;
		Realms::<T>::try_mutate(realm, |info| {
			let info = info.as_mut().ok_or(Error::<T>::RealmNotFound)?;
			info.owner = owner.clone();
			Ok::<_, DispatchError>(())
		})?;
		Self::deposit_event(Event::RealmOwnerChanged { realm, owner });
		Self::audit(actor, realm, Subject::Realm, Change::Updated);
		Ok(())
	}

	pub(crate) fn do_remove_realm(realm: RealmId) -> DispatchResult {
		let info = Realms::<T>::get(realm).ok_or(Error::<T>::RealmNotFound)?;
		ensure!(info.subscriptions == 0 && info.services == 0, Error::<T>::RealmNotEmpty);
		ensure!(!T::Observer::realm_in_use(realm), Error::<T>::RealmInUse);
		Realms::<T>::remove(realm);
		RealmByName::<T>::remove(&info.name);
		Self::deposit_event(Event::RealmRemoved { realm });
		Self::audit(None, realm, Subject::Realm, Change::Removed);
		Ok(())
	}

	// --- subscriptions ---

	pub(crate) fn do_create_subscription(
		actor: Actor<T>,
		realm: RealmId,
		subscription: SubscriptionId,
	) -> DispatchResult {
		Self::realm_permit(actor, realm, Permission::Provision)?;
		ensure!(
			!Subscriptions::<T>::contains_key(subscription),
			Error::<T>::SubscriptionAlreadyExists
		);
		Realms::<T>::try_mutate(realm, |info| {
			let info = info.as_mut().ok_or(Error::<T>::RealmNotFound)?;
			info.subscriptions = info.subscriptions.checked_add(1).ok_or(Error::<T>::Overflow)?;
			Ok::<_, DispatchError>(())
		})?;
		Subscriptions::<T>::insert(
			subscription,
			Subscription { realm, impis: Default::default(), impus: Default::default() },
		);
		Self::deposit_event(Event::SubscriptionCreated { realm, subscription });
		Self::audit(actor, realm, Subject::Subscription(subscription), Change::Created);
		Ok(())
	}

	/// Erase a subscription; returns the weight used, including what the
	/// `Observer` removed with it.
	pub(crate) fn do_remove_subscription(
		actor: Actor<T>,
		subscription: SubscriptionId,
	) -> Result<Weight, DispatchError> {
		let record =
			Subscriptions::<T>::get(subscription).ok_or(Error::<T>::SubscriptionNotFound)?;
		let realm = record.realm;
		Self::permit(actor, realm, Permission::Provision)?;
		for impi in &record.impis {
			for impu in ImpusOfImpi::<T>::drain_prefix(impi).map(|(impu, ())| impu) {
				ImpisOfImpu::<T>::remove(impu, impi);
			}
			Impis::<T>::remove(impi);
		}
		for impu in &record.impus {
			// Links always stay inside a subscription; this drains nothing
			// unless state was already inconsistent, and then repairs it.
			for impi in ImpisOfImpu::<T>::drain_prefix(impu).map(|(impi, ())| impi) {
				ImpusOfImpi::<T>::remove(impi, impu);
			}
			if let Some(impu_record) = Impus::<T>::take(impu) {
				Self::release::<_, ServiceProfiles<T>>(realm, impu_record.service_profile);
				if let Some(charging) = impu_record.charging {
					Self::release::<_, ChargingInfos<T>>(realm, charging);
				}
			}
			Registrations::<T>::remove(impu);
		}
		let _ =
			ImplicitSets::<T>::clear_prefix(subscription, T::MaxImpusPerSubscription::get(), None);
		Subscriptions::<T>::remove(subscription);
		Realms::<T>::mutate(realm, |info| {
			if let Some(info) = info {
				info.subscriptions = info.subscriptions.saturating_sub(1);
			}
		});
		let observed = T::Observer::subscription_erased(subscription);
		let (impis, impus) = (record.impis.len() as u32, record.impus.len() as u32);
		Self::deposit_event(Event::SubscriptionErased { realm, subscription, impis, impus });
		Self::audit(actor, realm, Subject::Subscription(subscription), Change::Erased);
		Ok(T::WeightInfo::remove_subscription(impis, impus).saturating_add(observed))
	}

	// --- IMPIs ---

	fn check_schemes(schemes: AuthSchemes, default_scheme: AuthScheme) -> DispatchResult {
		ensure!(!schemes.is_empty(), Error::<T>::NoAuthScheme);
		ensure!(schemes.is_known(), Error::<T>::UnknownAuthScheme);
		ensure!(schemes.contains(default_scheme), Error::<T>::DefaultSchemeNotAllowed);
		Ok(())
	}

	pub(crate) fn do_create_impi(
		actor: Actor<T>,
		subscription: SubscriptionId,
		impi: ImpiId,
		schemes: AuthSchemes,
		default_scheme: AuthScheme,
	) -> DispatchResult {
		let mut record =
			Subscriptions::<T>::get(subscription).ok_or(Error::<T>::SubscriptionNotFound)?;
		let realm = record.realm;
		Self::permit(actor, realm, Permission::Provision)?;
		ensure!(!Impis::<T>::contains_key(impi), Error::<T>::ImpiAlreadyExists);
		Self::check_schemes(schemes, default_scheme)?;
		record.impis.try_push(impi).map_err(|_| Error::<T>::TooManyImpis)?;
		Subscriptions::<T>::insert(subscription, record);
		Impis::<T>::insert(
			impi,
			ImpiRecord {
				subscription,
				realm,
				schemes,
				default_scheme,
				credential_epoch: 0,
				impus: 0,
			},
		);
		Self::deposit_event(Event::ImpiCreated { subscription, impi });
		Self::audit(actor, realm, Subject::Impi(impi), Change::Created);
		Ok(())
	}

	pub(crate) fn do_update_impi(
		actor: Actor<T>,
		impi: ImpiId,
		schemes: AuthSchemes,
		default_scheme: AuthScheme,
	) -> DispatchResult {
		let mut record = Impis::<T>::get(impi).ok_or(Error::<T>::ImpiNotFound)?;
		Self::permit(actor, record.realm, Permission::Provision)?;
		Self::check_schemes(schemes, default_scheme)?;
		record.schemes = schemes;
		record.default_scheme = default_scheme;
		let realm = record.realm;
		Impis::<T>::insert(impi, record);
		Self::deposit_event(Event::ImpiUpdated { impi, schemes, default_scheme });
		Self::audit(actor, realm, Subject::Impi(impi), Change::Updated);
		Ok(())
	}

	pub(crate) fn do_rotate_credentials(actor: Actor<T>, impi: ImpiId) -> DispatchResult {
		let mut record = Impis::<T>::get(impi).ok_or(Error::<T>::ImpiNotFound)?;
		Self::permit(actor, record.realm, Permission::RotateCredentials)?;
		let epoch = record.credential_epoch.checked_add(1).ok_or(Error::<T>::Overflow)?;
		record.credential_epoch = epoch;
		let realm = record.realm;
		Impis::<T>::insert(impi, record);
		Self::deposit_event(Event::CredentialsRotated { impi, epoch });
		Self::audit(actor, realm, Subject::Impi(impi), Change::CredentialsRotated);
		Ok(())
	}

	/// Remove an IMPI; returns how many links it had.
	pub(crate) fn do_remove_impi(actor: Actor<T>, impi: ImpiId) -> Result<u32, DispatchError> {
		let record = Impis::<T>::get(impi).ok_or(Error::<T>::ImpiNotFound)?;
		let realm = record.realm;
		Self::permit(actor, realm, Permission::Provision)?;
		let mut links = 0u32;
		for impu in ImpusOfImpi::<T>::drain_prefix(impi).map(|(impu, ())| impu) {
			ImpisOfImpu::<T>::remove(impu, impi);
			Impus::<T>::mutate(impu, |impu| {
				if let Some(impu) = impu {
					impu.impis = impu.impis.saturating_sub(1);
				}
			});
			links = links.saturating_add(1);
			Self::deposit_event(Event::Unlinked { impi, impu });
		}
		Subscriptions::<T>::mutate(record.subscription, |subscription| {
			if let Some(subscription) = subscription {
				subscription.impis.retain(|member| *member != impi);
			}
		});
		Impis::<T>::remove(impi);
		Self::deposit_event(Event::ImpiRemoved { impi });
		Self::audit(actor, realm, Subject::Impi(impi), Change::Removed);
		Ok(links)
	}

	// --- IMPUs ---

	fn check_roaming(networks: &VisitedNetworks) -> DispatchResult {
		let mut seen = BTreeSet::new();
		for network in networks {
			ensure!(!network.is_empty(), Error::<T>::EmptyName);
			ensure!(seen.insert(network.as_slice()), Error::<T>::DuplicateVisitedNetwork);
		}
		Ok(())
	}

	fn join_implicit_set(
		subscription: SubscriptionId,
		set: ImplicitSetId,
		impu: ImpuId,
		barred: bool,
	) -> DispatchResult {
		ImplicitSets::<T>::try_mutate(subscription, set, |entry| {
			match entry {
				Some(existing) => {
					existing.members.try_push(impu).map_err(|_| Error::<T>::TooManyImpus)?
				},
				None => {
					ensure!(!barred, Error::<T>::BarredDefault);
					let members =
						BoundedVec::try_from(vec![impu]).map_err(|_| Error::<T>::TooManyImpus)?;
					*entry = Some(ImplicitSet { members });
				},
			}
			Ok(())
		})
	}

	fn leave_implicit_set(
		subscription: SubscriptionId,
		set: ImplicitSetId,
		impu: ImpuId,
	) -> DispatchResult {
		ImplicitSets::<T>::try_mutate_exists(subscription, set, |entry| {
			let Some(existing) = entry else { return Ok(()) };
			let is_default = existing.members.first() == Some(&impu);
			ensure!(!is_default || existing.members.len() == 1, Error::<T>::DefaultOfImplicitSet);
			existing.members.retain(|member| *member != impu);
			if existing.members.is_empty() {
				*entry = None;
			}
			Ok(())
		})
	}

	pub(crate) fn do_create_impu(
		actor: Actor<T>,
		subscription: SubscriptionId,
		impu: ImpuId,
		attributes: ImpuAttributes,
	) -> DispatchResult {
		let mut record =
			Subscriptions::<T>::get(subscription).ok_or(Error::<T>::SubscriptionNotFound)?;
		let realm = record.realm;
		Self::permit(actor, realm, Permission::Provision)?;
		ensure!(!Impus::<T>::contains_key(impu), Error::<T>::ImpuAlreadyExists);
		record.impus.try_push(impu).map_err(|_| Error::<T>::TooManyImpus)?;
		Self::check_roaming(&attributes.roaming)?;
		Self::acquire::<_, ServiceProfiles<T>>(
			realm,
			attributes.service_profile,
			Error::<T>::ProfileNotFound,
		)?;
		if let Some(charging) = attributes.charging {
			Self::acquire::<_, ChargingInfos<T>>(realm, charging, Error::<T>::ChargingNotFound)?;
		}
		if let Some(set) = attributes.implicit_set {
			Self::join_implicit_set(subscription, set, impu, attributes.barred)?;
		}
		Subscriptions::<T>::insert(subscription, record);
		Impus::<T>::insert(
			impu,
			ImpuRecord {
				subscription,
				realm,
				kind: attributes.kind,
				barred: attributes.barred,
				can_register: attributes.can_register,
				implicit_set: attributes.implicit_set,
				service_profile: attributes.service_profile,
				charging: attributes.charging,
				roaming: attributes.roaming,
				impis: 0,
			},
		);
		Self::deposit_event(Event::ImpuCreated { subscription, impu });
		Self::audit(actor, realm, Subject::Impu(impu), Change::Created);
		Ok(())
	}

	/// Change an IMPU record the actor may provision; `change` validates and
	/// edits it, returning the event to emit and the audit record's change.
	fn edit_impu(
		actor: Actor<T>,
		impu: ImpuId,
		change: impl FnOnce(&mut ImpuRecord) -> Result<(Event<T>, Change), DispatchError>,
	) -> DispatchResult {
		let mut record = Impus::<T>::get(impu).ok_or(Error::<T>::ImpuNotFound)?;
		Self::permit(actor, record.realm, Permission::Provision)?;
		let (event, audited) = change(&mut record)?;
		let realm = record.realm;
		Impus::<T>::insert(impu, record);
		Self::deposit_event(event);
		Self::audit(actor, realm, Subject::Impu(impu), audited);
		Ok(())
	}

	pub(crate) fn do_update_impu(
		actor: Actor<T>,
		impu: ImpuId,
		kind: ImpuKind,
		can_register: bool,
	) -> DispatchResult {
		Self::edit_impu(actor, impu, |record| {
			record.kind = kind;
			record.can_register = can_register;
			Ok((Event::ImpuUpdated { impu, kind, can_register }, Change::Updated))
		})
	}

	pub(crate) fn do_set_barring(actor: Actor<T>, impu: ImpuId, barred: bool) -> DispatchResult {
		Self::edit_impu(actor, impu, |record| {
			if barred {
				if let Some(set) = record.implicit_set {
					let is_default = ImplicitSets::<T>::get(record.subscription, set)
						.is_some_and(|set| set.members.first() == Some(&impu));
					ensure!(!is_default, Error::<T>::BarredDefault);
				}
			}
			record.barred = barred;
			Ok(if barred {
				(Event::ImpuBarred { impu }, Change::Barred)
			} else {
				(Event::ImpuUnbarred { impu }, Change::Unbarred)
			})
		})
	}

	pub(crate) fn do_set_service_profile(
		actor: Actor<T>,
		impu: ImpuId,
		profile: ProfileId,
		charging: Option<ChargingId>,
	) -> DispatchResult {
		Self::edit_impu(actor, impu, |record| {
			let realm = record.realm;
			Self::acquire::<_, ServiceProfiles<T>>(realm, profile, Error::<T>::ProfileNotFound)?;
			if let Some(charging) = charging {
				Self::acquire::<_, ChargingInfos<T>>(
					realm,
					charging,
					Error::<T>::ChargingNotFound,
				)?;
			}
			Self::release::<_, ServiceProfiles<T>>(realm, record.service_profile);
			if let Some(old) = record.charging {
				Self::release::<_, ChargingInfos<T>>(realm, old);
			}
			record.service_profile = profile;
			record.charging = charging;
			Ok((Event::ServiceProfileAssigned { impu, profile, charging }, Change::Updated))
		})
	}

	pub(crate) fn do_set_roaming(
		actor: Actor<T>,
		impu: ImpuId,
		networks: VisitedNetworks,
	) -> DispatchResult {
		Self::check_roaming(&networks)?;
		Self::edit_impu(actor, impu, |record| {
			let count = networks.len() as u32;
			record.roaming = networks;
			Ok((Event::RoamingSet { impu, networks: count }, Change::Updated))
		})
	}

	pub(crate) fn do_set_implicit_set(
		actor: Actor<T>,
		impu: ImpuId,
		target: Option<ImplicitSetId>,
	) -> DispatchResult {
		Self::edit_impu(actor, impu, |record| {
			match (record.implicit_set, target) {
				(current, Some(set)) if current == Some(set) => {
					return Err(Error::<T>::AlreadyInImplicitSet.into())
				},
				(None, None) => return Err(Error::<T>::NotInImplicitSet.into()),
				_ => {},
			}
			if let Some(current) = record.implicit_set {
				Self::leave_implicit_set(record.subscription, current, impu)?;
			}
			if let Some(set) = target {
				Self::join_implicit_set(record.subscription, set, impu, record.barred)?;
			}
			record.implicit_set = target;
			Ok((Event::ImplicitSetChanged { impu, implicit_set: target }, Change::Updated))
		})
	}

	pub(crate) fn do_set_implicit_default(actor: Actor<T>, impu: ImpuId) -> DispatchResult {
		Self::edit_impu(actor, impu, |record| {
			let set = record.implicit_set.ok_or(Error::<T>::NotInImplicitSet)?;
			ensure!(!record.barred, Error::<T>::BarredDefault);
			let subscription = record.subscription;
			ImplicitSets::<T>::try_mutate(subscription, set, |entry| {
				let entry = entry.as_mut().ok_or(Error::<T>::NotInImplicitSet)?;
				entry.members.retain(|member| *member != impu);
				entry.members.try_insert(0, impu).map_err(|_| Error::<T>::TooManyImpus)?;
				Ok::<_, DispatchError>(())
			})?;
			Ok((
				Event::ImplicitSetDefaultChanged { subscription, implicit_set: set, impu },
				Change::Updated,
			))
		})
	}

	/// Remove an IMPU; returns how many links it had.
	pub(crate) fn do_remove_impu(actor: Actor<T>, impu: ImpuId) -> Result<u32, DispatchError> {
		let record = Impus::<T>::get(impu).ok_or(Error::<T>::ImpuNotFound)?;
		let realm = record.realm;
		Self::permit(actor, realm, Permission::Provision)?;
		if let Some(set) = record.implicit_set {
			Self::leave_implicit_set(record.subscription, set, impu)?;
		}
		let mut links = 0u32;
		for impi in ImpisOfImpu::<T>::drain_prefix(impu).map(|(impi, ())| impi) {
			ImpusOfImpi::<T>::remove(impi, impu);
			Impis::<T>::mutate(impi, |impi| {
				if let Some(impi) = impi {
					impi.impus = impi.impus.saturating_sub(1);
				}
			});
			links = links.saturating_add(1);
			Self::deposit_event(Event::Unlinked { impi, impu });
		}
		Self::release::<_, ServiceProfiles<T>>(realm, record.service_profile);
		if let Some(charging) = record.charging {
			Self::release::<_, ChargingInfos<T>>(realm, charging);
		}
		Registrations::<T>::remove(impu);
		Subscriptions::<T>::mutate(record.subscription, |subscription| {
			if let Some(subscription) = subscription {
				subscription.impus.retain(|member| *member != impu);
			}
		});
		Impus::<T>::remove(impu);
		Self::deposit_event(Event::ImpuRemoved { impu });
		Self::audit(actor, realm, Subject::Impu(impu), Change::Removed);
		Ok(links)
	}

	// --- links ---

	pub(crate) fn do_link(actor: Actor<T>, impi: ImpiId, impu: ImpuId) -> DispatchResult {
		let mut impi_record = Impis::<T>::get(impi).ok_or(Error::<T>::ImpiNotFound)?;
		let mut impu_record = Impus::<T>::get(impu).ok_or(Error::<T>::ImpuNotFound)?;
		Self::permit(actor, impi_record.realm, Permission::Provision)?;
		ensure!(impi_record.realm == impu_record.realm, Error::<T>::CrossRealmLink);
		ensure!(
			impi_record.subscription == impu_record.subscription,
			Error::<T>::CrossSubscriptionLink
		);
		ensure!(!ImpusOfImpi::<T>::contains_key(impi, impu), Error::<T>::AlreadyLinked);
		impi_record.impus = impi_record.impus.checked_add(1).ok_or(Error::<T>::Overflow)?;
		impu_record.impis = impu_record.impis.checked_add(1).ok_or(Error::<T>::Overflow)?;
		let realm = impi_record.realm;
		Impis::<T>::insert(impi, impi_record);
		Impus::<T>::insert(impu, impu_record);
		ImpusOfImpi::<T>::insert(impi, impu, ());
		ImpisOfImpu::<T>::insert(impu, impi, ());
		Self::deposit_event(Event::Linked { impi, impu });
		Self::audit(actor, realm, Subject::Impi(impi), Change::Linked(impu));
		Ok(())
	}

	pub(crate) fn do_unlink(actor: Actor<T>, impi: ImpiId, impu: ImpuId) -> DispatchResult {
		let mut impi_record = Impis::<T>::get(impi).ok_or(Error::<T>::ImpiNotFound)?;
		let mut impu_record = Impus::<T>::get(impu).ok_or(Error::<T>::ImpuNotFound)?;
		Self::permit(actor, impi_record.realm, Permission::Provision)?;
		ensure!(ImpusOfImpi::<T>::contains_key(impi, impu), Error::<T>::NotLinked);
		impi_record.impus = impi_record.impus.saturating_sub(1);
		impu_record.impis = impu_record.impis.saturating_sub(1);
		let realm = impi_record.realm;
		Impis::<T>::insert(impi, impi_record);
		Impus::<T>::insert(impu, impu_record);
		ImpusOfImpi::<T>::remove(impi, impu);
		ImpisOfImpu::<T>::remove(impu, impi);
		Self::deposit_event(Event::Unlinked { impi, impu });
		Self::audit(actor, realm, Subject::Impi(impi), Change::Unlinked(impu));
		Ok(())
	}

	// --- service data ---

	fn audit_stored(
		actor: Actor<T>,
		realm: RealmId,
		subject: Subject<T::AccountId>,
		created: bool,
	) {
		Self::audit(actor, realm, subject, if created { Change::Created } else { Change::Updated })
	}

	pub(crate) fn do_put_application_server(
		actor: Actor<T>,
		realm: RealmId,
		id: ApplicationServerId,
		server: ApplicationServer,
	) -> DispatchResult {
		Self::realm_permit(actor, realm, Permission::ManageServices)?;
		ensure!(!server.server_name.is_empty(), Error::<T>::EmptyServerName);
		let old = Self::put_shared::<_, ApplicationServers<T>>(realm, id, server)?;
		Self::deposit_event(Event::ApplicationServerStored { realm, application_server: id });
		Self::audit_stored(actor, realm, Subject::ApplicationServer(id), old.is_none());
		Ok(())
	}

	pub(crate) fn do_remove_application_server(
		actor: Actor<T>,
		realm: RealmId,
		id: ApplicationServerId,
	) -> DispatchResult {
		Self::realm_permit(actor, realm, Permission::ManageServices)?;
		Self::remove_shared::<_, ApplicationServers<T>>(
			realm,
			id,
			Error::<T>::ApplicationServerNotFound,
		)?;
		Self::deposit_event(Event::ApplicationServerRemoved { realm, application_server: id });
		Self::audit(actor, realm, Subject::ApplicationServer(id), Change::Removed);
		Ok(())
	}

	pub(crate) fn do_put_charging(
		actor: Actor<T>,
		realm: RealmId,
		id: ChargingId,
		charging: ChargingInformation,
	) -> DispatchResult {
		Self::realm_permit(actor, realm, Permission::ManageServices)?;
		ensure!(!charging.is_empty(), Error::<T>::EmptyChargingInformation);
		let old = Self::put_shared::<_, ChargingInfos<T>>(realm, id, charging)?;
		Self::deposit_event(Event::ChargingInformationStored { realm, charging: id });
		Self::audit_stored(actor, realm, Subject::Charging(id), old.is_none());
		Ok(())
	}

	pub(crate) fn do_remove_charging(
		actor: Actor<T>,
		realm: RealmId,
		id: ChargingId,
	) -> DispatchResult {
		Self::realm_permit(actor, realm, Permission::ManageServices)?;
		Self::remove_shared::<_, ChargingInfos<T>>(realm, id, Error::<T>::ChargingNotFound)?;
		Self::deposit_event(Event::ChargingInformationRemoved { realm, charging: id });
		Self::audit(actor, realm, Subject::Charging(id), Change::Removed);
		Ok(())
	}

	/// Check a list of criteria: priorities unique, trigger points not
	/// empty, application servers existing in the realm.
	fn check_ifcs(realm: RealmId, ifcs: &Ifcs) -> DispatchResult {
		let mut priorities = BTreeSet::new();
		for ifc in ifcs {
			ensure!(priorities.insert(ifc.priority), Error::<T>::DuplicatePriority);
			if let Some(trigger) = &ifc.trigger_point {
				ensure!(!trigger.spts.is_empty(), Error::<T>::EmptyTriggerPoint);
			}
			ensure!(
				ApplicationServers::<T>::contains_key(realm, ifc.application_server),
				Error::<T>::ApplicationServerNotFound
			);
		}
		Ok(())
	}

	/// Count the criteria's references to their application servers (which
	/// `check_ifcs` found to exist).
	fn acquire_servers(realm: RealmId, ifcs: &Ifcs) -> DispatchResult {
		for ifc in ifcs {
			Self::acquire::<_, ApplicationServers<T>>(
				realm,
				ifc.application_server,
				Error::<T>::ApplicationServerNotFound,
			)?;
		}
		Ok(())
	}

	fn release_servers(realm: RealmId, ifcs: &Ifcs) {
		for ifc in ifcs {
			Self::release::<_, ApplicationServers<T>>(realm, ifc.application_server);
		}
	}

	pub(crate) fn do_put_ifc_set(
		actor: Actor<T>,
		realm: RealmId,
		id: IfcSetId,
		ifcs: Ifcs,
	) -> DispatchResult {
		Self::realm_permit(actor, realm, Permission::ManageServices)?;
		Self::check_ifcs(realm, &ifcs)?;
		Self::acquire_servers(realm, &ifcs)?;
		let old = Self::put_shared::<_, IfcSets<T>>(realm, id, ifcs)?;
		if let Some(old) = &old {
			Self::release_servers(realm, old);
		}
		Self::deposit_event(Event::IfcSetStored { realm, ifc_set: id });
		Self::audit_stored(actor, realm, Subject::IfcSet(id), old.is_none());
		Ok(())
	}

	pub(crate) fn do_remove_ifc_set(
		actor: Actor<T>,
		realm: RealmId,
		id: IfcSetId,
	) -> DispatchResult {
		Self::realm_permit(actor, realm, Permission::ManageServices)?;
		let ifcs = Self::remove_shared::<_, IfcSets<T>>(realm, id, Error::<T>::IfcSetNotFound)?;
		Self::release_servers(realm, &ifcs);
		Self::deposit_event(Event::IfcSetRemoved { realm, ifc_set: id });
		Self::audit(actor, realm, Subject::IfcSet(id), Change::Removed);
		Ok(())
	}

	pub(crate) fn do_put_service_profile(
		actor: Actor<T>,
		realm: RealmId,
		id: ProfileId,
		profile: ServiceProfile,
	) -> DispatchResult {
		Self::realm_permit(actor, realm, Permission::ManageServices)?;
		ensure!(!profile.name.is_empty(), Error::<T>::EmptyName);
		Self::check_ifcs(realm, &profile.ifcs)?;
		let mut sets = BTreeSet::new();
		for set in &profile.shared_ifc_sets {
			ensure!(sets.insert(*set), Error::<T>::DuplicateIfcSet);
			ensure!(IfcSets::<T>::contains_key(realm, set), Error::<T>::IfcSetNotFound);
		}
		Self::acquire_servers(realm, &profile.ifcs)?;
		for set in &profile.shared_ifc_sets {
			Self::acquire::<_, IfcSets<T>>(realm, *set, Error::<T>::IfcSetNotFound)?;
		}
		let old = Self::put_shared::<_, ServiceProfiles<T>>(realm, id, profile)?;
		if let Some(old) = &old {
			Self::release_profile_references(realm, old);
		}
		Self::deposit_event(Event::ServiceProfileStored { realm, profile: id });
		Self::audit_stored(actor, realm, Subject::ServiceProfile(id), old.is_none());
		Ok(())
	}

	fn release_profile_references(realm: RealmId, profile: &ServiceProfile) {
		Self::release_servers(realm, &profile.ifcs);
		for set in &profile.shared_ifc_sets {
			Self::release::<_, IfcSets<T>>(realm, *set);
		}
	}

	pub(crate) fn do_remove_service_profile(
		actor: Actor<T>,
		realm: RealmId,
		id: ProfileId,
	) -> DispatchResult {
		Self::realm_permit(actor, realm, Permission::ManageServices)?;
		let profile =
			Self::remove_shared::<_, ServiceProfiles<T>>(realm, id, Error::<T>::ProfileNotFound)?;
		Self::release_profile_references(realm, &profile);
		Self::deposit_event(Event::ServiceProfileRemoved { realm, profile: id });
		Self::audit(actor, realm, Subject::ServiceProfile(id), Change::Removed);
		Ok(())
	}

	// --- batches ---

	/// The weight of an import: each item weighs what its call weighs.
	pub fn import_weight(items: &ImportBatch<T>) -> Weight {
		items.iter().fold(Weight::zero(), |total, item| {
			total.saturating_add(match item {
				ImportItem::Subscription { .. } => T::WeightInfo::create_subscription(),
				ImportItem::Impi { .. } => T::WeightInfo::create_impi(),
				ImportItem::Impu { .. } => T::WeightInfo::create_impu(),
				ImportItem::Link { .. } => T::WeightInfo::link(),
			})
		})
	}

	pub(crate) fn do_import(actor: Actor<T>, items: ImportBatch<T>) -> DispatchResult {
		ensure!(!items.is_empty(), Error::<T>::EmptyBatch);
		let count = items.len() as u32;
		for item in items {
			match item {
				ImportItem::Subscription { realm, subscription } => {
					Self::do_create_subscription(actor, realm, subscription)?
				},
				ImportItem::Impi { subscription, impi, schemes, default_scheme } => {
					Self::do_create_impi(actor, subscription, impi, schemes, default_scheme)?
				},
				ImportItem::Impu { subscription, impu, attributes } => {
					Self::do_create_impu(actor, subscription, impu, attributes)?
				},
				ImportItem::Link { impi, impu } => Self::do_link(actor, impi, impu)?,
			}
		}
		Self::deposit_event(Event::Imported { items: count });
		Ok(())
	}

	/// The members of an IMPU's implicit set (itself alone if it has none).
	fn implicit_members(impu: ImpuId, record: &ImpuRecord) -> Vec<ImpuId> {
		record
			.implicit_set
			.and_then(|set| ImplicitSets::<T>::get(record.subscription, set))
			.map(|set| set.members.into_inner())
			.unwrap_or_else(|| vec![impu])
	}

	/// The weight of `updates` registration reports that wrote
	/// `extra_members` registrations beyond one per report (the other
	/// members of implicit sets).
	pub fn registrations_weight(updates: u32, extra_members: u32) -> Weight {
		let per_member = T::WeightInfo::register_implicit_set(extra_members.saturating_add(1))
			.saturating_sub(T::WeightInfo::register_implicit_set(1));
		T::WeightInfo::record_registrations(updates).saturating_add(per_member)
	}

	/// Apply registration reports; returns how many registrations were
	/// written beyond one per applied report.
	pub(crate) fn do_record_registrations(
		actor: Actor<T>,
		updates: RegistrationBatch<T>,
	) -> Result<u32, DispatchError> {
		ensure!(!updates.is_empty(), Error::<T>::EmptyBatch);
		let now = frame_system::Pallet::<T>::block_number();
		let mut extra_members = 0u32;
		for update in updates {
			match (update.state, &update.scscf) {
				(RegistrationState::NotRegistered, Some(_)) => {
					return Err(Error::<T>::UnexpectedScscf.into())
				},
				(RegistrationState::Registered | RegistrationState::Unregistered, None) => {
					return Err(Error::<T>::ScscfRequired.into())
				},
				(_, Some(scscf)) if scscf.is_empty() => return Err(Error::<T>::EmptyName.into()),
				_ => {},
			}
			let Some(record) = Impus::<T>::get(update.impu) else {
				Self::deposit_event(Event::RegistrationSkipped { impu: update.impu });
				continue;
			};
			Self::permit(actor, record.realm, Permission::RecordRegistration)?;
			let members = Self::implicit_members(update.impu, &record);
			extra_members = extra_members.saturating_add((members.len() as u32).saturating_sub(1));
			for member in &members {
				if update.state == RegistrationState::NotRegistered {
					Registrations::<T>::remove(member);
				} else {
					Registrations::<T>::insert(
						member,
						RegistrationRecord {
							state: update.state,
							scscf: update.scscf.clone(),
							updated_at: now,
						},
					);
				}
			}
			Self::deposit_event(Event::RegistrationRecorded {
				impu: update.impu,
				state: update.state,
				scscf: update.scscf,
				members: members.len() as u32,
			});
			Self::audit(
				actor,
				record.realm,
				Subject::Impu(update.impu),
				Change::Registration(update.state),
			);
		}
		Ok(extra_members)
	}

	// --- read side (runtime API) ---

	fn impu_view(impu: ImpuId, record: &ImpuRecord) -> ImpuView {
		let members = Self::implicit_members(impu, record);
		let all_barred = members.iter().all(|member| {
			if *member == impu {
				record.barred
			} else {
				Impus::<T>::get(member).is_none_or(|member| member.barred)
			}
		});
		let registration = Registrations::<T>::get(impu)
			.map(|registration| RegistrationView {
				state: registration.state,
				scscf: registration.scscf,
			})
			.unwrap_or_default();
		ImpuView {
			impu,
			realm: record.realm,
			realm_name: Realms::<T>::get(record.realm).map(|realm| realm.name).unwrap_or_default(),
			subscription: record.subscription,
			kind: record.kind,
			barred: record.barred,
			can_register: record.can_register,
			implicit_set: record.implicit_set,
			all_barred,
			roaming: record.roaming.clone(),
			registration,
		}
	}

	fn linked_pair(impi: ImpiId, impu: ImpuId) -> Result<(ImpiRecord, ImpuRecord), LookupError> {
		let impi_record = Impis::<T>::get(impi).ok_or(LookupError::UnknownImpi)?;
		let impu_record = Impus::<T>::get(impu).ok_or(LookupError::UnknownImpu)?;
		if !ImpusOfImpi::<T>::contains_key(impi, impu) {
			return Err(LookupError::NotLinked);
		}
		Ok((impi_record, impu_record))
	}

	/// UAR: see [`ims_primitives::IdentityApi::user_authorization`].
	pub fn user_authorization(impi: ImpiId, impu: ImpuId) -> Result<ImpuView, LookupError> {
		let (_, impu_record) = Self::linked_pair(impi, impu)?;
		Ok(Self::impu_view(impu, &impu_record))
	}

	/// MAR: see [`ims_primitives::IdentityApi::authentication`].
	pub fn authentication(impi: ImpiId, impu: ImpuId) -> Result<AuthenticationView, LookupError> {
		let (impi_record, impu_record) = Self::linked_pair(impi, impu)?;
		Ok(AuthenticationView {
			impu: Self::impu_view(impu, &impu_record),
			impi,
			schemes: impi_record.schemes,
			default_scheme: impi_record.default_scheme,
			credential_epoch: impi_record.credential_epoch,
		})
	}

	/// SAR: see [`ims_primitives::IdentityApi::server_assignment`].
	pub fn server_assignment(
		impi: Option<ImpiId>,
		impu: ImpuId,
	) -> Result<ServerAssignmentView, LookupError> {
		let record = match impi {
			Some(impi) => Self::linked_pair(impi, impu)?.1,
			None => Impus::<T>::get(impu).ok_or(LookupError::UnknownImpu)?,
		};
		let realm = record.realm;
		// Every member with its record; the requested identity first so that
		// its profile comes first.
		let mut members: Vec<(ImpuId, ImpuRecord)> = vec![(impu, record.clone())];
		for member in Self::implicit_members(impu, &record) {
			if member != impu {
				if let Some(member_record) = Impus::<T>::get(member) {
					members.push((member, member_record));
				}
			}
		}
		let mut profiles: Vec<ProfileView> = Vec::new();
		for (member, member_record) in &members {
			let identity = PublicIdentityView {
				impu: *member,
				kind: member_record.kind,
				barred: member_record.barred,
			};
			if let Some(view) =
				profiles.iter_mut().find(|view| view.id == member_record.service_profile)
			{
				view.identities.push(identity);
			} else if let Some(view) = Self::profile_view(realm, member_record.service_profile) {
				profiles.push(ProfileView { identities: vec![identity], ..view });
			}
		}
		Ok(ServerAssignmentView {
			impu: Self::impu_view(impu, &record),
			associated_impis: ImpisOfImpu::<T>::iter_key_prefix(impu).collect(),
			profiles,
			charging: record
				.charging
				.and_then(|charging| ChargingInfos::<T>::get(realm, charging))
				.map(|charging| charging.value),
		})
	}

	/// A profile with every criterion (own and shared) resolved, by
	/// priority; no identities yet.
	fn profile_view(realm: RealmId, id: ProfileId) -> Option<ProfileView> {
		let profile = ServiceProfiles::<T>::get(realm, id)?.value;
		let mut ifcs: Vec<IfcView> = Vec::new();
		let shared = profile
			.shared_ifc_sets
			.iter()
			.filter_map(|set| IfcSets::<T>::get(realm, set))
			.flat_map(|set| set.value.into_inner());
		for ifc in profile.ifcs.iter().cloned().chain(shared) {
			if let Some(server) = ApplicationServers::<T>::get(realm, ifc.application_server) {
				ifcs.push(IfcView {
					priority: ifc.priority,
					trigger_point: ifc.trigger_point,
					application_server_id: ifc.application_server,
					application_server: server.value,
					profile_part: ifc.profile_part,
				});
			}
		}
		ifcs.sort_by_key(|ifc| ifc.priority);
		Some(ProfileView {
			id,
			name: profile.name,
			identities: Vec::new(),
			ifcs,
			shared_ifc_sets: profile.shared_ifc_sets.into_inner(),
			subscribed_media_profile: profile.subscribed_media_profile,
		})
	}

	/// LIR: see [`ims_primitives::IdentityApi::location`].
	pub fn location(impu: ImpuId) -> Result<ImpuView, LookupError> {
		let record = Impus::<T>::get(impu).ok_or(LookupError::UnknownImpu)?;
		Ok(Self::impu_view(impu, &record))
	}
}

/// The authorisation rule until the access-policy pallet is wired: a realm's
/// owner holds every permission in it.
pub struct RealmOwner<T>(PhantomData<T>);

/// What the access pallet needs to know of the subscriber model.
impl<T: Config> Directory<T::AccountId> for Pallet<T> {
	fn realm_owner(realm: RealmId) -> Option<T::AccountId> {
		Realms::<T>::get(realm).map(|info| info.owner)
	}

	fn subscription_of(subscriber: Pseudonym) -> Option<(RealmId, SubscriptionId)> {
		if let Some(record) = Subscriptions::<T>::get(subscriber) {
			return Some((record.realm, subscriber));
		}
		if let Some(record) = Impus::<T>::get(subscriber) {
			return Some((record.realm, record.subscription));
		}
		Impis::<T>::get(subscriber).map(|record| (record.realm, record.subscription))
	}
}

impl<T: Config> Authorizer<T::AccountId> for RealmOwner<T> {
	fn is_authorized(who: &T::AccountId, realm: RealmId, _: Permission) -> bool {
		Realms::<T>::get(realm).is_some_and(|info| info.owner == *who)
	}
}

impl<T: Config> Call<T> {
	/// What the call acts on, so that a refusal can be reported in the right
	/// realm: the realm it names, or the subscriber pseudonym it names first
	/// (for `import` and `record_registrations`, that of the first item).
	/// `None` for governance-only calls, which no signed account can be
	/// refused for lack of a role.
	pub fn scope(&self) -> Option<CallScope> {
		use CallScope::{Realm, Subscriber};
		Some(match self {
			Call::set_realm_owner { realm, .. }
			| Call::create_subscription { realm, .. }
			| Call::put_application_server { realm, .. }
			| Call::remove_application_server { realm, .. }
			| Call::put_charging_information { realm, .. }
			| Call::remove_charging_information { realm, .. }
			| Call::put_ifc_set { realm, .. }
			| Call::remove_ifc_set { realm, .. }
			| Call::put_service_profile { realm, .. }
			| Call::remove_service_profile { realm, .. } => Realm(*realm),
			Call::remove_subscription { subscription }
			| Call::create_impi { subscription, .. }
			| Call::create_impu { subscription, .. } => Subscriber(*subscription),
			Call::update_impi { impi, .. }
			| Call::rotate_credentials { impi }
			| Call::remove_impi { impi }
			| Call::link { impi, .. }
			| Call::unlink { impi, .. } => Subscriber(*impi),
			Call::update_impu { impu, .. }
			| Call::set_barring { impu, .. }
			| Call::set_service_profile { impu, .. }
			| Call::set_roaming { impu, .. }
			| Call::set_implicit_set { impu, .. }
			| Call::set_implicit_default { impu }
			| Call::remove_impu { impu } => Subscriber(*impu),
			Call::import { items } => match items.first()? {
				ImportItem::Subscription { realm, .. } => Realm(*realm),
				ImportItem::Impi { subscription, .. } | ImportItem::Impu { subscription, .. } => {
					Subscriber(*subscription)
				},
				ImportItem::Link { impi, .. } => Subscriber(*impi),
			},
			Call::record_registrations { updates } => Subscriber(updates.first()?.impu),
			_ => return None,
		})
	}
}

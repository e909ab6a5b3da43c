//! Public identities: attributes, barring, profiles, roaming, implicit sets, removal.

use super::*;

impl<T: Config> Pallet<T> {
	pub(super) fn check_roaming(networks: &VisitedNetworks) -> DispatchResult {
		let mut seen = BTreeSet::new();
		for network in networks {
			ensure!(!network.is_empty(), Error::<T>::EmptyName);
			ensure!(seen.insert(network.as_slice()), Error::<T>::DuplicateVisitedNetwork);
		}
		Ok(())
	}

	pub(super) fn join_implicit_set(
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

	pub(super) fn leave_implicit_set(
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
		let mut uses = Uses::default();
		Self::add_impu(&mut record, subscription, ImpuImport { impu, attributes }, 0, &mut uses)?;
		Self::take_uses(realm, uses)?;
		Subscriptions::<T>::insert(subscription, record);
		Self::deposit_event(Event::ImpuCreated { subscription, impu });
		T::AuditSink::record(actor, realm, Subject::Impu(impu), Change::Created);
		Ok(())
	}

	/// Store a new IMPU with `impis` links (to be stored by the caller),
	/// counting in `uses` the users it takes of shared data (the caller
	/// stores them) and joining its implicit set, and add it to `record`,
	/// which the caller stores.
	pub(super) fn add_impu(
		record: &mut SubscriptionOf<T>,
		subscription: SubscriptionId,
		new: ImpuImport,
		impis: u32,
		uses: &mut Uses,
	) -> DispatchResult {
		let ImpuImport { impu, attributes } = new;
		let realm = record.realm;
		ensure!(!Impus::<T>::contains_key(impu), Error::<T>::ImpuAlreadyExists);
		record.impus.try_push(impu).map_err(|_| Error::<T>::TooManyImpus)?;
		Self::check_roaming(&attributes.roaming)?;
		Self::count_uses(uses, realm, &attributes)?;
		if let Some(set) = attributes.implicit_set {
			Self::join_implicit_set(subscription, set, impu, attributes.barred)?;
		}
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
				impis,
			},
		);
		Ok(())
	}

	/// Change an IMPU record the actor may provision; `change` validates and
	/// edits it, returning the event to emit and the audit record's change.
	pub(super) fn edit_impu(
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
		T::AuditSink::record(actor, realm, Subject::Impu(impu), audited);
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

	/// Remove an IMPU; returns how many IMPIs of its subscription were
	/// looked at for links to it (its links live in their records).
	pub(crate) fn do_remove_impu(actor: Actor<T>, impu: ImpuId) -> Result<u32, DispatchError> {
		let record = Impus::<T>::get(impu).ok_or(Error::<T>::ImpuNotFound)?;
		let realm = record.realm;
		Self::permit(actor, realm, Permission::Provision)?;
		if let Some(set) = record.implicit_set {
			Self::leave_implicit_set(record.subscription, set, impu)?;
		}
		let mut impis = BoundedVec::new();
		Subscriptions::<T>::mutate(record.subscription, |subscription| {
			if let Some(subscription) = subscription {
				subscription.impus.retain(|member| *member != impu);
				impis = subscription.impis.clone();
			}
		});
		for &impi in &impis {
			// `try_mutate` writes back only what was linked.
			let unlinked = Impis::<T>::try_mutate(impi, |entry| match entry {
				Some(entry) if entry.impus.contains(&impu) => {
					entry.impus.retain(|linked| *linked != impu);
					Ok(())
				},
				_ => Err(()),
			});
			if unlinked.is_ok() {
				Self::deposit_event(Event::Unlinked { impi, impu });
			}
		}
		Self::release::<_, ServiceProfiles<T>>(realm, record.service_profile);
		if let Some(charging) = record.charging {
			Self::release::<_, ChargingInfos<T>>(realm, charging);
		}
		Registrations::<T>::remove(impu);
		Impus::<T>::remove(impu);
		Self::deposit_event(Event::ImpuRemoved { impu });
		T::AuditSink::record(actor, realm, Subject::Impu(impu), Change::Removed);
		Ok(impis.len() as u32)
	}
}

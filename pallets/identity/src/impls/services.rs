//! Realm service data: application servers, charging information, shared iFC sets, service profiles.

use super::*;

impl<T: Config> Pallet<T> {
	pub(super) fn audit_stored(
		actor: Actor<T>,
		realm: RealmId,
		subject: Subject<T::AccountId>,
		created: bool,
	) {
		T::AuditSink::record(
			actor,
			realm,
			subject,
			if created { Change::Created } else { Change::Updated },
		)
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
		T::AuditSink::record(actor, realm, Subject::ApplicationServer(id), Change::Removed);
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
		T::AuditSink::record(actor, realm, Subject::Charging(id), Change::Removed);
		Ok(())
	}

	/// Check a list of criteria: priorities unique, trigger points not
	/// empty, application servers existing in the realm.
	pub(super) fn check_ifcs(realm: RealmId, ifcs: &Ifcs) -> DispatchResult {
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
	pub(super) fn acquire_servers(realm: RealmId, ifcs: &Ifcs) -> DispatchResult {
		for ifc in ifcs {
			Self::acquire::<_, ApplicationServers<T>>(
				realm,
				ifc.application_server,
				Error::<T>::ApplicationServerNotFound,
			)?;
		}
		Ok(())
	}

	pub(super) fn release_servers(realm: RealmId, ifcs: &Ifcs) {
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
		T::AuditSink::record(actor, realm, Subject::IfcSet(id), Change::Removed);
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

	pub(super) fn release_profile_references(realm: RealmId, profile: &ServiceProfile) {
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
		T::AuditSink::record(actor, realm, Subject::ServiceProfile(id), Change::Removed);
		Ok(())
	}
}

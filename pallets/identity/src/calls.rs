//! The identity pallet's calls: their origins, weights and events. What
//! each does is in `impls/`, one module per domain. Imported into the
//! pallet module by `#[import_section]`, as FRAME's pallet sections are.

use frame_support::pallet_macros::pallet_section;

/// The calls, pasted into `pallet` where it imports this section: they see
/// its items and imports.
#[pallet_section]
mod calls {
	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Create a realm (home network domain) owned by `owner`.
		///
		/// Origin: `AdminOrigin`. Emits `RealmCreated`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::create_realm())]
		pub fn create_realm(
			origin: OriginFor<T>,
			name: Name,
			owner: T::AccountId,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_create_realm(name, owner).map(|_| ())
		}

		/// Hand a realm to another owner.
		///
		/// Origin: `AdminOrigin`, or a signed account with `AdministerRealm`.
		/// Emits `RealmOwnerChanged`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::set_realm_owner())]
		pub fn set_realm_owner(
			origin: OriginFor<T>,
			realm: RealmId,
			owner: T::AccountId,
		) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_set_realm_owner(actor.as_ref(), realm, owner)
		}

		/// Remove a realm that holds no subscription and no service data.
		///
		/// Origin: `AdminOrigin`. Emits `RealmRemoved`.
		#[pallet::call_index(2)]
		#[pallet::weight(
			T::WeightInfo::remove_realm().saturating_add(T::Observer::realm_in_use_weight())
		)]
		pub fn remove_realm(origin: OriginFor<T>, realm: RealmId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_remove_realm(realm)
		}

		/// Create an empty subscription in `realm`.
		///
		/// Origin: `AdminOrigin` or `Provision`. Emits `SubscriptionCreated`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::create_subscription())]
		pub fn create_subscription(
			origin: OriginFor<T>,
			realm: RealmId,
			subscription: SubscriptionId,
		) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_create_subscription(actor.as_ref(), realm, subscription)
		}

		/// Erase a subscription: its IMPIs, IMPUs, links, implicit sets and
		/// registrations. Nothing of it remains in state.
		///
		/// Origin: `AdminOrigin` or `Provision`. Emits `SubscriptionErased`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::remove_subscription(
			T::MaxImpisPerSubscription::get(),
			T::MaxImpusPerSubscription::get(),
		).saturating_add(T::Observer::subscription_erased_max_weight()))]
		pub fn remove_subscription(
			origin: OriginFor<T>,
			subscription: SubscriptionId,
		) -> DispatchResultWithPostInfo {
			let actor = Self::actor(origin)?;
			let used = Self::do_remove_subscription(actor.as_ref(), subscription)?;
			Ok(Some(used).into())
		}

		/// Create a private identity in a subscription.
		///
		/// Origin: `AdminOrigin` or `Provision`. Emits `ImpiCreated`.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::create_impi())]
		pub fn create_impi(
			origin: OriginFor<T>,
			subscription: SubscriptionId,
			impi: ImpiId,
			schemes: AuthSchemes,
			default_scheme: AuthScheme,
		) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_create_impi(actor.as_ref(), subscription, impi, schemes, default_scheme)
		}

		/// Replace a private identity's allowed and default schemes.
		///
		/// Origin: `AdminOrigin` or `Provision`. Emits `ImpiUpdated`.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::update_impi())]
		pub fn update_impi(
			origin: OriginFor<T>,
			impi: ImpiId,
			schemes: AuthSchemes,
			default_scheme: AuthScheme,
		) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_update_impi(actor.as_ref(), impi, schemes, default_scheme)
		}

		/// Bump a private identity's credential epoch after its keys rotated
		/// in the vault; bridges drop cached vectors of older epochs.
		///
		/// Origin: `AdminOrigin` or `RotateCredentials`. Emits
		/// `CredentialsRotated`.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::rotate_credentials())]
		pub fn rotate_credentials(origin: OriginFor<T>, impi: ImpiId) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_rotate_credentials(actor.as_ref(), impi)
		}

		/// Remove a private identity and its links.
		///
		/// Origin: `AdminOrigin` or `Provision`. Emits `Unlinked` per link,
		/// then `ImpiRemoved`.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::remove_impi(T::MaxImpusPerSubscription::get()))]
		pub fn remove_impi(origin: OriginFor<T>, impi: ImpiId) -> DispatchResultWithPostInfo {
			let actor = Self::actor(origin)?;
			let links = Self::do_remove_impi(actor.as_ref(), impi)?;
			Ok(Some(T::WeightInfo::remove_impi(links)).into())
		}

		/// Create a public identity in a subscription.
		///
		/// Origin: `AdminOrigin` or `Provision`. Emits `ImpuCreated`.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::create_impu())]
		pub fn create_impu(
			origin: OriginFor<T>,
			subscription: SubscriptionId,
			impu: ImpuId,
			attributes: ImpuAttributes,
		) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_create_impu(actor.as_ref(), subscription, impu, attributes)
		}

		/// Change a public identity's kind and whether it may register.
		///
		/// Origin: `AdminOrigin` or `Provision`. Emits `ImpuUpdated`.
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::update_impu())]
		pub fn update_impu(
			origin: OriginFor<T>,
			impu: ImpuId,
			kind: ImpuKind,
			can_register: bool,
		) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_update_impu(actor.as_ref(), impu, kind, can_register)
		}

		/// Bar or unbar a public identity.
		///
		/// Origin: `AdminOrigin` or `Provision`. Emits `ImpuBarred` or
		/// `ImpuUnbarred`.
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::set_barring())]
		pub fn set_barring(origin: OriginFor<T>, impu: ImpuId, barred: bool) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_set_barring(actor.as_ref(), impu, barred)
		}

		/// Give a public identity a service profile and charging information
		/// of its realm.
		///
		/// Origin: `AdminOrigin` or `Provision`. Emits
		/// `ServiceProfileAssigned`.
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::set_service_profile())]
		pub fn set_service_profile(
			origin: OriginFor<T>,
			impu: ImpuId,
			profile: ProfileId,
			charging: Option<ChargingId>,
		) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_set_service_profile(actor.as_ref(), impu, profile, charging)
		}

		/// Replace a public identity's roaming allow-list.
		///
		/// Origin: `AdminOrigin` or `Provision`. Emits `RoamingSet`.
		#[pallet::call_index(13)]
		#[pallet::weight(T::WeightInfo::set_roaming(networks.len() as u32))]
		pub fn set_roaming(
			origin: OriginFor<T>,
			impu: ImpuId,
			networks: VisitedNetworks,
		) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_set_roaming(actor.as_ref(), impu, networks)
		}

		/// Move a public identity into an implicit registration set of its
		/// subscription (creating the set, with it as default, if new), or
		/// out of any set with `None`.
		///
		/// Origin: `AdminOrigin` or `Provision`. Emits `ImplicitSetChanged`.
		#[pallet::call_index(14)]
		#[pallet::weight(T::WeightInfo::set_implicit_set())]
		pub fn set_implicit_set(
			origin: OriginFor<T>,
			impu: ImpuId,
			implicit_set: Option<ImplicitSetId>,
		) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_set_implicit_set(actor.as_ref(), impu, implicit_set)
		}

		/// Make a public identity the default of its implicit set.
		///
		/// Origin: `AdminOrigin` or `Provision`. Emits
		/// `ImplicitSetDefaultChanged`.
		#[pallet::call_index(15)]
		#[pallet::weight(T::WeightInfo::set_implicit_default())]
		pub fn set_implicit_default(origin: OriginFor<T>, impu: ImpuId) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_set_implicit_default(actor.as_ref(), impu)
		}

		/// Remove a public identity with its links and registration.
		///
		/// Origin: `AdminOrigin` or `Provision`. Emits `Unlinked` per link,
		/// then `ImpuRemoved`.
		#[pallet::call_index(16)]
		#[pallet::weight(T::WeightInfo::remove_impu(T::MaxImpisPerSubscription::get()))]
		pub fn remove_impu(origin: OriginFor<T>, impu: ImpuId) -> DispatchResultWithPostInfo {
			let actor = Self::actor(origin)?;
			let links = Self::do_remove_impu(actor.as_ref(), impu)?;
			Ok(Some(T::WeightInfo::remove_impu(links)).into())
		}

		/// Link a private and a public identity of the same subscription.
		///
		/// Origin: `AdminOrigin` or `Provision`. Emits `Linked`.
		#[pallet::call_index(17)]
		#[pallet::weight(T::WeightInfo::link())]
		pub fn link(origin: OriginFor<T>, impi: ImpiId, impu: ImpuId) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_link(actor.as_ref(), impi, impu)
		}

		/// Unlink a private and a public identity.
		///
		/// Origin: `AdminOrigin` or `Provision`. Emits `Unlinked`.
		#[pallet::call_index(18)]
		#[pallet::weight(T::WeightInfo::unlink())]
		pub fn unlink(origin: OriginFor<T>, impi: ImpiId, impu: ImpuId) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_unlink(actor.as_ref(), impi, impu)
		}

		/// Create or replace an application server of a realm.
		///
		/// Origin: `AdminOrigin` or `ManageServices`. Emits
		/// `ApplicationServerStored`.
		#[pallet::call_index(19)]
		#[pallet::weight(T::WeightInfo::put_application_server())]
		pub fn put_application_server(
			origin: OriginFor<T>,
			realm: RealmId,
			id: ApplicationServerId,
			server: ApplicationServer,
		) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_put_application_server(actor.as_ref(), realm, id, server)
		}

		/// Remove an application server no criterion refers to.
		///
		/// Origin: `AdminOrigin` or `ManageServices`. Emits
		/// `ApplicationServerRemoved`.
		#[pallet::call_index(20)]
		#[pallet::weight(T::WeightInfo::remove_application_server())]
		pub fn remove_application_server(
			origin: OriginFor<T>,
			realm: RealmId,
			id: ApplicationServerId,
		) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_remove_application_server(actor.as_ref(), realm, id)
		}

		/// Create or replace charging information of a realm.
		///
		/// Origin: `AdminOrigin` or `ManageServices`. Emits
		/// `ChargingInformationStored`.
		#[pallet::call_index(21)]
		#[pallet::weight(T::WeightInfo::put_charging_information())]
		pub fn put_charging_information(
			origin: OriginFor<T>,
			realm: RealmId,
			id: ChargingId,
			charging: ChargingInformation,
		) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_put_charging(actor.as_ref(), realm, id, charging)
		}

		/// Remove charging information no public identity refers to.
		///
		/// Origin: `AdminOrigin` or `ManageServices`. Emits
		/// `ChargingInformationRemoved`.
		#[pallet::call_index(22)]
		#[pallet::weight(T::WeightInfo::remove_charging_information())]
		pub fn remove_charging_information(
			origin: OriginFor<T>,
			realm: RealmId,
			id: ChargingId,
		) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_remove_charging(actor.as_ref(), realm, id)
		}

		/// Create or replace a shared iFC set of a realm.
		///
		/// Origin: `AdminOrigin` or `ManageServices`. Emits `IfcSetStored`.
		#[pallet::call_index(23)]
		#[pallet::weight(T::WeightInfo::put_ifc_set(ifcs.len() as u32))]
		pub fn put_ifc_set(
			origin: OriginFor<T>,
			realm: RealmId,
			id: IfcSetId,
			ifcs: Ifcs,
		) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_put_ifc_set(actor.as_ref(), realm, id, ifcs)
		}

		/// Remove a shared iFC set no profile refers to.
		///
		/// Origin: `AdminOrigin` or `ManageServices`. Emits `IfcSetRemoved`.
		#[pallet::call_index(24)]
		#[pallet::weight(T::WeightInfo::remove_ifc_set())]
		pub fn remove_ifc_set(
			origin: OriginFor<T>,
			realm: RealmId,
			id: IfcSetId,
		) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_remove_ifc_set(actor.as_ref(), realm, id)
		}

		/// Create or replace a service profile of a realm.
		///
		/// Origin: `AdminOrigin` or `ManageServices`. Emits
		/// `ServiceProfileStored`.
		#[pallet::call_index(25)]
		#[pallet::weight(T::WeightInfo::put_service_profile(
			profile.ifcs.len() as u32,
			profile.shared_ifc_sets.len() as u32,
		))]
		pub fn put_service_profile(
			origin: OriginFor<T>,
			realm: RealmId,
			id: ProfileId,
			profile: ServiceProfile,
		) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_put_service_profile(actor.as_ref(), realm, id, profile)
		}

		/// Remove a service profile no public identity uses.
		///
		/// Origin: `AdminOrigin` or `ManageServices`. Emits
		/// `ServiceProfileRemoved`.
		#[pallet::call_index(26)]
		#[pallet::weight(T::WeightInfo::remove_service_profile())]
		pub fn remove_service_profile(
			origin: OriginFor<T>,
			realm: RealmId,
			id: ProfileId,
		) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_remove_service_profile(actor.as_ref(), realm, id)
		}

		/// Bulk import: apply each item as its call would, all or nothing.
		/// The weight is the sum of the items' call weights.
		///
		/// Origin: `AdminOrigin` or `Provision` in every realm touched. Emits
		/// each item's events, then `Imported`.
		#[pallet::call_index(27)]
		#[pallet::weight(Pallet::<T>::import_weight(items))]
		pub fn import(origin: OriginFor<T>, items: ImportBatch<T>) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_import(actor.as_ref(), items)
		}

		/// Record registration state and S-CSCF assignments reported by an
		/// HSS front. Each update applies to the whole implicit set of its
		/// identity; updates naming an identity that no longer exists are
		/// skipped.
		///
		/// `members` is the caller's bound on the implicit-set members the
		/// updates write beyond one per update (a witness): the call is
		/// charged for that many, at most a full implicit set per update,
		/// refused with `MembersOverWitness` if the updates write more, and
		/// refunded the members it did not write. A front that knows the sets
		/// fits several times more reports in a block than the worst case
		/// allows (`docs/submitter.md`, "Registration reports").
		///
		/// Origin: `AdminOrigin` or `RecordRegistration` in every realm
		/// touched. Emits `RegistrationRecorded` or `RegistrationSkipped` per
		/// update.
		#[pallet::call_index(28)]
		#[pallet::weight(Pallet::<T>::registrations_weight(
			updates.len() as u32,
			Pallet::<T>::members_charged(updates.len() as u32, *members),
		))]
		pub fn record_registrations(
			origin: OriginFor<T>,
			updates: RegistrationBatch<T>,
			members: u32,
		) -> DispatchResultWithPostInfo {
			let actor = Self::actor(origin)?;
			let count = updates.len() as u32;
			let extra_members = Self::do_record_registrations(actor.as_ref(), updates, members)?;
			Ok(Some(Self::registrations_weight(count, extra_members)).into())
		}

		/// Bulk import of whole subscribers into `realm`, all or nothing:
		/// each subscription with its identities and links, every identity
		/// checked as its `create_*` call checks it. For migrations: each
		/// record is written once, with one event and one audit record per
		/// subscriber.
		///
		/// Its declared weight includes what its audit records register with
		/// the block, so an importer sizing calls by `query_info` fills a
		/// block exactly; the actual weight leaves it out, since the sink
		/// registers it (`docs/bulk-import.md`, "Filling a block").
		///
		/// Origin: `AdminOrigin` or `Provision` in `realm`. Emits
		/// `SubscriberImported` per subscriber.
		#[pallet::call_index(29)]
		#[pallet::weight(Pallet::<T>::import_subscribers_weight(subscribers)
			.saturating_add(T::AuditSink::record_all_weight(subscribers.len() as u32)))]
		pub fn import_subscribers(
			origin: OriginFor<T>,
			realm: RealmId,
			subscribers: SubscriberBatch<T>,
		) -> DispatchResultWithPostInfo {
			let actor = Self::actor(origin)?;
			let weight = Self::import_subscribers_weight(&subscribers);
			Self::do_import_subscribers(actor.as_ref(), realm, subscribers)?;
			Ok(Some(weight).into())
		}
	}
}

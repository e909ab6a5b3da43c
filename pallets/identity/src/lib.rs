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
pub mod weights;

pub use impls::RealmOwner;
pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

// The pallet macros expand to paths this crate's lints would flag; the code
// written here is held to them in `impls.rs`, `types.rs` and `try_state.rs`.
#[allow(unused_qualifications)]
#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::{string::String, vec::Vec};
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;
	use ims_primitives::{
		ApplicationServer, ApplicationServerId, AuditSink, AuthScheme, AuthSchemes, Authorizer,
		ChargingId, ChargingInformation, IdentityObserver, IfcSetId, Ifcs, ImpiId, ImplicitSetId,
		ImpuId, ImpuKind, Name, ProfileId, RealmId, RegistrationState, ServiceProfile,
		SubscriptionId, VisitedNetworks,
	};

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the pallet.
	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// Governance: creates and removes realms and may act in any realm.
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Decides what a signed account may do in a realm.
		type Authorizer: Authorizer<Self::AccountId>;

		/// Receives a record of every change.
		type AuditSink: AuditSink<Self::AccountId>;

		/// Keeps a realm while other pallets hold records of it, and removes
		/// what hangs from an erased subscription.
		type Observer: IdentityObserver;

		/// Private identities one subscription may hold.
		#[pallet::constant]
		type MaxImpisPerSubscription: Get<u32>;

		/// Public identities one subscription may hold (also bounds an
		/// implicit registration set and the links of one IMPI).
		#[pallet::constant]
		type MaxImpusPerSubscription: Get<u32>;

		/// Items in one `import` or `record_registrations` call.
		#[pallet::constant]
		type MaxBatchSize: Get<u32>;

		/// Weights of the calls, from the benchmarks.
		type WeightInfo: WeightInfo;

		/// Makes a benchmark account able to act in a realm.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: benchmarking::BenchmarkHelper<Self::AccountId>;
	}

	/// A subscription record as stored.
	pub type SubscriptionOf<T> = Subscription<
		<T as Config>::MaxImpisPerSubscription,
		<T as Config>::MaxImpusPerSubscription,
	>;
	/// An implicit registration set as stored.
	pub type ImplicitSetOf<T> = ImplicitSet<<T as Config>::MaxImpusPerSubscription>;
	/// A batch of import items.
	pub type ImportBatch<T> = BoundedVec<ImportItem, <T as Config>::MaxBatchSize>;
	/// A batch of registration reports.
	pub type RegistrationBatch<T> = BoundedVec<RegistrationUpdate, <T as Config>::MaxBatchSize>;

	/// The number the next realm gets.
	#[pallet::storage]
	pub type NextRealmId<T: Config> = StorageValue<_, RealmId, ValueQuery>;

	/// Realms by number.
	#[pallet::storage]
	pub type Realms<T: Config> =
		StorageMap<_, Twox64Concat, RealmId, RealmInfo<T::AccountId>, OptionQuery>;

	/// Realm numbers by domain name (names are unique).
	#[pallet::storage]
	pub type RealmByName<T: Config> = StorageMap<_, Blake2_128Concat, Name, RealmId, OptionQuery>;

	/// Subscriptions by pseudonym.
	#[pallet::storage]
	pub type Subscriptions<T: Config> =
		StorageMap<_, Blake2_128Concat, SubscriptionId, SubscriptionOf<T>, OptionQuery>;

	/// Private identities by pseudonym.
	#[pallet::storage]
	pub type Impis<T: Config> = StorageMap<_, Blake2_128Concat, ImpiId, ImpiRecord, OptionQuery>;

	/// Public identities by pseudonym.
	#[pallet::storage]
	pub type Impus<T: Config> = StorageMap<_, Blake2_128Concat, ImpuId, ImpuRecord, OptionQuery>;

	/// IMPI -> IMPU links.
	#[pallet::storage]
	pub type ImpusOfImpi<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, ImpiId, Blake2_128Concat, ImpuId, (), OptionQuery>;

	/// IMPU -> IMPI links, the mirror of [`ImpusOfImpi`].
	#[pallet::storage]
	pub type ImpisOfImpu<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, ImpuId, Blake2_128Concat, ImpiId, (), OptionQuery>;

	/// Implicit registration sets, by subscription and number.
	#[pallet::storage]
	pub type ImplicitSets<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		SubscriptionId,
		Twox64Concat,
		ImplicitSetId,
		ImplicitSetOf<T>,
		OptionQuery,
	>;

	/// Registration state and S-CSCF of public identities that have one.
	#[pallet::storage]
	pub type Registrations<T: Config> =
		StorageMap<_, Blake2_128Concat, ImpuId, RegistrationRecord<BlockNumberFor<T>>, OptionQuery>;

	/// Service profiles, by realm and number.
	#[pallet::storage]
	pub type ServiceProfiles<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		RealmId,
		Twox64Concat,
		ProfileId,
		Shared<ServiceProfile>,
		OptionQuery,
	>;

	/// Shared iFC sets, by realm and number.
	#[pallet::storage]
	pub type IfcSets<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		RealmId,
		Twox64Concat,
		IfcSetId,
		Shared<Ifcs>,
		OptionQuery,
	>;

	/// Application servers, by realm and number.
	#[pallet::storage]
	pub type ApplicationServers<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		RealmId,
		Twox64Concat,
		ApplicationServerId,
		Shared<ApplicationServer>,
		OptionQuery,
	>;

	/// Charging information, by realm and number.
	#[pallet::storage]
	pub type ChargingInfos<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		RealmId,
		Twox64Concat,
		ChargingId,
		Shared<ChargingInformation>,
		OptionQuery,
	>;

	/// Realms that exist from genesis.
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// `(domain name, owner)` of each realm, numbered from 0 in order.
		pub realms: Vec<(String, T::AccountId)>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		// A genesis that cannot be built is a chain-spec error: refuse to start.
		#[allow(clippy::expect_used)]
		fn build(&self) {
			for (name, owner) in &self.realms {
				let name: Name = name.as_bytes().to_vec().try_into().expect(
					"a genesis realm name longer than MAX_NAME_LEN is a chain-spec error; qed",
				);
				Pallet::<T>::do_create_realm(name, owner.clone())
					.expect("genesis realm names are non-empty and distinct; qed");
			}
		}
	}

	/// Events of the pallet. None carries a cleartext identity.
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A realm was created.
		RealmCreated { realm: RealmId, name: Name, owner: T::AccountId },
		/// A realm changed owner.
		RealmOwnerChanged { realm: RealmId, owner: T::AccountId },
		/// An empty realm was removed.
		RealmRemoved { realm: RealmId },
		/// A subscription was created.
		SubscriptionCreated { realm: RealmId, subscription: SubscriptionId },
		/// A subscription was erased with every identity, link, implicit set
		/// and registration that hung from it.
		SubscriptionErased { realm: RealmId, subscription: SubscriptionId, impis: u32, impus: u32 },
		/// A private identity was created.
		ImpiCreated { subscription: SubscriptionId, impi: ImpiId },
		/// A private identity's schemes changed.
		ImpiUpdated { impi: ImpiId, schemes: AuthSchemes, default_scheme: AuthScheme },
		/// A private identity's credentials rotated.
		CredentialsRotated { impi: ImpiId, epoch: u32 },
		/// A private identity was removed with its links.
		ImpiRemoved { impi: ImpiId },
		/// A public identity was created.
		ImpuCreated { subscription: SubscriptionId, impu: ImpuId },
		/// A public identity's kind or registration permission changed.
		ImpuUpdated { impu: ImpuId, kind: ImpuKind, can_register: bool },
		/// A public identity was barred.
		ImpuBarred { impu: ImpuId },
		/// A public identity's barring was lifted.
		ImpuUnbarred { impu: ImpuId },
		/// A public identity got a service profile and charging information.
		ServiceProfileAssigned { impu: ImpuId, profile: ProfileId, charging: Option<ChargingId> },
		/// A public identity's roaming allow-list was replaced.
		RoamingSet { impu: ImpuId, networks: u32 },
		/// A public identity moved to another implicit registration set (or
		/// to none).
		ImplicitSetChanged { impu: ImpuId, implicit_set: Option<ImplicitSetId> },
		/// An implicit registration set got a new default identity.
		ImplicitSetDefaultChanged {
			subscription: SubscriptionId,
			implicit_set: ImplicitSetId,
			impu: ImpuId,
		},
		/// A public identity was removed with its links and registration.
		ImpuRemoved { impu: ImpuId },
		/// A private and a public identity were linked.
		Linked { impi: ImpiId, impu: ImpuId },
		/// A private and a public identity were unlinked.
		Unlinked { impi: ImpiId, impu: ImpuId },
		/// A service profile was created or replaced.
		ServiceProfileStored { realm: RealmId, profile: ProfileId },
		/// A service profile was removed.
		ServiceProfileRemoved { realm: RealmId, profile: ProfileId },
		/// A shared iFC set was created or replaced.
		IfcSetStored { realm: RealmId, ifc_set: IfcSetId },
		/// A shared iFC set was removed.
		IfcSetRemoved { realm: RealmId, ifc_set: IfcSetId },
		/// An application server was created or replaced.
		ApplicationServerStored { realm: RealmId, application_server: ApplicationServerId },
		/// An application server was removed.
		ApplicationServerRemoved { realm: RealmId, application_server: ApplicationServerId },
		/// Charging information was created or replaced.
		ChargingInformationStored { realm: RealmId, charging: ChargingId },
		/// Charging information was removed.
		ChargingInformationRemoved { realm: RealmId, charging: ChargingId },
		/// A bulk import applied every item.
		Imported { items: u32 },
		/// A public identity's implicit set took a registration state.
		RegistrationRecorded {
			impu: ImpuId,
			state: RegistrationState,
			scscf: Option<Name>,
			members: u32,
		},
		/// A registration report named an identity that no longer exists; it
		/// was skipped and the rest of the batch applied.
		RegistrationSkipped { impu: ImpuId },
	}

	/// Errors of the pallet, one per rejection.
	#[pallet::error]
	pub enum Error<T> {
		/// The signed account lacks the permission in this realm.
		NotAuthorized,
		/// No realm with this number.
		RealmNotFound,
		/// A realm with this name exists.
		RealmNameTaken,
		/// A name (realm, profile, visited network, S-CSCF) must not be empty.
		EmptyName,
		/// The realm still holds subscriptions or service data.
		RealmNotEmpty,
		/// Other pallets still hold records of the realm (roles,
		/// application-server authorisations).
		RealmInUse,
		/// All realm numbers are used.
		RealmIdsExhausted,
		/// No subscription with this pseudonym.
		SubscriptionNotFound,
		/// A subscription with this pseudonym exists.
		SubscriptionAlreadyExists,
		/// No IMPI with this pseudonym.
		ImpiNotFound,
		/// An IMPI with this pseudonym exists.
		ImpiAlreadyExists,
		/// The subscription holds the maximum of IMPIs.
		TooManyImpis,
		/// No IMPU with this pseudonym.
		ImpuNotFound,
		/// An IMPU with this pseudonym exists.
		ImpuAlreadyExists,
		/// The subscription holds the maximum of IMPUs.
		TooManyImpus,
		/// An IMPI needs at least one authentication scheme.
		NoAuthScheme,
		/// The scheme mask sets a bit no scheme uses.
		UnknownAuthScheme,
		/// The default scheme is not among the allowed ones.
		DefaultSchemeNotAllowed,
		/// The identities belong to different realms.
		CrossRealmLink,
		/// The identities belong to different subscriptions of the realm.
		CrossSubscriptionLink,
		/// The identities are linked already.
		AlreadyLinked,
		/// The identities are not linked.
		NotLinked,
		/// A barred identity cannot be the default of an implicit set.
		BarredDefault,
		/// The identity is the default of an implicit set that has other
		/// members: make another member the default first.
		DefaultOfImplicitSet,
		/// The identity is in no implicit set.
		NotInImplicitSet,
		/// The identity is in this implicit set already.
		AlreadyInImplicitSet,
		/// No service profile with this number in the realm.
		ProfileNotFound,
		/// No shared iFC set with this number in the realm.
		IfcSetNotFound,
		/// No application server with this number in the realm.
		ApplicationServerNotFound,
		/// No charging information with this number in the realm.
		ChargingNotFound,
		/// Records still refer to it.
		InUse,
		/// Two criteria of one list share a priority.
		DuplicatePriority,
		/// A profile names the same shared iFC set twice.
		DuplicateIfcSet,
		/// A trigger point without any service point trigger.
		EmptyTriggerPoint,
		/// Charging information naming no function.
		EmptyChargingInformation,
		/// An application server without a server name.
		EmptyServerName,
		/// A roaming list names a network twice.
		DuplicateVisitedNetwork,
		/// `Registered` and `Unregistered` need the S-CSCF name.
		ScscfRequired,
		/// `NotRegistered` takes no S-CSCF name.
		UnexpectedScscf,
		/// The batch is empty.
		EmptyBatch,
		/// A counter would overflow.
		Overflow,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxImpisPerSubscription::get() > 0, "MaxImpisPerSubscription is zero");
			assert!(T::MaxImpusPerSubscription::get() > 0, "MaxImpusPerSubscription is zero");
			assert!(T::MaxBatchSize::get() > 0, "MaxBatchSize is zero");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

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
		/// Origin: `AdminOrigin` or `RecordRegistration` in every realm
		/// touched. Emits `RegistrationRecorded` or `RegistrationSkipped` per
		/// update. Charged as if every identity had a full implicit set; the
		/// members not written are refunded.
		#[pallet::call_index(28)]
		#[pallet::weight(Pallet::<T>::registrations_weight(
			updates.len() as u32,
			(updates.len() as u32)
				.saturating_mul(T::MaxImpusPerSubscription::get().saturating_sub(1)),
		))]
		pub fn record_registrations(
			origin: OriginFor<T>,
			updates: RegistrationBatch<T>,
		) -> DispatchResultWithPostInfo {
			let actor = Self::actor(origin)?;
			let count = updates.len() as u32;
			let extra_members = Self::do_record_registrations(actor.as_ref(), updates)?;
			Ok(Some(Self::registrations_weight(count, extra_members)).into())
		}
	}
}

#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
mod calls;
mod impls;
pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
#[cfg(any(feature = "try-runtime", test))]
mod try_state;
pub mod types;
pub mod weights;

pub use pallet::*;

use frame_support::pallet_macros::import_section;
pub use types::*;
pub use weights::WeightInfo;

// The pallet macros expand to code this crate's lints would flag: needless
// path qualifications, and `expect` in what `#[pallet::storage]`,
// `#[pallet::error]` and `#[pallet::pallet]` generate. The pallet module
// keeps every other lint; the code in
// `impls.rs`, `types.rs` and `try_state.rs` keeps them all.
#[allow(unused_qualifications, clippy::expect_used)]
#[import_section(calls::calls)]
#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::{string::String, vec::Vec};
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;
	use ims_primitives::origin::Acting;
	use ims_primitives::{
		ApplicationServer, ApplicationServerId, AuditSink, AuthScheme, AuthSchemes, Authorizer,
		ChargingId, ChargingInformation, IdentityObserver, IfcSetId, Ifcs, ImpiId, ImplicitSetId,
		ImpuId, ImpuKind, Name, ProfileId, RealmId, RegistrationState, ServiceProfile,
		SubscriptionId, VisitedNetworks,
	};

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

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

		/// Items in one `import` call.
		#[pallet::constant]
		type MaxBatchSize: Get<u32>;

		/// Reports in one `record_registrations` call.
		#[pallet::constant]
		type MaxRegistrationBatch: Get<u32>;

		/// Subscribers in one `import_subscribers` call.
		#[pallet::constant]
		type MaxImportSubscribers: Get<u32>;

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
	/// A private identity's record as stored.
	pub type ImpiRecordOf<T> = ImpiRecord<<T as Config>::MaxImpusPerSubscription>;
	/// An implicit registration set as stored.
	pub type ImplicitSetOf<T> = ImplicitSet<<T as Config>::MaxImpusPerSubscription>;
	/// A batch of import items.
	pub type ImportBatch<T> = BoundedVec<ImportItem, <T as Config>::MaxBatchSize>;
	/// A subscriber of `import_subscribers`.
	pub type SubscriberImportOf<T> = SubscriberImport<
		<T as Config>::MaxImpisPerSubscription,
		<T as Config>::MaxImpusPerSubscription,
	>;
	/// The subscribers of one `import_subscribers` call.
	pub type SubscriberBatch<T> =
		BoundedVec<SubscriberImportOf<T>, <T as Config>::MaxImportSubscribers>;
	/// A batch of registration reports.
	pub type RegistrationBatch<T> =
		BoundedVec<RegistrationUpdate, <T as Config>::MaxRegistrationBatch>;

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
	pub type Impis<T: Config> =
		StorageMap<_, Blake2_128Concat, ImpiId, ImpiRecordOf<T>, OptionQuery>;

	/// Public identities by pseudonym.
	#[pallet::storage]
	pub type Impus<T: Config> = StorageMap<_, Blake2_128Concat, ImpuId, ImpuRecord, OptionQuery>;

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
		/// `(realm, profile, name)` of service profiles without filter
		/// criteria, so that a new chain's realms can take subscribers at
		/// once (`ims-bridge subscriber add` uses profile 0 by default).
		pub service_profiles: Vec<(RealmId, ProfileId, String)>,
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
			for (realm, id, name) in &self.service_profiles {
				let name = name.as_bytes().to_vec().try_into().expect(
					"a genesis profile name longer than MAX_NAME_LEN is a chain-spec error; qed",
				);
				let profile = ServiceProfile {
					name,
					ifcs: Default::default(),
					shared_ifc_sets: Default::default(),
					subscribed_media_profile: None,
				};
				Pallet::<T>::do_put_service_profile(None, *realm, *id, profile)
					.expect("genesis profiles name a genesis realm and are not empty; qed");
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
		/// A subscriber was imported whole: its subscription, these
		/// identities, and the links between them.
		SubscriberImported {
			realm: RealmId,
			subscription: SubscriptionId,
			impis: BoundedVec<ImpiId, T::MaxImpisPerSubscription>,
			impus: BoundedVec<ImpuId, T::MaxImpusPerSubscription>,
		},
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
		/// An imported link names an identity index the subscriber lacks.
		LinkOutOfRange,
		/// A counter would overflow.
		Overflow,
		/// The registration reports write more implicit-set members than
		/// the call's `members` witness declared.
		MembersOverWitness,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxImpisPerSubscription::get() > 0, "MaxImpisPerSubscription is zero");
			assert!(T::MaxImpusPerSubscription::get() > 0, "MaxImpusPerSubscription is zero");
			assert!(T::MaxBatchSize::get() > 0, "MaxBatchSize is zero");
			assert!(T::MaxRegistrationBatch::get() > 0, "MaxRegistrationBatch is zero");
			assert!(T::MaxImportSubscribers::get() > 0, "MaxImportSubscribers is zero");
			// Links are imported by `u8` index.
			assert!(T::MaxImpisPerSubscription::get() <= 256, "MaxImpisPerSubscription over 256");
			assert!(T::MaxImpusPerSubscription::get() <= 256, "MaxImpusPerSubscription over 256");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}
}

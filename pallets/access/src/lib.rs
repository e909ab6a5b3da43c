#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod agents;
#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
mod extension;
mod impls;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
#[cfg(any(feature = "try-runtime", test))]
mod try_state;
pub mod types;
pub mod weights;

pub use extension::{DenialScope, ReportDenials, Watched};
pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

// The pallet macros expand to code this crate's lints would flag: needless
// path qualifications, and `expect` in what `#[pallet::storage]`,
// `#[pallet::error]` and `#[pallet::pallet]` generate. The pallet module
// keeps every other lint; the code in
// `impls.rs`, `types.rs` and `try_state.rs` keeps them all.
#[allow(unused_qualifications, clippy::expect_used)]
#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::boxed::Box;
	use alloc::vec::Vec;
	use frame_support::dispatch::{GetDispatchInfo, PostDispatchInfo};
	use frame_support::pallet_prelude::*;
	use frame_support::traits::{Contains, IsSubType};
	use frame_system::pallet_prelude::*;
	use ims_primitives::origin::Acting;
	use ims_primitives::{
		AuditSink, CertFingerprint, Directory, LawfulBasis, Name, Pseudonym, Purpose, RealmId,
		Role, SubscriptionId,
	};
	use sp_core::H256;
	use sp_runtime::traits::Dispatchable;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the pallet.
	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// Governance: acts in every realm.
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Realms, their owners and the subscriber pseudonyms (the identity
		/// pallet).
		type Directory: Directory<Self::AccountId>;

		/// Receives a record of every change, and of every refusal
		/// [`ReportDenials`] sees.
		type AuditSink: AuditSink<Self::AccountId>;

		/// Which calls [`ReportDenials`] watches, and which errors are
		/// refusals.
		type DenialScope: DenialScope<<Self as frame_system::Config>::RuntimeCall>;

		/// The runtime's calls, which an agent dispatches in its principal's
		/// name (`act_for`).
		type RuntimeCall: Parameter
			+ Dispatchable<RuntimeOrigin = Self::RuntimeOrigin, PostInfo = PostDispatchInfo>
			+ GetDispatchInfo
			+ From<Call<Self>>
			+ From<frame_system::Call<Self>>
			+ IsSubType<Call<Self>>
			+ IsType<<Self as frame_system::Config>::RuntimeCall>;

		/// The calls an agent may make in its principal's name: the IMS
		/// calls (`docs/provisioning-api.md`). This pallet's own agent calls
		/// are refused whatever the filter says.
		type AgentCalls: Contains<<Self as Config>::RuntimeCall>;

		/// Service indications one application server may be authorised for.
		#[pallet::constant]
		type MaxServiceIndications: Get<u32>;

		/// Purposes one subscription may hold a lawful basis for.
		#[pallet::constant]
		type MaxConsentsPerSubscription: Get<u32>;

		/// Weights of the calls, from the benchmarks.
		type WeightInfo: WeightInfo;

		/// Makes the realms and subscriptions the benchmarks act on.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: benchmarking::BenchmarkHelper<Self::AccountId>;
	}

	/// An application-server authorisation under the runtime's bounds.
	pub type AsAuthorizationOf<T> =
		AsAuthorization<BlockNumberFor<T>, <T as Config>::MaxServiceIndications>;
	/// The lawful bases of one subscription.
	pub type ConsentsOf<T> =
		BoundedVec<ConsentRecord<BlockNumberFor<T>>, <T as Config>::MaxConsentsPerSubscription>;

	/// The roles each account holds in each realm.
	#[pallet::storage]
	pub type Roles<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		RealmId,
		Blake2_128Concat,
		T::AccountId,
		RoleGrants<BlockNumberFor<T>>,
		OptionQuery,
	>;

	/// Application-server authorisations, by realm and Diameter identity.
	#[pallet::storage]
	pub type ApplicationServers<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		RealmId,
		Blake2_128Concat,
		Name,
		AsAuthorizationOf<T>,
		OptionQuery,
	>;

	/// The lawful bases recorded for each subscription, one per purpose.
	#[pallet::storage]
	pub type Consents<T: Config> =
		StorageMap<_, Blake2_128Concat, SubscriptionId, ConsentsOf<T>, OptionQuery>;

	/// The agents each account has appointed to act in its name, with the
	/// appointment's expiry.
	#[pallet::storage]
	pub type Agents<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Blake2_128Concat,
		T::AccountId,
		Appointment<BlockNumberFor<T>>,
		OptionQuery,
	>;

	/// Roles held from genesis.
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// `(realm, account, role)`, without expiry. The realms must exist.
		pub roles: Vec<(RealmId, T::AccountId, Role)>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		// A genesis that cannot be built is a chain-spec error: refuse to start.
		#[allow(clippy::expect_used)]
		fn build(&self) {
			for (realm, who, role) in &self.roles {
				assert!(
					T::Directory::realm_owner(*realm).is_some(),
					"a genesis role names realm {realm}, which does not exist"
				);
				Pallet::<T>::do_grant_role(None, *realm, who.clone(), *role, None)
					.expect("the realm exists and the grant has no expiry; qed");
			}
		}
	}

	/// Events of the pallet.
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A role was granted, or its expiry changed.
		RoleGranted {
			realm: RealmId,
			who: T::AccountId,
			role: Role,
			expires_at: Option<BlockNumberFor<T>>,
		},
		/// A role was revoked or renounced.
		RoleRevoked { realm: RealmId, who: T::AccountId, role: Role },
		/// An expired grant was removed from state.
		ExpiredRoleRemoved { realm: RealmId, who: T::AccountId, role: Role },
		/// An application server was authorised, or its authorisation
		/// replaced.
		ApplicationServerAuthorized {
			realm: RealmId,
			host: Name,
			fingerprint: CertFingerprint,
			expires_at: Option<BlockNumberFor<T>>,
		},
		/// An application server's authorisation was revoked.
		ApplicationServerRevoked { realm: RealmId, host: Name },
		/// A lawful basis was recorded for a subscription and a purpose (or
		/// renewed).
		ConsentGranted {
			realm: RealmId,
			subscription: SubscriptionId,
			purpose: Purpose,
			basis: LawfulBasis,
			expires_at: Option<BlockNumberFor<T>>,
			evidence: H256,
		},
		/// A lawful basis was withdrawn; it holds for no later decision.
		ConsentWithdrawn {
			realm: RealmId,
			subscription: SubscriptionId,
			purpose: Purpose,
			evidence: H256,
		},
		/// An erased subscription's lawful bases were removed with it.
		ConsentsErased { subscription: SubscriptionId, count: u32 },
		/// `principal` appointed `agent` to act in its name, or changed the
		/// appointment's expiry.
		AgentAppointed {
			principal: T::AccountId,
			agent: T::AccountId,
			expires_at: Option<BlockNumberFor<T>>,
		},
		/// `principal` dismissed `agent`.
		AgentDismissed { principal: T::AccountId, agent: T::AccountId },
		/// A signed call was refused for lack of a right and reverted:
		/// `error` of pallet `module` refused call `call` of pallet `pallet`.
		AccessDenied {
			who: T::AccountId,
			realm: RealmId,
			pallet: u8,
			call: u8,
			module: u8,
			error: u8,
		},
	}

	/// Errors of the pallet.
	#[pallet::error]
	pub enum Error<T> {
		/// No such realm.
		RealmNotFound,
		/// The signer holds no role allowing this in the realm.
		NotAuthorized,
		/// A signer without the right to manage roles tried to grant one to
		/// itself.
		SelfGrant,
		/// The signer's grant that would allow this has expired.
		GrantExpired,
		/// The expiry given is not after the current block.
		ExpiryInPast,
		/// The account does not hold that role in the realm.
		RoleNotFound,
		/// The account holds no expired grant in the realm.
		NothingExpired,
		/// The application server's Diameter identity is empty.
		EmptyHost,
		/// The purpose is empty.
		EmptyPurpose,
		/// A service indication is empty.
		EmptyService,
		/// A service indication is listed twice.
		DuplicateService,
		/// A set of Sh data holds a bit that is no Data-Reference value.
		UnknownShData,
		/// The authorisation allows nothing: no service, nothing to read or
		/// update.
		NothingAuthorized,
		/// No authorisation for that application server in the realm.
		ApplicationServerNotFound,
		/// The pseudonym names no subscription, IMPI or IMPU.
		SubscriberNotFound,
		/// The subscription holds as many lawful bases as allowed.
		TooManyConsents,
		/// No lawful basis recorded for that purpose.
		ConsentNotFound,
		/// An account cannot be its own agent.
		SelfAgent,
		/// The signer is not an agent of that principal.
		NotAnAgent,
		/// The signer's appointment as that principal's agent has expired.
		AgentExpired,
		/// An agent may not make that call: it is not an IMS call, or it
		/// would appoint, dismiss or act through agents.
		CallNotDelegable,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxServiceIndications::get() > 0, "an AS must be able to serve something");
			assert!(T::MaxConsentsPerSubscription::get() > 0, "a subscription needs a basis");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Grant `role` in `realm` to `who`, until `expires_at` if given. A
		/// grant the account already holds is renewed with the new expiry.
		///
		/// Origin: `AdminOrigin` or `ManageRoles` in the realm (its owner or
		/// a realm admin). Emits `RoleGranted`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::grant_role())]
		pub fn grant_role(
			origin: OriginFor<T>,
			realm: RealmId,
			who: T::AccountId,
			role: Role,
			expires_at: Option<BlockNumberFor<T>>,
		) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_grant_role(actor.as_ref(), realm, who, role, expires_at)
		}

		/// Revoke `role` in `realm` from `who`.
		///
		/// Origin: `AdminOrigin`, `ManageRoles` in the realm, or `who`
		/// itself (renouncing). Emits `RoleRevoked`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::revoke_role())]
		pub fn revoke_role(
			origin: OriginFor<T>,
			realm: RealmId,
			who: T::AccountId,
			role: Role,
		) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_revoke_role(actor.as_ref(), realm, who, role)
		}

		/// Remove `who`'s expired grants in `realm` from state. Anyone may
		/// clean up; it is free when it removes something.
		///
		/// Origin: signed. Emits `ExpiredRoleRemoved` per grant.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::remove_expired_roles())]
		pub fn remove_expired_roles(
			origin: OriginFor<T>,
			realm: RealmId,
			who: T::AccountId,
		) -> DispatchResultWithPostInfo {
			let cleaner = ensure_signed(origin)?;
			Self::do_remove_expired_roles(&cleaner, realm, who)?;
			Ok(Pays::No.into())
		}

		/// Authorise the application server known on Sh as `host` in
		/// `realm`, replacing any authorisation it had.
		///
		/// Origin: `AdminOrigin` or `ManageRoles` in the realm. Emits
		/// `ApplicationServerAuthorized`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::authorize_application_server())]
		pub fn authorize_application_server(
			origin: OriginFor<T>,
			realm: RealmId,
			host: Name,
			authorization: AsAuthorizationOf<T>,
		) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_authorize_application_server(actor.as_ref(), realm, host, authorization)
		}

		/// Revoke the authorisation of the application server `host` in
		/// `realm`.
		///
		/// Origin: `AdminOrigin` or `ManageRoles` in the realm. Emits
		/// `ApplicationServerRevoked`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::revoke_application_server())]
		pub fn revoke_application_server(
			origin: OriginFor<T>,
			realm: RealmId,
			host: Name,
		) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_revoke_application_server(actor.as_ref(), realm, host)
		}

		/// Record a lawful basis for processing the data of `subscriber` (a
		/// subscription, IMPI or IMPU pseudonym; stored under its
		/// subscription) for `purpose`, with the hash of the evidence kept
		/// off chain. A basis already recorded for the purpose is replaced.
		///
		/// Origin: `AdminOrigin` or `ManageConsents` in the subscriber's
		/// realm. Emits `ConsentGranted`.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::grant_consent())]
		pub fn grant_consent(
			origin: OriginFor<T>,
			subscriber: Pseudonym,
			purpose: Purpose,
			basis: LawfulBasis,
			expires_at: Option<BlockNumberFor<T>>,
			evidence: H256,
		) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_grant_consent(actor.as_ref(), subscriber, purpose, basis, expires_at, evidence)
		}

		/// Withdraw the lawful basis recorded for `subscriber` and `purpose`,
		/// with the hash of the withdrawal's evidence. Every later decision
		/// sees it gone.
		///
		/// Origin: `AdminOrigin` or `ManageConsents` in the subscriber's
		/// realm. Emits `ConsentWithdrawn`.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::withdraw_consent())]
		pub fn withdraw_consent(
			origin: OriginFor<T>,
			subscriber: Pseudonym,
			purpose: Purpose,
			evidence: H256,
		) -> DispatchResult {
			let actor = Self::actor(origin)?;
			Self::do_withdraw_consent(actor.as_ref(), subscriber, purpose, evidence)
		}

		/// Appoint `agent` to make IMS calls in the signer's name (with
		/// `act_for`), until `expires_at` if given; an appointment already
		/// made is renewed with the new expiry. The agent may then do what
		/// the signer's roles allow, and nothing else.
		///
		/// Origin: signed (the principal). Emits `AgentAppointed`.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::appoint_agent())]
		pub fn appoint_agent(
			origin: OriginFor<T>,
			agent: T::AccountId,
			expires_at: Option<BlockNumberFor<T>>,
		) -> DispatchResult {
			let principal = ensure_signed(origin)?;
			Self::do_appoint_agent(principal, agent, expires_at)
		}

		/// End `agent`'s appointment to act in the signer's name.
		///
		/// Origin: signed (the principal). Emits `AgentDismissed`.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::dismiss_agent())]
		pub fn dismiss_agent(origin: OriginFor<T>, agent: T::AccountId) -> DispatchResult {
			let principal = ensure_signed(origin)?;
			Self::do_dismiss_agent(principal, agent)
		}

		/// Dispatch `call` as signed by `principal`, whose appointed agent
		/// the signer is. The call's own checks see the principal (its
		/// roles decide; its audit records and events name it), and its
		/// result is this call's: a refusal fails the extrinsic and is
		/// reported by [`ReportDenials`] as the principal's.
		///
		/// Origin: signed (the agent). Emits what `call` emits.
		#[pallet::call_index(9)]
		#[pallet::weight({
			let info = call.get_dispatch_info();
			(T::WeightInfo::act_for().saturating_add(info.call_weight), info.class)
		})]
		pub fn act_for(
			origin: OriginFor<T>,
			principal: T::AccountId,
			call: Box<<T as Config>::RuntimeCall>,
		) -> DispatchResultWithPostInfo {
			let agent = ensure_signed(origin)?;
			Self::do_act_for(principal, agent, *call)
		}
	}
}

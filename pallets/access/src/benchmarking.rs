//! Benchmarks of every call and of the erasure hook, each in its worst case:
//! signed by a realm admin holding the right through a grant (not the
//! owner), subscribers named by an IMPI (the last pseudonym the directory
//! tries), bounded vectors full of maximal entries.

#![allow(
	clippy::expect_used,
	clippy::unwrap_used,
	clippy::indexing_slicing,
	reason = "benchmark set-up: a step that fails fails the benchmark"
)]

use super::*;
use crate::pallet::*;
use alloc::{boxed::Box, vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::traits::Get;
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use ims_primitives::{
	limits::*, IdentityObserver, LawfulBasis, Name, Pseudonym, Purpose, RealmId, Role, ShData,
	ShDataSet, SubscriptionId,
};
use sp_core::H256;
use sp_runtime::{DispatchError, ModuleError};

/// Makes the realms and subscribers the benchmarks act on, in whatever
/// pallet the runtime keeps them.
pub trait BenchmarkHelper<AccountId> {
	/// Create a realm owned by `owner` and return its number.
	fn realm(owner: AccountId) -> RealmId;
	/// Create subscription number `index` in `realm`, with a private
	/// identity; return the identity's pseudonym and the subscription's.
	fn subscriber(realm: RealmId, index: u32) -> (Pseudonym, SubscriptionId);
}

fn bytes<B: TryFrom<Vec<u8>>>(len: u32, fill: u8) -> B
where
	B::Error: core::fmt::Debug,
{
	B::try_from(vec![fill; len as usize]).expect("length within the bound; qed")
}

/// A maximal purpose, distinct per `index`.
fn purpose(index: u32) -> Purpose {
	let mut purpose: Vec<u8> = vec![b'p'; MAX_TOKEN_LEN as usize];
	purpose[..4].copy_from_slice(&index.to_le_bytes());
	purpose.try_into().expect("MAX_TOKEN_LEN bytes; qed")
}

fn host() -> Name {
	bytes(MAX_NAME_LEN, b'h')
}

/// A realm owned by someone else, with `admin` holding realm admin by grant.
fn realm_with_admin<T: Config>(admin: &T::AccountId) -> RealmId {
	let realm = T::BenchmarkHelper::realm(account("owner", 0, 0));
	Pallet::<T>::do_grant_role(None, realm, admin.clone(), Role::RealmAdmin, None)
		.expect("governance grants in an existing realm; qed");
	realm
}

/// Grant `who` every role in `realm` but `except`, expiring at `expires_at`.
fn grant_all_but<T: Config>(
	realm: RealmId,
	who: &T::AccountId,
	except: Option<Role>,
	expires_at: Option<BlockNumberFor<T>>,
) {
	for role in Role::ALL.into_iter().filter(|role| Some(*role) != except) {
		Pallet::<T>::do_grant_role(None, realm, who.clone(), role, expires_at)
			.expect("governance grants in an existing realm; qed");
	}
}

fn full_authorization<T: Config>() -> AsAuthorizationOf<T> {
	let services = (0..T::MaxServiceIndications::get())
		.map(purpose)
		.collect::<Vec<_>>()
		.try_into()
		.expect("MaxServiceIndications entries; qed");
	AsAuthorization {
		fingerprint: [7; 32],
		purpose: purpose(u32::MAX),
		services,
		sh_read: ShDataSet::of(&ShData::ALL),
		sh_update: ShDataSet::of(&[ShData::RepositoryData]),
		expires_at: Some(1_000_000u32.into()),
	}
}

/// Fill a subscription's consents up to `count` maximal records.
fn fill_consents<T: Config>(subscriber: Pseudonym, count: u32) {
	for index in 0..count {
		Pallet::<T>::do_grant_consent(
			None,
			subscriber,
			purpose(index),
			LawfulBasis::Consent,
			Some(1_000_000u32.into()),
			H256::repeat_byte(1),
		)
		.expect("governance records a basis for an existing subscriber; qed");
	}
}

/// The pallet index the runtime gave this pallet, as its errors carry it.
fn error_module<T: Config>() -> u8 {
	match DispatchError::from(Error::<T>::NotAuthorized) {
		DispatchError::Module(ModuleError { index, .. }) => index,
		_ => 0,
	}
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn grant_role() {
		let admin: T::AccountId = whitelisted_caller();
		let realm = realm_with_admin::<T>(&admin);
		let who: T::AccountId = account("member", 0, 0);
		grant_all_but::<T>(realm, &who, Some(Role::Auditor), None);
		let expires_at: Option<BlockNumberFor<T>> = Some(1_000_000u32.into());

		#[extrinsic_call]
		_(RawOrigin::Signed(admin), realm, who.clone(), Role::Auditor, expires_at);

		assert_eq!(Roles::<T>::get(realm, &who).map(|grants| grants.len()), Some(4));
	}

	#[benchmark]
	fn revoke_role() {
		let admin: T::AccountId = whitelisted_caller();
		let realm = realm_with_admin::<T>(&admin);
		let who: T::AccountId = account("member", 0, 0);
		grant_all_but::<T>(realm, &who, None, None);

		#[extrinsic_call]
		_(RawOrigin::Signed(admin), realm, who.clone(), Role::Provisioner);

		assert_eq!(Roles::<T>::get(realm, &who).map(|grants| grants.len()), Some(3));
	}

	#[benchmark]
	fn remove_expired_roles() {
		let cleaner: T::AccountId = whitelisted_caller();
		let realm = T::BenchmarkHelper::realm(account("owner", 0, 0));
		let who: T::AccountId = account("member", 0, 0);
		grant_all_but::<T>(realm, &who, None, Some(10u32.into()));
		frame_system::Pallet::<T>::set_block_number(10u32.into());

		#[extrinsic_call]
		_(RawOrigin::Signed(cleaner), realm, who.clone());

		assert!(Roles::<T>::get(realm, &who).is_none());
	}

	#[benchmark]
	fn authorize_application_server() {
		let admin: T::AccountId = whitelisted_caller();
		let realm = realm_with_admin::<T>(&admin);
		let authorization = full_authorization::<T>();

		#[extrinsic_call]
		_(RawOrigin::Signed(admin), realm, host(), authorization);

		assert!(ApplicationServers::<T>::contains_key(realm, host()));
	}

	#[benchmark]
	fn revoke_application_server() {
		let admin: T::AccountId = whitelisted_caller();
		let realm = realm_with_admin::<T>(&admin);
		Pallet::<T>::do_authorize_application_server(
			None,
			realm,
			host(),
			full_authorization::<T>(),
		)
		.expect("a well-formed authorisation in an existing realm; qed");

		#[extrinsic_call]
		_(RawOrigin::Signed(admin), realm, host());

		assert!(!ApplicationServers::<T>::contains_key(realm, host()));
	}

	#[benchmark]
	fn grant_consent() {
		let admin: T::AccountId = whitelisted_caller();
		let realm = realm_with_admin::<T>(&admin);
		let (subscriber, subscription) = T::BenchmarkHelper::subscriber(realm, 0);
		let max = T::MaxConsentsPerSubscription::get();
		fill_consents::<T>(subscriber, max.saturating_sub(1));
		let expires_at: Option<BlockNumberFor<T>> = Some(1_000_000u32.into());

		#[extrinsic_call]
		_(
			RawOrigin::Signed(admin),
			subscriber,
			purpose(max),
			LawfulBasis::Consent,
			expires_at,
			H256::repeat_byte(2),
		);

		assert_eq!(Consents::<T>::get(subscription).map(|c| c.len() as u32), Some(max));
	}

	#[benchmark]
	fn withdraw_consent() {
		let admin: T::AccountId = whitelisted_caller();
		let realm = realm_with_admin::<T>(&admin);
		let (subscriber, subscription) = T::BenchmarkHelper::subscriber(realm, 0);
		let max = T::MaxConsentsPerSubscription::get();
		fill_consents::<T>(subscriber, max);

		#[extrinsic_call]
		_(RawOrigin::Signed(admin), subscriber, purpose(max.saturating_sub(1)), H256::zero());

		assert_eq!(Consents::<T>::get(subscription).map(|c| c.len() as u32), Some(max - 1));
	}

	/// The identity pallet's erasure hook, with every consent slot used.
	#[benchmark]
	fn erase_consents() {
		let realm = T::BenchmarkHelper::realm(account("owner", 0, 0));
		let (subscriber, subscription) = T::BenchmarkHelper::subscriber(realm, 0);
		fill_consents::<T>(subscriber, T::MaxConsentsPerSubscription::get());

		#[block]
		{
			<Pallet<T> as IdentityObserver>::subscription_erased(subscription);
		}

		assert!(Consents::<T>::get(subscription).is_none());
	}

	/// What [`crate::ReportDenials`] does after a refused call: find the
	/// realm of the subscriber it named (an IMPI, the last kind the directory
	/// tries), emit the event and tell the audit sink.
	#[benchmark]
	fn report_denial() {
		let realm = T::BenchmarkHelper::realm(account("owner", 0, 0));
		let (subscriber, _) = T::BenchmarkHelper::subscriber(realm, 0);
		let who: T::AccountId = account("stranger", 0, 0);
		let watched = Watched {
			who,
			agent: None,
			scope: ims_primitives::CallScope::Subscriber(subscriber),
			pallet: 8,
			call: 5,
		};
		let error = Error::<T>::NotAuthorized.into();

		#[block]
		{
			Pallet::<T>::report_denial(watched, &error);
		}

		frame_system::Pallet::<T>::assert_last_event(
			<T as frame_system::Config>::RuntimeEvent::from(Event::AccessDenied {
				who: account("stranger", 0, 0),
				realm,
				pallet: 8,
				call: 5,
				module: error_module::<T>(),
				error: 1,
			}),
		);
	}

	#[benchmark]
	fn appoint_agent() {
		let principal: T::AccountId = whitelisted_caller();
		let agent: T::AccountId = account("agent", 0, 0);
		let expires_at: Option<BlockNumberFor<T>> = Some(1_000_000u32.into());

		#[extrinsic_call]
		_(RawOrigin::Signed(principal.clone()), agent.clone(), expires_at);

		assert!(Agents::<T>::contains_key(&principal, &agent));
	}

	#[benchmark]
	fn dismiss_agent() {
		let principal: T::AccountId = whitelisted_caller();
		let agent: T::AccountId = account("agent", 0, 0);
		Pallet::<T>::do_appoint_agent(principal.clone(), agent.clone(), None)
			.expect("another account, no expiry; qed");

		#[extrinsic_call]
		_(RawOrigin::Signed(principal.clone()), agent.clone());

		assert!(!Agents::<T>::contains_key(&principal, &agent));
	}

	/// `act_for`'s own part: the appointment, the filter and the dispatch
	/// of the cheapest call there is (an empty remark; the runtime's filter
	/// admits it in benchmark builds only). The inner call's weight is added
	/// to this.
	#[benchmark]
	fn act_for() {
		let principal: T::AccountId = account("principal", 0, 0);
		let agent: T::AccountId = whitelisted_caller();
		Pallet::<T>::do_appoint_agent(principal.clone(), agent.clone(), Some(1_000_000u32.into()))
			.expect("another account, a future expiry; qed");
		let call: <T as Config>::RuntimeCall =
			frame_system::Call::<T>::remark { remark: Vec::new() }.into();

		#[extrinsic_call]
		_(RawOrigin::Signed(agent), principal, Box::new(call));
	}

	impl_benchmark_test_suite!(Pallet, mock::ExtBuilder::build(), mock::Test);
}

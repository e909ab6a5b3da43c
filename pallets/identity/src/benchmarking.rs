//! Benchmarks of every call, each in its worst case: signed by an account
//! the `Authorizer` has to check, bounded vectors full, every reference to a
//! distinct record.

#![allow(
	clippy::expect_used,
	clippy::unwrap_used,
	clippy::indexing_slicing,
	reason = "benchmark set-up: a step that fails fails the benchmark"
)]

use super::*;
use crate::pallet::*;
use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{EnsureOrigin, Get},
	BoundedVec,
};
use frame_system::RawOrigin;
use ims_primitives::{
	limits::*, ApplicationServer, AuthScheme, AuthSchemes, ChargingInformation, DefaultHandling,
	Ifcs, ImpuKind, InitialFilterCriterion, Name, ProfilePart, Pseudonym, RealmId,
	RegistrationState, ServicePointTrigger, ServiceProfile, SptCondition, TriggerPoint,
	VisitedNetworks,
};

/// Lets the benchmarks make an account able to act in a realm, whatever
/// `Authorizer` the runtime wires.
pub trait BenchmarkHelper<AccountId> {
	/// Give `who` every permission in `realm` (which `who` owns already).
	fn authorize(who: &AccountId, realm: RealmId);
}

/// For authorizers under which a realm's owner holds every permission (such
/// as the access pallet's).
impl<AccountId> BenchmarkHelper<AccountId> for () {
	fn authorize(_: &AccountId, _: RealmId) {}
}

fn bytes<B: TryFrom<Vec<u8>>>(len: u32, fill: u8) -> B
where
	B::Error: core::fmt::Debug,
{
	B::try_from(vec![fill; len as usize]).expect("length within the bound; qed")
}

fn pseudonym(kind: u8, index: u32) -> Pseudonym {
	let mut raw = [kind; 32];
	raw[..4].copy_from_slice(&index.to_le_bytes());
	Pseudonym::from(raw)
}

fn full_name(fill: u8) -> Name {
	bytes(MAX_NAME_LEN, fill)
}

fn server() -> ApplicationServer {
	ApplicationServer {
		server_name: full_name(b's'),
		default_handling: DefaultHandling::SessionTerminated,
		service_info: Some(bytes(MAX_TEXT_LEN, b'i')),
		include_register_request: true,
		include_register_response: true,
	}
}

fn charging() -> ChargingInformation {
	ChargingInformation {
		primary_ecf: Some(full_name(b'e')),
		secondary_ecf: Some(full_name(b'f')),
		primary_ccf: Some(full_name(b'c')),
		secondary_ccf: Some(full_name(b'd')),
	}
}

/// A criterion of maximal size.
fn ifc(priority: u32, server: u32) -> InitialFilterCriterion {
	let spt = ServicePointTrigger {
		negated: true,
		groups: bytes::<Vec<u8>>(MAX_SPTS, 0)
			.into_iter()
			.map(u32::from)
			.collect::<Vec<_>>()
			.try_into()
			.expect("MAX_SPTS groups; qed"),
		condition: SptCondition::SipHeader {
			header: bytes(MAX_TOKEN_LEN, b'h'),
			content: Some(bytes(MAX_TEXT_LEN, b'.')),
		},
	};
	InitialFilterCriterion {
		priority,
		trigger_point: Some(TriggerPoint {
			condition_type_cnf: false,
			spts: vec![spt; MAX_SPTS as usize].try_into().expect("MAX_SPTS triggers; qed"),
		}),
		application_server: server,
		profile_part: Some(ProfilePart::Unregistered),
	}
}

/// `n` criteria, each served by its own application server (numbered from
/// `first_server`).
fn ifcs(n: u32, first_server: u32) -> Ifcs {
	(0..n)
		.map(|i| ifc(i, first_server + i))
		.collect::<Vec<_>>()
		.try_into()
		.expect("n <= MAX_IFCS; qed")
}

fn profile(i: u32, s: u32, first_server: u32, first_set: u32) -> ServiceProfile {
	ServiceProfile {
		name: full_name(b'p'),
		ifcs: ifcs(i, first_server),
		shared_ifc_sets: (first_set..first_set + s)
			.collect::<Vec<_>>()
			.try_into()
			.expect("s <= MAX_SHARED_IFC_SETS; qed"),
		subscribed_media_profile: Some(1),
	}
}

/// The largest profile, on the servers and sets `realm` stores.
fn full_profile() -> ServiceProfile {
	profile(MAX_IFCS, MAX_SHARED_IFC_SETS, PROFILE_SERVERS, PROFILE_IFC_SETS)
}

fn networks(n: u32) -> VisitedNetworks {
	(0..n)
		.map(|i| {
			let mut network = vec![b'n'; MAX_NAME_LEN as usize];
			network[..4].copy_from_slice(&i.to_le_bytes());
			Name::try_from(network).expect("MAX_NAME_LEN; qed")
		})
		.collect::<Vec<_>>()
		.try_into()
		.expect("n <= MAX_VISITED_NETWORKS; qed")
}

const PROFILE: u32 = 0;
const SPARE_PROFILE: u32 = 1;
/// Profiles `import_shared_records` adds, numbered from here.
const MORE_PROFILES: u32 = 100;
/// The application servers and shared iFC sets of the profiles `realm`
/// stores, apart from those other benchmarks create.
const PROFILE_SERVERS: u32 = 60_000;
const PROFILE_IFC_SETS: u32 = 1_000;
const CHARGING: u32 = 0;
const SPARE_CHARGING: u32 = 1;
/// Application servers numbered from here serve the spare data.
const SPARE_SERVERS: u32 = 1_000;

/// A realm owned by a fresh account, holding two profiles and two charging
/// records; returns the owner and the realm.
fn realm<T: Config>() -> (T::AccountId, RealmId) {
	let owner: T::AccountId = whitelisted_caller();
	let realm =
		Pallet::<T>::do_create_realm(full_name(b'r'), owner.clone()).expect("a fresh realm; qed");
	T::BenchmarkHelper::authorize(&owner, realm);
	// The profiles identities use are the largest a profile may be: taking
	// a user of one decodes and writes it whole.
	servers::<T>(realm, PROFILE_SERVERS, MAX_IFCS);
	ifc_sets::<T>(realm, PROFILE_IFC_SETS, MAX_SHARED_IFC_SETS);
	for id in [PROFILE, SPARE_PROFILE] {
		Pallet::<T>::do_put_service_profile(None, realm, id, full_profile())
			.expect("a valid profile; qed");
	}
	for id in [CHARGING, SPARE_CHARGING] {
		Pallet::<T>::do_put_charging(None, realm, id, charging()).expect("valid charging; qed");
	}
	(owner, realm)
}

/// `n` application servers numbered from `first`.
fn servers<T: Config>(realm: RealmId, first: u32, n: u32) {
	for id in first..first + n {
		Pallet::<T>::do_put_application_server(None, realm, id, server())
			.expect("valid server; qed");
	}
}

/// `n` shared sets numbered from `first`, each full, with its own servers.
fn ifc_sets<T: Config>(realm: RealmId, first: u32, n: u32) {
	for id in first..first + n {
		let first_server = 10_000 + id * MAX_IFCS;
		servers::<T>(realm, first_server, MAX_IFCS);
		Pallet::<T>::do_put_ifc_set(None, realm, id, ifcs(MAX_IFCS, first_server))
			.expect("valid set; qed");
	}
}

fn attributes(set: Option<u32>) -> ImpuAttributes {
	ImpuAttributes {
		kind: ImpuKind::PublicIdentity,
		barred: false,
		can_register: true,
		implicit_set: set,
		service_profile: PROFILE,
		charging: Some(CHARGING),
		roaming: networks(MAX_VISITED_NETWORKS),
	}
}

/// A subscription numbered `index` with `impis` IMPIs and `impus` IMPUs,
/// every IMPI linked to every IMPU, all IMPUs in implicit set 0.
fn subscription<T: Config>(realm: RealmId, index: u32, impis: u32, impus: u32) -> Pseudonym {
	let id = pseudonym(0x51, index);
	Pallet::<T>::do_create_subscription(None, realm, id).expect("fresh subscription; qed");
	let schemes = AuthSchemes::of(&AuthScheme::ALL);
	for i in 0..impis {
		Pallet::<T>::do_create_impi(None, id, impi(index, i), schemes, AuthScheme::AkaV1Md5)
			.expect("within bounds; qed");
	}
	for u in 0..impus {
		Pallet::<T>::do_create_impu(None, id, impu(index, u), attributes(Some(0)))
			.expect("within bounds; qed");
		for i in 0..impis {
			Pallet::<T>::do_link(None, impi(index, i), impu(index, u))
				.expect("same subscription; qed");
		}
	}
	id
}

fn impi(subscription: u32, n: u32) -> Pseudonym {
	pseudonym(0xa0, subscription * 1_000 + n)
}

fn impu(subscription: u32, n: u32) -> Pseudonym {
	pseudonym(0xb0, subscription * 1_000 + n)
}

fn registered(impu: Pseudonym) -> RegistrationUpdate {
	RegistrationUpdate { impu, state: RegistrationState::Registered, scscf: Some(full_name(b'x')) }
}

fn register<T: Config>(impu: Pseudonym) {
	Pallet::<T>::do_record_registrations(
		None,
		vec![registered(impu)].try_into().expect("one update; qed"),
		u32::MAX,
	)
	.expect("known identity; qed");
}

/// Subscriber `index` of a bulk import: the reference one (an IMPI linked
/// to an IMPU) with `extra` more IMPUs linked to the IMPI, all of them in
/// implicit set 0 if `in_set`.
fn imported<T: Config>(index: u32, extra: u32, in_set: bool) -> SubscriberImportOf<T> {
	let set = in_set.then_some(0);
	let schemes = AuthSchemes::of(&AuthScheme::ALL);
	let impis =
		vec![ImpiImport { impi: impi(index, 0), schemes, default_scheme: AuthScheme::AkaV1Md5 }];
	let impus: Vec<ImpuImport> = (0..=extra)
		.map(|u| ImpuImport { impu: impu(index, u), attributes: attributes(set) })
		.collect();
	let links: Vec<LinkImport> = (0..=extra).map(|u| (0, u as u8)).collect();
	SubscriberImport {
		subscription: pseudonym(0x51, index),
		impis: impis.try_into().expect("one IMPI; qed"),
		impus: impus.try_into().expect("extra < MaxImpusPerSubscription; qed"),
		links: links.try_into().expect("as many links as IMPUs; qed"),
	}
}

/// `subscribers` of a bulk import holding `extra` extra IMPUs in all, spread
/// over them one by one, and the first `sets` of them with their IMPUs in an
/// implicit set.
fn import_batch<T: Config>(subscribers: u32, extra: u32, sets: u32) -> SubscriberBatch<T> {
	let batch: Vec<_> = (0..subscribers)
		.map(|index| {
			let share = extra / subscribers + u32::from(index < extra % subscribers);
			imported::<T>(index, share, index < sets)
		})
		.collect();
	batch.try_into().expect("subscribers <= MaxImportSubscribers; qed")
}

/// The most distinct profiles `import_shared_records` measures, and its
/// subscribers: 64, or fewer if a call takes fewer.
fn shared_records<T: Config>() -> u32 {
	T::MaxImportSubscribers::get().clamp(1, 64)
}

/// As few subscribers as hold a call's worth of extra IMPUs.
fn extra_room<T: Config>() -> u32 {
	let room = T::MaxImpusPerSubscription::get().saturating_sub(1).max(1);
	T::MaxImportSubscribers::get().div_ceil(room).max(1)
}

fn admin<T: Config>() -> Result<T::RuntimeOrigin, BenchmarkError> {
	T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn create_realm() -> Result<(), BenchmarkError> {
		let origin = admin::<T>()?;
		let owner: T::AccountId = account("owner", 0, 0);
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, full_name(b'r'), owner);
		assert!(RealmByName::<T>::contains_key(full_name(b'r')));
		Ok(())
	}

	#[benchmark]
	fn set_realm_owner() {
		let (owner, realm) = realm::<T>();
		let next: T::AccountId = account("next", 0, 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), realm, next.clone());
		assert_eq!(Realms::<T>::get(realm).map(|info| info.owner), Some(next));
	}

	#[benchmark]
	fn remove_realm() -> Result<(), BenchmarkError> {
		let origin = admin::<T>()?;
		let realm = Pallet::<T>::do_create_realm(full_name(b'r'), account("owner", 0, 0))
			.expect("a fresh realm; qed");
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, realm);
		assert!(!Realms::<T>::contains_key(realm));
		Ok(())
	}

	#[benchmark]
	fn create_subscription() {
		let (owner, realm) = realm::<T>();
		let id = pseudonym(0x51, 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), realm, id);
		assert!(Subscriptions::<T>::contains_key(id));
	}

	#[benchmark]
	fn remove_subscription(
		i: Linear<0, { T::MaxImpisPerSubscription::get() }>,
		u: Linear<0, { T::MaxImpusPerSubscription::get() }>,
	) {
		let (owner, realm) = realm::<T>();
		let id = subscription::<T>(realm, 0, i, u);
		if u > 0 {
			register::<T>(impu(0, 0));
		}
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id);
		assert!(!Subscriptions::<T>::contains_key(id));
	}

	#[benchmark]
	fn create_impi() {
		let (owner, realm) = realm::<T>();
		let max = T::MaxImpisPerSubscription::get();
		let id = subscription::<T>(realm, 0, max - 1, 0);
		let new = impi(0, max);
		#[extrinsic_call]
		_(
			RawOrigin::Signed(owner),
			id,
			new,
			AuthSchemes::of(&AuthScheme::ALL),
			AuthScheme::SipDigest,
		);
		assert!(Impis::<T>::contains_key(new));
	}

	#[benchmark]
	fn update_impi() {
		let (owner, realm) = realm::<T>();
		subscription::<T>(realm, 0, 1, 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), impi(0, 0), AuthSchemes(1), AuthScheme::AkaV1Md5);
		assert_eq!(Impis::<T>::get(impi(0, 0)).map(|record| record.schemes), Some(AuthSchemes(1)));
	}

	#[benchmark]
	fn rotate_credentials() {
		let (owner, realm) = realm::<T>();
		subscription::<T>(realm, 0, 1, 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), impi(0, 0));
		assert_eq!(Impis::<T>::get(impi(0, 0)).map(|record| record.credential_epoch), Some(1));
	}

	#[benchmark]
	fn remove_impi(l: Linear<0, { T::MaxImpusPerSubscription::get() }>) {
		let (owner, realm) = realm::<T>();
		subscription::<T>(realm, 0, T::MaxImpisPerSubscription::get(), l);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), impi(0, 0));
		assert!(!Impis::<T>::contains_key(impi(0, 0)));
	}

	#[benchmark]
	fn create_impu() {
		let (owner, realm) = realm::<T>();
		let max = T::MaxImpusPerSubscription::get();
		let id = subscription::<T>(realm, 0, 0, max - 1);
		let new = impu(0, max);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id, new, attributes(Some(0)));
		assert!(Impus::<T>::contains_key(new));
	}

	#[benchmark]
	fn update_impu() {
		let (owner, realm) = realm::<T>();
		subscription::<T>(realm, 0, 0, 1);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), impu(0, 0), ImpuKind::WildcardPsi, false);
		assert_eq!(Impus::<T>::get(impu(0, 0)).map(|record| record.can_register), Some(false));
	}

	#[benchmark]
	fn set_barring() {
		let (owner, realm) = realm::<T>();
		let max = T::MaxImpusPerSubscription::get();
		subscription::<T>(realm, 0, 0, max);
		let last = impu(0, max - 1);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), last, true);
		assert_eq!(Impus::<T>::get(last).map(|record| record.barred), Some(true));
	}

	#[benchmark]
	fn set_service_profile() {
		let (owner, realm) = realm::<T>();
		subscription::<T>(realm, 0, 0, 1);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), impu(0, 0), SPARE_PROFILE, Some(SPARE_CHARGING));
		assert_eq!(
			Impus::<T>::get(impu(0, 0)).map(|record| record.service_profile),
			Some(SPARE_PROFILE)
		);
	}

	#[benchmark]
	fn set_roaming(n: Linear<0, MAX_VISITED_NETWORKS>) {
		let (owner, realm) = realm::<T>();
		subscription::<T>(realm, 0, 0, 1);
		let list = networks(n);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), impu(0, 0), list.clone());
		assert_eq!(Impus::<T>::get(impu(0, 0)).map(|record| record.roaming), Some(list));
	}

	#[benchmark]
	fn set_implicit_set() {
		let (owner, realm) = realm::<T>();
		// The last member leaves a full set for another set with members.
		let max = T::MaxImpusPerSubscription::get();
		let id = subscription::<T>(realm, 0, 0, max);
		Pallet::<T>::do_set_implicit_set(None, impu(0, max - 2), Some(1))
			.expect("leaves a set with other members; qed");
		let last = impu(0, max - 1);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), last, Some(1));
		assert_eq!(ImplicitSets::<T>::get(id, 1).map(|set| set.members.len()), Some(2));
	}

	#[benchmark]
	fn set_implicit_default() {
		let (owner, realm) = realm::<T>();
		let max = T::MaxImpusPerSubscription::get();
		let id = subscription::<T>(realm, 0, 0, max);
		let last = impu(0, max - 1);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), last);
		assert_eq!(
			ImplicitSets::<T>::get(id, 0).and_then(|set| set.members.first().copied()),
			Some(last)
		);
	}

	#[benchmark]
	fn remove_impu(l: Linear<0, { T::MaxImpisPerSubscription::get() }>) {
		let (owner, realm) = realm::<T>();
		let max = T::MaxImpusPerSubscription::get();
		subscription::<T>(realm, 0, l, max);
		register::<T>(impu(0, 0));
		let last = impu(0, max - 1);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), last);
		assert!(!Impus::<T>::contains_key(last));
	}

	#[benchmark]
	fn link() {
		let (owner, realm) = realm::<T>();
		// The IMPI's record at its largest: linked to every IMPU.
		let last = impu(0, T::MaxImpusPerSubscription::get() - 1);
		subscription::<T>(realm, 0, 1, T::MaxImpusPerSubscription::get());
		Pallet::<T>::do_unlink(None, impi(0, 0), last).expect("linked; qed");
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), impi(0, 0), last);
		assert!(Pallet::<T>::impis_linked_to(last, pseudonym(0x51, 0)) == vec![impi(0, 0)]);
	}

	#[benchmark]
	fn unlink() {
		let (owner, realm) = realm::<T>();
		let last = impu(0, T::MaxImpusPerSubscription::get() - 1);
		subscription::<T>(realm, 0, 1, T::MaxImpusPerSubscription::get());
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), impi(0, 0), last);
		assert!(Pallet::<T>::impis_linked_to(last, pseudonym(0x51, 0)).is_empty());
	}

	#[benchmark]
	fn put_application_server() {
		let (owner, realm) = realm::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), realm, 0, server());
		assert!(ApplicationServers::<T>::contains_key(realm, 0));
	}

	#[benchmark]
	fn remove_application_server() {
		let (owner, realm) = realm::<T>();
		servers::<T>(realm, 0, 1);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), realm, 0);
		assert!(!ApplicationServers::<T>::contains_key(realm, 0));
	}

	#[benchmark]
	fn put_charging_information() {
		let (owner, realm) = realm::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), realm, 9, charging());
		assert!(ChargingInfos::<T>::contains_key(realm, 9));
	}

	#[benchmark]
	fn remove_charging_information() {
		let (owner, realm) = realm::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), realm, SPARE_CHARGING);
		assert!(!ChargingInfos::<T>::contains_key(realm, SPARE_CHARGING));
	}

	#[benchmark]
	fn put_ifc_set(n: Linear<0, MAX_IFCS>) {
		// Replaces a full set whose servers are all released.
		let (owner, realm) = realm::<T>();
		ifc_sets::<T>(realm, 0, 1);
		servers::<T>(realm, SPARE_SERVERS, n);
		let list = ifcs(n, SPARE_SERVERS);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), realm, 0, list.clone());
		assert_eq!(IfcSets::<T>::get(realm, 0).map(|set| set.value), Some(list));
	}

	#[benchmark]
	fn remove_ifc_set() {
		let (owner, realm) = realm::<T>();
		ifc_sets::<T>(realm, 0, 1);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), realm, 0);
		assert!(!IfcSets::<T>::contains_key(realm, 0));
	}

	#[benchmark]
	fn put_service_profile(i: Linear<0, MAX_IFCS>, s: Linear<0, MAX_SHARED_IFC_SETS>) {
		// Replaces a full profile; every reference, old and new, distinct.
		let (owner, realm) = realm::<T>();
		servers::<T>(realm, 0, MAX_IFCS);
		ifc_sets::<T>(realm, 0, 2 * MAX_SHARED_IFC_SETS);
		Pallet::<T>::do_put_service_profile(
			None,
			realm,
			PROFILE,
			profile(MAX_IFCS, MAX_SHARED_IFC_SETS, 0, 0),
		)
		.expect("valid profile; qed");
		servers::<T>(realm, SPARE_SERVERS, i);
		let new = profile(i, s, SPARE_SERVERS, MAX_SHARED_IFC_SETS);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), realm, PROFILE, new.clone());
		assert_eq!(ServiceProfiles::<T>::get(realm, PROFILE).map(|entry| entry.value), Some(new));
	}

	#[benchmark]
	fn remove_service_profile() {
		let (owner, realm) = realm::<T>();
		servers::<T>(realm, 0, MAX_IFCS);
		ifc_sets::<T>(realm, 0, MAX_SHARED_IFC_SETS);
		Pallet::<T>::do_put_service_profile(
			None,
			realm,
			SPARE_PROFILE,
			profile(MAX_IFCS, MAX_SHARED_IFC_SETS, 0, 0),
		)
		.expect("valid profile; qed");
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), realm, SPARE_PROFILE);
		assert!(!ServiceProfiles::<T>::contains_key(realm, SPARE_PROFILE));
	}

	#[benchmark]
	fn record_registrations(n: Linear<1, { T::MaxRegistrationBatch::get() }>) {
		// `n` updates of identities without implicit set, each in its own
		// subscription.
		let (owner, realm) = realm::<T>();
		let mut updates = Vec::new();
		for index in 0..n {
			let id = subscription::<T>(realm, index, 0, 0);
			Pallet::<T>::do_create_impu(None, id, impu(index, 0), attributes(None))
				.expect("within bounds; qed");
			updates.push(registered(impu(index, 0)));
		}
		let updates: RegistrationBatch<T> =
			BoundedVec::try_from(updates).expect("n <= MaxRegistrationBatch; qed");
		#[extrinsic_call]
		record_registrations(RawOrigin::Signed(owner), updates, 0);
		assert!(Registrations::<T>::contains_key(impu(n - 1, 0)));
	}

	/// One update whose identity's implicit set has `m` members: the cost of
	/// the members beyond the first is what `record_registrations` adds per
	/// extra member.
	#[benchmark]
	fn register_implicit_set(m: Linear<1, { T::MaxImpusPerSubscription::get() }>) {
		let (owner, realm) = realm::<T>();
		subscription::<T>(realm, 0, 0, m);
		let updates: RegistrationBatch<T> =
			BoundedVec::try_from(vec![registered(impu(0, 0))]).expect("one update; qed");
		#[extrinsic_call]
		record_registrations(RawOrigin::Signed(owner), updates, m - 1);
		assert!(Registrations::<T>::contains_key(impu(0, m - 1)));
	}

	/// `s` reference subscribers (an IMPI linked to an IMPU) in one bulk
	/// import.
	#[benchmark]
	fn import_subscribers(s: Linear<1, { T::MaxImportSubscribers::get() }>) {
		let (owner, realm) = realm::<T>();
		let batch = import_batch::<T>(s, 0, 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), realm, batch);
		assert!(Subscriptions::<T>::contains_key(pseudonym(0x51, s - 1)));
	}

	/// A fixed number of subscribers with `x` extra IMPUs in all, each
	/// linked to its subscriber's IMPI: what an extra identity with its link
	/// costs beyond the reference subscribers.
	#[benchmark]
	fn import_extra_identities(x: Linear<0, { T::MaxImportSubscribers::get() }>) {
		let (owner, realm) = realm::<T>();
		let subscribers = extra_room::<T>();
		let batch = import_batch::<T>(subscribers, x, 0);
		#[extrinsic_call]
		import_subscribers(RawOrigin::Signed(owner), realm, batch);
		assert!(Subscriptions::<T>::contains_key(pseudonym(0x51, subscribers - 1)));
	}

	/// Half a call's subscribers, each with two linked IMPUs, `g` of them in
	/// an implicit set: what an implicit set costs beyond its identities.
	#[benchmark]
	fn import_implicit_sets(g: Linear<0, { T::MaxImportSubscribers::get() / 2 }>) {
		let (owner, realm) = realm::<T>();
		let subscribers = (T::MaxImportSubscribers::get() / 2).max(1);
		let batch = import_batch::<T>(subscribers, subscribers, g);
		#[extrinsic_call]
		import_subscribers(RawOrigin::Signed(owner), realm, batch);
		assert!(Subscriptions::<T>::contains_key(pseudonym(0x51, subscribers - 1)));
	}

	/// Reference subscribers using `p` distinct full profiles: what each
	/// shared record a call uses costs beyond the first.
	#[benchmark]
	fn import_shared_records(p: Linear<1, { shared_records::<T>() }>) {
		let (owner, realm) = realm::<T>();
		for id in MORE_PROFILES..MORE_PROFILES + p {
			Pallet::<T>::do_put_service_profile(None, realm, id, full_profile())
				.expect("a valid profile; qed");
		}
		let mut batch = import_batch::<T>(shared_records::<T>(), 0, 0);
		for (index, subscriber) in batch.iter_mut().enumerate() {
			for new in subscriber.impus.iter_mut() {
				new.attributes.service_profile = MORE_PROFILES + index as u32 % p;
			}
		}
		#[extrinsic_call]
		import_subscribers(RawOrigin::Signed(owner), realm, batch);
		assert!(ServiceProfiles::<T>::get(realm, MORE_PROFILES).is_some_and(|e| e.users > 0));
	}

	impl_benchmark_test_suite!(Pallet, mock::ExtBuilder::build(), mock::Test);
}

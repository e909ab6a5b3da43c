//! Unit tests: for every call, a bad origin, each error, and success with the
//! storage and the exact events. `build_and_execute` checks every invariant
//! after each test.

use crate::{mock::*, pallet::*, types::*, Error, Event};
use frame_support::{assert_noop, assert_ok, dispatch::PostDispatchInfo, BoundedVec};
use frame_system::RawOrigin;
use ims_primitives::{
	ApplicationServer, AuthScheme, AuthSchemes, Change, ChargingInformation, DefaultHandling, Ifcs,
	ImpuKind, InitialFilterCriterion, LookupError, Name, ProfilePart, RegistrationState,
	ServicePointTrigger, ServiceProfile, SessionCase, SptCondition, Subject, TriggerPoint,
	VisitedNetworks,
};
use sp_core::H256;
use sp_runtime::DispatchError;

const REALM: u32 = 0;
const OTHER_REALM: u32 = 1;
const SUB: H256 = H256::repeat_byte(0x51);
const OTHER_SUB: H256 = H256::repeat_byte(0x52);
const IMPI: H256 = H256::repeat_byte(0xa1);
const IMPI2: H256 = H256::repeat_byte(0xa2);
const IMPU: H256 = H256::repeat_byte(0xb1);
const IMPU2: H256 = H256::repeat_byte(0xb2);
const IMPU3: H256 = H256::repeat_byte(0xb3);
const NOBODY: H256 = H256::repeat_byte(0xee);
const AS: u32 = 10;
const AS2: u32 = 11;
const CHARGING: u32 = 20;
const IFC_SET: u32 = 30;
const PROFILE: u32 = 40;
const PROFILE2: u32 = 41;
const SET: u32 = 1;

fn root() -> RuntimeOrigin {
	RawOrigin::Root.into()
}

fn signed(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

fn none() -> RuntimeOrigin {
	RawOrigin::None.into()
}

fn name(text: &str) -> Name {
	text.as_bytes().to_vec().try_into().unwrap()
}

/// The pallet's events since the last call, then forget them.
fn events() -> Vec<Event<Test>> {
	let events = System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::Identity(event) => Some(event),
			_ => None,
		})
		.collect();
	System::reset_events();
	events
}

fn server(uri: &str) -> ApplicationServer {
	ApplicationServer {
		server_name: name(uri),
		default_handling: DefaultHandling::SessionContinued,
		service_info: Some(b"mmtel".to_vec().try_into().unwrap()),
		include_register_request: false,
		include_register_response: true,
	}
}

fn charging() -> ChargingInformation {
	ChargingInformation {
		primary_ecf: Some(name("aaa://ecf.ims.example.net")),
		secondary_ecf: None,
		primary_ccf: Some(name("aaa://ccf.ims.example.net")),
		secondary_ccf: None,
	}
}

fn ifc(priority: u32, server: u32) -> InitialFilterCriterion {
	InitialFilterCriterion {
		priority,
		trigger_point: Some(TriggerPoint {
			condition_type_cnf: true,
			spts: vec![
				ServicePointTrigger {
					negated: false,
					groups: vec![0].try_into().unwrap(),
					condition: SptCondition::Method(b"INVITE".to_vec().try_into().unwrap()),
				},
				ServicePointTrigger {
					negated: false,
					groups: vec![1].try_into().unwrap(),
					condition: SptCondition::SessionCase(SessionCase::Originating),
				},
			]
			.try_into()
			.unwrap(),
		}),
		application_server: server,
		profile_part: Some(ProfilePart::Registered),
	}
}

fn ifcs(list: Vec<InitialFilterCriterion>) -> Ifcs {
	list.try_into().unwrap()
}

fn profile(own: Vec<InitialFilterCriterion>, shared: Vec<u32>) -> ServiceProfile {
	ServiceProfile {
		name: name("gold"),
		ifcs: ifcs(own),
		shared_ifc_sets: shared.try_into().unwrap(),
		subscribed_media_profile: Some(7),
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
		roaming: roaming(&["ims.visited.net"]),
	}
}

fn roaming(networks: &[&str]) -> VisitedNetworks {
	networks.iter().map(|network| name(network)).collect::<Vec<_>>().try_into().unwrap()
}

fn schemes() -> AuthSchemes {
	AuthSchemes::of(&[AuthScheme::AkaV1Md5, AuthScheme::SipDigest])
}

/// Realm 0: application servers AS and AS2, charging, a shared iFC set and
/// two profiles; realm 1: one profile.
fn services() {
	assert_ok!(Identity::put_application_server(
		root(),
		REALM,
		AS,
		server("sip:as.ims.example.net")
	));
	assert_ok!(Identity::put_application_server(
		root(),
		REALM,
		AS2,
		server("sip:voicemail.ims.example.net")
	));
	assert_ok!(Identity::put_charging_information(root(), REALM, CHARGING, charging()));
	assert_ok!(Identity::put_ifc_set(root(), REALM, IFC_SET, ifcs(vec![ifc(5, AS2)])));
	assert_ok!(Identity::put_service_profile(
		root(),
		REALM,
		PROFILE,
		profile(vec![ifc(10, AS), ifc(1, AS)], vec![IFC_SET])
	));
	assert_ok!(Identity::put_service_profile(root(), REALM, PROFILE2, profile(vec![], vec![])));
	assert_ok!(Identity::put_service_profile(
		root(),
		OTHER_REALM,
		PROFILE,
		profile(vec![], vec![])
	));
	System::reset_events();
	take_audit();
}

/// `services()`, then subscription SUB with IMPI linked to IMPU and IMPU2,
/// both in implicit set SET (IMPU the default).
fn subscriber() {
	services();
	assert_ok!(Identity::create_subscription(root(), REALM, SUB));
	assert_ok!(Identity::create_impi(root(), SUB, IMPI, schemes(), AuthScheme::AkaV1Md5));
	assert_ok!(Identity::create_impu(root(), SUB, IMPU, attributes(Some(SET))));
	assert_ok!(Identity::create_impu(root(), SUB, IMPU2, attributes(Some(SET))));
	assert_ok!(Identity::link(root(), IMPI, IMPU));
	assert_ok!(Identity::link(root(), IMPI, IMPU2));
	System::reset_events();
	take_audit();
}

fn users_of_profile(realm: u32, id: u32) -> u32 {
	ServiceProfiles::<Test>::get(realm, id).unwrap().users
}

fn users_of_server(id: u32) -> u32 {
	ApplicationServers::<Test>::get(REALM, id).unwrap().users
}

// --- realms ---

#[test]
fn create_realm_works() {
	ExtBuilder::build_and_execute(|| {
		// Given two genesis realms; when governance creates a third,
		assert_noop!(
			Identity::create_realm(signed(OWNER), name("ims.third.net"), OWNER),
			DispatchError::BadOrigin
		);
		assert_noop!(Identity::create_realm(root(), name(""), OWNER), Error::<Test>::EmptyName);
		assert_noop!(
			Identity::create_realm(root(), name("ims.example.net"), OWNER),
			Error::<Test>::RealmNameTaken
		);
		assert_ok!(Identity::create_realm(root(), name("ims.third.net"), STRANGER));
		// then it is numbered 2 and indexed by name.
		assert_eq!(
			Realms::<Test>::get(2),
			Some(RealmInfo {
				owner: STRANGER,
				name: name("ims.third.net"),
				subscriptions: 0,
				services: 0
			})
		);
		assert_eq!(RealmByName::<Test>::get(name("ims.third.net")), Some(2));
		assert_eq!(NextRealmId::<Test>::get(), 3);
		assert_eq!(
			events(),
			vec![Event::RealmCreated { realm: 2, name: name("ims.third.net"), owner: STRANGER }]
		);
		assert_eq!(take_audit(), vec![(None, 2, Subject::Realm, Change::Created)]);
	});
}

#[test]
fn create_realm_stops_when_numbers_run_out() {
	ExtBuilder::build_and_execute(|| {
		NextRealmId::<Test>::put(u32::MAX);
		assert_noop!(
			Identity::create_realm(root(), name("ims.last.net"), OWNER),
			Error::<Test>::RealmIdsExhausted
		);
		// Keep the invariant "numbers below NextRealmId" for the check after.
		NextRealmId::<Test>::put(2);
	});
}

#[test]
fn set_realm_owner_works() {
	ExtBuilder::build_and_execute(|| {
		assert_noop!(Identity::set_realm_owner(none(), REALM, STRANGER), DispatchError::BadOrigin);
		assert_noop!(Identity::set_realm_owner(root(), 9, STRANGER), Error::<Test>::RealmNotFound);
		// A provisioner does not administer the realm; another realm's owner
		// has no say here.
		assert_noop!(
			Identity::set_realm_owner(signed(PROVISIONER), REALM, PROVISIONER),
			Error::<Test>::NotAuthorized
		);
		assert_noop!(
			Identity::set_realm_owner(signed(OTHER_OWNER), REALM, OTHER_OWNER),
			Error::<Test>::NotAuthorized
		);
		assert_ok!(Identity::set_realm_owner(signed(OWNER), REALM, STRANGER));
		assert_eq!(Realms::<Test>::get(REALM).unwrap().owner, STRANGER);
		assert_eq!(events(), vec![Event::RealmOwnerChanged { realm: REALM, owner: STRANGER }]);
		assert_eq!(take_audit(), vec![(Some(OWNER), REALM, Subject::Realm, Change::Updated)]);
		// The old owner lost the realm; governance can still act.
		assert_noop!(
			Identity::set_realm_owner(signed(OWNER), REALM, OWNER),
			Error::<Test>::NotAuthorized
		);
		assert_ok!(Identity::set_realm_owner(root(), REALM, OWNER));
	});
}

#[test]
fn remove_realm_works() {
	ExtBuilder::build_and_execute(|| {
		assert_noop!(Identity::remove_realm(signed(OWNER), REALM), DispatchError::BadOrigin);
		assert_noop!(Identity::remove_realm(root(), 9), Error::<Test>::RealmNotFound);
		// A realm with a subscription, or with service data, stays.
		assert_ok!(Identity::create_subscription(root(), REALM, SUB));
		assert_noop!(Identity::remove_realm(root(), REALM), Error::<Test>::RealmNotEmpty);
		assert_ok!(Identity::put_charging_information(root(), OTHER_REALM, CHARGING, charging()));
		assert_noop!(Identity::remove_realm(root(), OTHER_REALM), Error::<Test>::RealmNotEmpty);
		assert_ok!(Identity::remove_charging_information(root(), OTHER_REALM, CHARGING));
		// A realm another pallet still holds records of stays too.
		use_realm(OTHER_REALM);
		assert_noop!(Identity::remove_realm(root(), OTHER_REALM), Error::<Test>::RealmInUse);
		ExtBuilder::reset_observer();
		System::reset_events();
		take_audit();
		assert_ok!(Identity::remove_realm(root(), OTHER_REALM));
		assert!(Realms::<Test>::get(OTHER_REALM).is_none());
		assert!(RealmByName::<Test>::get(name("ims.other.net")).is_none());
		assert_eq!(events(), vec![Event::RealmRemoved { realm: OTHER_REALM }]);
		assert_eq!(take_audit(), vec![(None, OTHER_REALM, Subject::Realm, Change::Removed)]);
		// The name is free again.
		assert_ok!(Identity::create_realm(root(), name("ims.other.net"), OTHER_OWNER));
	});
}

#[test]
fn directory_resolves_pseudonyms() {
	use ims_primitives::Directory;
	ExtBuilder::build_and_execute(|| {
		subscriber();
		assert_eq!(<Identity as Directory<u64>>::realm_owner(REALM), Some(OWNER));
		assert_eq!(<Identity as Directory<u64>>::realm_owner(OTHER_REALM), Some(OTHER_OWNER));
		assert_eq!(<Identity as Directory<u64>>::realm_owner(9), None);
		// A subscription, its IMPI and its IMPU all lead to the subscription.
		for pseudonym in [SUB, IMPI, IMPU] {
			assert_eq!(
				<Identity as Directory<u64>>::subscription_of(pseudonym),
				Some((REALM, SUB)),
				"{pseudonym:?}"
			);
		}
		assert_eq!(<Identity as Directory<u64>>::subscription_of(NOBODY), None);
	});
}

#[test]
fn calls_name_their_scope() {
	use ims_primitives::CallScope;
	let realm_call = Call::<Test>::create_subscription { realm: OTHER_REALM, subscription: SUB };
	assert_eq!(realm_call.scope(), Some(CallScope::Realm(OTHER_REALM)));
	assert_eq!(
		Call::<Test>::link { impi: IMPI, impu: IMPU }.scope(),
		Some(CallScope::Subscriber(IMPI))
	);
	assert_eq!(
		Call::<Test>::set_barring { impu: IMPU, barred: true }.scope(),
		Some(CallScope::Subscriber(IMPU))
	);
	let batch =
		vec![RegistrationUpdate { impu: IMPU2, state: RegistrationState::Registered, scscf: None }];
	let record = Call::<Test>::record_registrations { updates: batch.try_into().unwrap() };
	assert_eq!(record.scope(), Some(CallScope::Subscriber(IMPU2)));
	// Governance-only calls and empty batches name nothing.
	assert_eq!(Call::<Test>::remove_realm { realm: REALM }.scope(), None);
	assert_eq!(Call::<Test>::import { items: Default::default() }.scope(), None);
}

// --- subscriptions ---

#[test]
fn create_subscription_works() {
	ExtBuilder::build_and_execute(|| {
		assert_noop!(Identity::create_subscription(none(), REALM, SUB), DispatchError::BadOrigin);
		assert_noop!(Identity::create_subscription(root(), 9, SUB), Error::<Test>::RealmNotFound);
		for who in [STRANGER, FRONT, OTHER_OWNER] {
			assert_noop!(
				Identity::create_subscription(signed(who), REALM, SUB),
				Error::<Test>::NotAuthorized
			);
		}
		assert_ok!(Identity::create_subscription(signed(PROVISIONER), REALM, SUB));
		assert_eq!(
			Subscriptions::<Test>::get(SUB),
			Some(Subscription {
				realm: REALM,
				impis: Default::default(),
				impus: Default::default()
			})
		);
		assert_eq!(Realms::<Test>::get(REALM).unwrap().subscriptions, 1);
		assert_eq!(events(), vec![Event::SubscriptionCreated { realm: REALM, subscription: SUB }]);
		assert_eq!(
			take_audit(),
			vec![(Some(PROVISIONER), REALM, Subject::Subscription(SUB), Change::Created)]
		);
		// Pseudonyms are unique across realms.
		assert_noop!(
			Identity::create_subscription(root(), OTHER_REALM, SUB),
			Error::<Test>::SubscriptionAlreadyExists
		);
	});
}

#[test]
fn create_subscription_refuses_counter_overflow() {
	ExtBuilder::build().execute_with(|| {
		Realms::<Test>::mutate(REALM, |info| info.as_mut().unwrap().subscriptions = u32::MAX);
		assert_noop!(Identity::create_subscription(root(), REALM, SUB), Error::<Test>::Overflow);
	});
}

#[test]
fn remove_subscription_erases_everything() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		assert_ok!(Identity::create_impi(root(), SUB, IMPI2, schemes(), AuthScheme::SipDigest));
		assert_ok!(Identity::link(root(), IMPI2, IMPU));
		assert_ok!(Identity::record_registrations(
			signed(FRONT),
			vec![RegistrationUpdate {
				impu: IMPU,
				state: RegistrationState::Registered,
				scscf: Some(name("sip:scscf.ims.example.net:6060")),
			}]
			.try_into()
			.unwrap()
		));
		System::reset_events();
		take_audit();
		assert_noop!(Identity::remove_subscription(none(), SUB), DispatchError::BadOrigin);
		assert_noop!(
			Identity::remove_subscription(root(), NOBODY),
			Error::<Test>::SubscriptionNotFound
		);
		assert_noop!(
			Identity::remove_subscription(signed(OTHER_OWNER), SUB),
			Error::<Test>::NotAuthorized
		);

		// When the subscriber is erased,
		let info = Identity::remove_subscription(signed(PROVISIONER), SUB).unwrap();
		assert_eq!(
			info,
			PostDispatchInfo {
				actual_weight: Some(
					<() as crate::WeightInfo>::remove_subscription(2, 2)
						.saturating_add(ERASE_WEIGHT)
				),
				pays_fee: Default::default(),
			}
		);

		// then no record of any of its pseudonyms remains,
		assert!(Subscriptions::<Test>::get(SUB).is_none());
		for impi in [IMPI, IMPI2] {
			assert!(Impis::<Test>::get(impi).is_none());
			assert_eq!(ImpusOfImpi::<Test>::iter_prefix(impi).count(), 0);
		}
		for impu in [IMPU, IMPU2] {
			assert!(Impus::<Test>::get(impu).is_none());
			assert!(Registrations::<Test>::get(impu).is_none());
			assert_eq!(ImpisOfImpu::<Test>::iter_prefix(impu).count(), 0);
		}
		assert_eq!(ImplicitSets::<Test>::iter_prefix(SUB).count(), 0);
		// the shared service data is released,
		assert_eq!(users_of_profile(REALM, PROFILE), 0);
		assert_eq!(ChargingInfos::<Test>::get(REALM, CHARGING).unwrap().users, 0);
		assert_eq!(Realms::<Test>::get(REALM).unwrap().subscriptions, 0);
		// the other pallets are told, once,
		assert_eq!(take_erased(), vec![SUB]);
		// and one event and one audit record say so, with counts only.
		assert_eq!(
			events(),
			vec![Event::SubscriptionErased { realm: REALM, subscription: SUB, impis: 2, impus: 2 }]
		);
		assert_eq!(
			take_audit(),
			vec![(Some(PROVISIONER), REALM, Subject::Subscription(SUB), Change::Erased)]
		);
	});
}

// --- IMPIs ---

#[test]
fn create_impi_works() {
	ExtBuilder::build_and_execute(|| {
		assert_ok!(Identity::create_subscription(root(), REALM, SUB));
		System::reset_events();
		take_audit();
		let create = |origin, subscription, impi, schemes, default| {
			Identity::create_impi(origin, subscription, impi, schemes, default)
		};
		assert_noop!(
			create(none(), SUB, IMPI, schemes(), AuthScheme::AkaV1Md5),
			DispatchError::BadOrigin
		);
		assert_noop!(
			create(root(), NOBODY, IMPI, schemes(), AuthScheme::AkaV1Md5),
			Error::<Test>::SubscriptionNotFound
		);
		assert_noop!(
			create(signed(FRONT), SUB, IMPI, schemes(), AuthScheme::AkaV1Md5),
			Error::<Test>::NotAuthorized
		);
		assert_noop!(
			create(root(), SUB, IMPI, AuthSchemes(0), AuthScheme::AkaV1Md5),
			Error::<Test>::NoAuthScheme
		);
		assert_noop!(
			create(root(), SUB, IMPI, AuthSchemes(1 | 512), AuthScheme::AkaV1Md5),
			Error::<Test>::UnknownAuthScheme
		);
		assert_noop!(
			create(root(), SUB, IMPI, schemes(), AuthScheme::DigestMd5),
			Error::<Test>::DefaultSchemeNotAllowed
		);
		assert_ok!(create(signed(PROVISIONER), SUB, IMPI, schemes(), AuthScheme::SipDigest));
		assert_eq!(
			Impis::<Test>::get(IMPI),
			Some(ImpiRecord {
				subscription: SUB,
				realm: REALM,
				schemes: schemes(),
				default_scheme: AuthScheme::SipDigest,
				credential_epoch: 0,
				impus: 0,
			})
		);
		assert_eq!(Subscriptions::<Test>::get(SUB).unwrap().impis.into_inner(), vec![IMPI]);
		assert_eq!(events(), vec![Event::ImpiCreated { subscription: SUB, impi: IMPI }]);
		assert_eq!(
			take_audit(),
			vec![(Some(PROVISIONER), REALM, Subject::Impi(IMPI), Change::Created)]
		);
		assert_noop!(
			create(root(), SUB, IMPI, schemes(), AuthScheme::AkaV1Md5),
			Error::<Test>::ImpiAlreadyExists
		);
		// The mock allows two IMPIs per subscription.
		assert_ok!(create(root(), SUB, IMPI2, schemes(), AuthScheme::AkaV1Md5));
		assert_noop!(
			create(root(), SUB, NOBODY, schemes(), AuthScheme::AkaV1Md5),
			Error::<Test>::TooManyImpis
		);
	});
}

#[test]
fn update_impi_works() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		let all = AuthSchemes::of(&AuthScheme::ALL);
		assert_noop!(
			Identity::update_impi(none(), IMPI, all, AuthScheme::DigestMd5),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Identity::update_impi(root(), NOBODY, all, AuthScheme::DigestMd5),
			Error::<Test>::ImpiNotFound
		);
		assert_noop!(
			Identity::update_impi(signed(OTHER_OWNER), IMPI, all, AuthScheme::DigestMd5),
			Error::<Test>::NotAuthorized
		);
		assert_noop!(
			Identity::update_impi(root(), IMPI, AuthSchemes(0), AuthScheme::DigestMd5),
			Error::<Test>::NoAuthScheme
		);
		assert_noop!(
			Identity::update_impi(root(), IMPI, AuthSchemes(0x100), AuthScheme::DigestMd5),
			Error::<Test>::UnknownAuthScheme
		);
		assert_noop!(
			Identity::update_impi(root(), IMPI, schemes(), AuthScheme::DigestMd5),
			Error::<Test>::DefaultSchemeNotAllowed
		);
		assert_ok!(Identity::update_impi(signed(OWNER), IMPI, all, AuthScheme::DigestMd5));
		let record = Impis::<Test>::get(IMPI).unwrap();
		assert_eq!((record.schemes, record.default_scheme), (all, AuthScheme::DigestMd5));
		assert_eq!(
			events(),
			vec![Event::ImpiUpdated {
				impi: IMPI,
				schemes: all,
				default_scheme: AuthScheme::DigestMd5
			}]
		);
		assert_eq!(take_audit(), vec![(Some(OWNER), REALM, Subject::Impi(IMPI), Change::Updated)]);
	});
}

#[test]
fn rotate_credentials_works() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		assert_noop!(Identity::rotate_credentials(none(), IMPI), DispatchError::BadOrigin);
		assert_noop!(Identity::rotate_credentials(root(), NOBODY), Error::<Test>::ImpiNotFound);
		// Provisioning does not imply touching credentials.
		assert_noop!(
			Identity::rotate_credentials(signed(PROVISIONER), IMPI),
			Error::<Test>::NotAuthorized
		);
		assert_ok!(Identity::rotate_credentials(signed(VAULT), IMPI));
		assert_ok!(Identity::rotate_credentials(signed(VAULT), IMPI));
		assert_eq!(Impis::<Test>::get(IMPI).unwrap().credential_epoch, 2);
		assert_eq!(
			events(),
			vec![
				Event::CredentialsRotated { impi: IMPI, epoch: 1 },
				Event::CredentialsRotated { impi: IMPI, epoch: 2 }
			]
		);
		assert_eq!(
			take_audit()[0],
			(Some(VAULT), REALM, Subject::Impi(IMPI), Change::CredentialsRotated)
		);
		Impis::<Test>::mutate(IMPI, |record| record.as_mut().unwrap().credential_epoch = u32::MAX);
		assert_noop!(Identity::rotate_credentials(root(), IMPI), Error::<Test>::Overflow);
	});
}

#[test]
fn remove_impi_works() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		assert_noop!(Identity::remove_impi(none(), IMPI), DispatchError::BadOrigin);
		assert_noop!(Identity::remove_impi(root(), NOBODY), Error::<Test>::ImpiNotFound);
		assert_noop!(Identity::remove_impi(signed(STRANGER), IMPI), Error::<Test>::NotAuthorized);
		let info = Identity::remove_impi(signed(PROVISIONER), IMPI).unwrap();
		assert_eq!(info.actual_weight, Some(<() as crate::WeightInfo>::remove_impi(2)));
		assert!(Impis::<Test>::get(IMPI).is_none());
		assert_eq!(ImpusOfImpi::<Test>::iter_prefix(IMPI).count(), 0);
		assert!(!ImpisOfImpu::<Test>::contains_key(IMPU, IMPI));
		assert_eq!(Impus::<Test>::get(IMPU).unwrap().impis, 0);
		assert!(Subscriptions::<Test>::get(SUB).unwrap().impis.is_empty());
		let mut got = events();
		let removed = got.pop();
		got.sort_by_key(|event| format!("{event:?}"));
		assert_eq!(removed, Some(Event::ImpiRemoved { impi: IMPI }));
		assert_eq!(
			got,
			vec![
				Event::Unlinked { impi: IMPI, impu: IMPU },
				Event::Unlinked { impi: IMPI, impu: IMPU2 }
			]
		);
		assert_eq!(
			take_audit(),
			vec![(Some(PROVISIONER), REALM, Subject::Impi(IMPI), Change::Removed)]
		);
	});
}

// --- IMPUs ---

#[test]
fn create_impu_works() {
	ExtBuilder::build_and_execute(|| {
		services();
		assert_ok!(Identity::create_subscription(root(), REALM, SUB));
		System::reset_events();
		take_audit();
		assert_noop!(
			Identity::create_impu(none(), SUB, IMPU, attributes(None)),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Identity::create_impu(root(), NOBODY, IMPU, attributes(None)),
			Error::<Test>::SubscriptionNotFound
		);
		assert_noop!(
			Identity::create_impu(signed(STRANGER), SUB, IMPU, attributes(None)),
			Error::<Test>::NotAuthorized
		);
		// A dangling profile (none with this number in the realm).
		let dangling = ImpuAttributes { service_profile: 99, ..attributes(None) };
		assert_noop!(
			Identity::create_impu(root(), SUB, IMPU, dangling),
			Error::<Test>::ProfileNotFound
		);
		let dangling = ImpuAttributes { charging: Some(99), ..attributes(None) };
		assert_noop!(
			Identity::create_impu(root(), SUB, IMPU, dangling),
			Error::<Test>::ChargingNotFound
		);
		let twice = ImpuAttributes { roaming: roaming(&["a.net", "a.net"]), ..attributes(None) };
		assert_noop!(
			Identity::create_impu(root(), SUB, IMPU, twice),
			Error::<Test>::DuplicateVisitedNetwork
		);
		let empty = ImpuAttributes { roaming: roaming(&[""]), ..attributes(None) };
		assert_noop!(Identity::create_impu(root(), SUB, IMPU, empty), Error::<Test>::EmptyName);
		// A barred identity cannot open (and so default) a new implicit set.
		let barred = ImpuAttributes { barred: true, ..attributes(Some(SET)) };
		assert_noop!(
			Identity::create_impu(root(), SUB, IMPU, barred.clone()),
			Error::<Test>::BarredDefault
		);

		assert_ok!(Identity::create_impu(signed(PROVISIONER), SUB, IMPU, attributes(Some(SET))));
		assert_eq!(
			Impus::<Test>::get(IMPU),
			Some(ImpuRecord {
				subscription: SUB,
				realm: REALM,
				kind: ImpuKind::PublicIdentity,
				barred: false,
				can_register: true,
				implicit_set: Some(SET),
				service_profile: PROFILE,
				charging: Some(CHARGING),
				roaming: roaming(&["ims.visited.net"]),
				impis: 0,
			})
		);
		assert_eq!(ImplicitSets::<Test>::get(SUB, SET).unwrap().members.into_inner(), vec![IMPU]);
		assert_eq!(users_of_profile(REALM, PROFILE), 1);
		assert_eq!(ChargingInfos::<Test>::get(REALM, CHARGING).unwrap().users, 1);
		assert_eq!(events(), vec![Event::ImpuCreated { subscription: SUB, impu: IMPU }]);
		assert_eq!(
			take_audit(),
			vec![(Some(PROVISIONER), REALM, Subject::Impu(IMPU), Change::Created)]
		);
		assert_noop!(
			Identity::create_impu(root(), SUB, IMPU, attributes(None)),
			Error::<Test>::ImpuAlreadyExists
		);
		// A barred identity may join an existing set as a non-default member.
		assert_ok!(Identity::create_impu(root(), SUB, IMPU2, barred));
		assert_eq!(
			ImplicitSets::<Test>::get(SUB, SET).unwrap().members.into_inner(),
			vec![IMPU, IMPU2]
		);
		// The mock allows four IMPUs per subscription.
		assert_ok!(Identity::create_impu(root(), SUB, IMPU3, attributes(None)));
		assert_ok!(Identity::create_impu(root(), SUB, H256::repeat_byte(0xb4), attributes(None)));
		assert_noop!(
			Identity::create_impu(root(), SUB, NOBODY, attributes(None)),
			Error::<Test>::TooManyImpus
		);
	});
}

#[test]
fn update_impu_works() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		let kind = ImpuKind::DistinctPsi;
		assert_noop!(Identity::update_impu(none(), IMPU, kind, false), DispatchError::BadOrigin);
		assert_noop!(
			Identity::update_impu(root(), NOBODY, kind, false),
			Error::<Test>::ImpuNotFound
		);
		assert_noop!(
			Identity::update_impu(signed(FRONT), IMPU, kind, false),
			Error::<Test>::NotAuthorized
		);
		assert_ok!(Identity::update_impu(signed(PROVISIONER), IMPU, kind, false));
		let record = Impus::<Test>::get(IMPU).unwrap();
		assert_eq!((record.kind, record.can_register), (kind, false));
		assert_eq!(events(), vec![Event::ImpuUpdated { impu: IMPU, kind, can_register: false }]);
		assert_eq!(
			take_audit(),
			vec![(Some(PROVISIONER), REALM, Subject::Impu(IMPU), Change::Updated)]
		);
	});
}

#[test]
fn set_barring_works() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		assert_noop!(Identity::set_barring(none(), IMPU2, true), DispatchError::BadOrigin);
		assert_noop!(Identity::set_barring(root(), NOBODY, true), Error::<Test>::ImpuNotFound);
		assert_noop!(
			Identity::set_barring(signed(STRANGER), IMPU2, true),
			Error::<Test>::NotAuthorized
		);
		// IMPU is the default of its implicit set: it cannot be barred.
		assert_noop!(Identity::set_barring(root(), IMPU, true), Error::<Test>::BarredDefault);
		assert_ok!(Identity::set_barring(signed(PROVISIONER), IMPU2, true));
		assert!(Impus::<Test>::get(IMPU2).unwrap().barred);
		assert_ok!(Identity::set_barring(signed(PROVISIONER), IMPU2, false));
		assert!(!Impus::<Test>::get(IMPU2).unwrap().barred);
		assert_eq!(
			events(),
			vec![Event::ImpuBarred { impu: IMPU2 }, Event::ImpuUnbarred { impu: IMPU2 }]
		);
		assert_eq!(
			take_audit(),
			vec![
				(Some(PROVISIONER), REALM, Subject::Impu(IMPU2), Change::Barred),
				(Some(PROVISIONER), REALM, Subject::Impu(IMPU2), Change::Unbarred)
			]
		);
	});
}

#[test]
fn set_service_profile_works() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		assert_noop!(
			Identity::set_service_profile(none(), IMPU, PROFILE2, None),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Identity::set_service_profile(root(), NOBODY, PROFILE2, None),
			Error::<Test>::ImpuNotFound
		);
		assert_noop!(
			Identity::set_service_profile(signed(OTHER_OWNER), IMPU, PROFILE2, None),
			Error::<Test>::NotAuthorized
		);
		assert_noop!(
			Identity::set_service_profile(root(), IMPU, 99, None),
			Error::<Test>::ProfileNotFound
		);
		assert_noop!(
			Identity::set_service_profile(root(), IMPU, PROFILE2, Some(99)),
			Error::<Test>::ChargingNotFound
		);
		assert_ok!(Identity::set_service_profile(signed(PROVISIONER), IMPU, PROFILE2, None));
		let record = Impus::<Test>::get(IMPU).unwrap();
		assert_eq!((record.service_profile, record.charging), (PROFILE2, None));
		assert_eq!(users_of_profile(REALM, PROFILE), 1);
		assert_eq!(users_of_profile(REALM, PROFILE2), 1);
		assert_eq!(ChargingInfos::<Test>::get(REALM, CHARGING).unwrap().users, 1);
		assert_eq!(
			events(),
			vec![Event::ServiceProfileAssigned { impu: IMPU, profile: PROFILE2, charging: None }]
		);
		assert_eq!(
			take_audit(),
			vec![(Some(PROVISIONER), REALM, Subject::Impu(IMPU), Change::Updated)]
		);
		// Re-assigning the same profile keeps the counters.
		assert_ok!(Identity::set_service_profile(root(), IMPU, PROFILE2, None));
		assert_eq!(users_of_profile(REALM, PROFILE2), 1);
	});
}

#[test]
fn set_roaming_works() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		let list = roaming(&["ims.a.net", "ims.b.net"]);
		assert_noop!(Identity::set_roaming(none(), IMPU, list.clone()), DispatchError::BadOrigin);
		assert_noop!(
			Identity::set_roaming(root(), NOBODY, list.clone()),
			Error::<Test>::ImpuNotFound
		);
		assert_noop!(
			Identity::set_roaming(signed(STRANGER), IMPU, list.clone()),
			Error::<Test>::NotAuthorized
		);
		assert_noop!(
			Identity::set_roaming(root(), IMPU, roaming(&["ims.a.net", "ims.a.net"])),
			Error::<Test>::DuplicateVisitedNetwork
		);
		assert_noop!(
			Identity::set_roaming(root(), IMPU, roaming(&["ims.a.net", ""])),
			Error::<Test>::EmptyName
		);
		assert_ok!(Identity::set_roaming(signed(PROVISIONER), IMPU, list.clone()));
		assert_eq!(Impus::<Test>::get(IMPU).unwrap().roaming, list);
		assert_eq!(events(), vec![Event::RoamingSet { impu: IMPU, networks: 2 }]);
		assert_eq!(take_audit().len(), 1);
	});
}

#[test]
fn set_implicit_set_works() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		assert_noop!(Identity::set_implicit_set(none(), IMPU2, None), DispatchError::BadOrigin);
		assert_noop!(Identity::set_implicit_set(root(), NOBODY, None), Error::<Test>::ImpuNotFound);
		assert_noop!(
			Identity::set_implicit_set(signed(STRANGER), IMPU2, None),
			Error::<Test>::NotAuthorized
		);
		assert_noop!(
			Identity::set_implicit_set(root(), IMPU2, Some(SET)),
			Error::<Test>::AlreadyInImplicitSet
		);
		// The default leaves only as the last member.
		assert_noop!(
			Identity::set_implicit_set(root(), IMPU, None),
			Error::<Test>::DefaultOfImplicitSet
		);

		// IMPU2 leaves for a new set 2, which it defaults.
		assert_ok!(Identity::set_implicit_set(signed(PROVISIONER), IMPU2, Some(2)));
		assert_eq!(ImplicitSets::<Test>::get(SUB, SET).unwrap().members.into_inner(), vec![IMPU]);
		assert_eq!(ImplicitSets::<Test>::get(SUB, 2).unwrap().members.into_inner(), vec![IMPU2]);
		assert_eq!(Impus::<Test>::get(IMPU2).unwrap().implicit_set, Some(2));
		// It leaves every set: set 2 is gone.
		assert_ok!(Identity::set_implicit_set(signed(PROVISIONER), IMPU2, None));
		assert!(ImplicitSets::<Test>::get(SUB, 2).is_none());
		assert_noop!(
			Identity::set_implicit_set(root(), IMPU2, None),
			Error::<Test>::NotInImplicitSet
		);
		// Barred, it cannot open a new set, but may join an existing one.
		assert_ok!(Identity::set_barring(root(), IMPU2, true));
		assert_noop!(
			Identity::set_implicit_set(root(), IMPU2, Some(3)),
			Error::<Test>::BarredDefault
		);
		assert_ok!(Identity::set_implicit_set(root(), IMPU2, Some(SET)));
		assert_eq!(
			events(),
			vec![
				Event::ImplicitSetChanged { impu: IMPU2, implicit_set: Some(2) },
				Event::ImplicitSetChanged { impu: IMPU2, implicit_set: None },
				Event::ImpuBarred { impu: IMPU2 },
				Event::ImplicitSetChanged { impu: IMPU2, implicit_set: Some(SET) },
			]
		);
		assert_eq!(
			take_audit()[0],
			(Some(PROVISIONER), REALM, Subject::Impu(IMPU2), Change::Updated)
		);
	});
}

#[test]
fn set_implicit_default_works() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		assert_ok!(Identity::create_impu(root(), SUB, IMPU3, attributes(None)));
		System::reset_events();
		take_audit();
		assert_noop!(Identity::set_implicit_default(none(), IMPU2), DispatchError::BadOrigin);
		assert_noop!(Identity::set_implicit_default(root(), NOBODY), Error::<Test>::ImpuNotFound);
		assert_noop!(
			Identity::set_implicit_default(signed(STRANGER), IMPU2),
			Error::<Test>::NotAuthorized
		);
		assert_noop!(
			Identity::set_implicit_default(root(), IMPU3),
			Error::<Test>::NotInImplicitSet
		);
		assert_ok!(Identity::set_barring(root(), IMPU2, true));
		assert_noop!(Identity::set_implicit_default(root(), IMPU2), Error::<Test>::BarredDefault);
		assert_ok!(Identity::set_barring(root(), IMPU2, false));
		System::reset_events();
		take_audit();

		assert_ok!(Identity::set_implicit_default(signed(PROVISIONER), IMPU2));
		assert_eq!(
			ImplicitSets::<Test>::get(SUB, SET).unwrap().members.into_inner(),
			vec![IMPU2, IMPU]
		);
		assert_eq!(
			events(),
			vec![Event::ImplicitSetDefaultChanged {
				subscription: SUB,
				implicit_set: SET,
				impu: IMPU2
			}]
		);
		assert_eq!(take_audit().len(), 1);
		// The old default can now be barred.
		assert_ok!(Identity::set_barring(root(), IMPU, true));
	});
}

#[test]
fn remove_impu_works() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		assert_ok!(Identity::record_registrations(
			root(),
			vec![RegistrationUpdate {
				impu: IMPU2,
				state: RegistrationState::Unregistered,
				scscf: Some(name("sip:scscf")),
			}]
			.try_into()
			.unwrap()
		));
		System::reset_events();
		take_audit();
		assert_noop!(Identity::remove_impu(none(), IMPU2), DispatchError::BadOrigin);
		assert_noop!(Identity::remove_impu(root(), NOBODY), Error::<Test>::ImpuNotFound);
		assert_noop!(Identity::remove_impu(signed(STRANGER), IMPU2), Error::<Test>::NotAuthorized);
		assert_noop!(Identity::remove_impu(root(), IMPU), Error::<Test>::DefaultOfImplicitSet);

		let info = Identity::remove_impu(signed(PROVISIONER), IMPU2).unwrap();
		assert_eq!(info.actual_weight, Some(<() as crate::WeightInfo>::remove_impu(1)));
		assert!(Impus::<Test>::get(IMPU2).is_none());
		assert!(Registrations::<Test>::get(IMPU2).is_none());
		assert!(Registrations::<Test>::get(IMPU).is_some());
		assert!(!ImpusOfImpi::<Test>::contains_key(IMPI, IMPU2));
		assert_eq!(Impis::<Test>::get(IMPI).unwrap().impus, 1);
		assert_eq!(ImplicitSets::<Test>::get(SUB, SET).unwrap().members.into_inner(), vec![IMPU]);
		assert_eq!(users_of_profile(REALM, PROFILE), 1);
		assert_eq!(Subscriptions::<Test>::get(SUB).unwrap().impus.into_inner(), vec![IMPU]);
		assert_eq!(
			events(),
			vec![Event::Unlinked { impi: IMPI, impu: IMPU2 }, Event::ImpuRemoved { impu: IMPU2 }]
		);
		assert_eq!(
			take_audit(),
			vec![(Some(PROVISIONER), REALM, Subject::Impu(IMPU2), Change::Removed)]
		);
		// The last member (the default) may go; the set goes with it.
		assert_ok!(Identity::remove_impu(root(), IMPU));
		assert!(ImplicitSets::<Test>::get(SUB, SET).is_none());
	});
}

// --- links ---

#[test]
fn link_works() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		assert_ok!(Identity::create_impu(root(), SUB, IMPU3, attributes(None)));
		// A second subscription in the same realm, and one in another realm.
		assert_ok!(Identity::create_subscription(root(), REALM, OTHER_SUB));
		assert_ok!(Identity::create_impu(root(), OTHER_SUB, NOBODY, attributes(None)));
		let far = H256::repeat_byte(0x99);
		assert_ok!(Identity::create_subscription(root(), OTHER_REALM, far));
		let far_impu = H256::repeat_byte(0x98);
		assert_ok!(Identity::create_impu(
			root(),
			far,
			far_impu,
			ImpuAttributes { charging: None, ..attributes(None) }
		));
		System::reset_events();
		take_audit();

		assert_noop!(Identity::link(none(), IMPI, IMPU3), DispatchError::BadOrigin);
		assert_noop!(Identity::link(root(), IMPI2, IMPU3), Error::<Test>::ImpiNotFound);
		assert_noop!(Identity::link(root(), IMPI, H256::zero()), Error::<Test>::ImpuNotFound);
		assert_noop!(Identity::link(signed(STRANGER), IMPI, IMPU3), Error::<Test>::NotAuthorized);
		assert_noop!(Identity::link(root(), IMPI, far_impu), Error::<Test>::CrossRealmLink);
		assert_noop!(Identity::link(root(), IMPI, NOBODY), Error::<Test>::CrossSubscriptionLink);
		assert_noop!(Identity::link(root(), IMPI, IMPU), Error::<Test>::AlreadyLinked);

		assert_ok!(Identity::link(signed(PROVISIONER), IMPI, IMPU3));
		assert!(ImpusOfImpi::<Test>::contains_key(IMPI, IMPU3));
		assert!(ImpisOfImpu::<Test>::contains_key(IMPU3, IMPI));
		assert_eq!(Impis::<Test>::get(IMPI).unwrap().impus, 3);
		assert_eq!(Impus::<Test>::get(IMPU3).unwrap().impis, 1);
		assert_eq!(events(), vec![Event::Linked { impi: IMPI, impu: IMPU3 }]);
		assert_eq!(
			take_audit(),
			vec![(Some(PROVISIONER), REALM, Subject::Impi(IMPI), Change::Linked(IMPU3))]
		);
	});
}

#[test]
fn unlink_works() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		assert_ok!(Identity::create_impu(root(), SUB, IMPU3, attributes(None)));
		System::reset_events();
		assert_noop!(Identity::unlink(none(), IMPI, IMPU), DispatchError::BadOrigin);
		assert_noop!(Identity::unlink(root(), IMPI2, IMPU), Error::<Test>::ImpiNotFound);
		assert_noop!(Identity::unlink(root(), IMPI, NOBODY), Error::<Test>::ImpuNotFound);
		assert_noop!(Identity::unlink(signed(STRANGER), IMPI, IMPU), Error::<Test>::NotAuthorized);
		assert_noop!(Identity::unlink(root(), IMPI, IMPU3), Error::<Test>::NotLinked);
		take_audit();
		assert_ok!(Identity::unlink(signed(PROVISIONER), IMPI, IMPU));
		assert!(!ImpusOfImpi::<Test>::contains_key(IMPI, IMPU));
		assert!(!ImpisOfImpu::<Test>::contains_key(IMPU, IMPI));
		assert_eq!(Impis::<Test>::get(IMPI).unwrap().impus, 1);
		assert_eq!(Impus::<Test>::get(IMPU).unwrap().impis, 0);
		assert_eq!(events(), vec![Event::Unlinked { impi: IMPI, impu: IMPU }]);
		assert_eq!(
			take_audit(),
			vec![(Some(PROVISIONER), REALM, Subject::Impi(IMPI), Change::Unlinked(IMPU))]
		);
	});
}

// --- service data ---

#[test]
fn application_servers_work() {
	ExtBuilder::build_and_execute(|| {
		let put = |origin, realm, uri: &str| {
			Identity::put_application_server(origin, realm, AS, server(uri))
		};
		assert_noop!(put(none(), REALM, "sip:as"), DispatchError::BadOrigin);
		assert_noop!(put(root(), 9, "sip:as"), Error::<Test>::RealmNotFound);
		// Provisioning subscribers does not imply managing services.
		assert_noop!(put(signed(PROVISIONER), REALM, "sip:as"), Error::<Test>::NotAuthorized);
		assert_noop!(put(root(), REALM, ""), Error::<Test>::EmptyServerName);
		assert_ok!(put(signed(OWNER), REALM, "sip:as"));
		assert_eq!(
			ApplicationServers::<Test>::get(REALM, AS),
			Some(Shared { value: server("sip:as"), users: 0 })
		);
		assert_eq!(Realms::<Test>::get(REALM).unwrap().services, 1);
		// Replacing keeps the users and does not count twice.
		assert_ok!(Identity::put_ifc_set(root(), REALM, IFC_SET, ifcs(vec![ifc(1, AS)])));
		assert_ok!(put(signed(OWNER), REALM, "sip:as2"));
		assert_eq!(
			ApplicationServers::<Test>::get(REALM, AS),
			Some(Shared { value: server("sip:as2"), users: 1 })
		);
		assert_eq!(Realms::<Test>::get(REALM).unwrap().services, 2);
		assert_eq!(
			events(),
			vec![
				Event::ApplicationServerStored { realm: REALM, application_server: AS },
				Event::IfcSetStored { realm: REALM, ifc_set: IFC_SET },
				Event::ApplicationServerStored { realm: REALM, application_server: AS },
			]
		);
		let audit = take_audit();
		assert_eq!(audit[0], (Some(OWNER), REALM, Subject::ApplicationServer(AS), Change::Created));
		assert_eq!(audit[2], (Some(OWNER), REALM, Subject::ApplicationServer(AS), Change::Updated));

		let remove = |origin, realm, id| Identity::remove_application_server(origin, realm, id);
		assert_noop!(remove(none(), REALM, AS), DispatchError::BadOrigin);
		assert_noop!(remove(root(), 9, AS), Error::<Test>::RealmNotFound);
		assert_noop!(remove(signed(PROVISIONER), REALM, AS), Error::<Test>::NotAuthorized);
		assert_noop!(remove(root(), REALM, AS2), Error::<Test>::ApplicationServerNotFound);
		assert_noop!(remove(root(), REALM, AS), Error::<Test>::InUse);
		assert_ok!(Identity::remove_ifc_set(root(), REALM, IFC_SET));
		System::reset_events();
		assert_ok!(remove(signed(OWNER), REALM, AS));
		assert!(ApplicationServers::<Test>::get(REALM, AS).is_none());
		assert_eq!(Realms::<Test>::get(REALM).unwrap().services, 0);
		assert_eq!(
			events(),
			vec![Event::ApplicationServerRemoved { realm: REALM, application_server: AS }]
		);
	});
}

#[test]
fn charging_information_works() {
	ExtBuilder::build_and_execute(|| {
		let put = |origin, realm, charging| {
			Identity::put_charging_information(origin, realm, CHARGING, charging)
		};
		assert_noop!(put(none(), REALM, charging()), DispatchError::BadOrigin);
		assert_noop!(put(root(), 9, charging()), Error::<Test>::RealmNotFound);
		assert_noop!(put(signed(PROVISIONER), REALM, charging()), Error::<Test>::NotAuthorized);
		let empty = ChargingInformation {
			primary_ecf: None,
			secondary_ecf: None,
			primary_ccf: None,
			secondary_ccf: None,
		};
		assert_noop!(put(root(), REALM, empty), Error::<Test>::EmptyChargingInformation);
		assert_ok!(put(signed(OWNER), REALM, charging()));
		assert_eq!(
			ChargingInfos::<Test>::get(REALM, CHARGING),
			Some(Shared { value: charging(), users: 0 })
		);
		assert_eq!(
			events(),
			vec![Event::ChargingInformationStored { realm: REALM, charging: CHARGING }]
		);
		assert_eq!(
			take_audit(),
			vec![(Some(OWNER), REALM, Subject::Charging(CHARGING), Change::Created)]
		);

		let remove = |origin, realm, id| Identity::remove_charging_information(origin, realm, id);
		assert_noop!(remove(none(), REALM, CHARGING), DispatchError::BadOrigin);
		assert_noop!(remove(root(), 9, CHARGING), Error::<Test>::RealmNotFound);
		assert_noop!(remove(signed(PROVISIONER), REALM, CHARGING), Error::<Test>::NotAuthorized);
		assert_noop!(remove(root(), REALM, 99), Error::<Test>::ChargingNotFound);
		ChargingInfos::<Test>::mutate(REALM, CHARGING, |entry| entry.as_mut().unwrap().users = 1);
		assert_noop!(remove(root(), REALM, CHARGING), Error::<Test>::InUse);
		ChargingInfos::<Test>::mutate(REALM, CHARGING, |entry| entry.as_mut().unwrap().users = 0);
		assert_ok!(remove(signed(OWNER), REALM, CHARGING));
		assert!(ChargingInfos::<Test>::get(REALM, CHARGING).is_none());
		assert_eq!(
			events(),
			vec![Event::ChargingInformationRemoved { realm: REALM, charging: CHARGING }]
		);
	});
}

#[test]
fn ifc_sets_work() {
	ExtBuilder::build_and_execute(|| {
		assert_ok!(Identity::put_application_server(root(), REALM, AS, server("sip:as")));
		assert_ok!(Identity::put_application_server(root(), REALM, AS2, server("sip:as2")));
		System::reset_events();
		take_audit();
		let put = |origin, realm, list| Identity::put_ifc_set(origin, realm, IFC_SET, ifcs(list));
		assert_noop!(put(none(), REALM, vec![ifc(1, AS)]), DispatchError::BadOrigin);
		assert_noop!(put(root(), 9, vec![ifc(1, AS)]), Error::<Test>::RealmNotFound);
		assert_noop!(
			put(signed(PROVISIONER), REALM, vec![ifc(1, AS)]),
			Error::<Test>::NotAuthorized
		);
		assert_noop!(
			put(root(), REALM, vec![ifc(1, AS), ifc(1, AS2)]),
			Error::<Test>::DuplicatePriority
		);
		assert_noop!(
			put(root(), REALM, vec![ifc(1, 99)]),
			Error::<Test>::ApplicationServerNotFound
		);
		let mut empty_trigger = ifc(1, AS);
		empty_trigger.trigger_point.as_mut().unwrap().spts = BoundedVec::default();
		assert_noop!(put(root(), REALM, vec![empty_trigger]), Error::<Test>::EmptyTriggerPoint);

		assert_ok!(put(signed(OWNER), REALM, vec![ifc(1, AS), ifc(2, AS)]));
		assert_eq!(users_of_server(AS), 2);
		// Replacing moves the references.
		assert_ok!(put(signed(OWNER), REALM, vec![ifc(1, AS2)]));
		assert_eq!((users_of_server(AS), users_of_server(AS2)), (0, 1));
		assert_eq!(
			IfcSets::<Test>::get(REALM, IFC_SET),
			Some(Shared { value: ifcs(vec![ifc(1, AS2)]), users: 0 })
		);
		assert_eq!(
			events(),
			vec![
				Event::IfcSetStored { realm: REALM, ifc_set: IFC_SET },
				Event::IfcSetStored { realm: REALM, ifc_set: IFC_SET }
			]
		);
		assert_eq!(
			take_audit()[1],
			(Some(OWNER), REALM, Subject::IfcSet(IFC_SET), Change::Updated)
		);

		let remove = |origin, realm, id| Identity::remove_ifc_set(origin, realm, id);
		assert_noop!(remove(none(), REALM, IFC_SET), DispatchError::BadOrigin);
		assert_noop!(remove(root(), 9, IFC_SET), Error::<Test>::RealmNotFound);
		assert_noop!(remove(signed(PROVISIONER), REALM, IFC_SET), Error::<Test>::NotAuthorized);
		assert_noop!(remove(root(), REALM, 99), Error::<Test>::IfcSetNotFound);
		assert_ok!(Identity::put_service_profile(
			root(),
			REALM,
			PROFILE,
			profile(vec![], vec![IFC_SET])
		));
		assert_noop!(remove(root(), REALM, IFC_SET), Error::<Test>::InUse);
		assert_ok!(Identity::remove_service_profile(root(), REALM, PROFILE));
		System::reset_events();
		assert_ok!(remove(signed(OWNER), REALM, IFC_SET));
		assert!(IfcSets::<Test>::get(REALM, IFC_SET).is_none());
		assert_eq!(users_of_server(AS2), 0);
		assert_eq!(events(), vec![Event::IfcSetRemoved { realm: REALM, ifc_set: IFC_SET }]);
	});
}

#[test]
fn service_profiles_work() {
	ExtBuilder::build_and_execute(|| {
		assert_ok!(Identity::put_application_server(root(), REALM, AS, server("sip:as")));
		assert_ok!(Identity::put_ifc_set(root(), REALM, IFC_SET, ifcs(vec![ifc(5, AS)])));
		System::reset_events();
		take_audit();
		let put =
			|origin, realm, profile| Identity::put_service_profile(origin, realm, PROFILE, profile);
		let good = profile(vec![ifc(1, AS)], vec![IFC_SET]);
		assert_noop!(put(none(), REALM, good.clone()), DispatchError::BadOrigin);
		assert_noop!(put(root(), 9, good.clone()), Error::<Test>::RealmNotFound);
		assert_noop!(put(signed(PROVISIONER), REALM, good.clone()), Error::<Test>::NotAuthorized);
		assert_noop!(
			put(root(), REALM, ServiceProfile { name: name(""), ..good.clone() }),
			Error::<Test>::EmptyName
		);
		assert_noop!(
			put(root(), REALM, profile(vec![ifc(1, AS), ifc(1, AS)], vec![])),
			Error::<Test>::DuplicatePriority
		);
		assert_noop!(
			put(root(), REALM, profile(vec![ifc(1, 99)], vec![])),
			Error::<Test>::ApplicationServerNotFound
		);
		let mut empty_trigger = ifc(1, AS);
		empty_trigger.trigger_point.as_mut().unwrap().spts = BoundedVec::default();
		assert_noop!(
			put(root(), REALM, profile(vec![empty_trigger], vec![])),
			Error::<Test>::EmptyTriggerPoint
		);
		assert_noop!(
			put(root(), REALM, profile(vec![], vec![IFC_SET, IFC_SET])),
			Error::<Test>::DuplicateIfcSet
		);
		assert_noop!(put(root(), REALM, profile(vec![], vec![99])), Error::<Test>::IfcSetNotFound);
		// Another realm's data does not resolve here.
		assert_noop!(
			put(root(), OTHER_REALM, good.clone()),
			Error::<Test>::ApplicationServerNotFound
		);

		assert_ok!(put(signed(OWNER), REALM, good.clone()));
		assert_eq!(
			ServiceProfiles::<Test>::get(REALM, PROFILE),
			Some(Shared { value: good.clone(), users: 0 })
		);
		assert_eq!(users_of_server(AS), 2);
		assert_eq!(IfcSets::<Test>::get(REALM, IFC_SET).unwrap().users, 1);
		assert_ok!(put(signed(OWNER), REALM, profile(vec![], vec![])));
		assert_eq!(users_of_server(AS), 1);
		assert_eq!(IfcSets::<Test>::get(REALM, IFC_SET).unwrap().users, 0);
		assert_eq!(
			events(),
			vec![
				Event::ServiceProfileStored { realm: REALM, profile: PROFILE },
				Event::ServiceProfileStored { realm: REALM, profile: PROFILE }
			]
		);
		let audit = take_audit();
		assert_eq!(
			audit[0],
			(Some(OWNER), REALM, Subject::ServiceProfile(PROFILE), Change::Created)
		);
		assert_eq!(
			audit[1],
			(Some(OWNER), REALM, Subject::ServiceProfile(PROFILE), Change::Updated)
		);

		let remove = |origin, realm, id| Identity::remove_service_profile(origin, realm, id);
		assert_noop!(remove(none(), REALM, PROFILE), DispatchError::BadOrigin);
		assert_noop!(remove(root(), 9, PROFILE), Error::<Test>::RealmNotFound);
		assert_noop!(remove(signed(PROVISIONER), REALM, PROFILE), Error::<Test>::NotAuthorized);
		assert_noop!(remove(root(), REALM, 99), Error::<Test>::ProfileNotFound);
		assert_ok!(Identity::create_subscription(root(), REALM, SUB));
		assert_ok!(Identity::create_impu(
			root(),
			SUB,
			IMPU,
			ImpuAttributes { charging: None, ..attributes(None) }
		));
		assert_noop!(remove(root(), REALM, PROFILE), Error::<Test>::InUse);
		assert_ok!(Identity::remove_impu(root(), IMPU));
		System::reset_events();
		assert_ok!(remove(signed(OWNER), REALM, PROFILE));
		assert!(ServiceProfiles::<Test>::get(REALM, PROFILE).is_none());
		assert_eq!(events(), vec![Event::ServiceProfileRemoved { realm: REALM, profile: PROFILE }]);
	});
}

// --- batches ---

fn import_items() -> ImportBatch<Test> {
	vec![
		ImportItem::Subscription { realm: REALM, subscription: SUB },
		ImportItem::Impi {
			subscription: SUB,
			impi: IMPI,
			schemes: schemes(),
			default_scheme: AuthScheme::AkaV1Md5,
		},
		ImportItem::Impu { subscription: SUB, impu: IMPU, attributes: attributes(Some(SET)) },
		ImportItem::Link { impi: IMPI, impu: IMPU },
	]
	.try_into()
	.unwrap()
}

#[test]
fn import_works() {
	ExtBuilder::build_and_execute(|| {
		services();
		assert_noop!(Identity::import(none(), import_items()), DispatchError::BadOrigin);
		assert_noop!(Identity::import(root(), Default::default()), Error::<Test>::EmptyBatch);
		assert_noop!(Identity::import(signed(FRONT), import_items()), Error::<Test>::NotAuthorized);
		// One bad item (the last) and nothing of the batch is applied.
		let mut bad = import_items();
		bad.try_push(ImportItem::Link { impi: IMPI, impu: IMPU }).unwrap();
		assert_noop!(Identity::import(root(), bad), Error::<Test>::AlreadyLinked);
		take_audit();

		assert_ok!(Identity::import(signed(PROVISIONER), import_items()));
		assert!(Subscriptions::<Test>::contains_key(SUB));
		assert!(ImpusOfImpi::<Test>::contains_key(IMPI, IMPU));
		assert_eq!(
			events(),
			vec![
				Event::SubscriptionCreated { realm: REALM, subscription: SUB },
				Event::ImpiCreated { subscription: SUB, impi: IMPI },
				Event::ImpuCreated { subscription: SUB, impu: IMPU },
				Event::Linked { impi: IMPI, impu: IMPU },
				Event::Imported { items: 4 },
			]
		);
		assert_eq!(take_audit().len(), 4);
		// Its weight is the sum of the items' call weights.
		use crate::WeightInfo;
		assert_eq!(
			Identity::import_weight(&import_items()),
			<() as WeightInfo>::create_subscription()
				+ <() as WeightInfo>::create_impi()
				+ <() as WeightInfo>::create_impu()
				+ <() as WeightInfo>::link()
		);
	});
}

fn registered(impu: H256) -> RegistrationUpdate {
	RegistrationUpdate {
		impu,
		state: RegistrationState::Registered,
		scscf: Some(name("sip:scscf.ims.example.net:6060")),
	}
}

#[test]
fn record_registrations_works() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		assert_ok!(Identity::create_impu(root(), SUB, IMPU3, attributes(None)));
		System::reset_events();
		take_audit();
		let batch = |updates: Vec<RegistrationUpdate>| -> RegistrationBatch<Test> {
			updates.try_into().unwrap()
		};
		assert_noop!(
			Identity::record_registrations(none(), batch(vec![registered(IMPU)])),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Identity::record_registrations(root(), batch(vec![])),
			Error::<Test>::EmptyBatch
		);
		// A provisioner is not an HSS front.
		assert_noop!(
			Identity::record_registrations(signed(PROVISIONER), batch(vec![registered(IMPU)])),
			Error::<Test>::NotAuthorized
		);
		assert_noop!(
			Identity::record_registrations(
				root(),
				batch(vec![RegistrationUpdate { scscf: None, ..registered(IMPU) }])
			),
			Error::<Test>::ScscfRequired
		);
		assert_noop!(
			Identity::record_registrations(
				root(),
				batch(vec![RegistrationUpdate {
					state: RegistrationState::NotRegistered,
					..registered(IMPU)
				}])
			),
			Error::<Test>::UnexpectedScscf
		);
		assert_noop!(
			Identity::record_registrations(
				root(),
				batch(vec![RegistrationUpdate { scscf: Some(name("")), ..registered(IMPU) }])
			),
			Error::<Test>::EmptyName
		);

		// IMPU registers (its implicit set with it); an erased identity is
		// skipped; IMPU3 (no set) takes the unregistered state.
		let unregistered = RegistrationUpdate {
			impu: IMPU3,
			state: RegistrationState::Unregistered,
			scscf: Some(name("sip:scscf2")),
		};
		let info = Identity::record_registrations(
			signed(FRONT),
			batch(vec![registered(IMPU), registered(NOBODY), unregistered]),
		)
		.unwrap();
		// Charged for three updates and one extra member (IMPU2, in IMPU's set).
		assert_eq!(info.actual_weight, Some(Identity::registrations_weight(3, 1)));
		for impu in [IMPU, IMPU2] {
			assert_eq!(
				Registrations::<Test>::get(impu),
				Some(RegistrationRecord {
					state: RegistrationState::Registered,
					scscf: Some(name("sip:scscf.ims.example.net:6060")),
					updated_at: 1,
				})
			);
		}
		assert_eq!(
			Registrations::<Test>::get(IMPU3).unwrap().state,
			RegistrationState::Unregistered
		);
		assert_eq!(
			events(),
			vec![
				Event::RegistrationRecorded {
					impu: IMPU,
					state: RegistrationState::Registered,
					scscf: Some(name("sip:scscf.ims.example.net:6060")),
					members: 2,
				},
				Event::RegistrationSkipped { impu: NOBODY },
				Event::RegistrationRecorded {
					impu: IMPU3,
					state: RegistrationState::Unregistered,
					scscf: Some(name("sip:scscf2")),
					members: 1,
				},
			]
		);
		assert_eq!(
			take_audit(),
			vec![
				(
					Some(FRONT),
					REALM,
					Subject::Impu(IMPU),
					Change::Registration(RegistrationState::Registered)
				),
				(
					Some(FRONT),
					REALM,
					Subject::Impu(IMPU3),
					Change::Registration(RegistrationState::Unregistered)
				),
			]
		);
		// Deregistration clears the whole set.
		let dereg = RegistrationUpdate {
			impu: IMPU2,
			state: RegistrationState::NotRegistered,
			scscf: None,
		};
		assert_ok!(Identity::record_registrations(signed(FRONT), batch(vec![dereg])));
		assert!(Registrations::<Test>::get(IMPU).is_none());
		assert!(Registrations::<Test>::get(IMPU2).is_none());
	});
}

// --- read side ---

#[test]
fn user_authorization_and_location_answer_uar_and_lir() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		assert_ok!(Identity::create_impi(root(), SUB, IMPI2, schemes(), AuthScheme::AkaV1Md5));
		assert_eq!(Identity::user_authorization(NOBODY, IMPU), Err(LookupError::UnknownImpi));
		assert_eq!(Identity::user_authorization(IMPI, NOBODY), Err(LookupError::UnknownImpu));
		assert_eq!(Identity::user_authorization(IMPI2, IMPU), Err(LookupError::NotLinked));
		let view = Identity::user_authorization(IMPI, IMPU).unwrap();
		assert_eq!(view.realm_name, name("ims.example.net"));
		assert_eq!(view.subscription, SUB);
		assert_eq!(view.implicit_set, Some(SET));
		assert!(!view.barred && !view.all_barred && view.can_register);
		assert_eq!(view.roaming, roaming(&["ims.visited.net"]));
		assert_eq!(view.registration.state, RegistrationState::NotRegistered);

		// Barring one member of two is not barring the set.
		assert_ok!(Identity::set_barring(root(), IMPU2, true));
		assert!(!Identity::user_authorization(IMPI, IMPU2).unwrap().all_barred);
		assert!(Identity::user_authorization(IMPI, IMPU2).unwrap().barred);

		assert_eq!(Identity::location(NOBODY), Err(LookupError::UnknownImpu));
		assert_ok!(Identity::record_registrations(
			root(),
			vec![registered(IMPU)].try_into().unwrap()
		));
		let view = Identity::location(IMPU2).unwrap();
		assert_eq!(view.registration.state, RegistrationState::Registered);
		assert_eq!(view.registration.scscf, Some(name("sip:scscf.ims.example.net:6060")));
	});
}

#[test]
fn authentication_answers_mar() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		assert_ok!(Identity::rotate_credentials(root(), IMPI));
		assert_eq!(Identity::authentication(NOBODY, IMPU), Err(LookupError::UnknownImpi));
		let view = Identity::authentication(IMPI, IMPU).unwrap();
		assert_eq!(view.impi, IMPI);
		assert_eq!(view.schemes, schemes());
		assert_eq!(view.default_scheme, AuthScheme::AkaV1Md5);
		assert_eq!(view.credential_epoch, 1);
		assert_eq!(view.impu.impu, IMPU);
	});
}

#[test]
fn server_assignment_answers_sar_with_the_implicit_set() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		assert_ok!(Identity::set_service_profile(root(), IMPU2, PROFILE2, None));
		assert_ok!(Identity::set_barring(root(), IMPU2, true));
		assert_eq!(Identity::server_assignment(None, NOBODY), Err(LookupError::UnknownImpu));
		assert_eq!(Identity::server_assignment(Some(IMPI2), IMPU), Err(LookupError::UnknownImpi));

		// Asked for IMPU2: its own profile first, then IMPU's.
		let view = Identity::server_assignment(Some(IMPI), IMPU2).unwrap();
		assert_eq!(view.associated_impis, vec![IMPI]);
		assert_eq!(view.charging, None);
		let ids: Vec<_> = view.profiles.iter().map(|profile| profile.id).collect();
		assert_eq!(ids, vec![PROFILE2, PROFILE]);
		assert_eq!(view.profiles[0].identities.len(), 1);
		assert!(view.profiles[0].identities[0].barred);
		// PROFILE: own criteria 10 and 1 plus the shared set's 5, by priority,
		// each with its server resolved.
		let gold = &view.profiles[1];
		assert_eq!(gold.identities[0].impu, IMPU);
		let priorities: Vec<_> = gold.ifcs.iter().map(|ifc| ifc.priority).collect();
		assert_eq!(priorities, vec![1, 5, 10]);
		assert_eq!(gold.ifcs[1].application_server_id, AS2);
		assert_eq!(gold.ifcs[1].application_server, server("sip:voicemail.ims.example.net"));
		assert_eq!(gold.shared_ifc_sets, vec![IFC_SET]);
		assert_eq!(gold.subscribed_media_profile, Some(7));

		// Asked for IMPU without an IMPI (e.g. unregistered services).
		let view = Identity::server_assignment(None, IMPU).unwrap();
		assert_eq!(view.profiles[0].id, PROFILE);
		assert_eq!(view.charging, Some(charging()));
	});
}

#[test]
fn genesis_realms_are_created() {
	ExtBuilder::build_and_execute(|| {
		assert_eq!(Realms::<Test>::get(0).unwrap().owner, OWNER);
		assert_eq!(RealmByName::<Test>::get(name("ims.other.net")), Some(1));
		assert_eq!(NextRealmId::<Test>::get(), 2);
	});
}

#[test]
fn try_state_catches_broken_invariants() {
	ExtBuilder::build().execute_with(|| {
		subscriber();
		assert_ok!(Identity::do_try_state());
		// A one-sided link,
		ImpisOfImpu::<Test>::remove(IMPU, IMPI);
		assert!(Identity::do_try_state().is_err());
		ImpisOfImpu::<Test>::insert(IMPU, IMPI, ());
		// a wrong counter,
		ServiceProfiles::<Test>::mutate(REALM, PROFILE, |entry| entry.as_mut().unwrap().users = 9);
		assert!(Identity::do_try_state().is_err());
		ServiceProfiles::<Test>::mutate(REALM, PROFILE, |entry| entry.as_mut().unwrap().users = 2);
		assert_ok!(Identity::do_try_state());
		// an orphan,
		Registrations::<Test>::insert(
			NOBODY,
			RegistrationRecord { state: RegistrationState::Registered, scscf: None, updated_at: 1 },
		);
		assert!(Identity::do_try_state().is_err());
		Registrations::<Test>::remove(NOBODY);
		// a barred default.
		Impus::<Test>::mutate(IMPU, |record| record.as_mut().unwrap().barred = true);
		assert!(Identity::do_try_state().is_err());
	});
}

#[test]
fn integrity_test_passes() {
	use frame_support::traits::Hooks;
	ExtBuilder::build().execute_with(|| {
		<Identity as Hooks<u64>>::integrity_test();
	});
}

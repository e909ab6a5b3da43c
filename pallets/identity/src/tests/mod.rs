//! Unit tests: for every call, a bad origin, each error, and success with the
//! storage and the exact events. `build_and_execute` checks every invariant
//! after each test.

use crate::{mock::*, pallet::*, types::*, Error, Event};
use frame_support::{
	assert_noop, assert_ok,
	dispatch::{GetDispatchInfo, PostDispatchInfo},
	BoundedVec,
};
use frame_system::RawOrigin;
use ims_primitives::{
	ApplicationServer, AuthScheme, AuthSchemes, Change, ChargingInformation, DefaultHandling, Ifcs,
	ImpuKind, InitialFilterCriterion, LookupError, Name, ProfilePart, RegistrationState,
	ServerAssignmentPage, ServicePointTrigger, ServiceProfile, SessionCase, SptCondition, Subject,
	TriggerPoint, VisitedNetworks,
};
use sp_core::H256;
use sp_runtime::{DispatchError, DispatchResult};

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

/// Runs `test` on the mock chain after `setup`; `build_and_execute` checks
/// every invariant afterwards.
fn given(setup: impl FnOnce(), test: impl FnOnce()) {
	ExtBuilder::build_and_execute(|| {
		setup();
		test();
	});
}

/// No set-up beyond the genesis realms.
fn genesis() {}

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

/// `subscriber()` plus IMPU3, linked to nothing and outside any implicit
/// set.
fn with_impu3() {
	subscriber();
	assert_ok!(Identity::create_impu(root(), SUB, IMPU3, attributes(None)));
	System::reset_events();
	take_audit();
}

/// Whether `impi` is linked to `impu` (its record lists it).
fn linked(impi: H256, impu: H256) -> bool {
	Impis::<Test>::get(impi).is_some_and(|record| record.impus.contains(&impu))
}

/// The IMPUs `impi` is linked to, in the order they were linked.
fn impus_of(impi: H256) -> Vec<H256> {
	Impis::<Test>::get(impi).map(|record| record.impus.into_inner()).unwrap_or_default()
}

fn users_of_profile(realm: u32, id: u32) -> u32 {
	ServiceProfiles::<Test>::get(realm, id).unwrap().users
}

fn users_of_server(id: u32) -> u32 {
	ApplicationServers::<Test>::get(REALM, id).unwrap().users
}

fn registered(impu: H256) -> RegistrationUpdate {
	RegistrationUpdate {
		impu,
		state: RegistrationState::Registered,
		scscf: Some(name("sip:scscf.ims.example.net:6060")),
	}
}

mod batches;
mod bulk;
mod impi;
mod impu;
mod invariants;
mod links;
mod migration;
mod read;
mod realm;
mod services;
mod subscription;

//! Unit tests: every call for bad origin, each error and success (storage,
//! exact events, audit records); expiry across blocks; the decisions; the
//! glue with the real identity pallet; the invariants.

use crate::{mock::*, pallet::*, types::*, Error, Event};
use frame_support::{assert_noop, assert_ok, dispatch::Pays, BoundedVec};
use frame_system::RawOrigin;
use ims_primitives::{
	Action, Authorizer, Change, Denial, LawfulBasis, Name, Permission, Pseudonym, Purpose,
	Requester, Role, ShData, ShDataSet, Subject, Token,
};
use sp_core::H256;
use sp_runtime::{DispatchError, DispatchResult, Weight};

const SUB: Pseudonym = H256::repeat_byte(0x51);
const IMPI: Pseudonym = H256::repeat_byte(0x11);
const OTHER_SUB: Pseudonym = H256::repeat_byte(0x52);
const OTHER_IMPI: Pseudonym = H256::repeat_byte(0x12);
const NOBODY: Pseudonym = H256::repeat_byte(0xee);
const EVIDENCE: H256 = H256::repeat_byte(0xe1);
const FINGERPRINT: [u8; 32] = [0xf1; 32];

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

fn token(text: &str) -> Token {
	text.as_bytes().to_vec().try_into().unwrap()
}

fn presence() -> Purpose {
	token("presence")
}

fn host() -> Name {
	name("as.ims.example.net")
}

/// The pallet's events since the last call, then forget them.
fn events() -> Vec<Event<Test>> {
	let events = System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::Access(event) => Some(event),
			_ => None,
		})
		.collect();
	System::reset_events();
	events
}

/// Start a test from a clean slate of events and audit records.
fn clear() {
	System::reset_events();
	take_audit();
}

/// Runs `test` on the mock chain after `setup`; `build_and_execute` checks
/// every invariant afterwards.
fn given(setup: impl FnOnce(), test: impl FnOnce()) {
	ExtBuilder::build_and_execute(|| {
		setup();
		test();
	});
}

/// SUB (with IMPI) in realm 0 and OTHER_SUB (with OTHER_IMPI) in realm 1.
fn subscribers() {
	IdentityHelper::subscriber(REALM, SUB, IMPI);
	IdentityHelper::subscriber(OTHER_REALM, OTHER_SUB, OTHER_IMPI);
}

fn presence_server() -> AsAuthorizationOf<Test> {
	AsAuthorization {
		fingerprint: FINGERPRINT,
		purpose: presence(),
		services: vec![token("presence"), token("mmtel")].try_into().unwrap(),
		sh_read: ShDataSet::of(&[ShData::ImsUserState, ShData::RepositoryData]),
		sh_update: ShDataSet::of(&[ShData::RepositoryData]),
		expires_at: None,
	}
}

fn grants(realm: u32, who: u64) -> Vec<(Role, Option<u64>)> {
	Roles::<Test>::get(realm, who)
		.map(|grants| grants.iter().map(|grant| (grant.role, grant.expires_at)).collect())
		.unwrap_or_default()
}

fn as_peer(fingerprint: [u8; 32]) -> Requester<u64> {
	Requester::ApplicationServer { host: host(), fingerprint }
}

fn exercise(who: u64, realm: u32, permission: Permission) -> Result<(), Denial> {
	Access::decide(Requester::Account(who), realm, None, Action::Exercise(permission))
}

/// Dispatch `call` signed by `who` through [`crate::ReportDenials`], as a
/// block does, and return the call's result.
fn through_extension(who: u64, call: RuntimeCall) -> Result<(), DispatchError> {
	use frame_support::dispatch::GetDispatchInfo;
	use sp_runtime::traits::{DispatchTransaction, Dispatchable};
	let info = call.get_dispatch_info();
	crate::ReportDenials::<Test>::new()
		.test_run(signed(who), &call, &info, 0, 0, |origin| call.clone().dispatch(origin))
		.expect("the extension never invalidates a transaction")
		.map(|_| ())
		.map_err(|error| error.error)
}

mod agents;
mod application_servers;
mod consents;
mod decisions;
mod expiry;
mod genesis;
mod grant_role;
mod identity_glue;
mod invariants;
mod refusals;
mod revoke_role;

//! Unit tests: every call for bad origin, each error and success (storage,
//! exact events, audit records); expiry across blocks; the decisions; the
//! glue with the real identity pallet; the invariants.

#![allow(clippy::unwrap_used)]

use crate::{mock::*, pallet::*, types::*, Error, Event};
use frame_support::{assert_noop, assert_ok, dispatch::Pays, BoundedVec};
use frame_system::RawOrigin;
use ims_primitives::{
	Action, Authorizer, Change, Denial, LawfulBasis, Name, Permission, Pseudonym, Purpose,
	Requester, Role, ShData, ShDataSet, Subject, Token,
};
use sp_core::H256;
use sp_runtime::{DispatchError, Weight};

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

// --- genesis and the role table ---

#[test]
fn genesis_grants_roles() {
	ExtBuilder::build_and_execute(|| {
		assert_eq!(grants(REALM, ADMIN), vec![(Role::RealmAdmin, None)]);
		assert_eq!(grants(REALM, FRONT), vec![(Role::HssFront, None)]);
		assert_eq!(grants(OTHER_REALM, OTHER_ADMIN), vec![(Role::RealmAdmin, None)]);
		assert_eq!(Roles::<Test>::iter_prefix(REALM).count(), 4);
	});
}

#[test]
fn roles_carry_the_permissions_of_the_readme_table() {
	use Permission::*;
	// Rows of the README's table: who holds each permission in realm 0.
	let table: [(Permission, &[u64]); 9] = [
		(AdministerRealm, &[OWNER]),
		(ManageRoles, &[OWNER, ADMIN]),
		(ManageServices, &[OWNER, ADMIN, PROVISIONER]),
		(Provision, &[OWNER, ADMIN, PROVISIONER]),
		(RotateCredentials, &[OWNER, ADMIN, PROVISIONER]),
		(ManageConsents, &[OWNER, ADMIN, PROVISIONER]),
		(RecordRegistration, &[FRONT]),
		(SubmitAudit, &[FRONT]),
		(ReadAudit, &[OWNER, ADMIN, AUDITOR]),
	];
	ExtBuilder::build_and_execute(|| {
		for (permission, holders) in table {
			for who in
				[OWNER, ADMIN, PROVISIONER, FRONT, AUDITOR, OTHER_OWNER, OTHER_ADMIN, STRANGER]
			{
				let expected = holders.contains(&who);
				assert_eq!(
					<Access as Authorizer<u64>>::is_authorized(&who, REALM, permission),
					expected,
					"{who} {permission:?}"
				);
				assert_eq!(
					exercise(who, REALM, permission),
					if expected { Ok(()) } else { Err(Denial::MissingRole) },
					"{who} {permission:?}"
				);
			}
		}
		// Nobody holds anything in a realm that does not exist.
		assert!(!<Access as Authorizer<u64>>::is_authorized(&OWNER, 9, Provision));
		assert_eq!(exercise(OWNER, 9, Provision), Err(Denial::UnknownRealm));
	});
}

// --- grant_role ---

#[test]
fn grant_role_works() {
	ExtBuilder::build_and_execute(|| {
		clear();
		assert_noop!(
			Access::grant_role(none(), REALM, STRANGER, Role::Auditor, None),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Access::grant_role(signed(ADMIN), 9, STRANGER, Role::Auditor, None),
			Error::<Test>::RealmNotFound
		);
		// A non-admin granting itself a role,
		assert_noop!(
			Access::grant_role(signed(STRANGER), REALM, STRANGER, Role::RealmAdmin, None),
			Error::<Test>::SelfGrant
		);
		assert_noop!(
			Access::grant_role(signed(PROVISIONER), REALM, PROVISIONER, Role::HssFront, None),
			Error::<Test>::SelfGrant
		);
		// granting another account a role,
		assert_noop!(
			Access::grant_role(signed(PROVISIONER), REALM, STRANGER, Role::Auditor, None),
			Error::<Test>::NotAuthorized
		);
		// or an admin of another realm granting here: all refused.
		assert_noop!(
			Access::grant_role(signed(OTHER_ADMIN), REALM, STRANGER, Role::Auditor, None),
			Error::<Test>::NotAuthorized
		);
		assert_noop!(
			Access::grant_role(signed(OTHER_OWNER), REALM, OTHER_OWNER, Role::RealmAdmin, None),
			Error::<Test>::SelfGrant
		);
		System::set_block_number(5);
		assert_noop!(
			Access::grant_role(signed(ADMIN), REALM, STRANGER, Role::Auditor, Some(5)),
			Error::<Test>::ExpiryInPast
		);
		assert!(events().is_empty());
		assert!(take_audit().is_empty());

		// When the admin grants a role until block 20,
		assert_ok!(Access::grant_role(signed(ADMIN), REALM, STRANGER, Role::Auditor, Some(20)));
		// then it is stored with its start and expiry,
		assert_eq!(
			Roles::<Test>::get(REALM, STRANGER).unwrap().into_inner(),
			vec![RoleGrant { role: Role::Auditor, since: 5, expires_at: Some(20) }]
		);
		assert_eq!(
			events(),
			vec![Event::RoleGranted {
				realm: REALM,
				who: STRANGER,
				role: Role::Auditor,
				expires_at: Some(20)
			}]
		);
		assert_eq!(
			take_audit(),
			vec![(Some(ADMIN), REALM, Subject::Member(STRANGER), Change::Granted(Role::Auditor))]
		);
		// further roles are kept sorted, a second grant renews,
		assert_ok!(Access::grant_role(signed(OWNER), REALM, STRANGER, Role::Provisioner, None));
		assert_ok!(Access::grant_role(root(), REALM, STRANGER, Role::Auditor, None));
		assert_eq!(grants(REALM, STRANGER), vec![(Role::Provisioner, None), (Role::Auditor, None)]);
		// and an admin may give itself more roles.
		assert_ok!(Access::grant_role(signed(ADMIN), REALM, ADMIN, Role::HssFront, None));
		assert_eq!(grants(REALM, ADMIN), vec![(Role::RealmAdmin, None), (Role::HssFront, None)]);
		assert_eq!(
			take_audit(),
			vec![
				(Some(OWNER), REALM, Subject::Member(STRANGER), Change::Granted(Role::Provisioner)),
				(None, REALM, Subject::Member(STRANGER), Change::Granted(Role::Auditor)),
				(Some(ADMIN), REALM, Subject::Member(ADMIN), Change::Granted(Role::HssFront)),
			]
		);
	});
}

#[test]
fn an_expired_admin_grant_stops_granting() {
	ExtBuilder::build_and_execute(|| {
		assert_ok!(Access::grant_role(root(), REALM, STRANGER, Role::RealmAdmin, Some(3)));
		System::set_block_number(2);
		assert_ok!(Access::grant_role(signed(STRANGER), REALM, 42, Role::Auditor, None));
		System::set_block_number(3);
		assert_noop!(
			Access::grant_role(signed(STRANGER), REALM, 43, Role::Auditor, None),
			Error::<Test>::GrantExpired
		);
		assert_noop!(
			Access::grant_role(signed(STRANGER), REALM, STRANGER, Role::RealmAdmin, Some(99)),
			Error::<Test>::GrantExpired
		);
		assert_noop!(
			Access::revoke_role(signed(STRANGER), REALM, 42, Role::Auditor),
			Error::<Test>::GrantExpired
		);
	});
}

// --- revoke_role ---

#[test]
fn revoke_role_works() {
	ExtBuilder::build_and_execute(|| {
		assert_ok!(Access::grant_role(root(), REALM, STRANGER, Role::Auditor, None));
		assert_ok!(Access::grant_role(root(), REALM, STRANGER, Role::Provisioner, None));
		clear();
		assert_noop!(
			Access::revoke_role(none(), REALM, STRANGER, Role::Auditor),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Access::revoke_role(signed(ADMIN), 9, STRANGER, Role::Auditor),
			Error::<Test>::RealmNotFound
		);
		assert_noop!(
			Access::revoke_role(signed(PROVISIONER), REALM, STRANGER, Role::Auditor),
			Error::<Test>::NotAuthorized
		);
		assert_noop!(
			Access::revoke_role(signed(OTHER_ADMIN), REALM, STRANGER, Role::Auditor),
			Error::<Test>::NotAuthorized
		);
		assert_noop!(
			Access::revoke_role(signed(ADMIN), REALM, STRANGER, Role::HssFront),
			Error::<Test>::RoleNotFound
		);
		assert_noop!(
			Access::revoke_role(signed(ADMIN), OTHER_REALM, STRANGER, Role::Auditor),
			Error::<Test>::NotAuthorized
		);
		assert_noop!(
			Access::revoke_role(root(), OTHER_REALM, STRANGER, Role::Auditor),
			Error::<Test>::RoleNotFound
		);

		// An admin revokes one role; the other stays.
		assert_ok!(Access::revoke_role(signed(ADMIN), REALM, STRANGER, Role::Auditor));
		assert_eq!(grants(REALM, STRANGER), vec![(Role::Provisioner, None)]);
		assert_eq!(
			events(),
			vec![Event::RoleRevoked { realm: REALM, who: STRANGER, role: Role::Auditor }]
		);
		// The holder renounces the last one, without any admin right; the
		// entry goes.
		assert_ok!(Access::revoke_role(signed(STRANGER), REALM, STRANGER, Role::Provisioner));
		assert!(Roles::<Test>::get(REALM, STRANGER).is_none());
		assert_eq!(
			take_audit(),
			vec![
				(Some(ADMIN), REALM, Subject::Member(STRANGER), Change::Revoked(Role::Auditor)),
				(
					Some(STRANGER),
					REALM,
					Subject::Member(STRANGER),
					Change::Revoked(Role::Provisioner)
				),
			]
		);
	});
}

// --- expiry across blocks ---

#[test]
fn grants_expire_across_blocks() {
	ExtBuilder::build_and_execute(|| {
		subscribers();
		assert_ok!(Access::grant_role(signed(ADMIN), REALM, STRANGER, Role::Provisioner, Some(4)));
		assert_ok!(Access::grant_role(signed(ADMIN), REALM, STRANGER, Role::Auditor, None));

		// Before block 4 the provisioner provisions, through the identity
		// pallet asking this one;
		System::set_block_number(3);
		assert_ok!(pallet_ims_identity::Pallet::<Test>::create_subscription(
			signed(STRANGER),
			REALM,
			pseudonym(1, 1)
		));
		assert_eq!(exercise(STRANGER, REALM, Permission::Provision), Ok(()));
		assert_noop!(
			Access::remove_expired_roles(signed(STRANGER), REALM, STRANGER),
			Error::<Test>::NothingExpired
		);

		// from block 4 on it cannot, and the decision says why.
		System::set_block_number(4);
		assert_noop!(
			pallet_ims_identity::Pallet::<Test>::create_subscription(
				signed(STRANGER),
				REALM,
				pseudonym(1, 2)
			),
			pallet_ims_identity::Error::<Test>::NotAuthorized
		);
		assert_eq!(exercise(STRANGER, REALM, Permission::Provision), Err(Denial::GrantExpired));
		assert_eq!(exercise(STRANGER, REALM, Permission::ReadAudit), Ok(()));
		assert_noop!(
			Access::grant_consent(
				signed(STRANGER),
				IMPI,
				presence(),
				LawfulBasis::Consent,
				None,
				EVIDENCE
			),
			Error::<Test>::GrantExpired
		);

		// Anyone may remove the expired grant, for free.
		clear();
		assert_noop!(
			Access::remove_expired_roles(none(), REALM, STRANGER),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Access::remove_expired_roles(signed(AUDITOR), REALM, ADMIN),
			Error::<Test>::NothingExpired
		);
		assert_noop!(
			Access::remove_expired_roles(signed(AUDITOR), OTHER_REALM, STRANGER),
			Error::<Test>::NothingExpired
		);
		let info = Access::remove_expired_roles(signed(AUDITOR), REALM, STRANGER).unwrap();
		assert_eq!(info.pays_fee, Pays::No);
		assert_eq!(grants(REALM, STRANGER), vec![(Role::Auditor, None)]);
		assert_eq!(
			events(),
			vec![Event::ExpiredRoleRemoved {
				realm: REALM,
				who: STRANGER,
				role: Role::Provisioner
			}]
		);
		assert_eq!(
			take_audit(),
			vec![(
				Some(AUDITOR),
				REALM,
				Subject::Member(STRANGER),
				Change::Revoked(Role::Provisioner)
			)]
		);
		// Once nothing is left the entry goes.
		assert_ok!(Access::grant_role(signed(ADMIN), REALM, STRANGER, Role::Auditor, Some(6)));
		System::set_block_number(6);
		assert_ok!(Access::remove_expired_roles(signed(AUDITOR), REALM, STRANGER));
		assert!(Roles::<Test>::get(REALM, STRANGER).is_none());
	});
}

// --- application servers ---

#[test]
fn authorize_application_server_works() {
	ExtBuilder::build_and_execute(|| {
		clear();
		let with = |change: fn(&mut AsAuthorizationOf<Test>)| {
			let mut authorization = presence_server();
			change(&mut authorization);
			authorization
		};
		assert_noop!(
			Access::authorize_application_server(none(), REALM, host(), presence_server()),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Access::authorize_application_server(signed(ADMIN), 9, host(), presence_server()),
			Error::<Test>::RealmNotFound
		);
		for who in [PROVISIONER, FRONT, OTHER_ADMIN, STRANGER] {
			assert_noop!(
				Access::authorize_application_server(signed(who), REALM, host(), presence_server()),
				Error::<Test>::NotAuthorized
			);
		}
		let bad: [(Name, AsAuthorizationOf<Test>, Error<Test>); 7] = [
			(Name::default(), presence_server(), Error::<Test>::EmptyHost),
			(host(), with(|a| a.purpose = Purpose::default()), Error::<Test>::EmptyPurpose),
			(
				host(),
				with(|a| a.services = vec![token("mmtel"), Token::default()].try_into().unwrap()),
				Error::<Test>::EmptyService,
			),
			(
				host(),
				with(|a| a.services = vec![token("mmtel"), token("mmtel")].try_into().unwrap()),
				Error::<Test>::DuplicateService,
			),
			(host(), with(|a| a.sh_read = ShDataSet(1 << 5)), Error::<Test>::UnknownShData),
			(
				host(),
				with(|a| {
					a.services = BoundedVec::default();
					a.sh_read = ShDataSet::default();
					a.sh_update = ShDataSet::default();
				}),
				Error::<Test>::NothingAuthorized,
			),
			(host(), with(|a| a.expires_at = Some(1)), Error::<Test>::ExpiryInPast),
		];
		for (host, authorization, error) in bad {
			assert_noop!(
				Access::authorize_application_server(signed(ADMIN), REALM, host, authorization),
				error
			);
		}
		assert!(events().is_empty());

		// When the admin authorises the server,
		assert_ok!(Access::authorize_application_server(
			signed(ADMIN),
			REALM,
			host(),
			presence_server()
		));
		// then the authorisation is stored under its host,
		assert_eq!(ApplicationServers::<Test>::get(REALM, host()), Some(presence_server()));
		assert_eq!(
			events(),
			vec![Event::ApplicationServerAuthorized {
				realm: REALM,
				host: host(),
				fingerprint: FINGERPRINT,
				expires_at: None
			}]
		);
		// and a second authorisation replaces it (a new certificate).
		let renewed = with(|a| {
			a.fingerprint = [2; 32];
			a.expires_at = Some(100);
		});
		assert_ok!(Access::authorize_application_server(root(), REALM, host(), renewed.clone()));
		assert_eq!(ApplicationServers::<Test>::get(REALM, host()), Some(renewed));
		assert_eq!(
			take_audit(),
			vec![
				(Some(ADMIN), REALM, Subject::Peer(host()), Change::Created),
				(None, REALM, Subject::Peer(host()), Change::Updated),
			]
		);
	});
}

#[test]
fn revoke_application_server_works() {
	ExtBuilder::build_and_execute(|| {
		assert_ok!(Access::authorize_application_server(root(), REALM, host(), presence_server()));
		clear();
		assert_noop!(
			Access::revoke_application_server(none(), REALM, host()),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Access::revoke_application_server(signed(ADMIN), 9, host()),
			Error::<Test>::RealmNotFound
		);
		assert_noop!(
			Access::revoke_application_server(signed(OTHER_ADMIN), REALM, host()),
			Error::<Test>::NotAuthorized
		);
		assert_noop!(
			Access::revoke_application_server(signed(ADMIN), REALM, name("other.example.net")),
			Error::<Test>::ApplicationServerNotFound
		);
		assert_noop!(
			Access::revoke_application_server(signed(OTHER_ADMIN), OTHER_REALM, host()),
			Error::<Test>::ApplicationServerNotFound
		);

		assert_ok!(Access::revoke_application_server(signed(ADMIN), REALM, host()));
		assert!(ApplicationServers::<Test>::get(REALM, host()).is_none());
		assert_eq!(events(), vec![Event::ApplicationServerRevoked { realm: REALM, host: host() }]);
		assert_eq!(
			take_audit(),
			vec![(Some(ADMIN), REALM, Subject::Peer(host()), Change::Removed)]
		);
	});
}

// --- consents ---

#[test]
fn grant_consent_works() {
	ExtBuilder::build_and_execute(|| {
		subscribers();
		clear();
		let grant = |origin, subscriber, purpose: Purpose, expires_at| {
			Access::grant_consent(
				origin,
				subscriber,
				purpose,
				LawfulBasis::Consent,
				expires_at,
				EVIDENCE,
			)
		};
		assert_noop!(grant(none(), IMPI, presence(), None), DispatchError::BadOrigin);
		assert_noop!(
			grant(signed(PROVISIONER), NOBODY, presence(), None),
			Error::<Test>::SubscriberNotFound
		);
		for who in [FRONT, AUDITOR, OTHER_ADMIN, STRANGER] {
			assert_noop!(grant(signed(who), IMPI, presence(), None), Error::<Test>::NotAuthorized);
		}
		// A provisioner of realm 0 cannot record for realm 1's subscriber.
		assert_noop!(
			grant(signed(PROVISIONER), OTHER_IMPI, presence(), None),
			Error::<Test>::NotAuthorized
		);
		assert_noop!(
			grant(signed(PROVISIONER), IMPI, Purpose::default(), None),
			Error::<Test>::EmptyPurpose
		);
		assert_noop!(
			grant(signed(PROVISIONER), IMPI, presence(), Some(1)),
			Error::<Test>::ExpiryInPast
		);
		assert!(events().is_empty());

		// When the provisioner records consent, naming the subscriber by IMPI,
		assert_ok!(grant(signed(PROVISIONER), IMPI, presence(), Some(50)));
		// then it is stored under the subscription,
		let record = ConsentRecord {
			purpose: presence(),
			basis: LawfulBasis::Consent,
			granted_at: 1,
			expires_at: Some(50),
			evidence: EVIDENCE,
		};
		assert_eq!(Consents::<Test>::get(SUB).unwrap().into_inner(), vec![record]);
		assert_eq!(
			events(),
			vec![Event::ConsentGranted {
				realm: REALM,
				subscription: SUB,
				purpose: presence(),
				basis: LawfulBasis::Consent,
				expires_at: Some(50),
				evidence: EVIDENCE
			}]
		);
		// a second record for the purpose replaces the first,
		System::set_block_number(2);
		assert_ok!(Access::grant_consent(
			root(),
			SUB,
			presence(),
			LawfulBasis::Contract,
			None,
			H256::repeat_byte(2)
		));
		let held = Consents::<Test>::get(SUB).unwrap();
		assert_eq!(held.len(), 1);
		assert_eq!(
			(held[0].basis, held[0].granted_at, held[0].expires_at),
			(LawfulBasis::Contract, 2, None)
		);
		assert_eq!(
			take_audit(),
			vec![
				(Some(PROVISIONER), REALM, Subject::Consent(SUB, presence()), Change::Created),
				(None, REALM, Subject::Consent(SUB, presence()), Change::Updated),
			]
		);
		// and a subscription holds at most three purposes.
		assert_ok!(grant(signed(ADMIN), SUB, token("marketing"), None));
		assert_ok!(grant(signed(OWNER), SUB, token("analytics"), None));
		assert_noop!(
			grant(signed(PROVISIONER), SUB, token("research"), None),
			Error::<Test>::TooManyConsents
		);
	});
}

#[test]
fn withdraw_consent_works() {
	ExtBuilder::build_and_execute(|| {
		subscribers();
		assert_ok!(Access::grant_consent(
			signed(PROVISIONER),
			IMPI,
			presence(),
			LawfulBasis::Consent,
			None,
			EVIDENCE
		));
		assert_ok!(Access::authorize_application_server(root(), REALM, host(), presence_server()));
		let read = || {
			Access::decide(
				as_peer(FINGERPRINT),
				REALM,
				Some(IMPI),
				Action::ShRead(ShData::ImsUserState),
			)
		};
		assert_eq!(read(), Ok(()));
		clear();
		let withdrawal = H256::repeat_byte(0xd0);
		assert_noop!(
			Access::withdraw_consent(none(), IMPI, presence(), withdrawal),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Access::withdraw_consent(signed(PROVISIONER), NOBODY, presence(), withdrawal),
			Error::<Test>::SubscriberNotFound
		);
		assert_noop!(
			Access::withdraw_consent(signed(FRONT), IMPI, presence(), withdrawal),
			Error::<Test>::NotAuthorized
		);
		assert_noop!(
			Access::withdraw_consent(signed(PROVISIONER), IMPI, token("marketing"), withdrawal),
			Error::<Test>::ConsentNotFound
		);
		assert_noop!(
			Access::withdraw_consent(signed(OTHER_ADMIN), OTHER_IMPI, presence(), withdrawal),
			Error::<Test>::ConsentNotFound
		);

		// Withdrawing takes one call, like granting, and holds for the very
		// next decision in the same block.
		assert_ok!(Access::withdraw_consent(signed(PROVISIONER), SUB, presence(), withdrawal));
		assert!(Consents::<Test>::get(SUB).is_none());
		assert_eq!(read(), Err(Denial::NoConsent));
		assert_eq!(
			events(),
			vec![Event::ConsentWithdrawn {
				realm: REALM,
				subscription: SUB,
				purpose: presence(),
				evidence: withdrawal
			}]
		);
		assert_eq!(
			take_audit(),
			vec![(Some(PROVISIONER), REALM, Subject::Consent(SUB, presence()), Change::Removed)]
		);
	});
}

// --- decisions ---

#[test]
fn decide_answers_application_servers() {
	ExtBuilder::build_and_execute(|| {
		subscribers();
		assert_ok!(Access::authorize_application_server(
			root(),
			REALM,
			host(),
			AsAuthorization { expires_at: Some(10), ..presence_server() }
		));
		let decide = |requester, realm, subscriber, action| {
			Access::decide(requester, realm, subscriber, action)
		};
		let read = Action::ShRead(ShData::ImsUserState);
		let peer = as_peer(FINGERPRINT);

		// No basis recorded yet.
		assert_eq!(decide(peer.clone(), REALM, Some(IMPI), read.clone()), Err(Denial::NoConsent));
		assert_ok!(Access::grant_consent(
			signed(PROVISIONER),
			SUB,
			presence(),
			LawfulBasis::Consent,
			Some(8),
			EVIDENCE
		));
		// Allowed: reading, updating and serving what it is authorised for,
		// for a subscriber named by subscription or IMPI.
		for (subscriber, action) in [
			(SUB, read.clone()),
			(IMPI, Action::ShRead(ShData::RepositoryData)),
			(IMPI, Action::ShUpdate(ShData::RepositoryData)),
			(IMPI, Action::Serve(token("mmtel"))),
		] {
			assert_eq!(decide(peer.clone(), REALM, Some(subscriber), action), Ok(()));
		}
		// Denied, each for its own reason.
		type Case = (Requester<u64>, u32, Option<Pseudonym>, Action, Denial);
		let cases: Vec<Case> = vec![
			(peer.clone(), 9, Some(IMPI), read.clone(), Denial::UnknownRealm),
			(peer.clone(), REALM, Some(NOBODY), read.clone(), Denial::UnknownSubscriber),
			(peer.clone(), REALM, Some(OTHER_IMPI), read.clone(), Denial::SubscriberInOtherRealm),
			(peer.clone(), REALM, None, read.clone(), Denial::SubscriberRequired),
			(
				Requester::ApplicationServer {
					host: name("rogue.example.net"),
					fingerprint: FINGERPRINT,
				},
				REALM,
				Some(IMPI),
				read.clone(),
				Denial::UnknownApplicationServer,
			),
			(as_peer([0; 32]), REALM, Some(IMPI), read.clone(), Denial::CertificateMismatch),
			(
				peer.clone(),
				REALM,
				Some(IMPI),
				Action::ShRead(ShData::LocationInformation),
				Denial::DataNotAuthorized,
			),
			(
				peer.clone(),
				REALM,
				Some(IMPI),
				Action::ShUpdate(ShData::ImsUserState),
				Denial::DataNotAuthorized,
			),
			(
				peer.clone(),
				REALM,
				Some(IMPI),
				Action::Serve(token("voicemail")),
				Denial::ServiceNotAuthorized,
			),
			(
				peer.clone(),
				REALM,
				Some(IMPI),
				Action::Exercise(Permission::Provision),
				Denial::WrongRequester,
			),
			(Requester::Account(OWNER), REALM, Some(IMPI), read.clone(), Denial::WrongRequester),
		];
		for (requester, realm, subscriber, action, denial) in cases {
			assert_eq!(
				decide(requester, realm, subscriber, action.clone()),
				Err(denial),
				"{action:?}"
			);
		}
		// The consent lapses at block 8, the authorisation at block 10.
		System::set_block_number(8);
		assert_eq!(
			decide(peer.clone(), REALM, Some(IMPI), read.clone()),
			Err(Denial::ConsentExpired)
		);
		System::set_block_number(10);
		assert_eq!(decide(peer, REALM, Some(IMPI), read), Err(Denial::AuthorizationExpired));
	});
}

#[test]
fn decide_answers_accounts_about_subscribers() {
	ExtBuilder::build_and_execute(|| {
		subscribers();
		let provision = Action::Exercise(Permission::Provision);
		let ask = |who, subscriber| {
			Access::decide(Requester::Account(who), REALM, subscriber, provision.clone())
		};
		assert_eq!(ask(PROVISIONER, Some(IMPI)), Ok(()));
		assert_eq!(ask(PROVISIONER, Some(SUB)), Ok(()));
		assert_eq!(ask(PROVISIONER, Some(OTHER_SUB)), Err(Denial::SubscriberInOtherRealm));
		assert_eq!(ask(PROVISIONER, Some(NOBODY)), Err(Denial::UnknownSubscriber));
		assert_eq!(ask(FRONT, Some(IMPI)), Err(Denial::MissingRole));
	});
}

// --- glue with the identity pallet ---

#[test]
fn identity_asks_the_access_policy() {
	ExtBuilder::build_and_execute(|| {
		type Identity = pallet_ims_identity::Pallet<Test>;
		type IdentityError = pallet_ims_identity::Error<Test>;
		// Provisioners and admins provision; HSS fronts and strangers do not.
		assert_ok!(Identity::create_subscription(signed(PROVISIONER), REALM, SUB));
		assert_ok!(Identity::create_subscription(signed(ADMIN), REALM, pseudonym(2, 2)));
		assert_noop!(
			Identity::create_subscription(signed(FRONT), REALM, pseudonym(2, 3)),
			IdentityError::NotAuthorized
		);
		assert_noop!(
			Identity::create_subscription(signed(OTHER_ADMIN), REALM, pseudonym(2, 3)),
			IdentityError::NotAuthorized
		);
		// Only the owner changes the realm record.
		assert_noop!(
			Identity::set_realm_owner(signed(ADMIN), REALM, ADMIN),
			IdentityError::NotAuthorized
		);
		assert_ok!(Identity::set_realm_owner(signed(OWNER), REALM, ADMIN));
		assert_eq!(exercise(ADMIN, REALM, Permission::AdministerRealm), Ok(()));
		assert_eq!(exercise(OWNER, REALM, Permission::AdministerRealm), Err(Denial::MissingRole));
	});
}

#[test]
fn realms_with_roles_stay_and_erasure_takes_consents() {
	ExtBuilder::build_and_execute(|| {
		type Identity = pallet_ims_identity::Pallet<Test>;
		subscribers();
		assert_ok!(Access::grant_consent(
			root(),
			SUB,
			presence(),
			LawfulBasis::Consent,
			None,
			EVIDENCE
		));
		assert_ok!(Access::grant_consent(
			root(),
			SUB,
			token("marketing"),
			LawfulBasis::Consent,
			None,
			EVIDENCE
		));
		clear();

		// Erasing the subscription erases its lawful bases with it.
		assert_ok!(Identity::remove_subscription(signed(PROVISIONER), SUB));
		assert!(Consents::<Test>::get(SUB).is_none());
		assert_eq!(events(), vec![Event::ConsentsErased { subscription: SUB, count: 2 }]);

		// A realm holding roles or authorisations cannot be removed.
		assert_ok!(Identity::remove_subscription(root(), OTHER_SUB));
		assert_noop!(
			Identity::remove_realm(root(), OTHER_REALM),
			pallet_ims_identity::Error::<Test>::RealmInUse
		);
		assert_ok!(Access::revoke_role(root(), OTHER_REALM, OTHER_ADMIN, Role::RealmAdmin));
		assert_ok!(Access::authorize_application_server(
			root(),
			OTHER_REALM,
			host(),
			presence_server()
		));
		assert_noop!(
			Identity::remove_realm(root(), OTHER_REALM),
			pallet_ims_identity::Error::<Test>::RealmInUse
		);
		assert_ok!(Access::revoke_application_server(root(), OTHER_REALM, host()));
		assert_ok!(Identity::remove_realm(root(), OTHER_REALM));
	});
}

// --- invariants ---

#[test]
fn try_state_catches_broken_records() {
	ExtBuilder::build().execute_with(|| {
		subscribers();
		assert_ok!(Access::do_try_state());

		// Grants out of order (or a role twice).
		let held = Roles::<Test>::get(REALM, ADMIN).unwrap();
		let mut twice = held.clone();
		twice.try_push(held[0].clone()).unwrap();
		Roles::<Test>::insert(REALM, ADMIN, twice);
		assert!(Access::do_try_state().is_err());
		Roles::<Test>::insert(REALM, ADMIN, held);
		assert_ok!(Access::do_try_state());

		// A grant in a realm that does not exist.
		Roles::<Test>::insert(9, STRANGER, Roles::<Test>::get(REALM, ADMIN).unwrap());
		assert!(Access::do_try_state().is_err());
		Roles::<Test>::remove(9, STRANGER);

		// A malformed authorisation.
		let mut authorization = presence_server();
		authorization.sh_read = ShDataSet(1 << 30);
		ApplicationServers::<Test>::insert(REALM, host(), authorization);
		assert!(Access::do_try_state().is_err());
		ApplicationServers::<Test>::remove(REALM, host());

		// A consent under an IMPI instead of its subscription, or under a
		// pseudonym that names nothing.
		let consents: ConsentsOf<Test> = vec![ConsentRecord {
			purpose: presence(),
			basis: LawfulBasis::Consent,
			granted_at: 1,
			expires_at: None,
			evidence: EVIDENCE,
		}]
		.try_into()
		.unwrap();
		for key in [IMPI, NOBODY] {
			Consents::<Test>::insert(key, consents.clone());
			assert!(Access::do_try_state().is_err());
			Consents::<Test>::remove(key);
		}
		Consents::<Test>::insert(SUB, consents);
		assert_ok!(Access::do_try_state());
	});
}

// --- refusals reported by the transaction extension ---

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

fn identity_call(call: pallet_ims_identity::Call<Test>) -> RuntimeCall {
	RuntimeCall::Identity(call)
}

fn access_call(call: Call<Test>) -> RuntimeCall {
	RuntimeCall::Access(call)
}

#[test]
fn refusals_outlive_the_reverted_call() {
	use sp_runtime::traits::TransactionExtension;
	ExtBuilder::build_and_execute(|| {
		subscribers();
		clear();
		let denied = |who, pallet, call, module, error| Event::AccessDenied {
			who,
			realm: REALM,
			pallet,
			call,
			module,
			error,
		};
		// A stranger provisioning realm 0 is refused; the refusal stays, in
		// the realm the call named, with the call and the error.
		let create = identity_call(pallet_ims_identity::Call::create_subscription {
			realm: REALM,
			subscription: pseudonym(3, 3),
		});
		assert_eq!(
			through_extension(STRANGER, create),
			Err(pallet_ims_identity::Error::<Test>::NotAuthorized.into())
		);
		// Identity is pallet 1 in the mock; create_subscription is call 3,
		// NotAuthorized its error 0.
		assert_eq!(events(), vec![denied(STRANGER, 1, 3, 1, 0)]);
		assert_eq!(
			take_audit(),
			vec![(
				Some(STRANGER),
				REALM,
				Subject::Call { pallet: 1, call: 3 },
				Change::Denied { module: 1, error: 0 }
			)]
		);
		// A call naming a subscriber by IMPI is reported in its realm.
		let rotate = identity_call(pallet_ims_identity::Call::rotate_credentials { impi: IMPI });
		assert!(through_extension(FRONT, rotate).is_err());
		assert_eq!(events(), vec![denied(FRONT, 1, 7, 1, 0)]);
		// The access pallet's own refusals too: a self-grant (call 0, error 2)
		// and a consent recorded by an HSS front (call 5, error 1).
		let self_grant = access_call(Call::grant_role {
			realm: REALM,
			who: STRANGER,
			role: Role::RealmAdmin,
			expires_at: None,
		});
		assert_eq!(through_extension(STRANGER, self_grant), Err(Error::<Test>::SelfGrant.into()));
		let consent = access_call(Call::grant_consent {
			subscriber: IMPI,
			purpose: presence(),
			basis: LawfulBasis::Consent,
			expires_at: None,
			evidence: EVIDENCE,
		});
		assert_eq!(
			through_extension(FRONT, consent.clone()),
			Err(Error::<Test>::NotAuthorized.into())
		);
		assert_eq!(events(), vec![denied(STRANGER, 2, 0, 2, 2), denied(FRONT, 2, 5, 2, 1)]);
		take_audit();

		// Not reported: bad input, success, and calls nobody is refused for.
		let late = access_call(Call::grant_role {
			realm: REALM,
			who: STRANGER,
			role: Role::Auditor,
			expires_at: Some(1),
		});
		assert_eq!(through_extension(ADMIN, late), Err(Error::<Test>::ExpiryInPast.into()));
		assert_eq!(through_extension(PROVISIONER, consent), Ok(()));
		let clean = access_call(Call::remove_expired_roles { realm: REALM, who: ADMIN });
		assert_eq!(
			through_extension(STRANGER, clean.clone()),
			Err(Error::<Test>::NothingExpired.into())
		);
		assert!(events().iter().all(|event| !matches!(event, Event::AccessDenied { .. })));
		assert!(take_audit()
			.iter()
			.all(|(_, _, _, change)| !matches!(change, Change::Denied { .. })));

		// Only watched calls carry the extension's weight.
		let remark = RuntimeCall::System(frame_system::Call::remark { remark: vec![] });
		let extension = crate::ReportDenials::<Test>::new();
		assert_eq!(extension.weight(&remark), Weight::zero());
		assert_eq!(extension.weight(&clean), Weight::zero());
		assert_eq!(
			extension.weight(&identity_call(pallet_ims_identity::Call::remove_subscription {
				subscription: SUB
			})),
			<() as crate::WeightInfo>::report_denial()
		);
	});
}

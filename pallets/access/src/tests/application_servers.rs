//! Tests of application servers.

use super::*;

fn authorize(
	origin: RuntimeOrigin,
	realm: u32,
	host: Name,
	authorization: AsAuthorizationOf<Test>,
) -> DispatchResult {
	Access::authorize_application_server(origin, realm, host, authorization)
}

/// The presence server's authorisation with `change` made to it.
fn with(change: impl FnOnce(&mut AsAuthorizationOf<Test>)) -> AsAuthorizationOf<Test> {
	let mut authorization = presence_server();
	change(&mut authorization);
	authorization
}

/// The realm admin's attempt with `authorization` fails with `error`.
fn refused(authorization: AsAuthorizationOf<Test>, error: Error<Test>) {
	given(clear, || {
		assert_noop!(authorize(signed(ADMIN), REALM, host(), authorization), error);
	});
}

#[test]
fn authorize_application_server_refuses_an_unsigned_origin() {
	given(clear, || {
		assert_noop!(authorize(none(), REALM, host(), presence_server()), DispatchError::BadOrigin);
	});
}

#[test]
fn authorize_application_server_refuses_an_unknown_realm() {
	given(clear, || {
		assert_noop!(
			authorize(signed(ADMIN), 9, host(), presence_server()),
			Error::<Test>::RealmNotFound
		);
	});
}

#[test]
fn authorize_application_server_refuses_everyone_but_the_realms_admins() {
	given(clear, || {
		for who in [PROVISIONER, FRONT, OTHER_ADMIN, STRANGER] {
			assert_noop!(
				authorize(signed(who), REALM, host(), presence_server()),
				Error::<Test>::NotAuthorized
			);
		}
	});
}

#[test]
fn authorize_application_server_refuses_an_empty_host() {
	given(clear, || {
		assert_noop!(
			authorize(signed(ADMIN), REALM, Name::default(), presence_server()),
			Error::<Test>::EmptyHost
		);
	});
}

#[test]
fn authorize_application_server_refuses_an_empty_purpose() {
	refused(with(|a| a.purpose = Purpose::default()), Error::<Test>::EmptyPurpose);
}

#[test]
fn authorize_application_server_refuses_an_empty_service() {
	refused(
		with(|a| a.services = vec![token("mmtel"), Token::default()].try_into().unwrap()),
		Error::<Test>::EmptyService,
	);
}

#[test]
fn authorize_application_server_refuses_a_service_twice() {
	refused(
		with(|a| a.services = vec![token("mmtel"), token("mmtel")].try_into().unwrap()),
		Error::<Test>::DuplicateService,
	);
}

#[test]
fn authorize_application_server_refuses_unknown_sh_data() {
	refused(with(|a| a.sh_read = ShDataSet(1 << 5)), Error::<Test>::UnknownShData);
}

#[test]
fn authorize_application_server_refuses_an_authorisation_of_nothing() {
	refused(
		with(|a| {
			a.services = BoundedVec::default();
			a.sh_read = ShDataSet::default();
			a.sh_update = ShDataSet::default();
		}),
		Error::<Test>::NothingAuthorized,
	);
}

#[test]
fn authorize_application_server_refuses_an_expiry_in_the_past() {
	refused(with(|a| a.expires_at = Some(1)), Error::<Test>::ExpiryInPast);
}

#[test]
fn authorize_application_server_refusals_leave_no_event() {
	given(clear, || {
		let _ = authorize(signed(STRANGER), REALM, host(), presence_server());
		let _ = authorize(signed(ADMIN), REALM, host(), with(|a| a.expires_at = Some(1)));
		assert!(events().is_empty());
	});
}

#[test]
fn authorize_application_server_by_an_admin_stores_it_under_its_host_emits_and_audits() {
	given(clear, || {
		assert_ok!(authorize(signed(ADMIN), REALM, host(), presence_server()));
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
		assert_eq!(
			take_audit(),
			vec![(Some(ADMIN), REALM, Subject::Peer(host()), Change::Created)]
		);
	});
}

#[test]
fn authorize_application_server_again_replaces_it_with_the_new_certificate() {
	given(clear, || {
		assert_ok!(authorize(signed(ADMIN), REALM, host(), presence_server()));
		take_audit();
		let renewed = with(|a| {
			a.fingerprint = [2; 32];
			a.expires_at = Some(100);
		});
		assert_ok!(authorize(root(), REALM, host(), renewed.clone()));
		assert_eq!(ApplicationServers::<Test>::get(REALM, host()), Some(renewed));
		assert_eq!(take_audit(), vec![(None, REALM, Subject::Peer(host()), Change::Updated)]);
	});
}

/// The presence server is authorised in REALM.
fn authorized() {
	assert_ok!(authorize(root(), REALM, host(), presence_server()));
	clear();
}

#[test]
fn revoke_application_server_refuses_an_unsigned_origin() {
	given(authorized, || {
		assert_noop!(
			Access::revoke_application_server(none(), REALM, host()),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn revoke_application_server_refuses_an_unknown_realm() {
	given(authorized, || {
		assert_noop!(
			Access::revoke_application_server(signed(ADMIN), 9, host()),
			Error::<Test>::RealmNotFound
		);
	});
}

#[test]
fn revoke_application_server_refuses_an_admin_of_another_realm() {
	given(authorized, || {
		assert_noop!(
			Access::revoke_application_server(signed(OTHER_ADMIN), REALM, host()),
			Error::<Test>::NotAuthorized
		);
	});
}

#[test]
fn revoke_application_server_refuses_an_unknown_host() {
	given(authorized, || {
		assert_noop!(
			Access::revoke_application_server(signed(ADMIN), REALM, name("other.example.net")),
			Error::<Test>::ApplicationServerNotFound
		);
	});
}

#[test]
fn revoke_application_server_refuses_a_host_authorised_only_in_another_realm() {
	given(authorized, || {
		assert_noop!(
			Access::revoke_application_server(signed(OTHER_ADMIN), OTHER_REALM, host()),
			Error::<Test>::ApplicationServerNotFound
		);
	});
}

#[test]
fn revoke_application_server_by_an_admin_erases_emits_and_audits() {
	given(authorized, || {
		assert_ok!(Access::revoke_application_server(signed(ADMIN), REALM, host()));
		assert!(ApplicationServers::<Test>::get(REALM, host()).is_none());
		assert_eq!(events(), vec![Event::ApplicationServerRevoked { realm: REALM, host: host() }]);
		assert_eq!(
			take_audit(),
			vec![(Some(ADMIN), REALM, Subject::Peer(host()), Change::Removed)]
		);
	});
}

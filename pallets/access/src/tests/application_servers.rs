//! Tests of application servers.

use super::*;

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

//! Tests of `grant_role`.

use super::*;

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

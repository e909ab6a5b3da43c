//! Tests of `revoke_role`.

use super::*;

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

//! Tests of `revoke_role`.

use super::*;

/// STRANGER holds the auditor and provisioner roles in REALM.
fn two_roles() {
	assert_ok!(Access::grant_role(root(), REALM, STRANGER, Role::Auditor, None));
	assert_ok!(Access::grant_role(root(), REALM, STRANGER, Role::Provisioner, None));
	clear();
}

#[test]
fn revoke_role_refuses_an_unsigned_origin() {
	given(two_roles, || {
		assert_noop!(
			Access::revoke_role(none(), REALM, STRANGER, Role::Auditor),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn revoke_role_refuses_an_unknown_realm() {
	given(two_roles, || {
		assert_noop!(
			Access::revoke_role(signed(ADMIN), 9, STRANGER, Role::Auditor),
			Error::<Test>::RealmNotFound
		);
	});
}

#[test]
fn revoke_role_refuses_a_non_admin() {
	given(two_roles, || {
		assert_noop!(
			Access::revoke_role(signed(PROVISIONER), REALM, STRANGER, Role::Auditor),
			Error::<Test>::NotAuthorized
		);
	});
}

#[test]
fn revoke_role_refuses_an_admin_of_another_realm() {
	given(two_roles, || {
		assert_noop!(
			Access::revoke_role(signed(OTHER_ADMIN), REALM, STRANGER, Role::Auditor),
			Error::<Test>::NotAuthorized
		);
	});
}

#[test]
fn revoke_role_refuses_a_role_not_held() {
	given(two_roles, || {
		assert_noop!(
			Access::revoke_role(signed(ADMIN), REALM, STRANGER, Role::HssFront),
			Error::<Test>::RoleNotFound
		);
	});
}

#[test]
fn revoke_role_refuses_an_admin_in_a_realm_it_does_not_administer() {
	given(two_roles, || {
		assert_noop!(
			Access::revoke_role(signed(ADMIN), OTHER_REALM, STRANGER, Role::Auditor),
			Error::<Test>::NotAuthorized
		);
	});
}

#[test]
fn revoke_role_refuses_a_role_held_only_in_another_realm() {
	given(two_roles, || {
		assert_noop!(
			Access::revoke_role(root(), OTHER_REALM, STRANGER, Role::Auditor),
			Error::<Test>::RoleNotFound
		);
	});
}

#[test]
fn revoke_role_by_an_admin_removes_that_role_only_emits_and_audits() {
	given(two_roles, || {
		assert_ok!(Access::revoke_role(signed(ADMIN), REALM, STRANGER, Role::Auditor));
		assert_eq!(grants(REALM, STRANGER), vec![(Role::Provisioner, None)]);
		assert_eq!(
			events(),
			vec![Event::RoleRevoked { realm: REALM, who: STRANGER, role: Role::Auditor }]
		);
		assert_eq!(
			take_audit(),
			vec![(Some(ADMIN), REALM, Subject::Member(STRANGER), Change::Revoked(Role::Auditor))]
		);
	});
}

#[test]
fn revoke_role_by_the_holder_of_its_last_role_drops_the_entry() {
	given(two_roles, || {
		// The holder renounces without any admin right.
		assert_ok!(Access::revoke_role(root(), REALM, STRANGER, Role::Auditor));
		take_audit();
		assert_ok!(Access::revoke_role(signed(STRANGER), REALM, STRANGER, Role::Provisioner));
		assert!(Roles::<Test>::get(REALM, STRANGER).is_none());
		assert_eq!(
			take_audit(),
			vec![(
				Some(STRANGER),
				REALM,
				Subject::Member(STRANGER),
				Change::Revoked(Role::Provisioner)
			)]
		);
	});
}

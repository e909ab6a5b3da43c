//! Tests of `grant_role`.

use super::*;

fn grant(origin: RuntimeOrigin, realm: u32, who: u64, role: Role) -> DispatchResult {
	Access::grant_role(origin, realm, who, role, None)
}

#[test]
fn grant_role_refuses_an_unsigned_origin() {
	given(clear, || {
		assert_noop!(grant(none(), REALM, STRANGER, Role::Auditor), DispatchError::BadOrigin);
	});
}

#[test]
fn grant_role_refuses_an_unknown_realm() {
	given(clear, || {
		assert_noop!(
			grant(signed(ADMIN), 9, STRANGER, Role::Auditor),
			Error::<Test>::RealmNotFound
		);
	});
}

#[test]
fn grant_role_refuses_a_stranger_granting_itself() {
	given(clear, || {
		assert_noop!(
			grant(signed(STRANGER), REALM, STRANGER, Role::RealmAdmin),
			Error::<Test>::SelfGrant
		);
	});
}

#[test]
fn grant_role_refuses_a_role_holder_granting_itself_another() {
	given(clear, || {
		assert_noop!(
			grant(signed(PROVISIONER), REALM, PROVISIONER, Role::HssFront),
			Error::<Test>::SelfGrant
		);
	});
}

#[test]
fn grant_role_refuses_a_non_admin_granting_another_account() {
	given(clear, || {
		assert_noop!(
			grant(signed(PROVISIONER), REALM, STRANGER, Role::Auditor),
			Error::<Test>::NotAuthorized
		);
	});
}

#[test]
fn grant_role_refuses_an_admin_of_another_realm() {
	given(clear, || {
		assert_noop!(
			grant(signed(OTHER_ADMIN), REALM, STRANGER, Role::Auditor),
			Error::<Test>::NotAuthorized
		);
	});
}

#[test]
fn grant_role_refuses_the_owner_of_another_realm_granting_itself() {
	given(clear, || {
		assert_noop!(
			grant(signed(OTHER_OWNER), REALM, OTHER_OWNER, Role::RealmAdmin),
			Error::<Test>::SelfGrant
		);
	});
}

#[test]
fn grant_role_refuses_an_expiry_in_the_past() {
	given(clear, || {
		System::set_block_number(5);
		assert_noop!(
			Access::grant_role(signed(ADMIN), REALM, STRANGER, Role::Auditor, Some(5)),
			Error::<Test>::ExpiryInPast
		);
	});
}

#[test]
fn grant_role_refusals_leave_no_event_and_no_audit_record() {
	given(clear, || {
		let _ = grant(signed(STRANGER), REALM, STRANGER, Role::RealmAdmin);
		let _ = grant(signed(PROVISIONER), REALM, STRANGER, Role::Auditor);
		assert!(events().is_empty());
		assert!(take_audit().is_empty());
	});
}

#[test]
fn grant_role_by_an_admin_stores_the_grant_with_its_expiry_emits_and_audits() {
	given(clear, || {
		System::set_block_number(5);
		assert_ok!(Access::grant_role(signed(ADMIN), REALM, STRANGER, Role::Auditor, Some(20)));
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
	});
}

#[test]
fn grant_role_keeps_roles_sorted_and_a_second_grant_renews() {
	given(clear, || {
		assert_ok!(Access::grant_role(signed(ADMIN), REALM, STRANGER, Role::Auditor, Some(20)));
		assert_ok!(grant(signed(OWNER), REALM, STRANGER, Role::Provisioner));
		assert_ok!(grant(root(), REALM, STRANGER, Role::Auditor));
		assert_eq!(grants(REALM, STRANGER), vec![(Role::Provisioner, None), (Role::Auditor, None)]);
		assert_eq!(
			take_audit(),
			vec![
				(Some(ADMIN), REALM, Subject::Member(STRANGER), Change::Granted(Role::Auditor)),
				(Some(OWNER), REALM, Subject::Member(STRANGER), Change::Granted(Role::Provisioner)),
				(None, REALM, Subject::Member(STRANGER), Change::Granted(Role::Auditor)),
			]
		);
	});
}

#[test]
fn grant_role_lets_an_admin_give_itself_more_roles() {
	given(clear, || {
		assert_ok!(grant(signed(ADMIN), REALM, ADMIN, Role::HssFront));
		assert_eq!(grants(REALM, ADMIN), vec![(Role::RealmAdmin, None), (Role::HssFront, None)]);
		assert_eq!(
			take_audit(),
			vec![(Some(ADMIN), REALM, Subject::Member(ADMIN), Change::Granted(Role::HssFront))]
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

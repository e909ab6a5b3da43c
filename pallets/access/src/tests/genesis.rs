//! Tests of genesis and the role table.

use super::*;

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

//! Tests of the glue with the identity pallet (`Authorizer`, `IdentityObserver`).

use super::*;

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

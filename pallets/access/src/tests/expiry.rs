//! Tests of expiry across blocks.

use super::*;

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

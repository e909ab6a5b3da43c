//! Tests of links between private and public identities.

use super::*;

#[test]
fn link_works() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		assert_ok!(Identity::create_impu(root(), SUB, IMPU3, attributes(None)));
		// A second subscription in the same realm, and one in another realm.
		assert_ok!(Identity::create_subscription(root(), REALM, OTHER_SUB));
		assert_ok!(Identity::create_impu(root(), OTHER_SUB, NOBODY, attributes(None)));
		let far = H256::repeat_byte(0x99);
		assert_ok!(Identity::create_subscription(root(), OTHER_REALM, far));
		let far_impu = H256::repeat_byte(0x98);
		assert_ok!(Identity::create_impu(
			root(),
			far,
			far_impu,
			ImpuAttributes { charging: None, ..attributes(None) }
		));
		System::reset_events();
		take_audit();

		assert_noop!(Identity::link(none(), IMPI, IMPU3), DispatchError::BadOrigin);
		assert_noop!(Identity::link(root(), IMPI2, IMPU3), Error::<Test>::ImpiNotFound);
		assert_noop!(Identity::link(root(), IMPI, H256::zero()), Error::<Test>::ImpuNotFound);
		assert_noop!(Identity::link(signed(STRANGER), IMPI, IMPU3), Error::<Test>::NotAuthorized);
		assert_noop!(Identity::link(root(), IMPI, far_impu), Error::<Test>::CrossRealmLink);
		assert_noop!(Identity::link(root(), IMPI, NOBODY), Error::<Test>::CrossSubscriptionLink);
		assert_noop!(Identity::link(root(), IMPI, IMPU), Error::<Test>::AlreadyLinked);

		assert_ok!(Identity::link(signed(PROVISIONER), IMPI, IMPU3));
		assert!(ImpusOfImpi::<Test>::contains_key(IMPI, IMPU3));
		assert!(ImpisOfImpu::<Test>::contains_key(IMPU3, IMPI));
		assert_eq!(Impis::<Test>::get(IMPI).unwrap().impus, 3);
		assert_eq!(Impus::<Test>::get(IMPU3).unwrap().impis, 1);
		assert_eq!(events(), vec![Event::Linked { impi: IMPI, impu: IMPU3 }]);
		assert_eq!(
			take_audit(),
			vec![(Some(PROVISIONER), REALM, Subject::Impi(IMPI), Change::Linked(IMPU3))]
		);
	});
}

#[test]
fn unlink_works() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		assert_ok!(Identity::create_impu(root(), SUB, IMPU3, attributes(None)));
		System::reset_events();
		assert_noop!(Identity::unlink(none(), IMPI, IMPU), DispatchError::BadOrigin);
		assert_noop!(Identity::unlink(root(), IMPI2, IMPU), Error::<Test>::ImpiNotFound);
		assert_noop!(Identity::unlink(root(), IMPI, NOBODY), Error::<Test>::ImpuNotFound);
		assert_noop!(Identity::unlink(signed(STRANGER), IMPI, IMPU), Error::<Test>::NotAuthorized);
		assert_noop!(Identity::unlink(root(), IMPI, IMPU3), Error::<Test>::NotLinked);
		take_audit();
		assert_ok!(Identity::unlink(signed(PROVISIONER), IMPI, IMPU));
		assert!(!ImpusOfImpi::<Test>::contains_key(IMPI, IMPU));
		assert!(!ImpisOfImpu::<Test>::contains_key(IMPU, IMPI));
		assert_eq!(Impis::<Test>::get(IMPI).unwrap().impus, 1);
		assert_eq!(Impus::<Test>::get(IMPU).unwrap().impis, 0);
		assert_eq!(events(), vec![Event::Unlinked { impi: IMPI, impu: IMPU }]);
		assert_eq!(
			take_audit(),
			vec![(Some(PROVISIONER), REALM, Subject::Impi(IMPI), Change::Unlinked(IMPU))]
		);
	});
}

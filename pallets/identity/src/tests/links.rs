//! Tests of links between private and public identities.

use super::*;

const FAR_SUB: H256 = H256::repeat_byte(0x99);
const FAR_IMPU: H256 = H256::repeat_byte(0x98);

/// `subscriber()` plus an unlinked IMPU3; a second subscription in the same
/// realm with IMPU NOBODY, and one in the other realm with FAR_IMPU.
fn neighbours() {
	subscriber();
	assert_ok!(Identity::create_impu(root(), SUB, IMPU3, attributes(None)));
	assert_ok!(Identity::create_subscription(root(), REALM, OTHER_SUB));
	assert_ok!(Identity::create_impu(root(), OTHER_SUB, NOBODY, attributes(None)));
	assert_ok!(Identity::create_subscription(root(), OTHER_REALM, FAR_SUB));
	assert_ok!(Identity::create_impu(
		root(),
		FAR_SUB,
		FAR_IMPU,
		ImpuAttributes { charging: None, ..attributes(None) }
	));
	System::reset_events();
	take_audit();
}

#[test]
fn link_refuses_an_unsigned_origin() {
	given(neighbours, || {
		assert_noop!(Identity::link(none(), IMPI, IMPU3), DispatchError::BadOrigin);
	});
}

#[test]
fn link_refuses_an_unknown_impi() {
	given(neighbours, || {
		assert_noop!(Identity::link(root(), IMPI2, IMPU3), Error::<Test>::ImpiNotFound);
	});
}

#[test]
fn link_refuses_an_unknown_impu() {
	given(neighbours, || {
		assert_noop!(Identity::link(root(), IMPI, H256::zero()), Error::<Test>::ImpuNotFound);
	});
}

#[test]
fn link_refuses_a_stranger() {
	given(neighbours, || {
		assert_noop!(Identity::link(signed(STRANGER), IMPI, IMPU3), Error::<Test>::NotAuthorized);
	});
}

#[test]
fn link_refuses_an_impu_of_another_realm() {
	given(neighbours, || {
		assert_noop!(Identity::link(root(), IMPI, FAR_IMPU), Error::<Test>::CrossRealmLink);
	});
}

#[test]
fn link_refuses_an_impu_of_another_subscription() {
	given(neighbours, || {
		assert_noop!(Identity::link(root(), IMPI, NOBODY), Error::<Test>::CrossSubscriptionLink);
	});
}

#[test]
fn link_refuses_a_pair_already_linked() {
	given(neighbours, || {
		assert_noop!(Identity::link(root(), IMPI, IMPU), Error::<Test>::AlreadyLinked);
	});
}

#[test]
fn link_indexes_both_ways_counts_emits_and_audits() {
	given(neighbours, || {
		assert_ok!(Identity::link(signed(PROVISIONER), IMPI, IMPU3));
		assert!(linked(IMPI, IMPU3));
		assert_eq!(impus_of(IMPI).len(), 3);
		assert_eq!(Identity::impis_linked_to(IMPU3, SUB), vec![IMPI]);
		assert_eq!(Impus::<Test>::get(IMPU3).unwrap().impis, 1);
		assert_eq!(events(), vec![Event::Linked { impi: IMPI, impu: IMPU3 }]);
		assert_eq!(
			take_audit(),
			vec![(Some(PROVISIONER), REALM, Subject::Impi(IMPI), Change::Linked(IMPU3))]
		);
	});
}

#[test]
fn unlink_refuses_an_unsigned_origin() {
	given(with_impu3, || {
		assert_noop!(Identity::unlink(none(), IMPI, IMPU), DispatchError::BadOrigin);
	});
}

#[test]
fn unlink_refuses_an_unknown_impi() {
	given(with_impu3, || {
		assert_noop!(Identity::unlink(root(), IMPI2, IMPU), Error::<Test>::ImpiNotFound);
	});
}

#[test]
fn unlink_refuses_an_unknown_impu() {
	given(with_impu3, || {
		assert_noop!(Identity::unlink(root(), IMPI, NOBODY), Error::<Test>::ImpuNotFound);
	});
}

#[test]
fn unlink_refuses_a_stranger() {
	given(with_impu3, || {
		assert_noop!(Identity::unlink(signed(STRANGER), IMPI, IMPU), Error::<Test>::NotAuthorized);
	});
}

#[test]
fn unlink_refuses_a_pair_not_linked() {
	given(with_impu3, || {
		assert_noop!(Identity::unlink(root(), IMPI, IMPU3), Error::<Test>::NotLinked);
	});
}

#[test]
fn unlink_drops_both_indexes_counts_emits_and_audits() {
	given(with_impu3, || {
		assert_ok!(Identity::unlink(signed(PROVISIONER), IMPI, IMPU));
		assert!(!linked(IMPI, IMPU));
		assert!(Identity::impis_linked_to(IMPU, SUB).is_empty());
		assert_eq!(impus_of(IMPI).len(), 1);
		assert_eq!(Impus::<Test>::get(IMPU).unwrap().impis, 0);
		assert_eq!(events(), vec![Event::Unlinked { impi: IMPI, impu: IMPU }]);
		assert_eq!(
			take_audit(),
			vec![(Some(PROVISIONER), REALM, Subject::Impi(IMPI), Change::Unlinked(IMPU))]
		);
	});
}

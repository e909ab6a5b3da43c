//! Tests of batches: bulk import and registration reports.

use super::*;

fn import_items() -> ImportBatch<Test> {
	vec![
		ImportItem::Subscription { realm: REALM, subscription: SUB },
		ImportItem::Impi {
			subscription: SUB,
			impi: IMPI,
			schemes: schemes(),
			default_scheme: AuthScheme::AkaV1Md5,
		},
		ImportItem::Impu { subscription: SUB, impu: IMPU, attributes: attributes(Some(SET)) },
		ImportItem::Link { impi: IMPI, impu: IMPU },
	]
	.try_into()
	.unwrap()
}

#[test]
fn import_refuses_an_unsigned_origin() {
	given(services, || {
		assert_noop!(Identity::import(none(), import_items()), DispatchError::BadOrigin);
	});
}

#[test]
fn import_refuses_an_empty_batch() {
	given(services, || {
		assert_noop!(Identity::import(root(), Default::default()), Error::<Test>::EmptyBatch);
	});
}

#[test]
fn import_refuses_a_front_end() {
	given(services, || {
		assert_noop!(Identity::import(signed(FRONT), import_items()), Error::<Test>::NotAuthorized);
	});
}

#[test]
fn import_applies_nothing_of_a_batch_with_one_bad_item() {
	given(services, || {
		// The last item is bad.
		let mut bad = import_items();
		bad.try_push(ImportItem::Link { impi: IMPI, impu: IMPU }).unwrap();
		assert_noop!(Identity::import(root(), bad), Error::<Test>::AlreadyLinked);
	});
}

#[test]
fn import_applies_every_item_emits_each_and_audits_each() {
	given(services, || {
		assert_ok!(Identity::import(signed(PROVISIONER), import_items()));
		assert!(Subscriptions::<Test>::contains_key(SUB));
		assert!(ImpusOfImpi::<Test>::contains_key(IMPI, IMPU));
		assert_eq!(
			events(),
			vec![
				Event::SubscriptionCreated { realm: REALM, subscription: SUB },
				Event::ImpiCreated { subscription: SUB, impi: IMPI },
				Event::ImpuCreated { subscription: SUB, impu: IMPU },
				Event::Linked { impi: IMPI, impu: IMPU },
				Event::Imported { items: 4 },
			]
		);
		assert_eq!(take_audit().len(), 4);
	});
}

#[test]
fn import_weighs_the_sum_of_its_items_calls() {
	use crate::WeightInfo;
	assert_eq!(
		Identity::import_weight(&import_items()),
		<() as WeightInfo>::create_subscription()
			+ <() as WeightInfo>::create_impi()
			+ <() as WeightInfo>::create_impu()
			+ <() as WeightInfo>::link()
	);
}

fn batch(updates: Vec<RegistrationUpdate>) -> RegistrationBatch<Test> {
	updates.try_into().unwrap()
}

#[test]
fn record_registrations_refuses_an_unsigned_origin() {
	given(with_impu3, || {
		assert_noop!(
			Identity::record_registrations(none(), batch(vec![registered(IMPU)])),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn record_registrations_refuses_an_empty_batch() {
	given(with_impu3, || {
		assert_noop!(
			Identity::record_registrations(root(), batch(vec![])),
			Error::<Test>::EmptyBatch
		);
	});
}

#[test]
fn record_registrations_refuses_a_provisioner() {
	given(with_impu3, || {
		// A provisioner is not an HSS front.
		assert_noop!(
			Identity::record_registrations(signed(PROVISIONER), batch(vec![registered(IMPU)])),
			Error::<Test>::NotAuthorized
		);
	});
}

#[test]
fn record_registrations_refuses_a_registration_without_an_scscf() {
	given(with_impu3, || {
		assert_noop!(
			Identity::record_registrations(
				root(),
				batch(vec![RegistrationUpdate { scscf: None, ..registered(IMPU) }])
			),
			Error::<Test>::ScscfRequired
		);
	});
}

#[test]
fn record_registrations_refuses_an_scscf_for_not_registered() {
	given(with_impu3, || {
		assert_noop!(
			Identity::record_registrations(
				root(),
				batch(vec![RegistrationUpdate {
					state: RegistrationState::NotRegistered,
					..registered(IMPU)
				}])
			),
			Error::<Test>::UnexpectedScscf
		);
	});
}

#[test]
fn record_registrations_refuses_an_empty_scscf_name() {
	given(with_impu3, || {
		assert_noop!(
			Identity::record_registrations(
				root(),
				batch(vec![RegistrationUpdate { scscf: Some(name("")), ..registered(IMPU) }])
			),
			Error::<Test>::EmptyName
		);
	});
}

/// IMPU registers, NOBODY (erased) is skipped, IMPU3 (no set) takes the
/// unregistered state.
fn three_updates() -> RegistrationBatch<Test> {
	let unregistered = RegistrationUpdate {
		impu: IMPU3,
		state: RegistrationState::Unregistered,
		scscf: Some(name("sip:scscf2")),
	};
	batch(vec![registered(IMPU), registered(NOBODY), unregistered])
}

#[test]
fn record_registrations_stores_each_implicit_set_and_charges_its_members() {
	given(with_impu3, || {
		let info = Identity::record_registrations(signed(FRONT), three_updates()).unwrap();
		// Charged for three updates and one extra member (IMPU2, in IMPU's set).
		assert_eq!(info.actual_weight, Some(Identity::registrations_weight(3, 1)));
		for impu in [IMPU, IMPU2] {
			assert_eq!(
				Registrations::<Test>::get(impu),
				Some(RegistrationRecord {
					state: RegistrationState::Registered,
					scscf: Some(name("sip:scscf.ims.example.net:6060")),
					updated_at: 1,
				})
			);
		}
		assert_eq!(
			Registrations::<Test>::get(IMPU3).unwrap().state,
			RegistrationState::Unregistered
		);
	});
}

#[test]
fn record_registrations_emits_each_update_and_skips_erased_identities() {
	given(with_impu3, || {
		assert_ok!(Identity::record_registrations(signed(FRONT), three_updates()));
		assert_eq!(
			events(),
			vec![
				Event::RegistrationRecorded {
					impu: IMPU,
					state: RegistrationState::Registered,
					scscf: Some(name("sip:scscf.ims.example.net:6060")),
					members: 2,
				},
				Event::RegistrationSkipped { impu: NOBODY },
				Event::RegistrationRecorded {
					impu: IMPU3,
					state: RegistrationState::Unregistered,
					scscf: Some(name("sip:scscf2")),
					members: 1,
				},
			]
		);
	});
}

#[test]
fn record_registrations_audits_each_recorded_update() {
	given(with_impu3, || {
		assert_ok!(Identity::record_registrations(signed(FRONT), three_updates()));
		assert_eq!(
			take_audit(),
			vec![
				(
					Some(FRONT),
					REALM,
					Subject::Impu(IMPU),
					Change::Registration(RegistrationState::Registered)
				),
				(
					Some(FRONT),
					REALM,
					Subject::Impu(IMPU3),
					Change::Registration(RegistrationState::Unregistered)
				),
			]
		);
	});
}

#[test]
fn record_registrations_of_a_deregistration_clears_the_whole_set() {
	given(with_impu3, || {
		assert_ok!(Identity::record_registrations(signed(FRONT), three_updates()));
		let dereg = RegistrationUpdate {
			impu: IMPU2,
			state: RegistrationState::NotRegistered,
			scscf: None,
		};
		assert_ok!(Identity::record_registrations(signed(FRONT), batch(vec![dereg])));
		assert!(Registrations::<Test>::get(IMPU).is_none());
		assert!(Registrations::<Test>::get(IMPU2).is_none());
	});
}

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
		assert!(linked(IMPI, IMPU));
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
			Identity::record_registrations(none(), batch(vec![registered(IMPU)]), 1),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn record_registrations_refuses_an_empty_batch() {
	given(with_impu3, || {
		assert_noop!(
			Identity::record_registrations(root(), batch(vec![]), 0),
			Error::<Test>::EmptyBatch
		);
	});
}

#[test]
fn record_registrations_refuses_a_provisioner() {
	given(with_impu3, || {
		// A provisioner is not an HSS front.
		assert_noop!(
			Identity::record_registrations(signed(PROVISIONER), batch(vec![registered(IMPU)]), 1),
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
				batch(vec![RegistrationUpdate { scscf: None, ..registered(IMPU) }]),
				1
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
				}]),
				1
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
				batch(vec![RegistrationUpdate { scscf: Some(name("")), ..registered(IMPU) }]),
				1
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
		let info = Identity::record_registrations(signed(FRONT), three_updates(), 1).unwrap();
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
fn record_registrations_refuses_more_members_than_its_witness() {
	given(with_impu3, || {
		// IMPU's set has IMPU2 beside it: one extra member, declared none.
		assert_noop!(
			Identity::record_registrations(signed(FRONT), three_updates(), 0),
			Error::<Test>::MembersOverWitness
		);
	});
}

#[test]
fn record_registrations_is_charged_for_its_witness_up_to_full_sets() {
	let charged = |members: u32| {
		Call::<Test>::record_registrations { updates: three_updates(), members }
			.get_dispatch_info()
			.call_weight
	};
	let full = 3
		* (<<Test as Config>::MaxImpusPerSubscription as frame_support::traits::Get<u32>>::get()
			- 1);
	assert_eq!(charged(1), Identity::registrations_weight(3, 1));
	assert_eq!(charged(0), Identity::registrations_weight(3, 0));
	assert_eq!(charged(full), Identity::registrations_weight(3, full));
	assert_eq!(charged(u32::MAX), Identity::registrations_weight(3, full));
	assert!(charged(1).ref_time() < charged(full).ref_time());
}

#[test]
fn record_registrations_emits_each_update_and_skips_erased_identities() {
	given(with_impu3, || {
		assert_ok!(Identity::record_registrations(signed(FRONT), three_updates(), 1));
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
		assert_ok!(Identity::record_registrations(signed(FRONT), three_updates(), 1));
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
fn record_registrations_hands_the_trail_each_run_of_one_realm_at_once() {
	given(with_impu3, || {
		let other = H256::repeat_byte(0x77);
		assert_ok!(Identity::create_subscription(root(), OTHER_REALM, H256::repeat_byte(0x78)));
		let plain = ImpuAttributes { charging: None, ..attributes(None) };
		assert_ok!(Identity::create_impu(root(), H256::repeat_byte(0x78), other, plain));
		take_audit();
		take_sink_calls();
		assert_ok!(Identity::record_registrations(signed(FRONT), three_updates(), 1));
		assert_eq!(take_sink_calls(), vec![2], "IMPU and IMPU3 together");
		take_audit();
		let realms =
			batch(vec![registered(IMPU), registered(IMPU3), registered(other), registered(IMPU)]);
		assert_ok!(Identity::record_registrations(root(), realms, 2));
		assert_eq!(take_sink_calls(), vec![2, 1, 1], "a run per realm, in order");
		let order: Vec<_> =
			take_audit().into_iter().map(|(_, realm, subject, _)| (realm, subject)).collect();
		assert_eq!(
			order,
			vec![
				(REALM, Subject::Impu(IMPU)),
				(REALM, Subject::Impu(IMPU3)),
				(OTHER_REALM, Subject::Impu(other)),
				(REALM, Subject::Impu(IMPU)),
			]
		);
	});
}

#[test]
fn record_registrations_of_a_deregistration_clears_the_whole_set() {
	given(with_impu3, || {
		assert_ok!(Identity::record_registrations(signed(FRONT), three_updates(), 1));
		let dereg = RegistrationUpdate {
			impu: IMPU2,
			state: RegistrationState::NotRegistered,
			scscf: None,
		};
		assert_ok!(Identity::record_registrations(signed(FRONT), batch(vec![dereg]), 1));
		assert!(Registrations::<Test>::get(IMPU).is_none());
		assert!(Registrations::<Test>::get(IMPU2).is_none());
	});
}

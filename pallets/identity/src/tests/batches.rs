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
fn import_works() {
	ExtBuilder::build_and_execute(|| {
		services();
		assert_noop!(Identity::import(none(), import_items()), DispatchError::BadOrigin);
		assert_noop!(Identity::import(root(), Default::default()), Error::<Test>::EmptyBatch);
		assert_noop!(Identity::import(signed(FRONT), import_items()), Error::<Test>::NotAuthorized);
		// One bad item (the last) and nothing of the batch is applied.
		let mut bad = import_items();
		bad.try_push(ImportItem::Link { impi: IMPI, impu: IMPU }).unwrap();
		assert_noop!(Identity::import(root(), bad), Error::<Test>::AlreadyLinked);
		take_audit();

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
		// Its weight is the sum of the items' call weights.
		use crate::WeightInfo;
		assert_eq!(
			Identity::import_weight(&import_items()),
			<() as WeightInfo>::create_subscription()
				+ <() as WeightInfo>::create_impi()
				+ <() as WeightInfo>::create_impu()
				+ <() as WeightInfo>::link()
		);
	});
}

#[test]
fn record_registrations_works() {
	ExtBuilder::build_and_execute(|| {
		subscriber();
		assert_ok!(Identity::create_impu(root(), SUB, IMPU3, attributes(None)));
		System::reset_events();
		take_audit();
		let batch = |updates: Vec<RegistrationUpdate>| -> RegistrationBatch<Test> {
			updates.try_into().unwrap()
		};
		assert_noop!(
			Identity::record_registrations(none(), batch(vec![registered(IMPU)])),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Identity::record_registrations(root(), batch(vec![])),
			Error::<Test>::EmptyBatch
		);
		// A provisioner is not an HSS front.
		assert_noop!(
			Identity::record_registrations(signed(PROVISIONER), batch(vec![registered(IMPU)])),
			Error::<Test>::NotAuthorized
		);
		assert_noop!(
			Identity::record_registrations(
				root(),
				batch(vec![RegistrationUpdate { scscf: None, ..registered(IMPU) }])
			),
			Error::<Test>::ScscfRequired
		);
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
		assert_noop!(
			Identity::record_registrations(
				root(),
				batch(vec![RegistrationUpdate { scscf: Some(name("")), ..registered(IMPU) }])
			),
			Error::<Test>::EmptyName
		);

		// IMPU registers (its implicit set with it); an erased identity is
		// skipped; IMPU3 (no set) takes the unregistered state.
		let unregistered = RegistrationUpdate {
			impu: IMPU3,
			state: RegistrationState::Unregistered,
			scscf: Some(name("sip:scscf2")),
		};
		let info = Identity::record_registrations(
			signed(FRONT),
			batch(vec![registered(IMPU), registered(NOBODY), unregistered]),
		)
		.unwrap();
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
		// Deregistration clears the whole set.
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

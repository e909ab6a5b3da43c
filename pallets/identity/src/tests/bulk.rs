//! Tests of `import_subscribers`, the bulk path for whole subscribers.

use super::*;
use frame_support::dispatch::DispatchResultWithPostInfo;
use ims_primitives::AuditSink;

const SUB2: H256 = H256::repeat_byte(0x53);
const IMPI3: H256 = H256::repeat_byte(0xa3);
const IMPU4: H256 = H256::repeat_byte(0xb4);

fn impi(impi: H256) -> ImpiImport {
	ImpiImport { impi, schemes: schemes(), default_scheme: AuthScheme::AkaV1Md5 }
}

fn impu(impu: H256, set: Option<u32>) -> ImpuImport {
	ImpuImport { impu, attributes: attributes(set) }
}

fn subscriber(
	subscription: H256,
	impis: Vec<ImpiImport>,
	impus: Vec<ImpuImport>,
	links: Vec<LinkImport>,
) -> SubscriberImportOf<Test> {
	SubscriberImport {
		subscription,
		impis: impis.try_into().unwrap(),
		impus: impus.try_into().unwrap(),
		links: links.try_into().unwrap(),
	}
}

/// SUB as `subscriber()` makes it: IMPI linked to IMPU and IMPU2, both in
/// implicit set SET; SUB2 with IMPI2 linked to IMPU3, no implicit set.
fn two() -> Vec<SubscriberImportOf<Test>> {
	vec![
		subscriber(
			SUB,
			vec![impi(IMPI)],
			vec![impu(IMPU, Some(SET)), impu(IMPU2, Some(SET))],
			vec![(0, 0), (0, 1)],
		),
		subscriber(SUB2, vec![impi(IMPI2)], vec![impu(IMPU3, None)], vec![(0, 0)]),
	]
}

fn batch(subscribers: Vec<SubscriberImportOf<Test>>) -> SubscriberBatch<Test> {
	subscribers.try_into().unwrap()
}

/// `two()` with `edit` applied to its second subscriber.
fn second_edited(edit: impl FnOnce(&mut SubscriberImportOf<Test>)) -> SubscriberBatch<Test> {
	let mut subscribers = two();
	edit(&mut subscribers[1]);
	batch(subscribers)
}

fn import(origin: RuntimeOrigin, subscribers: SubscriberBatch<Test>) -> DispatchResultWithPostInfo {
	Identity::import_subscribers(origin, REALM, subscribers)
}

#[test]
fn import_subscribers_refuses_an_unsigned_origin() {
	given(services, || {
		assert_noop!(import(none(), batch(two())), DispatchError::BadOrigin);
	});
}

#[test]
fn import_subscribers_refuses_an_empty_batch() {
	given(services, || {
		assert_noop!(import(root(), batch(vec![])), Error::<Test>::EmptyBatch);
	});
}

#[test]
fn import_subscribers_refuses_an_unknown_realm() {
	given(services, || {
		assert_noop!(
			Identity::import_subscribers(root(), 7, batch(two())),
			Error::<Test>::RealmNotFound
		);
	});
}

#[test]
fn import_subscribers_refuses_a_front_end() {
	given(services, || {
		assert_noop!(import(signed(FRONT), batch(two())), Error::<Test>::NotAuthorized);
	});
}

#[test]
fn import_subscribers_refuses_a_provisioner_of_another_realm() {
	given(services, || {
		assert_noop!(
			Identity::import_subscribers(signed(PROVISIONER), OTHER_REALM, batch(two())),
			Error::<Test>::NotAuthorized
		);
	});
}

#[test]
fn import_subscribers_refuses_an_existing_subscription() {
	given(crate::tests::subscriber, || {
		let existing = subscriber(SUB, vec![], vec![], vec![]);
		assert_noop!(
			import(root(), batch(vec![existing])),
			Error::<Test>::SubscriptionAlreadyExists
		);
	});
}

#[test]
fn import_subscribers_refuses_a_subscription_twice_in_the_batch() {
	given(services, || {
		let twice = second_edited(|second| second.subscription = SUB);
		assert_noop!(import(root(), twice), Error::<Test>::SubscriptionAlreadyExists);
	});
}

#[test]
fn import_subscribers_refuses_an_impi_twice_in_the_batch() {
	given(services, || {
		let twice = second_edited(|second| second.impis[0].impi = IMPI);
		assert_noop!(import(root(), twice), Error::<Test>::ImpiAlreadyExists);
	});
}

#[test]
fn import_subscribers_refuses_an_existing_impu() {
	given(crate::tests::subscriber, || {
		let taken = subscriber(SUB2, vec![], vec![impu(IMPU2, None)], vec![]);
		assert_noop!(import(root(), batch(vec![taken])), Error::<Test>::ImpuAlreadyExists);
	});
}

#[test]
fn import_subscribers_refuses_an_impi_without_schemes() {
	given(services, || {
		let bad = second_edited(|second| second.impis[0].schemes = AuthSchemes::of(&[]));
		assert_noop!(import(root(), bad), Error::<Test>::NoAuthScheme);
	});
}

#[test]
fn import_subscribers_refuses_a_default_scheme_not_allowed() {
	given(services, || {
		let bad = second_edited(|second| second.impis[0].default_scheme = AuthScheme::EarlyIms);
		assert_noop!(import(root(), bad), Error::<Test>::DefaultSchemeNotAllowed);
	});
}

#[test]
fn import_subscribers_refuses_an_unknown_profile() {
	given(services, || {
		let bad = second_edited(|second| second.impus[0].attributes.service_profile = 99);
		assert_noop!(import(root(), bad), Error::<Test>::ProfileNotFound);
	});
}

#[test]
fn import_subscribers_refuses_unknown_charging() {
	given(services, || {
		let bad = second_edited(|second| second.impus[0].attributes.charging = Some(99));
		assert_noop!(import(root(), bad), Error::<Test>::ChargingNotFound);
	});
}

#[test]
fn import_subscribers_refuses_a_roaming_list_naming_a_network_twice() {
	given(services, || {
		let twice = roaming(&["ims.visited.net", "ims.visited.net"]);
		let bad = second_edited(|second| second.impus[0].attributes.roaming = twice);
		assert_noop!(import(root(), bad), Error::<Test>::DuplicateVisitedNetwork);
	});
}

#[test]
fn import_subscribers_refuses_a_barred_first_member_of_an_implicit_set() {
	given(services, || {
		let bad = second_edited(|second| {
			second.impus[0].attributes.implicit_set = Some(SET);
			second.impus[0].attributes.barred = true;
		});
		assert_noop!(import(root(), bad), Error::<Test>::BarredDefault);
	});
}

#[test]
fn import_subscribers_refuses_a_link_to_an_impi_index_the_subscriber_lacks() {
	given(services, || {
		let bad = second_edited(|second| second.links[0] = (1, 0));
		assert_noop!(import(root(), bad), Error::<Test>::LinkOutOfRange);
	});
}

#[test]
fn import_subscribers_refuses_a_link_to_an_impu_index_the_subscriber_lacks() {
	given(services, || {
		let bad = second_edited(|second| second.links[0] = (0, 1));
		assert_noop!(import(root(), bad), Error::<Test>::LinkOutOfRange);
	});
}

#[test]
fn import_subscribers_refuses_a_link_twice() {
	given(services, || {
		let bad = second_edited(|second| second.links.try_push((0, 0)).unwrap());
		assert_noop!(import(root(), bad), Error::<Test>::AlreadyLinked);
	});
}

#[test]
fn import_subscribers_refuses_a_realm_subscription_count_overflow() {
	given(services, || {
		let set_count = |count| {
			Realms::<Test>::mutate(REALM, |info| {
				info.as_mut().unwrap().subscriptions = count;
			})
		};
		let real = Realms::<Test>::get(REALM).unwrap().subscriptions;
		set_count(u32::MAX - 1);
		assert_noop!(import(root(), batch(two())), Error::<Test>::Overflow);
		// The real count again, for the invariants checked after the test.
		set_count(real);
	});
}

/// The state the identity pallet leaves, as one root over its storage.
fn identity_root() -> Vec<u8> {
	System::reset_events();
	sp_io::storage::root(sp_runtime::StateVersion::V1)
}

#[test]
fn import_subscribers_leaves_the_state_the_calls_leave() {
	let mut by_calls = Vec::new();
	ExtBuilder::build_and_execute(|| {
		crate::tests::subscriber();
		assert_ok!(Identity::create_subscription(root(), REALM, SUB2));
		assert_ok!(Identity::create_impi(root(), SUB2, IMPI2, schemes(), AuthScheme::AkaV1Md5));
		assert_ok!(Identity::create_impu(root(), SUB2, IMPU3, attributes(None)));
		assert_ok!(Identity::link(root(), IMPI2, IMPU3));
		by_calls = identity_root();
	});
	given(services, || {
		assert_ok!(import(signed(PROVISIONER), batch(two())));
		assert_eq!(identity_root(), by_calls);
	});
}

#[test]
fn import_subscribers_counts_the_realm_and_the_shared_data_users() {
	given(services, || {
		let before = Realms::<Test>::get(REALM).unwrap().subscriptions;
		assert_ok!(import(root(), batch(two())));
		assert_eq!(Realms::<Test>::get(REALM).unwrap().subscriptions, before + 2);
		assert_eq!(users_of_profile(REALM, PROFILE), 3);
		assert_eq!(ChargingInfos::<Test>::get(REALM, CHARGING).unwrap().users, 3);
		assert_eq!(Identity::impis_linked_to(IMPU2, SUB), vec![IMPI]);
		assert_eq!(impus_of(IMPI).len(), 2);
		assert_eq!(Impus::<Test>::get(IMPU3).unwrap().impis, 1);
	});
}

#[test]
fn import_subscribers_emits_and_audits_once_per_subscriber() {
	given(services, || {
		assert_ok!(import(signed(PROVISIONER), batch(two())));
		assert_eq!(
			events(),
			vec![
				Event::SubscriberImported {
					realm: REALM,
					subscription: SUB,
					impis: vec![IMPI].try_into().unwrap(),
					impus: vec![IMPU, IMPU2].try_into().unwrap(),
				},
				Event::SubscriberImported {
					realm: REALM,
					subscription: SUB2,
					impis: vec![IMPI2].try_into().unwrap(),
					impus: vec![IMPU3].try_into().unwrap(),
				},
			]
		);
		assert_eq!(
			take_audit(),
			vec![
				(
					Some(PROVISIONER),
					REALM,
					Subject::Subscription(SUB),
					Change::Imported { impis: 1, impus: 2 }
				),
				(
					Some(PROVISIONER),
					REALM,
					Subject::Subscription(SUB2),
					Change::Imported { impis: 1, impus: 1 }
				),
			]
		);
	});
}

#[test]
fn import_subscribers_takes_a_subscriber_without_identities() {
	given(services, || {
		assert_ok!(import(root(), batch(vec![subscriber(SUB, vec![], vec![], vec![])])));
		assert_eq!(Subscriptions::<Test>::get(SUB).unwrap().impis.len(), 0);
	});
}

#[test]
fn import_subscribers_takes_a_full_subscriber() {
	given(services, || {
		let impis = vec![impi(IMPI), impi(IMPI3)];
		let impus = [IMPU, IMPU2, IMPU3, IMPU4].map(|id| impu(id, Some(SET))).to_vec();
		let links = (0..2).flat_map(|i| (0..4).map(move |u| (i, u))).collect();
		assert_ok!(import(root(), batch(vec![subscriber(SUB, impis, impus, links)])));
		let set = ImplicitSets::<Test>::get(SUB, SET).unwrap();
		assert_eq!(set.members.into_inner(), vec![IMPU, IMPU2, IMPU3, IMPU4]);
		assert_eq!(impus_of(IMPI3).len(), 4);
		assert_eq!(Impus::<Test>::get(IMPU4).unwrap().impis, 2);
	});
}

#[test]
fn import_subscribers_counts_what_is_beyond_the_reference_subscriber() {
	let [first, second]: [SubscriberImportOf<Test>; 2] = two().try_into().unwrap();
	// One IMPU beyond the first, linked, in one implicit set.
	assert_eq!(Identity::extra_identities(&first), 1);
	assert_eq!(Identity::implicit_sets(&first), 1);
	// The reference subscriber itself.
	assert_eq!((Identity::extra_identities(&second), Identity::implicit_sets(&second)), (0, 0));
	let empty = subscriber(SUB, vec![], vec![], vec![]);
	assert_eq!((Identity::extra_identities(&empty), Identity::implicit_sets(&empty)), (0, 0));
	let two_sets = subscriber(SUB, vec![], vec![impu(IMPU, Some(1)), impu(IMPU2, Some(2))], vec![]);
	assert_eq!((Identity::extra_identities(&two_sets), Identity::implicit_sets(&two_sets)), (1, 2));
	// Two IMPIs sharing two IMPUs: one IMPI, one IMPU and two links beyond
	// one per IMPU, each charged as an identity.
	let shared = subscriber(
		SUB,
		vec![impi(IMPI), impi(IMPI2)],
		vec![impu(IMPU, None), impu(IMPU2, None)],
		vec![(0, 0), (0, 1), (1, 0), (1, 1)],
	);
	assert_eq!((Identity::extra_identities(&shared), Identity::implicit_sets(&shared)), (4, 0));
}

#[test]
fn import_subscribers_weighs_the_reference_subscribers_their_extras_and_sets() {
	use crate::WeightInfo;
	type W = ();
	let identity = <W as WeightInfo>::import_extra_identities(1)
		- <W as WeightInfo>::import_extra_identities(0);
	let set =
		<W as WeightInfo>::import_implicit_sets(1) - <W as WeightInfo>::import_implicit_sets(0);
	assert!(identity.ref_time() > 0 && set.ref_time() > 0);
	// One profile and one charging record: what the reference pays.
	assert_eq!(Identity::shared_records(&batch(two())), 2);
	assert_eq!(
		Identity::import_subscribers_weight(&batch(two())),
		<W as WeightInfo>::import_subscribers(2) + identity + set
	);
	// A second profile is charged once, however many IMPUs use it.
	let record =
		<W as WeightInfo>::import_shared_records(2) - <W as WeightInfo>::import_shared_records(1);
	assert!(record.ref_time() > 0);
	let mut subscribers = two();
	for new in subscribers[0].impus.iter_mut() {
		new.attributes.service_profile = PROFILE2;
	}
	assert_eq!(Identity::shared_records(&batch(subscribers.clone())), 3);
	assert_eq!(
		Identity::import_subscribers_weight(&batch(subscribers)),
		<W as WeightInfo>::import_subscribers(2) + identity + set + record
	);
}

#[test]
fn import_subscribers_declares_its_audit_records_and_is_charged_them_once() {
	given(services, || {
		let subscribers = batch(two());
		let own = Identity::import_subscribers_weight(&subscribers);
		let audit = <TestAuditSink as AuditSink<u64>>::record_all_weight(2);
		assert!(audit.ref_time() > 0);
		let call =
			Call::<Test>::import_subscribers { realm: REALM, subscribers: subscribers.clone() };
		assert_eq!(call.get_dispatch_info().call_weight, own + audit);
		// The sink registers the audit part itself, so the call's actual
		// weight leaves it out.
		let post = import(root(), subscribers).unwrap();
		assert_eq!(post.actual_weight, Some(own));
	});
}

#[test]
fn import_subscribers_counts_each_profiles_users_once_per_call() {
	given(services, || {
		let mut subscribers = two();
		for new in subscribers[0].impus.iter_mut() {
			new.attributes.service_profile = PROFILE2;
		}
		let (profile, profile2) =
			(users_of_profile(REALM, PROFILE), users_of_profile(REALM, PROFILE2));
		assert_ok!(import(root(), batch(subscribers)));
		assert_eq!(users_of_profile(REALM, PROFILE), profile + 1);
		assert_eq!(users_of_profile(REALM, PROFILE2), profile2 + 2);
	});
}

#[test]
fn import_subscribers_refuses_a_profile_count_past_its_bound() {
	given(services, || {
		let set_users = |users| {
			ServiceProfiles::<Test>::mutate(REALM, PROFILE, |entry| {
				entry.as_mut().unwrap().users = users
			})
		};
		let users = users_of_profile(REALM, PROFILE);
		// Room for two of the batch's three users.
		set_users(u32::MAX - 2);
		assert_noop!(import(root(), batch(two())), Error::<Test>::Overflow);
		set_users(users);
	});
}

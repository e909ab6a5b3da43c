//! What a front may record: subjects of the realm, unknown identities and
//! refused peers only; times on the step, not ahead of the block, never
//! going back.

use super::*;
use crate::mock::subscriber;
use ims_primitives::audit::FrontRecord;

fn with_subject(n: u8, subject: Subject<u64>) -> FrontBatchOf<Test> {
	let mut records = batch(0, n);
	records[usize::from(n) - 1].subject = subject;
	records
}

fn with_time(times: &[u64]) -> FrontBatchOf<Test> {
	let records: Vec<_> =
		(0u8..).zip(times).map(|(n, at_ms)| FrontRecord { at_ms: *at_ms, ..record(n) }).collect();
	records.try_into().unwrap()
}

#[test]
fn a_subscriber_of_another_realm_or_of_none_is_refused() {
	test(|| {
		let other = Subject::Impu(subscriber(SHARED_REALM, 1));
		assert_noop!(
			submit(FRONT, REALM, 0, with_subject(3, other)),
			Error::<Test>::SubjectNotInRealm
		);
		let nobody = Subject::Impi(subscriber(NO_REALM, 1));
		assert_noop!(
			submit(FRONT, REALM, 0, with_subject(1, nobody)),
			Error::<Test>::SubjectNotInRealm
		);
		let consent =
			Subject::Consent(subscriber(SHARED_REALM, 2), b"billing".to_vec().try_into().unwrap());
		assert_noop!(
			submit(FRONT, REALM, 0, with_subject(2, consent)),
			Error::<Test>::SubjectNotInRealm
		);
		// The same subscriber is the realm's where it is the realm's.
		let own = Subject::Subscription(subscriber(SHARED_REALM, 1));
		assert_ok!(submit(FRONT, SHARED_REALM, 0, with_subject(1, own)));
		assert_eq!(NextSequence::<Test>::get(FRONT), 1);
	});
}

#[test]
fn unknown_identities_and_refused_peers_may_be_recorded() {
	test(|| {
		let peer = Subject::Peer(b"icscf.ims.example.net".to_vec().try_into().unwrap());
		let mut records = batch(0, 3);
		records[0].subject = Subject::Unknown(H256::repeat_byte(0xee));
		records[0].result = 5001;
		records[1].subject = peer.clone();
		records[1].activity = Activity::AccessDenied(Denial::PeerRole);
		records[1].result = 5003;
		let entries: Vec<_> = records.iter().cloned().map(|r| r.into_entry()).collect();
		assert_ok!(submit(FRONT, REALM, 0, records));
		assert_eq!(recorded()[0].5, entries);

		// A peer, but not a refusal: not the front's to record.
		let mut records = batch(3, 4);
		records[0].subject = peer;
		assert_noop!(submit(FRONT, REALM, 3, records), Error::<Test>::NotASubscriber);
	});
}

#[test]
fn the_realm_may_be_recorded_for_api_requests_only() {
	test(|| {
		let api = Activity::Api {
			method: HttpMethod::Get,
			route: b"/v1/realms/{realm}".to_vec().try_into().unwrap(),
		};
		let mut records = batch(0, 2);
		records[0].subject = Subject::Realm;
		records[0].activity = api.clone();
		records[0].result = 200;
		// An API request about a subscriber is the subscriber's record.
		records[1].activity = api;
		records[1].result = 403;
		let entries: Vec<_> = records.iter().cloned().map(|r| r.into_entry()).collect();
		assert_ok!(submit(FRONT, REALM, 0, records));
		assert_eq!(recorded()[0].5, entries);

		// The realm, but not an API request: not the front's to record.
		let mut records = batch(2, 3);
		records[0].subject = Subject::Realm;
		assert_noop!(submit(FRONT, REALM, 2, records), Error::<Test>::NotASubscriber);
		// Nor any other realm object.
		let mut records = batch(2, 3);
		records[0].subject = Subject::ServiceProfile(1);
		records[0].activity = Activity::Api { method: HttpMethod::Put, route: Default::default() };
		assert_noop!(submit(FRONT, REALM, 2, records), Error::<Test>::NotASubscriber);
	});
}

#[test]
fn record_times_fall_on_the_step() {
	test(|| {
		assert_noop!(
			submit(FRONT, REALM, 0, with_time(&[RECORD_MS + 1])),
			Error::<Test>::TimeNotOnStep
		);
		assert_noop!(
			submit(FRONT, REALM, 0, with_time(&[RECORD_MS, RECORD_MS + STEP_MS / 2])),
			Error::<Test>::TimeNotOnStep
		);
		assert_ok!(submit(FRONT, REALM, 0, with_time(&[RECORD_MS, RECORD_MS + STEP_MS])));
	});
}

#[test]
fn record_times_stay_within_the_skew_of_the_block() {
	test(|| {
		// The clock reads RECORD_MS + 20 s: two minutes ahead is the last
		// minute allowed.
		let latest = RECORD_MS + SKEW_MS;
		assert!(latest <= NowMs::get() + SKEW_MS);
		assert_noop!(
			submit(FRONT, REALM, 0, with_time(&[latest + STEP_MS])),
			Error::<Test>::TimeInFuture
		);
		assert_ok!(submit(FRONT, REALM, 0, with_time(&[latest])));
		assert_eq!(LastRecordTime::<Test>::get(FRONT), Some(latest));
	});
}

#[test]
fn record_times_never_go_back() {
	test(|| {
		let later = RECORD_MS + STEP_MS;
		assert_noop!(
			submit(FRONT, REALM, 0, with_time(&[later, RECORD_MS])),
			Error::<Test>::TimeBeforePrevious
		);
		assert_ok!(submit(FRONT, REALM, 0, with_time(&[RECORD_MS, later, later])));
		assert_eq!(LastRecordTime::<Test>::get(FRONT), Some(later));
		// Across batches and realms: the front's clock, not the realm's.
		let mut back = batch_in(SHARED_REALM, 3, 4);
		back[0].at_ms = RECORD_MS;
		assert_noop!(submit(FRONT, SHARED_REALM, 3, back), Error::<Test>::TimeBeforePrevious);
		// Another front has a clock of its own.
		assert_ok!(submit(OTHER_FRONT, SHARED_REALM, 0, batch_in(SHARED_REALM, 0, 1)));
		assert_eq!(LastRecordTime::<Test>::get(OTHER_FRONT), Some(RECORD_MS));
	});
}

#[test]
fn replayed_records_are_not_checked_again() {
	test(|| {
		assert_ok!(submit(FRONT, REALM, 0, batch(0, 2)));
		// Record 0 no longer passes (its subscriber left the realm, its
		// time is before the front's last): the replay skips it unchecked,
		// and checks record 2.
		let mut replay = batch(0, 3);
		replay[0].subject = Subject::Impu(subscriber(SHARED_REALM, 0));
		replay[0].at_ms = 0;
		assert_ok!(submit(FRONT, REALM, 0, replay.clone()));
		assert_eq!(NextSequence::<Test>::get(FRONT), 3);
		let mut next = batch(3, 4);
		next[0].subject = Subject::Impu(subscriber(SHARED_REALM, 3));
		assert_noop!(submit(FRONT, REALM, 3, next), Error::<Test>::SubjectNotInRealm);
	});
}

#[test]
fn the_new_records_are_charged() {
	test(|| {
		let weight = <() as crate::WeightInfo>::submit;
		let declared =
			Call::<Test>::submit { realm: REALM, first_sequence: 0, records: batch(0, 4) }
				.get_dispatch_info()
				.call_weight;
		assert_eq!(declared, weight(4));
		let info = Audit::submit(RuntimeOrigin::signed(FRONT), REALM, 0, batch(0, 4)).unwrap();
		assert_eq!(info.actual_weight, Some(weight(4)));
		// Two of four replayed: two new records checked and recorded.
		let info = Audit::submit(RuntimeOrigin::signed(FRONT), REALM, 2, batch(2, 6)).unwrap();
		assert_eq!(info.actual_weight, Some(weight(2)));
	});
}

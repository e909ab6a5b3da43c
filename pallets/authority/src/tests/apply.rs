//! Tests of apply.

use super::*;

#[test]
fn needs_a_signed_origin() {
	with_genesis(|| {
		for origin in [root(), RuntimeOrigin::none()] {
			assert_noop!(Authority::apply(origin, 106, region(b"DE")), DispatchError::BadOrigin);
		}
	});
}

#[test]
fn refuses_malformed_regions() {
	with_genesis(|| {
		for bad in [
			Region::new(b"de", None),
			Region::new(b"D1", Some(b"EU")),
			Region::new(b"DE", Some(b"eu")),
			Region::new(b"  ", None),
		] {
			assert_noop!(
				Authority::apply(signed(APPLICANT), 106, bad),
				AuthorityError::InvalidRegion
			);
		}
	});
}

#[test]
fn refuses_a_candidate_twice() {
	with_genesis(|| {
		assert_noop!(
			Authority::apply(signed(DE), 101, region(b"DE")),
			AuthorityError::AlreadyCandidate
		);
	});
}

#[test]
fn refuses_more_than_max_candidates() {
	with_genesis(|| {
		for who in 100..100 + u64::from(MAX_CANDIDATES) - 5 {
			assert_ok!(Authority::apply(signed(who), who, region(b"FR")));
		}
		assert_eq!(Candidates::<Test>::count(), MAX_CANDIDATES);
		assert_noop!(
			Authority::apply(signed(APPLICANT), 106, region(b"DE")),
			AuthorityError::TooManyCandidates
		);
	});
}

#[test]
fn records_the_applicant() {
	with_genesis(|| {
		assert_ok!(Authority::apply(signed(APPLICANT), 106, Region::new(b"CH", None)));
		assert_eq!(
			Candidates::<Test>::get(APPLICANT),
			Some(crate::Candidate {
				operator: 106,
				region: Region::new(b"CH", None),
				status: Status::Applied
			})
		);
		assert_eq!(
			last_event(),
			Event::Applied {
				candidate: APPLICANT,
				operator: 106,
				region: Region::new(b"CH", None)
			}
		);
	});
}

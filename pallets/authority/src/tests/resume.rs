//! Tests of resume.

use super::*;

#[test]
fn needs_a_signed_offline_candidate() {
	with_genesis(|| {
		assert_noop!(Authority::resume(root()), DispatchError::BadOrigin);
		assert_noop!(Authority::resume(signed(STRANGER)), AuthorityError::NotCandidate);
		assert_noop!(Authority::resume(signed(DE)), AuthorityError::NotOffline);
		assert_ok!(Authority::apply(signed(APPLICANT), 106, region(b"DE")));
		assert_noop!(Authority::resume(signed(APPLICANT)), AuthorityError::NotOffline);
	});
}

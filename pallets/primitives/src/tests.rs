//! The shared types' own rules: scheme sets, names, bounds.

use super::*;

#[test]
fn scheme_bits_are_distinct_and_known() {
	let all = AuthSchemes::of(&AuthScheme::ALL);
	assert_eq!(all.0, AuthSchemes::KNOWN);
	assert_eq!(all.schemes().collect::<Vec<_>>(), AuthScheme::ALL.to_vec());
	assert_eq!(AuthScheme::ALL.iter().map(|s| s.bit().count_ones()).sum::<u32>(), 8);
}

#[test]
fn fhoss_masks_carry_over() {
	// FHoSS: 1 AKAv1, 2 AKAv2, 4 MD5, 8 Digest, 128 SIP Digest.
	let mask = AuthSchemes(1 | 4 | 128);
	assert!(mask.contains(AuthScheme::AkaV1Md5));
	assert!(mask.contains(AuthScheme::DigestMd5));
	assert!(mask.contains(AuthScheme::SipDigest));
	assert!(!mask.contains(AuthScheme::AkaV2Md5));
	assert!(mask.is_known());
	assert!(!AuthSchemes(256).is_known());
	assert!(AuthSchemes::default().is_empty());
}

#[test]
fn diameter_names_match_ts_29_228() {
	assert_eq!(AuthScheme::AkaV1Md5.diameter_name(), "Digest-AKAv1-MD5");
	assert_eq!(AuthScheme::SipDigest.diameter_name(), "SIP Digest");
}

//! The codec with good and bad input: layout, padding, round trips,
//! truncated and oversized frames, mutated frames.

use super::*;
use crate::diameter::dict::{avp, command, APP_CX, VENDOR_3GPP};

fn sample() -> Message {
	Message::request(command::MULTIMEDIA_AUTH, APP_CX, 0x1122_3344, 0x5566_7788)
		.with(Avp::utf8_of(&avp::SESSION_ID, "scscf.ims.test;1;2"))
		.with(Avp::grouped_of(
			&avp::VENDOR_SPECIFIC_APPLICATION_ID,
			vec![
				Avp::u32_of(&avp::VENDOR_ID, VENDOR_3GPP),
				Avp::u32_of(&avp::AUTH_APPLICATION_ID, APP_CX),
			],
		))
		.with(Avp::utf8_of(&avp::PUBLIC_IDENTITY, "sip:alice@ims.test"))
		.with(Avp::grouped_of(
			&avp::SIP_AUTH_DATA_ITEM,
			vec![Avp::utf8_of(&avp::SIP_AUTHENTICATION_SCHEME, "Digest-AKAv1-MD5")],
		))
		.with(Avp::address_of(&avp::HOST_IP_ADDRESS, "127.0.0.1".parse().unwrap()))
}

fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
	let len = frame_len(bytes, DEFAULT_MAX_MESSAGE).unwrap().unwrap();
	Message::decode(&bytes[..len])
}

#[test]
fn a_message_round_trips() {
	let message = sample();
	let bytes = message.encode().unwrap();
	assert_eq!(bytes.len() % 4, 0);
	assert_eq!(u24(&bytes[1..4]), bytes.len());
	assert_eq!(decode(&bytes).unwrap(), message);
}

#[test]
fn the_header_is_laid_out_as_rfc_6733_says() {
	let bytes = Message::request(command::USER_AUTHORIZATION, APP_CX, 7, 9).encode().unwrap();
	assert_eq!(
		bytes,
		[
			1, 0, 0, 20, // version, length
			0xc0, 0, 1, 44, // R+P, command 300
			1, 0, 0, 0, // application 16777216
			0, 0, 0, 7, // hop-by-hop
			0, 0, 0, 9, // end-to-end
		]
	);
}

#[test]
fn avps_are_padded_and_flagged() {
	let message = Message::request(1, 0, 0, 0)
		.with(Avp::utf8_of(&avp::USER_NAME, "bob"))
		.with(Avp::utf8_of(&avp::PUBLIC_IDENTITY, "x"));
	let bytes = message.encode().unwrap();
	assert_eq!(
		&bytes[20..],
		&[
			0, 0, 0, 1, 0x40, 0, 0, 11, b'b', b'o', b'b', 0, // User-Name, M, padded
			0, 0, 2, 89, 0xc0, 0, 0, 13, 0, 0, 0x28, 0xaf, b'x', 0, 0, 0, // V+M, 10415
		]
	);
}

#[test]
fn answers_echo_the_identifiers() {
	let request = sample();
	let answer = Message::answer_to(&request.header);
	assert_eq!(answer.header.hop_by_hop, 0x1122_3344);
	assert_eq!(answer.header.end_to_end, 0x5566_7788);
	assert_eq!(answer.header.command, command::MULTIMEDIA_AUTH);
	assert_eq!(answer.header.flags, flags::PROXIABLE);
	let retransmitted = Header { flags: flags::REQUEST | flags::RETRANSMITTED, ..request.header };
	assert_eq!(retransmitted.answer().flags, 0);
}

#[test]
fn typed_reads() {
	let message = sample();
	assert_eq!(message.required_utf8(&avp::SESSION_ID).unwrap(), "scscf.ims.test;1;2");
	assert_eq!(
		message.find(&avp::HOST_IP_ADDRESS).unwrap().address(&avp::HOST_IP_ADDRESS).unwrap(),
		"127.0.0.1".parse::<IpAddr>().unwrap()
	);
	let item = message.find(&avp::SIP_AUTH_DATA_ITEM).unwrap();
	let scheme = item.child(&avp::SIP_AUTH_DATA_ITEM, &avp::SIP_AUTHENTICATION_SCHEME);
	assert_eq!(
		scheme.unwrap().unwrap().utf8(&avp::SIP_AUTHENTICATION_SCHEME).unwrap(),
		"Digest-AKAv1-MD5"
	);
	assert_eq!(message.optional_u32(&avp::SERVER_ASSIGNMENT_TYPE), Ok(None));
	assert!(matches!(
		message.required_u32(&avp::SERVER_ASSIGNMENT_TYPE),
		Err(AvpError::Missing(def)) if def == &avp::SERVER_ASSIGNMENT_TYPE
	));
	// Text read as an integer: wrong length, 5014.
	let err = message.required_u32(&avp::SESSION_ID).unwrap_err();
	assert_eq!(err.result_code(), dict::result::INVALID_AVP_LENGTH);
	assert!(err.failed_avp().is(&avp::SESSION_ID));
	// A grouped AVP read as text: invalid value, 5004.
	let err = message.required_utf8(&avp::SIP_AUTH_DATA_ITEM).unwrap_err();
	assert_eq!(err.result_code(), dict::result::INVALID_AVP_VALUE);
}

#[test]
fn invalid_utf8_is_an_invalid_value() {
	let message =
		Message::request(1, 0, 0, 0).with(Avp::octets_of(&avp::USER_NAME, vec![0xff, 0xfe]));
	let decoded = decode(&message.encode().unwrap()).unwrap();
	let err = decoded.required_utf8(&avp::USER_NAME).unwrap_err();
	assert_eq!(err.result_code(), dict::result::INVALID_AVP_VALUE);
}

#[test]
fn framing_waits_for_four_bytes_and_checks_version_and_length() {
	assert_eq!(frame_len(&[], 100), Ok(None));
	assert_eq!(frame_len(&[1, 0, 0], 100), Ok(None));
	assert_eq!(frame_len(&[1, 0, 0, 20], 100), Ok(Some(20)));
	assert_eq!(frame_len(&[2, 0, 0, 20], 100), Err(FrameError::Version(2)));
	assert_eq!(frame_len(&[1, 0, 0, 19], 100), Err(FrameError::TooShort(19)));
	assert_eq!(
		frame_len(&[1, 0xff, 0xff, 0xff], 100),
		Err(FrameError::TooLong { length: 0xff_ffff, limit: 100 })
	);
	assert_eq!(FrameError::Version(2).result_code(), dict::result::UNSUPPORTED_VERSION);
}

#[test]
fn a_truncated_header_is_refused() {
	let err = Message::decode(&[1, 0, 0, 20, 0x80]).unwrap_err();
	assert_eq!(err.result_code, dict::result::INVALID_MESSAGE_LENGTH);
}

#[test]
fn a_length_that_is_not_the_frame_is_refused() {
	let mut bytes = sample().encode().unwrap();
	bytes.truncate(bytes.len() - 4);
	let err = Message::decode(&bytes).unwrap_err();
	assert_eq!(err.result_code, dict::result::INVALID_MESSAGE_LENGTH);
	assert_eq!(err.header.hop_by_hop, 0x1122_3344, "the header still answers");
	// Not a multiple of four.
	let mut bytes = Message::request(1, 0, 0, 0).encode().unwrap();
	bytes.push(0);
	bytes[3] = 21;
	let err = Message::decode(&bytes).unwrap_err();
	assert_eq!(err.result_code, dict::result::INVALID_MESSAGE_LENGTH);
}

#[test]
fn a_request_with_the_error_bit_is_refused() {
	let mut bytes = sample().encode().unwrap();
	bytes[4] |= flags::ERROR;
	assert_eq!(decode(&bytes).unwrap_err().result_code, dict::result::INVALID_HDR_BITS);
}

/// A message whose body is `body`, with a correct header.
fn with_body(body: &[u8]) -> Vec<u8> {
	let mut bytes = Message::request(command::USER_AUTHORIZATION, APP_CX, 1, 2).encode().unwrap();
	bytes.extend_from_slice(body);
	let len = bytes.len() as u32;
	bytes[1..4].copy_from_slice(&len.to_be_bytes()[1..]);
	bytes
}

#[test]
fn an_avp_longer_than_the_message_is_refused_with_failed_avp() {
	// User-Name announcing 200 bytes with 8 present.
	let bytes = with_body(&[0, 0, 0, 1, 0x40, 0, 0, 200, b'a', b'b', b'c', b'd']);
	let err = decode(&bytes).unwrap_err();
	assert_eq!(err.result_code, dict::result::INVALID_AVP_LENGTH);
	let failed = err.failed.unwrap();
	assert_eq!((failed.code, failed.vendor), (1, 0));
	assert_eq!(failed.value, Value::Raw(b"abcd".to_vec()));
	assert!(err.reason.contains("announces 200 bytes"), "{}", err.reason);
}

#[test]
fn an_avp_shorter_than_its_header_is_refused() {
	let err = decode(&with_body(&[0, 0, 0, 1, 0x40, 0, 0, 4])).unwrap_err();
	assert_eq!(err.result_code, dict::result::INVALID_AVP_LENGTH);
	// V bit set, length covers only the 8-byte header.
	let err = decode(&with_body(&[0, 0, 2, 89, 0xc0, 0, 0, 8, 0, 0, 0x28, 0xaf])).unwrap_err();
	assert_eq!(err.result_code, dict::result::INVALID_AVP_LENGTH);
}

#[test]
fn trailing_bytes_too_few_for_an_avp_are_refused() {
	let err = decode(&with_body(&[0, 0, 0, 1])).unwrap_err();
	assert_eq!(err.result_code, dict::result::INVALID_AVP_LENGTH);
	assert_eq!(err.failed, None);
}

#[test]
fn an_avp_length_that_overflows_the_group_is_refused() {
	// A SIP-Auth-Data-Item whose child announces more than the group holds.
	let child = [0u8, 0, 2, 96, 0xc0, 0, 0, 60, 0, 0, 0x28, 0xaf, b'x', 0, 0, 0];
	let mut group = vec![0u8, 0, 2, 100, 0xc0, 0, 0, 12 + child.len() as u8, 0, 0, 0x28, 0xaf];
	group.extend_from_slice(&child);
	let err = decode(&with_body(&group)).unwrap_err();
	assert_eq!(err.result_code, dict::result::INVALID_AVP_LENGTH);
	assert_eq!(err.failed.unwrap().code, 608);
}

#[test]
fn nesting_too_deep_is_refused() {
	let mut inner = Avp::utf8_of(&avp::USER_NAME, "deep");
	for _ in 0..MAX_DEPTH {
		inner = Avp::grouped_of(&avp::PROXY_INFO, vec![inner]);
	}
	let bytes = Message::request(1, 0, 0, 0).with(inner).encode().unwrap();
	let err = decode(&bytes).unwrap_err();
	assert_eq!(err.result_code, dict::result::INVALID_AVP_VALUE);
	assert!(err.reason.contains("nested deeper"));
	// One level less is fine.
	let mut inner = Avp::utf8_of(&avp::USER_NAME, "deep");
	for _ in 0..MAX_DEPTH - 1 {
		inner = Avp::grouped_of(&avp::PROXY_INFO, vec![inner]);
	}
	let message = Message::request(1, 0, 0, 0).with(inner);
	assert_eq!(decode(&message.encode().unwrap()).unwrap(), message);
}

#[test]
fn unknown_avps_are_kept_and_only_mandatory_ones_reported() {
	// The vendor-50 code-494 AVP Kamailio's S-CSCF puts in a SAR.
	let optional =
		Avp { code: 494, flags: avp_flags::VENDOR, vendor: 50, value: Value::Raw(b"x".to_vec()) };
	let message = sample().with(optional.clone());
	let decoded = decode(&message.encode().unwrap()).unwrap();
	assert_eq!(decoded.avps.last(), Some(&optional));
	assert_eq!(decoded.unsupported_mandatory(), None);

	let mandatory = Avp { flags: avp_flags::VENDOR | avp_flags::MANDATORY, ..optional };
	let inside = Avp::grouped_of(&avp::SIP_AUTH_DATA_ITEM, vec![mandatory.clone()]);
	let decoded = decode(&sample().with(inside).encode().unwrap()).unwrap();
	assert_eq!(decoded.unsupported_mandatory(), Some(&mandatory));
}

#[test]
fn a_missing_final_padding_is_tolerated_only_at_the_end() {
	// Some peers omit the last AVP's padding in the length they announce;
	// the frame must still be a multiple of four, so this only arises in
	// grouped AVPs whose own length leaves the padding out.
	let child = [0u8, 0, 0, 1, 0x40, 0, 0, 9, b'z', 0, 0, 0];
	let mut group = vec![0u8, 0, 1, 28, 0x40, 0, 0, 8 + 9];
	group.extend_from_slice(&child[..9]);
	group.extend_from_slice(&[0, 0, 0]);
	let decoded = decode(&with_body(&group)).unwrap();
	let Value::Grouped(children) = &decoded.avps[0].value else { panic!("grouped") };
	assert_eq!(children[0].value, Value::Raw(b"z".to_vec()));
}

#[test]
fn oversized_messages_are_not_encoded() {
	let huge = Message::request(1, 0, 0, 0)
		.with(Avp::octets_of(&avp::USER_DATA, vec![0; MAX_LENGTH_FIELD]));
	assert!(huge.encode().is_err());
}

#[test]
fn random_bytes_never_panic() {
	// A small deterministic generator: every prefix of many random
	// frames decodes to a message or an error, never a panic.
	let mut state = 0x2545_f491_4f6c_dd1du64;
	let mut next = move || {
		state ^= state << 13;
		state ^= state >> 7;
		state ^= state << 17;
		state as u8
	};
	let valid = sample().encode().unwrap();
	for round in 0..2000 {
		let mut bytes = valid.clone();
		for _ in 0..(round % 8 + 1) {
			let at = usize::from(next()) % bytes.len();
			bytes[at] = next();
		}
		let cut = usize::from(next()) % (bytes.len() + 1);
		let bytes = &bytes[..cut];
		if let Ok(Some(len)) = frame_len(bytes, DEFAULT_MAX_MESSAGE) {
			if let Some(frame) = bytes.get(..len) {
				// What decodes encodes back to the same message.
				if let Ok(message) = Message::decode(frame) {
					let encoded = message.encode().unwrap();
					assert_eq!(Message::decode(&encoded), Ok(message));
				}
			}
		}
		let _ = Message::decode(bytes);
	}
}

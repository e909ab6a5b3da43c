//! The Diameter decoder on arbitrary bytes: framing, then decoding of the
//! frame, then the typed reads and unknown-AVP check a request goes
//! through. It must return errors, never panic, and a message it accepts
//! must encode to bytes that decode to the same message.
#![no_main]

use ims_bridge::diameter::codec::{self, Message};
use ims_bridge::diameter::dict::avp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
	let _ = codec::peek_header(data);
	if let Ok(Some(len)) = codec::frame_len(data, codec::DEFAULT_MAX_MESSAGE) {
		if let Some(frame) = data.get(..len) {
			if let Ok(message) = Message::decode(frame) {
				let _ = message.unsupported_mandatory();
				let _ = message.required_utf8(&avp::SESSION_ID);
				let _ = message.optional_u32(&avp::SERVER_ASSIGNMENT_TYPE);
				if let Some(item) = message.find(&avp::SIP_AUTH_DATA_ITEM) {
					let _ = item.child(&avp::SIP_AUTH_DATA_ITEM, &avp::SIP_AUTHORIZATION);
				}
				let encoded = message.encode().expect("a decoded message encodes");
				assert_eq!(Message::decode(&encoded).as_ref(), Ok(&message));
			}
		}
	}
	let _ = Message::decode(data);
});

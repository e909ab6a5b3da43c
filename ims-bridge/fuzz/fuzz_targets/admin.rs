//! The admin socket's frames on arbitrary bytes: a length, then a SCALE
//! request. A frame must be refused (too long, malformed, trailing bytes,
//! cut short) or decode to a request that encodes back to the same bytes;
//! it must never panic or allocate beyond the frame limit.
#![no_main]

use codec::Encode;
use ims_bridge::admin::{read_frame, Request, MAX_FRAME};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
	let runtime = tokio::runtime::Builder::new_current_thread().build().expect("a runtime");
	let mut input = data;
	if let Ok(request) = runtime.block_on(read_frame::<Request, _>(&mut input)) {
		let body = request.encode();
		assert!(body.len() <= MAX_FRAME);
		assert_eq!(data.get(4..4 + body.len()), Some(body.as_slice()), "decodes and encodes alike");
	}
});

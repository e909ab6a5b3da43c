//! A blocking Diameter client for the end-to-end tests: it speaks Cx to the
//! real bridge as one of its allowed peers, with real protocol bytes.

use crate::common::REALM;
use ims_bridge::diameter::codec::{self as diameter, flags, Avp, Message};
use ims_bridge::diameter::dict::{avp, command, result, APP_COMMON, APP_CX, VENDOR_3GPP};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A blocking Diameter client speaking as one peer of the test realm.
pub struct CxClient {
	stream: TcpStream,
	buffer: Vec<u8>,
	origin_host: String,
	next: u32,
}

impl CxClient {
	/// Connected to the bridge on `port` as `origin_host`, its CER accepted.
	pub fn open(port: u16, origin_host: &str) -> Self {
		let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
		stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
		let mut client =
			CxClient { stream, buffer: Vec::new(), origin_host: origin_host.into(), next: 1 };
		let vsai = Avp::grouped_of(
			&avp::VENDOR_SPECIFIC_APPLICATION_ID,
			vec![
				Avp::u32_of(&avp::VENDOR_ID, VENDOR_3GPP),
				Avp::u32_of(&avp::AUTH_APPLICATION_ID, APP_CX),
			],
		);
		let mut cer = client
			.common(Message::request(command::CAPABILITIES_EXCHANGE, APP_COMMON, 0, 0))
			.with(Avp::address_of(&avp::HOST_IP_ADDRESS, "127.0.0.1".parse().unwrap()))
			.with(Avp::u32_of(&avp::VENDOR_ID, VENDOR_3GPP))
			.with(Avp::utf8_of(&avp::PRODUCT_NAME, "peer-roles-test"))
			.with(vsai);
		cer.header.flags = flags::REQUEST;
		let cea = client.exchange(cer);
		assert_eq!(cea.required_u32(&avp::RESULT_CODE).unwrap(), result::SUCCESS);
		client
	}

	fn common(&self, message: Message) -> Message {
		message
			.with(Avp::utf8_of(&avp::ORIGIN_HOST, &self.origin_host))
			.with(Avp::utf8_of(&avp::ORIGIN_REALM, REALM))
	}

	/// Asks a Cx request of `command` with `avps` and returns the answer.
	pub fn ask(&mut self, command: u32, avps: Vec<Avp>) -> Message {
		let session = format!("{};{}", self.origin_host, self.next);
		let request = Message::request(command, APP_CX, 0, 0)
			.with(Avp::utf8_of(&avp::SESSION_ID, &session))
			.with(Avp::u32_of(&avp::AUTH_SESSION_STATE, 1));
		let mut request = self.common(request).with(Avp::utf8_of(&avp::DESTINATION_REALM, REALM));
		for a in avps {
			request.push(a);
		}
		self.exchange(request)
	}

	/// Waits for the bridge's next request (an RTR) and answers it with
	/// `code`; returns the request.
	pub fn answer_next_request(&mut self, code: u32) -> Message {
		loop {
			if let Some(len) = diameter::frame_len(&self.buffer, 1 << 20).unwrap() {
				if self.buffer.len() >= len {
					let frame: Vec<u8> = self.buffer.drain(..len).collect();
					let request = Message::decode(&frame).unwrap();
					if !request.header.is_request() {
						continue;
					}
					let h = &request.header;
					let mut answer =
						Message::request(h.command, h.application, h.hop_by_hop, h.end_to_end);
					answer.header.flags = 0;
					let session = request.find(&avp::SESSION_ID).cloned();
					let answer = self
						.common(answer.with(Avp::u32_of(&avp::RESULT_CODE, code)))
						.with(Avp::u32_of(&avp::AUTH_SESSION_STATE, 1));
					let answer = match session {
						Some(session) => {
							Message { avps: [vec![session], answer.avps].concat(), ..answer }
						},
						None => answer,
					};
					self.stream.write_all(&answer.encode().unwrap()).unwrap();
					return request;
				}
			}
			let mut chunk = [0u8; 4096];
			let n = self.stream.read(&mut chunk).expect("a request within 10 s");
			assert!(n > 0, "the bridge closed the connection");
			self.buffer.extend_from_slice(&chunk[..n]);
		}
	}

	fn exchange(&mut self, mut request: Message) -> Message {
		let id = self.next;
		self.next += 1;
		(request.header.hop_by_hop, request.header.end_to_end) = (id, id);
		self.stream.write_all(&request.encode().unwrap()).unwrap();
		loop {
			if let Some(len) = diameter::frame_len(&self.buffer, 1 << 20).unwrap() {
				if self.buffer.len() >= len {
					let frame: Vec<u8> = self.buffer.drain(..len).collect();
					let message = Message::decode(&frame).unwrap();
					if message.header.hop_by_hop == id && !message.header.is_request() {
						return message;
					}
					continue;
				}
			}
			let mut chunk = [0u8; 4096];
			let n = self.stream.read(&mut chunk).expect("an answer within 10 s");
			assert!(n > 0, "the bridge closed the connection");
			self.buffer.extend_from_slice(&chunk[..n]);
		}
	}
}

/// The AVPs of a SIP Digest MAR for `impi` and `impu`.
pub fn mar(impi: &str, impu: &str) -> Vec<Avp> {
	let item = Avp::grouped_of(
		&avp::SIP_AUTH_DATA_ITEM,
		vec![Avp::utf8_of(&avp::SIP_AUTHENTICATION_SCHEME, "SIP Digest")],
	);
	vec![
		Avp::utf8_of(&avp::USER_NAME, impi),
		Avp::utf8_of(&avp::PUBLIC_IDENTITY, impu),
		Avp::u32_of(&avp::SIP_NUMBER_AUTH_ITEMS, 1),
		item,
		Avp::utf8_of(&avp::SERVER_NAME, "sip:127.0.0.1"),
	]
}

/// The Result-Code of an answer (0 when it has none: an Experimental-Result).
pub fn code(answer: &Message) -> u32 {
	answer.required_u32(&avp::RESULT_CODE).unwrap_or(0)
}

//! The benchmark's Diameter clients: what they ask for and how fast.

use super::{Args, REALM};
use ims_bridge::cx::assignment;
use ims_bridge::diameter::codec::{self, Avp, Message};
use ims_bridge::diameter::dict::{avp, command, result, APP_COMMON, APP_CX, VENDOR_3GPP};
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Who the clients are and whom they ask for.
#[derive(Clone)]
pub(super) struct Peer {
	origin_host: String,
	scscf: String,
	users: Range<usize>,
}

/// A request of `cmd` for `user`; a SAR is of `sar_type`.
fn request(cmd: u32, sar_type: u32, id: u32, user: usize, peer: &Peer) -> Message {
	let impi = format!("user{user}@{REALM}");
	let impu = format!("sip:user{user}@{REALM}");
	let base = Message::request(cmd, APP_CX, id, id)
		.with(Avp::utf8_of(&avp::SESSION_ID, &format!("bench;{id}")))
		.with(Avp::grouped_of(
			&avp::VENDOR_SPECIFIC_APPLICATION_ID,
			vec![
				Avp::u32_of(&avp::VENDOR_ID, VENDOR_3GPP),
				Avp::u32_of(&avp::AUTH_APPLICATION_ID, APP_CX),
			],
		))
		.with(Avp::u32_of(&avp::AUTH_SESSION_STATE, 1))
		.with(Avp::utf8_of(&avp::ORIGIN_HOST, &peer.origin_host))
		.with(Avp::utf8_of(&avp::ORIGIN_REALM, REALM))
		.with(Avp::utf8_of(&avp::DESTINATION_REALM, REALM))
		.with(Avp::utf8_of(&avp::USER_NAME, &impi))
		.with(Avp::utf8_of(&avp::PUBLIC_IDENTITY, &impu))
		.with(Avp::utf8_of(&avp::SERVER_NAME, &peer.scscf));
	if cmd == command::MULTIMEDIA_AUTH {
		base.with(Avp::u32_of(&avp::SIP_NUMBER_AUTH_ITEMS, 1)).with(Avp::grouped_of(
			&avp::SIP_AUTH_DATA_ITEM,
			vec![Avp::utf8_of(&avp::SIP_AUTHENTICATION_SCHEME, "SIP Digest")],
		))
	} else {
		base.with(Avp::u32_of(&avp::SERVER_ASSIGNMENT_TYPE, sar_type))
			.with(Avp::u32_of(&avp::USER_DATA_ALREADY_AVAILABLE, 0))
	}
}

/// What a client asks for next.
#[derive(Clone)]
enum Work {
	/// MAR and SAR (re-registration) alternating, each to a random user,
	/// until the instant.
	Mix { until: Instant },
	/// One SAR (REGISTRATION) for each user, taken from a cursor the
	/// clients share.
	Register { next: Arc<AtomicUsize> },
}

impl Work {
	/// The next request's command, SAR type and user, if any.
	fn next(&self, id: u32, users: &Range<usize>, rng: &mut impl Rng) -> Option<(u32, u32, usize)> {
		match self {
			Work::Mix { until } => (Instant::now() < *until).then(|| {
				let cmd = if id.is_multiple_of(2) {
					command::MULTIMEDIA_AUTH
				} else {
					command::SERVER_ASSIGNMENT
				};
				(cmd, assignment::RE_REGISTRATION, rng.gen_range(users.clone()))
			}),
			Work::Register { next } => {
				let user = users.start.checked_add(next.fetch_add(1, Ordering::Relaxed))?;
				(user < users.end).then_some((
					command::SERVER_ASSIGNMENT,
					assignment::REGISTRATION,
					user,
				))
			},
		}
	}
}

struct Outcome {
	latencies: Vec<Duration>,
	errors: u64,
}

/// Whether the first error answer was printed (once a process: a run's
/// errors are nearly always all of one kind).
static ERROR_SHOWN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

impl Outcome {
	/// Counts `answer` an error unless it is a success, and prints the
	/// first error's command and codes on stderr, so a run's errors say
	/// what they are.
	fn count(&mut self, answer: &Message) {
		if answer.optional_u32(&avp::RESULT_CODE).ok().flatten() == Some(result::SUCCESS) {
			return;
		}
		self.errors += 1;
		if !ERROR_SHOWN.swap(true, Ordering::Relaxed) {
			let (command, code) = (answer.header.command, ims_bridge::cx::answer_code(answer));
			eprintln!("cx-bench: first error: command {command}, result code {code}");
		}
	}
}

/// The CER of a benchmark client.
fn cer(peer: &Peer) -> Vec<u8> {
	let mut cer = Message::request(command::CAPABILITIES_EXCHANGE, APP_COMMON, 0, 0)
		.with(Avp::utf8_of(&avp::ORIGIN_HOST, &peer.origin_host))
		.with(Avp::utf8_of(&avp::ORIGIN_REALM, REALM))
		.with(Avp::u32_of(&avp::AUTH_APPLICATION_ID, APP_CX));
	cer.header.flags = codec::flags::REQUEST;
	cer.encode().expect("a CER encodes")
}

async fn client(
	address: std::net::SocketAddr,
	peer: Peer,
	window: usize,
	warmup_until: Instant,
	work: Work,
) -> Outcome {
	let mut stream = TcpStream::connect(address).await.expect("the bridge accepts");
	stream.set_nodelay(true).ok();
	stream.write_all(&cer(&peer)).await.expect("CER sent");
	let mut buffer: Vec<u8> = Vec::with_capacity(1 << 16);
	let mut chunk = vec![0u8; 1 << 16];
	let mut rng = rand::rngs::StdRng::from_entropy();
	let mut in_flight: HashMap<u32, Instant> = HashMap::new();
	let mut next_id: u32 = 1;
	let mut outcome = Outcome { latencies: Vec::with_capacity(1 << 20), errors: 0 };
	let mut connected = false;
	loop {
		if connected {
			let mut batch = Vec::new();
			while in_flight.len() < window {
				let Some((cmd, sar_type, user)) = work.next(next_id, &peer.users, &mut rng) else {
					break;
				};
				let message = request(cmd, sar_type, next_id, user, &peer);
				batch.extend(message.encode().expect("a request encodes"));
				in_flight.insert(next_id, Instant::now());
				next_id = next_id.wrapping_add(1).max(1);
			}
			if !batch.is_empty() {
				stream.write_all(&batch).await.expect("requests sent");
			} else if in_flight.is_empty() {
				return outcome;
			}
		}
		let n = stream.read(&mut chunk).await.expect("answers arrive");
		assert!(n > 0, "the bridge closed the connection");
		buffer.extend_from_slice(&chunk[..n]);
		while let Ok(Some(len)) = codec::frame_len(&buffer, 1 << 20) {
			if buffer.len() < len {
				break;
			}
			let frame: Vec<u8> = buffer.drain(..len).collect();
			let answer = Message::decode(&frame).expect("answers decode");
			if answer.header.command == command::CAPABILITIES_EXCHANGE {
				connected = true;
				continue;
			}
			let Some(sent) = in_flight.remove(&answer.header.hop_by_hop) else { continue };
			if sent >= warmup_until {
				outcome.latencies.push(sent.elapsed());
				outcome.count(&answer);
			}
		}
	}
}

/// A client at a low rate: one request at a time over a blocking socket,
/// `gap` idle between an answer and the next request.
fn paced_client(
	address: std::net::SocketAddr,
	peer: Peer,
	gap: Duration,
	warmup_until: Instant,
	work: Work,
) -> Outcome {
	use std::io::Write;
	let (mut stream, mut answers) = connect(address, &peer);
	let mut rng = rand::rngs::StdRng::from_entropy();
	let mut outcome = Outcome { latencies: Vec::new(), errors: 0 };
	let mut id: u32 = 1;
	while let Some((cmd, sar_type, user)) = work.next(id, &peer.users, &mut rng) {
		let bytes = request(cmd, sar_type, id, user, &peer).encode().expect("a request encodes");
		let sent = Instant::now();
		stream.write_all(&bytes).expect("request sent");
		let answer = answers.next(&|| false).expect("an answer");
		let latency = sent.elapsed();
		assert_eq!(answer.header.hop_by_hop, id, "answers come in order");
		if sent >= warmup_until {
			outcome.latencies.push(latency);
			outcome.count(&answer);
		}
		id = id.wrapping_add(1).max(1);
		std::thread::sleep(gap);
	}
	outcome
}

/// A client at a fixed rate (open loop): a writer thread sends a request
/// every `interval` whatever the answers do, a reader thread matches the
/// answers to their send times. A bridge that stalls finds the requests
/// of the stall waiting when it resumes, so a stall shows in the latency
/// of every request sent during it, not only in the one it delayed (a
/// closed loop, which waits for answers before sending, would leave the
/// others unsent and unmeasured).
fn open_loop_client(
	address: std::net::SocketAddr,
	peer: Peer,
	interval: Duration,
	warmup_until: Instant,
	until: Instant,
) -> Outcome {
	use std::io::Write;
	use std::sync::Mutex;
	let (mut stream, mut answers) = connect(address, &peer);
	// Send times by hop-by-hop id, and whether the writer is done.
	let sent: Arc<Mutex<HashMap<u32, Instant>>> = Arc::default();
	let finished = Arc::new(std::sync::atomic::AtomicBool::new(false));
	let writer = {
		let (sent, finished) = (sent.clone(), finished.clone());
		let work = Work::Mix { until };
		std::thread::spawn(move || {
			let mut rng = rand::rngs::StdRng::from_entropy();
			let mut due = Instant::now();
			let mut id: u32 = 1;
			while let Some((cmd, sar_type, user)) = work.next(id, &peer.users, &mut rng) {
				if let Some(wait) = due.checked_duration_since(Instant::now()) {
					std::thread::sleep(wait);
				}
				let bytes = request(cmd, sar_type, id, user, &peer).encode().expect("encodes");
				sent.lock().expect("not poisoned").insert(id, Instant::now());
				stream.write_all(&bytes).expect("request sent");
				due += interval;
				id = id.wrapping_add(1).max(1);
			}
			finished.store(true, Ordering::Release);
		})
	};
	let mut outcome = Outcome { latencies: Vec::with_capacity(1 << 20), errors: 0 };
	let all_answered =
		|| finished.load(Ordering::Acquire) && sent.lock().expect("not poisoned").is_empty();
	while let Some(answer) = answers.next(&all_answered) {
		let arrived = Instant::now();
		let Some(at) = sent.lock().expect("not poisoned").remove(&answer.header.hop_by_hop) else {
			continue;
		};
		if at >= warmup_until {
			outcome.latencies.push(arrived - at);
			outcome.count(&answer);
		}
	}
	writer.join().expect("the writer finishes");
	outcome
}

/// A blocking connection to the bridge past its CER/CEA, and its answers.
fn connect(address: std::net::SocketAddr, peer: &Peer) -> (std::net::TcpStream, Answers) {
	use std::io::Write;
	let mut stream = std::net::TcpStream::connect(address).expect("the bridge accepts");
	stream.set_nodelay(true).ok();
	stream.write_all(&cer(peer)).expect("CER sent");
	let mut answers = Answers::of(&stream);
	answers.next(&|| false).expect("a CEA");
	(stream, answers)
}

/// Answers off a blocking socket that wakes up every few milliseconds, so
/// that its reader can stop once nothing is awaited.
struct Answers {
	stream: std::net::TcpStream,
	buffer: Vec<u8>,
	chunk: Vec<u8>,
}

impl Answers {
	fn of(stream: &std::net::TcpStream) -> Answers {
		let stream = stream.try_clone().expect("a second handle on the socket");
		stream.set_read_timeout(Some(Duration::from_millis(5))).expect("a read timeout");
		Answers { stream, buffer: Vec::with_capacity(1 << 16), chunk: vec![0u8; 1 << 16] }
	}

	/// The next answer, or `None` once `done` says nothing more is awaited.
	fn next(&mut self, done: &dyn Fn() -> bool) -> Option<Message> {
		use std::io::{ErrorKind, Read};
		loop {
			if let Ok(Some(len)) = codec::frame_len(&self.buffer, 1 << 20) {
				if self.buffer.len() >= len {
					let frame: Vec<u8> = self.buffer.drain(..len).collect();
					return Some(Message::decode(&frame).expect("answers decode"));
				}
			}
			if done() {
				return None;
			}
			match self.stream.read(&mut self.chunk) {
				Ok(0) => panic!("the bridge closed the connection"),
				Ok(n) => self.buffer.extend_from_slice(&self.chunk[..n]),
				Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {},
				Err(e) => panic!("answers arrive: {e}"),
			}
		}
	}
}

/// Runs the clients against `address` until `until`, counting from
/// `warmup_until`; returns every latency, sorted, and the errors.
pub(super) async fn load(
	args: &Args,
	address: std::net::SocketAddr,
	warmup_until: Instant,
	until: Instant,
) -> (Vec<Duration>, u64) {
	let peer = Peer {
		origin_host: args.origin_host.clone(),
		scscf: args.scscf.clone(),
		users: args.first..args.first + args.subscribers.max(1),
	};
	let work = if args.register {
		Work::Register { next: Arc::new(AtomicUsize::new(0)) }
	} else {
		Work::Mix { until }
	};
	let clients: Vec<tokio::task::JoinHandle<Outcome>> = (0..args.connections)
		.map(|_| {
			let peer = peer.clone();
			match (args.rate, args.gap_us) {
				(Some(rate), _) => {
					let each = f64::from(rate) / args.connections.max(1) as f64;
					let interval = Duration::from_secs_f64(1.0 / each.max(1.0));
					tokio::task::spawn_blocking(move || {
						open_loop_client(address, peer, interval, warmup_until, until)
					})
				},
				(None, Some(gap)) => {
					let gap = Duration::from_micros(gap);
					let work = work.clone();
					tokio::task::spawn_blocking(move || {
						paced_client(address, peer, gap, warmup_until, work)
					})
				},
				(None, None) => {
					tokio::spawn(client(address, peer, args.window, warmup_until, work.clone()))
				},
			}
		})
		.collect();
	let (mut latencies, mut errors) = (Vec::new(), 0);
	for c in clients {
		let outcome = c.await.expect("a client finishes");
		latencies.extend(outcome.latencies);
		errors += outcome.errors;
	}
	latencies.sort();
	(latencies, errors)
}

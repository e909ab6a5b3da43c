//! `cx-bench`: Cx throughput and latency of the bridge on loopback.
//!
//! Method: the real Diameter listener and Cx application run in this
//! process over a real vault and journal (in a temporary directory; every
//! answer waits for its audit record as `--sync` says: its write into the
//! log file by default, flushed every `--flush-interval-ms`, or its
//! `fdatasync`) and an index filled as the chain follower fills it, for
//! `--subscribers` subscribers. `--connections` Diameter clients each
//! exchange CER/CEA, then keep `--window` requests in flight for
//! `--seconds`, alternating MAR (SIP Digest) and SAR (re-registration),
//! each to a random subscriber.
//! Latency is measured per request from the client's send to the answer's
//! arrival; throughput counts answers with Result-Code 2001 (anything else
//! is counted as an error). Prints one summary line per run.
//!
//! `--gap-us N` measures what a CSCF sees at a low rate instead: each
//! client is a thread of its own with a blocking socket that sends one
//! request, reads its answer, then stays idle for N microseconds, so that
//! every request finds the bridge asleep and its caches cold, as between
//! the Cx requests of SIP registrations.
//!
//! `--register` sends each of the users one SAR (REGISTRATION) instead,
//! in order, and stops when all are answered: the registrations of a
//! network coming back, each a change of state the bridge reports to the
//! chain. It brings a base to its steady state (every subscriber
//! registered) before its Cx is measured.
//!
//! `--target ADDRESS` measures a running bridge instead (`ims-bridge run`
//! against a chain whose subscribers `scripts/gen-subscribers.py` wrote:
//! user<i>, password pw<i>); `--origin-host` and `--scscf` must then be a
//! peer it allows and the S-CSCF name it is configured with, and requests
//! go to users `--first` to `--first + --subscribers - 1`.
//!
//! ```text
//! cargo run --release -p ims-bridge --bin cx-bench -- --connections 4 --window 64 --seconds 10
//! cargo run --release -p ims-bridge --bin cx-bench -- --connections 1 --gap-us 300 --sync with-answer
//! cx-bench --target 127.0.0.1:3868 --origin-host scscf.ims.example.net --subscribers 1000000
//! ```

#![allow(
	clippy::expect_used,
	clippy::unwrap_used,
	clippy::panic,
	clippy::indexing_slicing,
	reason = "a benchmark tool: a set-up step that fails ends the run with its message"
)]

use clap::Parser;
use ims_bridge::cx::{assignment, Cx, CxConfig};
use ims_bridge::diameter::codec::{self, Avp, Message};
use ims_bridge::diameter::dict::{avp, command, result, APP_COMMON, APP_CX, VENDOR_3GPP};
use ims_bridge::diameter::peer::{AllowedPeer, Context, LocalIdentity, PeerPolicy};
use ims_bridge::index::{ImpiEntry, Index, Update};
use ims_bridge::journal::{Journal, JournalOptions, Sync};
use ims_bridge::metrics::Metrics;
use ims_bridge::pseudonym::Kind;
use ims_bridge::vault::{DigestSecret, PrivateIdentity, Subscriber, Vault, VaultKey};
use ims_primitives::{
	AuthScheme, AuthSchemes, ImpuId, ImpuKind, ImpuView, Name, ProfileView, PublicIdentityView,
	RegistrationState, RegistrationView, ServerAssignmentView,
};
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Parser)]
#[command(about = "Cx throughput and latency of ims-bridge on loopback")]
struct Args {
	/// Diameter connections (clients).
	#[arg(long, default_value_t = 4)]
	connections: usize,
	/// Requests in flight per connection.
	#[arg(long, default_value_t = 64)]
	window: usize,
	/// Seconds to measure (after one second of warm-up).
	#[arg(long, default_value_t = 10)]
	seconds: u64,
	/// Subscribers in the vault and index.
	#[arg(long, default_value_t = 200)]
	subscribers: usize,
	/// When an answer's audit record is durable: with-answer (waits for the
	/// write to the file; the bridge's default) or before-answer (waits for
	/// the fdatasync).
	#[arg(long, default_value = "with-answer", value_parser = parse_sync)]
	sync: Sync,
	/// Idle microseconds between an answer and the next request, one
	/// request at a time per connection (`--window` is then ignored).
	#[arg(long)]
	gap_us: Option<u64>,
	/// Subscriptions the vault's read cache keeps (0: every read is a
	/// database transaction).
	#[arg(long, default_value_t = ims_bridge::vault::DEFAULT_CACHE_SUBSCRIBERS)]
	vault_cache: u32,
	/// With `--sync with-answer`, milliseconds between two flushes of the
	/// journal's log (the bridge's `[journal] flush_interval_ms`).
	#[arg(long, default_value_t = ims_bridge::journal::DEFAULT_FLUSH_INTERVAL.as_millis() as u64)]
	flush_interval_ms: u64,
	/// Seconds of load before measuring (with a running bridge, enough to
	/// fill its vault cache with the users asked for).
	#[arg(long, default_value_t = 1)]
	warmup_seconds: u64,
	/// A running bridge to measure (its Diameter address) instead of one
	/// in this process.
	#[arg(long)]
	target: Option<std::net::SocketAddr>,
	/// The clients' Origin-Host: a peer the bridge allows.
	#[arg(long, default_value = "bench.client")]
	origin_host: String,
	/// The Server-Name of SARs: the bridge's S-CSCF.
	#[arg(long, default_value = "sip:127.0.0.1:6060")]
	scscf: String,
	/// The first user asked for (user<first>).
	#[arg(long, default_value_t = 0)]
	first: usize,
	/// Register each user once (SAR REGISTRATION, in order) and stop,
	/// instead of `--seconds` of MAR+SAR.
	#[arg(long, conflicts_with = "gap_us")]
	register: bool,
}

/// Who the clients are and whom they ask for.
#[derive(Clone)]
struct Peer {
	origin_host: String,
	scscf: String,
	users: Range<usize>,
}

fn parse_sync(text: &str) -> Result<Sync, String> {
	match text {
		"before-answer" => Ok(Sync::BeforeAnswer),
		"with-answer" => Ok(Sync::WithAnswer),
		other => Err(format!("{other}: expected before-answer or with-answer")),
	}
}

const REALM: &str = "ims.example.net";

fn name(text: &str) -> Name {
	Name::truncate_from(text.as_bytes().to_vec())
}

fn view_of(s: &Subscriber, impu: &str, scscf: &str) -> ServerAssignmentView {
	let id = ImpuId::from(s.pseudonym(Kind::Impu, impu));
	ServerAssignmentView {
		impu: ImpuView {
			impu: id,
			realm: 0,
			realm_name: name(REALM),
			subscription: ImpuId::from(s.handle()),
			kind: ImpuKind::PublicIdentity,
			barred: false,
			can_register: true,
			implicit_set: Some(1),
			all_barred: false,
			roaming: Default::default(),
			registration: RegistrationView {
				state: RegistrationState::Registered,
				scscf: Some(name(scscf)),
			},
		},
		associated_impis: s
			.impis
			.iter()
			.map(|i| ImpuId::from(s.pseudonym(Kind::Impi, &i.identity)))
			.collect(),
		profiles: vec![ProfileView {
			id: 0,
			name: name("basic"),
			identities: vec![PublicIdentityView {
				impu: id,
				kind: ImpuKind::PublicIdentity,
				barred: false,
			}],
			ifcs: vec![],
			shared_ifc_sets: vec![],
			subscribed_media_profile: None,
		}],
		charging: None,
	}
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
			let ok = answer.optional_u32(&avp::RESULT_CODE).ok().flatten() == Some(result::SUCCESS);
			if sent >= warmup_until {
				outcome.latencies.push(sent.elapsed());
				if !ok {
					outcome.errors += 1;
				}
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
	use std::io::{Read, Write};
	let mut stream = std::net::TcpStream::connect(address).expect("the bridge accepts");
	stream.set_nodelay(true).ok();
	let read_message = |stream: &mut std::net::TcpStream| {
		let mut header = [0u8; 20];
		stream.read_exact(&mut header).expect("an answer header");
		let len = codec::frame_len(&header, 1 << 20).ok().flatten().expect("a Diameter frame");
		let mut frame = header.to_vec();
		frame.resize(len, 0);
		stream.read_exact(&mut frame[20..]).expect("an answer body");
		Message::decode(&frame).expect("answers decode")
	};
	stream.write_all(&cer(&peer)).expect("CER sent");
	read_message(&mut stream);
	let mut rng = rand::rngs::StdRng::from_entropy();
	let mut outcome = Outcome { latencies: Vec::new(), errors: 0 };
	let mut id: u32 = 1;
	while let Some((cmd, sar_type, user)) = work.next(id, &peer.users, &mut rng) {
		let bytes = request(cmd, sar_type, id, user, &peer).encode().expect("a request encodes");
		let sent = Instant::now();
		stream.write_all(&bytes).expect("request sent");
		let answer = read_message(&mut stream);
		let latency = sent.elapsed();
		assert_eq!(answer.header.hop_by_hop, id, "answers come in order");
		if sent >= warmup_until {
			outcome.latencies.push(latency);
			if answer.optional_u32(&avp::RESULT_CODE).ok().flatten() != Some(result::SUCCESS) {
				outcome.errors += 1;
			}
		}
		id = id.wrapping_add(1).max(1);
		std::thread::sleep(gap);
	}
	outcome
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
	if sorted.is_empty() {
		return Duration::ZERO;
	}
	let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
	sorted[rank.min(sorted.len() - 1)]
}

/// A vault and an index holding `args.subscribers` SIP Digest subscribers,
/// each registered at `scscf`.
fn subscribers(args: &Args, dir: &Path, scscf: &str) -> (Arc<Vault>, Arc<Index>) {
	let vault = Arc::new(
		Vault::open_with_cache(
			&dir.join("vault.redb"),
			&VaultKey::from_bytes([7; 32]),
			args.vault_cache,
		)
		.expect("vault"),
	);
	let index = Arc::new(Index::default());
	let mut update = Update {
		realms: Some([(REALM.to_string(), 0)].into_iter().collect()),
		..Default::default()
	};
	for user in args.first..args.first + args.subscribers {
		let impi = format!("user{user}@{REALM}");
		let impu = format!("sip:user{user}@{REALM}");
		let mut s = Subscriber::new(format!("user{user}"));
		s.impis.push(PrivateIdentity {
			identity: impi.clone(),
			aka: None,
			digest: Some(DigestSecret {
				realm: REALM.into(),
				ha1: ims_bridge::auth::digest_ha1(&impi, REALM, "secret"),
				password: None,
			}),
		});
		s.impus.push(impu.clone());
		vault.put(&s).expect("subscriber stored");
		update
			.impus
			.push((ImpuId::from(s.pseudonym(Kind::Impu, &impu)), Some(view_of(&s, &impu, scscf))));
		update.impis.push((
			ImpuId::from(s.pseudonym(Kind::Impi, &impi)),
			Some(ImpiEntry {
				subscription: ImpuId::from(s.handle()),
				schemes: AuthSchemes::of(&[AuthScheme::SipDigest]),
				default_scheme: AuthScheme::SipDigest,
				credential_epoch: 0,
			}),
		));
	}
	index.apply(update);
	(vault, index)
}

/// The Cx application over `vault`, `index` and `journal`, as a context the
/// listener serves to the benchmark's client peer.
fn context(
	args: &Args,
	vault: Arc<Vault>,
	index: Arc<Index>,
	journal: Journal,
) -> Arc<Context<Cx>> {
	let local = LocalIdentity {
		origin_host: "hss.bench".into(),
		origin_realm: REALM.into(),
		host_ip: "127.0.0.1".parse().expect("an address"),
		product_name: "ims-bridge".into(),
	};
	let policy = PeerPolicy {
		allowed: vec![AllowedPeer {
			origin_host: args.origin_host.clone(),
			addresses: vec!["127.0.0.1".parse().expect("an address")],
		}],
		requests_per_second: u32::MAX / 2,
		burst: 0,
		max_message: codec::DEFAULT_MAX_MESSAGE,
		idle_timeout: Duration::from_secs(60),
		request_timeout: Duration::from_secs(5),
	};
	let metrics = Arc::new(Metrics::new().expect("metrics"));
	let cx = Cx::new(local.clone(), CxConfig::default(), index, vault, journal, metrics);
	Arc::new(Context::new(local, policy, cx))
}

/// Runs the clients against `address` until `until`, counting from
/// `warmup_until`; returns every latency, sorted, and the errors.
async fn load(
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
			match args.gap_us {
				Some(gap) => {
					let gap = Duration::from_micros(gap);
					let work = work.clone();
					tokio::task::spawn_blocking(move || {
						paced_client(address, peer, gap, warmup_until, work)
					})
				},
				None => {
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

/// Prints the run's figures.
fn report(args: &Args, measured: f64, latencies: &[Duration], errors: u64, journaled: Option<u64>) {
	let load = match args.gap_us {
		Some(gap) => format!("one request at a time, {gap} us apart"),
		None => format!("{} in flight", args.window),
	};
	let bridge = match (args.target, args.sync) {
		(Some(target), _) => format!("the bridge at {target}"),
		(None, Sync::WithAnswer) => format!(
			"vault cache {}, journal with-answer, flushed every {} ms",
			args.vault_cache, args.flush_interval_ms
		),
		(None, Sync::BeforeAnswer) => {
			format!("vault cache {}, journal before-answer", args.vault_cache)
		},
	};
	let journaled = journaled.map(|n| format!(", journaled {n}")).unwrap_or_default();
	let requests = if args.register { "SAR registration" } else { "MAR+SAR" };
	let ms = |d: Duration| d.as_secs_f64() * 1e3;
	println!(
		"cx-bench: {} connections x {load}, {} subscribers, {bridge}, {:.1} s: {:.0} answers/s ({requests}), \
		 latency p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms, errors {}{journaled}",
		args.connections,
		args.subscribers,
		measured,
		latencies.len() as f64 / measured,
		ms(percentile(latencies, 50.0)),
		ms(percentile(latencies, 90.0)),
		ms(percentile(latencies, 99.0)),
		ms(latencies.last().copied().unwrap_or_default()),
		errors,
	);
}

#[tokio::main]
async fn main() {
	let args = Args::parse();
	match args.target {
		Some(target) => {
			let (latencies, errors, measured) = measure(&args, target).await;
			report(&args, measured, &latencies, errors, None);
		},
		None => in_process(&args).await,
	}
}

/// Loads the bridge at `address` as the arguments say: returns every
/// latency measured, sorted, the errors and the seconds measured (a
/// registration of every user is measured whole, without warm-up).
async fn measure(args: &Args, address: std::net::SocketAddr) -> (Vec<Duration>, u64, f64) {
	let warmup = if args.register { 0 } else { args.warmup_seconds };
	let warmup_until = Instant::now() + Duration::from_secs(warmup);
	let until = warmup_until + Duration::from_secs(args.seconds);
	let (latencies, errors) = load(args, address, warmup_until, until).await;
	let measured =
		if args.register { warmup_until.elapsed().as_secs_f64() } else { args.seconds as f64 };
	(latencies, errors, measured)
}

/// The bridge's listener and Cx application in this process, over a vault,
/// journal and index of `--subscribers` made here.
async fn in_process(args: &Args) {
	let dir = std::env::temp_dir().join(format!("cx-bench-{}", std::process::id()));
	std::fs::create_dir_all(&dir).expect("a temporary directory");
	let (vault, index) = subscribers(args, &dir, &args.scscf);
	let options = JournalOptions {
		sync: args.sync,
		flush_interval: Duration::from_millis(args.flush_interval_ms),
		..JournalOptions::default()
	};
	let journal = Journal::open_with(&dir.join("journal.redb"), options).expect("journal");
	let ctx = context(args, vault, index, journal.clone());
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
	let address = listener.local_addr().expect("an address");
	let shutdown = tokio_util::sync::CancellationToken::new();
	let connections = args.connections + 1;
	let server =
		tokio::spawn(ims_bridge::server::run(listener, ctx, connections, None, shutdown.clone()));

	let (latencies, errors, measured) = measure(args, address).await;
	journal.settle().await.expect("the journal settles");
	let journaled = journal.depth().map(|d| d.0).unwrap_or(0);
	report(args, measured, &latencies, errors, Some(journaled));
	shutdown.cancel();
	let _ = tokio::time::timeout(Duration::from_secs(10), server).await;
	drop(journal);
	let _ = std::fs::remove_dir_all(&dir);
}

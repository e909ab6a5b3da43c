//! The responder side of a Diameter peer connection (RFC 6733 section 5):
//! capabilities exchange, watchdog, disconnect, and the application's
//! requests, answered concurrently on one connection.
//!
//! A connection starts in `Wait-CER`. A CER from an allowed peer (its
//! Origin-Host listed for the connection's source address) that advertises
//! Cx gets a CEA with Result-Code 2001 and opens the connection; anything
//! else is refused and the connection closed. Once open:
//!
//! - DWR gets DWA, DPR gets DPA and the connection closes;
//! - requests of the Cx application go to the [`Application`]; requests of
//!   another application get 3007, unknown commands 3001, requests with a
//!   mandatory AVP we do not know 5001 (with Failed-AVP), malformed
//!   requests the code their [`DecodeError`] names;
//! - each peer has a token bucket: over it, requests get 3004 (too busy);
//! - answers to our own requests (RTR) are matched by hop-by-hop id.
//!
//! A frame that cannot be delimited (wrong version, absurd length) closes
//! the connection: the stream cannot be trusted past it.

use super::codec::{self, flags, Avp, FrameError, Header, Message};
use super::dict::{self, avp, command, result, APP_COMMON, APP_CX, VENDOR_3GPP};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinSet;

/// How this node presents itself in CEA and every answer.
#[derive(Clone, Debug)]
pub struct LocalIdentity {
	/// Origin-Host.
	pub origin_host: String,
	/// Origin-Realm.
	pub origin_realm: String,
	/// Host-IP-Address of the CEA.
	pub host_ip: IpAddr,
	/// Product-Name of the CEA.
	pub product_name: String,
}

/// A peer allowed to connect: its Origin-Host and the addresses it may
/// connect from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowedPeer {
	/// The Origin-Host it must present in its CER.
	pub origin_host: String,
	/// Source addresses it may connect from.
	pub addresses: Vec<IpAddr>,
}

/// The rules every connection follows.
#[derive(Clone, Debug)]
pub struct PeerPolicy {
	/// Allowed peers.
	pub allowed: Vec<AllowedPeer>,
	/// Requests per second a peer may send on average.
	pub requests_per_second: u32,
	/// Requests a peer may send in a burst above the average.
	pub burst: u32,
	/// Largest message accepted.
	pub max_message: usize,
	/// A connection with no message for this long is closed (Kamailio sends
	/// a DWR every 30 s by default).
	pub idle_timeout: Duration,
	/// How long an answer to our own request (RTR) is awaited.
	pub request_timeout: Duration,
}

impl PeerPolicy {
	/// Whether a connection from `address` may be an allowed peer at all.
	pub fn admits_address(&self, address: IpAddr) -> bool {
		self.allowed.iter().any(|p| p.addresses.contains(&address))
	}

	fn admits(&self, origin_host: &str, address: IpAddr) -> bool {
		self.allowed.iter().any(|p| {
			p.origin_host.eq_ignore_ascii_case(origin_host) && p.addresses.contains(&address)
		})
	}
}

/// The connected peer, as handlers see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerInfo {
	/// Its Origin-Host from the CER.
	pub origin_host: String,
	/// Its Origin-Realm from the CER.
	pub origin_realm: String,
	/// Where it connects from.
	pub address: SocketAddr,
}

/// The Cx application: answers one request. Called concurrently.
pub trait Application: Send + Sync + 'static {
	/// The answer to `request` from `peer`. The header and the common AVPs
	/// (Session-Id, Origin-Host/Realm, Auth-Session-State, VSAI) are the
	/// application's to set, with [`answer_for`].
	fn handle(
		&self,
		peer: &PeerInfo,
		request: Message,
	) -> impl std::future::Future<Output = Message> + Send;
}

/// What every Cx answer starts with: the request's identifiers and
/// Session-Id, the VSAI, Auth-Session-State and our Origin-Host/Realm.
pub fn answer_for(local: &LocalIdentity, request: &Message) -> Message {
	let mut answer = Message::answer_to(&request.header);
	if let Some(session) = request.find(&avp::SESSION_ID) {
		answer.push(session.clone());
	}
	answer
		.with(vsai())
		.with(Avp::u32_of(&avp::AUTH_SESSION_STATE, dict::NO_STATE_MAINTAINED))
		.with(Avp::utf8_of(&avp::ORIGIN_HOST, &local.origin_host))
		.with(Avp::utf8_of(&avp::ORIGIN_REALM, &local.origin_realm))
}

/// Vendor-Specific-Application-Id {10415, Cx}.
pub fn vsai() -> Avp {
	Avp::grouped_of(
		&avp::VENDOR_SPECIFIC_APPLICATION_ID,
		vec![
			Avp::u32_of(&avp::VENDOR_ID, VENDOR_3GPP),
			Avp::u32_of(&avp::AUTH_APPLICATION_ID, APP_CX),
		],
	)
}

/// An error answer: our identity, Result-Code, Failed-AVP and
/// Error-Message; the E bit for protocol errors (3xxx).
pub fn error_answer(
	local: &LocalIdentity,
	header: &Header,
	session: Option<&Avp>,
	code: u32,
	failed: Option<Avp>,
	message: &str,
) -> Message {
	let mut answer = Message::answer_to(header);
	if (3000..4000).contains(&code) {
		answer.header.flags |= flags::ERROR;
	}
	if let Some(session) = session {
		answer.push(session.clone());
	}
	answer
		.push(Avp::utf8_of(&avp::ORIGIN_HOST, &local.origin_host))
		.push(Avp::utf8_of(&avp::ORIGIN_REALM, &local.origin_realm))
		.push(Avp::u32_of(&avp::RESULT_CODE, code));
	if let Some(failed) = failed {
		answer.push(Avp::grouped_of(&avp::FAILED_AVP, vec![failed]));
	}
	if !message.is_empty() {
		answer.push(Avp::utf8_of(&avp::ERROR_MESSAGE, message));
	}
	answer
}

/// Requests we send to peers (RTR) and the answers awaited.
#[derive(Default)]
pub struct Peers {
	open: Mutex<HashMap<String, PeerHandle>>,
	next_id: AtomicU32,
}

#[derive(Clone)]
struct PeerHandle {
	connection: u64,
	out: mpsc::Sender<Vec<u8>>,
	pending: Arc<Mutex<HashMap<u32, oneshot::Sender<Message>>>>,
}

/// Why a request to a peer got no answer.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RequestError {
	/// No open connection with that Origin-Host.
	#[error("no open connection to peer {0}")]
	NotConnected(String),
	/// The connection closed or the peer did not answer in time.
	#[error("peer {0} did not answer")]
	NoAnswer(String),
	/// The request does not fit in a Diameter message.
	#[error("request too large: {0}")]
	TooLarge(#[from] codec::EncodeError),
}

impl Peers {
	/// Origin-Hosts of the open connections.
	pub fn connected(&self) -> Vec<String> {
		let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
		open.keys().cloned().collect()
	}

	/// A fresh hop-by-hop / end-to-end identifier.
	pub fn next_id(&self) -> u32 {
		self.next_id.fetch_add(1, Ordering::Relaxed)
	}

	/// Sends `request` to the peer `origin_host` (case-insensitive) and
	/// waits for its answer. The request's hop-by-hop id is set here.
	pub async fn request(
		&self,
		origin_host: &str,
		mut request: Message,
		timeout: Duration,
	) -> Result<Message, RequestError> {
		let handle = {
			let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
			open.iter()
				.find(|(host, _)| host.eq_ignore_ascii_case(origin_host))
				.map(|(_, handle)| handle.clone())
		};
		let handle = handle.ok_or_else(|| RequestError::NotConnected(origin_host.to_string()))?;
		let id = self.next_id();
		request.header.hop_by_hop = id;
		let bytes = request.encode()?;
		let (tx, rx) = oneshot::channel();
		handle.pending.lock().unwrap_or_else(|p| p.into_inner()).insert(id, tx);
		let no_answer = || RequestError::NoAnswer(origin_host.to_string());
		if handle.out.send(bytes).await.is_err() {
			return Err(no_answer());
		}
		let answer = tokio::time::timeout(timeout, rx).await;
		handle.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
		answer.map_err(|_| no_answer())?.map_err(|_| no_answer())
	}

	fn register(&self, host: &str, handle: PeerHandle) {
		let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
		// A newer connection of the same peer replaces the older one.
		open.insert(host.to_ascii_lowercase(), handle);
	}

	fn unregister(&self, host: &str, connection: u64) {
		let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
		let key = host.to_ascii_lowercase();
		if open.get(&key).is_some_and(|h| h.connection == connection) {
			open.remove(&key);
		}
	}
}

/// A token bucket.
struct Bucket {
	rate: f64,
	capacity: f64,
	tokens: f64,
	last: Instant,
}

impl Bucket {
	fn new(rate: u32, burst: u32) -> Self {
		let capacity = f64::from(rate.saturating_add(burst).max(1));
		Bucket { rate: f64::from(rate), capacity, tokens: capacity, last: Instant::now() }
	}

	fn take(&mut self) -> bool {
		let now = Instant::now();
		let elapsed = now.duration_since(self.last).as_secs_f64();
		self.last = now;
		self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
		if self.tokens >= 1.0 {
			self.tokens -= 1.0;
			true
		} else {
			false
		}
	}
}

/// Everything a connection needs, shared by all of them.
pub struct Context<A> {
	/// How we present ourselves.
	pub local: LocalIdentity,
	/// The rules.
	pub policy: PeerPolicy,
	/// The application.
	pub app: A,
	/// Open connections, for our own requests.
	pub peers: Peers,
	/// Numbers connections.
	pub connections: std::sync::atomic::AtomicU64,
}

impl<A> Context<A> {
	/// A context with no connection yet.
	pub fn new(local: LocalIdentity, policy: PeerPolicy, app: A) -> Self {
		Context { local, policy, app, peers: Peers::default(), connections: Default::default() }
	}
}

/// Why a connection ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Closed {
	/// The peer closed it.
	ByPeer,
	/// The peer sent DPR.
	Disconnected,
	/// We shut down (DPR sent).
	Shutdown,
	/// The CER was refused.
	Refused(u32),
	/// Nothing arrived for the idle timeout.
	Idle,
	/// A frame could not be delimited.
	Framing(FrameError),
	/// A message other than CER arrived first.
	NoCapabilitiesExchange,
	/// Reading or writing failed.
	Io(String),
}

/// Serves one connection until it closes. `shutdown` turning true starts a
/// graceful disconnect: DPR, wait for DPA (or close), then return.
pub async fn serve<S, A>(
	stream: S,
	address: SocketAddr,
	ctx: Arc<Context<A>>,
	mut shutdown: watch::Receiver<bool>,
) -> Closed
where
	S: AsyncRead + AsyncWrite + Send + 'static,
	A: Application,
{
	let connection = ctx.connections.fetch_add(1, Ordering::Relaxed);
	let (mut reader, mut writer) = tokio::io::split(stream);
	let (out_tx, mut out_rx) = mpsc::channel::<Vec<u8>>(1024);
	let writer_task = tokio::spawn(async move {
		while let Some(frame) = out_rx.recv().await {
			if writer.write_all(&frame).await.is_err() {
				return;
			}
		}
		let _ = writer.shutdown().await;
	});
	let pending: Arc<Mutex<HashMap<u32, oneshot::Sender<Message>>>> = Default::default();
	let mut bucket = Bucket::new(ctx.policy.requests_per_second, ctx.policy.burst);
	let mut handlers = JoinSet::new();
	let mut buffer: Vec<u8> = Vec::with_capacity(8192);
	let mut peer: Option<PeerInfo> = None;
	let mut dpr_sent = false;

	let send = |bytes: Vec<u8>| {
		let out = out_tx.clone();
		async move {
			let _ = out.send(bytes).await;
		}
	};
	let encode = |message: &Message| match message.encode() {
		Ok(bytes) => Some(bytes),
		Err(e) => {
			tracing::error!(error = %e, "answer too large to encode; dropped");
			None
		},
	};

	let closed = 'connection: loop {
		// Handle every complete frame in the buffer.
		loop {
			let len = match codec::frame_len(&buffer, ctx.policy.max_message) {
				Ok(Some(len)) if buffer.len() >= len => len,
				Ok(_) => break,
				Err(e) => {
					tracing::warn!(%address, error = %e, "unreadable Diameter frame; closing");
					// An answer is attempted when a request's header is there.
					if let Some(header) = codec::peek_header(&buffer).filter(Header::is_request) {
						let answer = error_answer(
							&ctx.local,
							&header,
							None,
							e.result_code(),
							None,
							&e.to_string(),
						);
						if let Some(bytes) = encode(&answer) {
							send(bytes).await;
						}
					}
					break 'connection Closed::Framing(e);
				},
			};
			let frame: Vec<u8> = buffer.drain(..len).collect();
			let message = match Message::decode(&frame) {
				Ok(message) => message,
				Err(e) => {
					tracing::warn!(%address, reason = %e.reason, "malformed Diameter message");
					if e.header.is_request() {
						let answer = error_answer(
							&ctx.local,
							&e.header,
							None,
							e.result_code,
							e.failed.clone(),
							&e.reason,
						);
						if let Some(bytes) = encode(&answer) {
							send(bytes).await;
						}
					}
					if peer.is_none() {
						break 'connection Closed::NoCapabilitiesExchange;
					}
					continue;
				},
			};
			let header = message.header;
			if !header.is_request() {
				let waiting =
					pending.lock().unwrap_or_else(|p| p.into_inner()).remove(&header.hop_by_hop);
				match waiting {
					Some(tx) => {
						let _ = tx.send(message);
					},
					None if header.command == command::DISCONNECT_PEER && dpr_sent => {
						break 'connection Closed::Shutdown
					},
					None => {
						tracing::debug!(%address, command = header.command, "unexpected answer dropped")
					},
				}
				continue;
			}
			let Some(info) = &peer else {
				if header.command != command::CAPABILITIES_EXCHANGE {
					tracing::warn!(%address, command = header.command, "request before CER; closing");
					break 'connection Closed::NoCapabilitiesExchange;
				}
				let (answer, accepted) = capabilities_exchange(&ctx, &message, address);
				if let Some(bytes) = encode(&answer) {
					send(bytes).await;
				}
				match accepted {
					Ok(info) => {
						tracing::info!(%address, origin_host = %info.origin_host, "Diameter peer connected");
						ctx.peers.register(
							&info.origin_host,
							PeerHandle {
								connection,
								out: out_tx.clone(),
								pending: pending.clone(),
							},
						);
						peer = Some(info);
					},
					Err(code) => break 'connection Closed::Refused(code),
				}
				continue;
			};
			match header.command {
				command::DEVICE_WATCHDOG | command::DISCONNECT_PEER => {
					// DWA and DPA: success and who we are.
					let answer = Message::answer_to(&header)
						.with(Avp::u32_of(&avp::RESULT_CODE, result::SUCCESS))
						.with(Avp::utf8_of(&avp::ORIGIN_HOST, &ctx.local.origin_host))
						.with(Avp::utf8_of(&avp::ORIGIN_REALM, &ctx.local.origin_realm));
					if let Some(bytes) = encode(&answer) {
						send(bytes).await;
					}
					if header.command == command::DISCONNECT_PEER {
						break 'connection Closed::Disconnected;
					}
				},
				command::CAPABILITIES_EXCHANGE => {
					// A second CER on an open connection: refuse it.
					let answer = error_answer(
						&ctx.local,
						&header,
						None,
						result::UNABLE_TO_COMPLY,
						None,
						"capabilities already exchanged on this connection",
					);
					if let Some(bytes) = encode(&answer) {
						send(bytes).await;
					}
				},
				_ => {
					let refusal = refuse(&ctx.local, &message).or_else(|| {
						(!bucket.take()).then(|| {
							error_answer(
								&ctx.local,
								&header,
								message.find(&avp::SESSION_ID),
								result::TOO_BUSY,
								None,
								"request rate above the peer's limit",
							)
						})
					});
					if let Some(answer) = refusal {
						if let Some(bytes) = encode(&answer) {
							send(bytes).await;
						}
						continue;
					}
					let ctx = ctx.clone();
					let info = info.clone();
					let out = out_tx.clone();
					let mut answering = Box::pin(async move {
						let answer = ctx.app.handle(&info, message).await;
						match answer.encode() {
							Ok(bytes) => {
								let _ = out.send(bytes).await;
							},
							Err(e) => {
								tracing::error!(error = %e, "answer too large to encode; dropped")
							},
						}
					});
					// Most answers need no wait (nothing but memory and a
					// write into the journal's file): they go out from this
					// task, with no hand-off to another. Those that wait (a
					// durable append, a vault write) carry on in a task of
					// their own, so that the requests behind them are read.
					if futures::poll!(answering.as_mut()).is_pending() {
						handlers.spawn(answering);
					}
				},
			}
		}
		while handlers.try_join_next().is_some() {}

		let mut chunk = [0u8; 16 * 1024];
		tokio::select! {
			read = tokio::time::timeout(ctx.policy.idle_timeout, reader.read(&mut chunk)) => match read {
				Err(_) => break 'connection Closed::Idle,
				Ok(Ok(0)) => break 'connection Closed::ByPeer,
				Ok(Ok(n)) => buffer.extend_from_slice(chunk.get(..n).unwrap_or_default()),
				Ok(Err(e)) => break 'connection Closed::Io(e.to_string()),
			},
			changed = shutdown.changed(), if !dpr_sent => {
				if changed.is_err() || *shutdown.borrow() {
					if peer.is_none() {
						break 'connection Closed::Shutdown;
					}
					dpr_sent = true;
					let id = ctx.peers.next_id();
					let dpr = Message::request(command::DISCONNECT_PEER, APP_COMMON, id, id)
						.with(Avp::utf8_of(&avp::ORIGIN_HOST, &ctx.local.origin_host))
						.with(Avp::utf8_of(&avp::ORIGIN_REALM, &ctx.local.origin_realm))
						.with(Avp::u32_of(&avp::DISCONNECT_CAUSE, dict::disconnect_cause::REBOOTING));
					// DPR is not proxiable.
					let mut dpr = dpr;
					dpr.header.flags = flags::REQUEST;
					if let Some(bytes) = encode(&dpr) {
						send(bytes).await;
					}
					// The DPA (or the peer closing) ends the connection; the
					// idle timeout bounds the wait.
				}
			},
		}
	};

	// Let requests in flight finish and their answers go out.
	while handlers.join_next().await.is_some() {}
	if let Some(info) = &peer {
		ctx.peers.unregister(&info.origin_host, connection);
		tracing::info!(%address, origin_host = %info.origin_host, reason = ?closed, "Diameter peer disconnected");
	}
	drop(out_tx);
	let _ = tokio::time::timeout(Duration::from_secs(2), writer_task).await;
	closed
}

/// The answer to a CER and, when accepted, the peer.
fn capabilities_exchange<A>(
	ctx: &Context<A>,
	cer: &Message,
	address: SocketAddr,
) -> (Message, Result<PeerInfo, u32>) {
	let local = &ctx.local;
	let refuse = |code: u32, message: &str, failed: Option<Avp>| {
		(error_answer(local, &cer.header, None, code, failed, message), Err(code))
	};
	let (origin_host, origin_realm) =
		match (cer.required_utf8(&avp::ORIGIN_HOST), cer.required_utf8(&avp::ORIGIN_REALM)) {
			(Ok(host), Ok(realm)) => (host.to_string(), realm.to_string()),
			(Err(e), _) | (_, Err(e)) => {
				return refuse(e.result_code(), &e.to_string(), Some(e.failed_avp()))
			},
		};
	if !ctx.policy.admits(&origin_host, address.ip()) {
		tracing::warn!(%address, %origin_host, "CER from a peer that is not allowed");
		return refuse(result::UNKNOWN_PEER, "peer not allowed", None);
	}
	if !advertises_cx(cer) {
		tracing::warn!(%address, %origin_host, "CER without the Cx application");
		return refuse(
			result::NO_COMMON_APPLICATION,
			"Cx (16777216, vendor 10415) is not advertised",
			None,
		);
	}
	let cea = Message::answer_to(&cer.header)
		.with(Avp::u32_of(&avp::RESULT_CODE, result::SUCCESS))
		.with(Avp::utf8_of(&avp::ORIGIN_HOST, &local.origin_host))
		.with(Avp::utf8_of(&avp::ORIGIN_REALM, &local.origin_realm))
		.with(Avp::address_of(&avp::HOST_IP_ADDRESS, local.host_ip))
		.with(Avp::u32_of(&avp::VENDOR_ID, 0))
		.with(Avp::utf8_of(&avp::PRODUCT_NAME, &local.product_name))
		.with(Avp::u32_of(&avp::SUPPORTED_VENDOR_ID, VENDOR_3GPP))
		.with(Avp::u32_of(&avp::AUTH_APPLICATION_ID, APP_CX))
		.with(vsai())
		.with(Avp::u32_of(&avp::FIRMWARE_REVISION, firmware_revision()));
	(cea, Ok(PeerInfo { origin_host, origin_realm, address }))
}

/// The crate version as Firmware-Revision (major * 10000 + minor * 100 + patch).
fn firmware_revision() -> u32 {
	let part = |s: &str| s.parse::<u32>().unwrap_or(0);
	part(env!("CARGO_PKG_VERSION_MAJOR")) * 10_000
		+ part(env!("CARGO_PKG_VERSION_MINOR")) * 100
		+ part(env!("CARGO_PKG_VERSION_PATCH"))
}

/// Whether a CER offers Cx (directly, in a VSAI, or as a relay).
fn advertises_cx(cer: &Message) -> bool {
	const RELAY: u32 = 0xffff_ffff;
	let offers = |avps: &[Avp]| {
		avps.iter().any(|a| {
			(a.is(&avp::AUTH_APPLICATION_ID) || a.is(&avp::ACCT_APPLICATION_ID))
				&& matches!(a.u32(&avp::AUTH_APPLICATION_ID), Ok(APP_CX | RELAY))
		})
	};
	offers(&cer.avps)
		|| cer
			.find_all(&avp::VENDOR_SPECIFIC_APPLICATION_ID)
			.any(|vsai| vsai.children(&avp::VENDOR_SPECIFIC_APPLICATION_ID).is_ok_and(offers))
}

/// The refusal of an application request we cannot serve, if any.
fn refuse(local: &LocalIdentity, request: &Message) -> Option<Message> {
	let header = &request.header;
	let session = request.find(&avp::SESSION_ID);
	if header.application != APP_CX {
		return Some(error_answer(
			local,
			header,
			session,
			result::APPLICATION_UNSUPPORTED,
			None,
			"only Cx (16777216) is served",
		));
	}
	if !matches!(
		header.command,
		command::USER_AUTHORIZATION
			| command::SERVER_ASSIGNMENT
			| command::LOCATION_INFO
			| command::MULTIMEDIA_AUTH
	) {
		return Some(error_answer(
			local,
			header,
			session,
			result::COMMAND_UNSUPPORTED,
			None,
			"command not served",
		));
	}
	request.unsupported_mandatory().map(|unknown| {
		let failed = Some(unknown.clone());
		error_answer(
			local,
			header,
			session,
			result::AVP_UNSUPPORTED,
			failed,
			"unsupported mandatory AVP",
		)
	})
}

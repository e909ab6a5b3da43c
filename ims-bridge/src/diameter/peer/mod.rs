//! The responder side of a Diameter peer connection (RFC 6733 section 5):
//! capabilities exchange, watchdog, disconnect, and the application's
//! requests, answered concurrently on one connection.
//!
//! A connection starts in `Wait-CER`. A CER from an allowed peer (its
//! Origin-Host and Origin-Realm listed for the connection's source
//! address, named by its TLS client certificate or on plain TCP where
//! that is allowed) that advertises Cx and has a connection to spare gets a CEA
//! with Result-Code 2001 and opens the connection; anything else, or no CER
//! within the CER timeout, is refused and the connection closed. Once open:
//!
//! - DWR gets DWA, DPR gets DPA and the connection closes;
//! - requests of the Cx application go to the [`Application`], with the
//!   peer's [`PeerRole`] for it to check; requests of another application
//!   get 3007, unknown commands 3001, requests with a mandatory AVP we do
//!   not know 5001 (with Failed-AVP), requests naming another Origin-Host
//!   or Origin-Realm than the CER 5004, malformed requests the code their
//!   [`DecodeError`] names;
//! - each peer has a token bucket across its connections: over it, requests
//!   get 3004 (too busy); each connection has at most so many requests in
//!   flight, and is not read while it has;
//! - answers to our own requests (RTR, DWR) are matched by hop-by-hop id;
//! - a silent connection gets our DWR, and is closed if it stays silent;
//! - a connection that leaves our messages unread past the write timeout is
//!   closed, and its requests in flight with it (`docs/diameter-peers.md`).
//!
//! A frame that cannot be delimited (wrong version, absurd length) closes
//! the connection: the stream cannot be trusted past it.
//!
//! - `session`: the state machine of one connection, one function per
//!   event (CER, request, answer, watchdog, disconnect, shutdown).
//! - `answers`: the answers the peer layer builds itself (CEA, DWA, DPA,
//!   refusals) and the common AVPs of every Cx answer.
//! - `peers`: open connections by Origin-Host, for our own requests (RTR).
//! - `limits` and `bucket`: each peer's request rate and connections.
//! - `role`: what each kind of peer may ask.
//! - `watchdog`: when a silent connection gets a DWR or is closed.
//! - `transport`: whether a connection's TLS certificate, or its plain TCP,
//!   is enough for the peer it claims to be.
//!
//! [`DecodeError`]: super::DecodeError

mod answers;
mod limits;
mod peers;
mod role;
mod session;
mod transport;
mod watchdog;

pub use answers::{answer_for, error_answer, vsai};
pub use peers::{Peers, RequestError};
pub use role::PeerRole;
pub use session::serve;
pub use transport::Transport;

use super::codec::{FrameError, Message};
use limits::PeerLimits;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

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

/// A peer allowed to connect: who it is, where it connects from and what
/// it may ask.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowedPeer {
	/// The Origin-Host it must present in its CER and its requests.
	pub origin_host: String,
	/// The Origin-Realm it must present likewise.
	pub origin_realm: String,
	/// Source addresses it may connect from.
	pub addresses: Vec<IpAddr>,
	/// What it is, and so which requests it may send.
	pub role: PeerRole,
	/// Most connections it may hold open at once.
	pub max_connections: usize,
	/// It may connect over plain TCP from another host (without, plain TCP
	/// is for loopback only: a tunnel's end on this host).
	pub plain_tcp: bool,
}

/// The rules every connection follows.
#[derive(Clone, Debug)]
pub struct PeerPolicy {
	/// Allowed peers.
	pub allowed: Vec<AllowedPeer>,
	/// Requests per second a peer may send on average, over all of its
	/// connections.
	pub requests_per_second: u32,
	/// Requests a peer may send in a burst above the average.
	pub burst: u32,
	/// Largest message accepted.
	pub max_message: usize,
	/// Requests of one connection being answered at once; beyond, the
	/// connection is not read until one is answered.
	pub max_in_flight: usize,
	/// A connection must have sent an accepted CER this long after it was
	/// accepted.
	pub cer_timeout: Duration,
	/// Tw of RFC 3539: a connection silent this long gets our DWR, and is
	/// closed when it stays silent as long again.
	pub watchdog: Duration,
	/// The longest a peer may leave a message of ours unread: a connection
	/// whose writes or queue stall this long is closed.
	pub write_timeout: Duration,
	/// How long an answer to our own request (RTR) is awaited.
	pub request_timeout: Duration,
}

impl PeerPolicy {
	/// The rules for `allowed` with the defaults of `[diameter]`.
	pub fn new(allowed: Vec<AllowedPeer>) -> Self {
		PeerPolicy {
			allowed,
			requests_per_second: 50_000,
			burst: 10_000,
			max_message: super::codec::DEFAULT_MAX_MESSAGE,
			max_in_flight: 256,
			cer_timeout: Duration::from_secs(10),
			watchdog: Duration::from_secs(30),
			write_timeout: Duration::from_secs(5),
			request_timeout: Duration::from_secs(5),
		}
	}

	/// Whether a connection from `address` may be an allowed peer at all.
	pub fn admits_address(&self, address: IpAddr) -> bool {
		self.allowed.iter().any(|p| p.addresses.contains(&address))
	}

	/// The position in [`PeerPolicy::allowed`] of the peer `origin_host`
	/// connecting from `address`.
	fn find(&self, origin_host: &str, address: IpAddr) -> Option<usize> {
		self.allowed.iter().position(|p| {
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
	/// Its role in the configuration.
	pub role: PeerRole,
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
	/// Each allowed peer's rate and connections, in the order of
	/// [`PeerPolicy::allowed`].
	limits: Vec<Arc<PeerLimits>>,
	/// Numbers connections.
	pub connections: std::sync::atomic::AtomicU64,
}

impl<A> Context<A> {
	/// A context with no connection yet.
	pub fn new(local: LocalIdentity, policy: PeerPolicy, app: A) -> Self {
		let limits = policy
			.allowed
			.iter()
			.map(|peer| Arc::new(PeerLimits::new(&policy, peer.max_connections)))
			.collect();
		Context {
			local,
			policy,
			app,
			peers: Peers::default(),
			limits,
			connections: Default::default(),
		}
	}
}

/// Why a connection ended.
#[derive(Debug)]
pub enum Closed {
	/// The peer closed it.
	ByPeer,
	/// The peer sent DPR.
	Disconnected,
	/// We shut down (DPR sent).
	Shutdown,
	/// The CER was refused.
	Refused(u32),
	/// A frame could not be delimited.
	Framing(FrameError),
	/// A message other than CER arrived first.
	NoCapabilitiesExchange,
	/// Reading or writing failed.
	Io(std::io::Error),
	/// The TLS handshake failed.
	TlsHandshake(std::io::Error),
	/// The TLS handshake did not end in time.
	TlsHandshakeTimeout,
	/// No CER was accepted within the CER timeout.
	NoCapabilitiesInTime,
	/// The peer answered neither our DWR nor anything else within the
	/// watchdog interval.
	Watchdog,
	/// The peer left our messages unread past the write timeout.
	Stalled,
}

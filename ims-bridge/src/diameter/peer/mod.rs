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
//!
//! - `session`: the state machine of one connection, one function per
//!   event (CER, request, answer, watchdog, disconnect, shutdown).
//! - `answers`: the answers the peer layer builds itself (CEA, DWA, DPA,
//!   refusals) and the common AVPs of every Cx answer.
//! - `peers`: open connections by Origin-Host, for our own requests (RTR).
//! - `bucket`: the per-peer request rate limit.
//!
//! [`DecodeError`]: super::DecodeError

mod answers;
mod bucket;
mod peers;
mod session;

pub use answers::{answer_for, error_answer, vsai};
pub use peers::{Peers, RequestError};
pub use session::serve;

use super::codec::{FrameError, Message};
use std::net::{IpAddr, SocketAddr};
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
	/// Nothing arrived for the idle timeout.
	Idle,
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
}

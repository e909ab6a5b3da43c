//! The open connections by Origin-Host, for the requests we send ourselves
//! (RTR), and the answers they await.

use crate::diameter::codec::{self, Message};
use crate::diameter::connection::Outbox;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

/// Requests we send to peers (RTR) and the answers awaited.
#[derive(Default)]
pub struct Peers {
	open: Mutex<HashMap<String, PeerHandle>>,
	next_id: AtomicU32,
}

/// How our requests reach one connection and its answers come back.
#[derive(Clone)]
pub(super) struct PeerHandle {
	/// The connection's number.
	pub(super) connection: u64,
	/// Its writer.
	pub(super) out: Outbox,
	/// Our requests awaiting an answer, by hop-by-hop id.
	pub(super) pending: Pending,
}

/// Our requests on one connection awaiting an answer, by hop-by-hop id.
pub(super) type Pending = Arc<Mutex<HashMap<u32, oneshot::Sender<Message>>>>;

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
		if !handle.out.send_bytes(bytes).await {
			return Err(no_answer());
		}
		let answer = tokio::time::timeout(timeout, rx).await;
		handle.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
		answer.map_err(|_| no_answer())?.map_err(|_| no_answer())
	}

	/// Records the connection that `host` now uses.
	pub(super) fn register(&self, host: &str, handle: PeerHandle) {
		let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
		// A newer connection of the same peer replaces the older one.
		open.insert(host.to_ascii_lowercase(), handle);
	}

	/// Forgets `host`'s connection `connection`, unless a newer one replaced it.
	pub(super) fn unregister(&self, host: &str, connection: u64) {
		let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
		let key = host.to_ascii_lowercase();
		if open.get(&key).is_some_and(|h| h.connection == connection) {
			open.remove(&key);
		}
	}
}

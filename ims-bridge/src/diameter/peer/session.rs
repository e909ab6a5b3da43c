//! One connection's state machine (RFC 6733 section 5.6, responder side):
//! `Wait-CER` until a CER is accepted (within the CER timeout), then `Open`
//! until DPR, the peer closing, the watchdog finding it gone, a frame that
//! cannot be delimited, our messages left unread past the write timeout,
//! or our own shutdown (DPR sent, then DPA awaited). Each event has a
//! function of its own; each returns `Some(Closed)` when the connection
//! ends.

use super::answers::{
	capabilities_exchange, disconnect_request, error_answer, origin_mismatch, refuse,
	watchdog_or_disconnect_answer, watchdog_request,
};
use super::limits::ConnectionSlot;
use super::peers::{PeerHandle, Peers, Pending};
use super::watchdog::{Due, Watchdog};
use super::{Application, Closed, Context, PeerInfo, Transport};
use crate::diameter::codec::{FrameError, Message};
use crate::diameter::connection::{self, Connection, Inbound, Outbox, ReadEnd};
use crate::diameter::dict::{avp, command, result};
use crate::diameter::DecodeError;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// How long the writer may take to send what is queued once the
/// connection ends.
const WRITER_GRACE: Duration = Duration::from_secs(2);
/// How long requests in flight may take to be answered once the connection
/// ended, beyond the write timeout; then they are abandoned.
const HANDLERS_GRACE: Duration = Duration::from_secs(5);

/// Serves one connection until it closes. `shutdown` starts a graceful
/// disconnect: DPR, wait for DPA (or close), then return. Requests in
/// flight are answered before it returns.
pub async fn serve<S, A>(
	stream: S,
	address: SocketAddr,
	transport: Transport,
	ctx: Arc<Context<A>>,
	shutdown: CancellationToken,
) -> Closed
where
	S: AsyncRead + AsyncWrite + Send + 'static,
	A: Application,
{
	let (reader, writer) = tokio::io::split(stream);
	let (outbox, writer_task) = connection::spawn_writer(writer, ctx.policy.write_timeout);
	let mut connection = Connection::new(reader, ctx.policy.max_message);
	let mut session = Session::new(ctx, address, transport, outbox);
	let closed = session.run(&mut connection, &shutdown).await;
	session.end(&closed).await;
	drop(session);
	let _ = tokio::time::timeout(WRITER_GRACE, writer_task).await;
	closed
}

/// What one connection knows of itself.
struct Session<A> {
	ctx: Arc<Context<A>>,
	address: SocketAddr,
	transport: Transport,
	/// The connection's number, unique in this process.
	number: u64,
	outbox: Outbox,
	/// Our requests (RTR) awaiting an answer on this connection.
	pending: Pending,
	/// Requests whose answers wait on something (a durable append, a vault
	/// write), answered in tasks of their own.
	handlers: JoinSet<()>,
	/// Requests being answered: one permit each.
	in_flight: Arc<Semaphore>,
	/// When the connection was accepted: the CER is due within the CER
	/// timeout of it.
	accepted: Instant,
	/// The peer, once its CER was accepted (`Open`); `None` in `Wait-CER`.
	peer: Option<Open>,
	watchdog: Watchdog,
	/// The hop-by-hop id of our DWR awaiting its DWA.
	dwr: Option<u32>,
	/// Our DPR is out: the DPA, or the peer closing, ends the connection.
	dpr_sent: bool,
}

/// An open connection's peer and the connection it holds of its own.
struct Open {
	info: Arc<PeerInfo>,
	slot: ConnectionSlot,
}

impl<A: Application> Session<A> {
	fn new(
		ctx: Arc<Context<A>>,
		address: SocketAddr,
		transport: Transport,
		outbox: Outbox,
	) -> Self {
		let number = ctx.connections.fetch_add(1, Ordering::Relaxed);
		let in_flight = Arc::new(Semaphore::new(ctx.policy.max_in_flight.max(1)));
		let watchdog = Watchdog::new(ctx.policy.watchdog);
		Session {
			ctx,
			address,
			transport,
			number,
			outbox,
			pending: Default::default(),
			handlers: JoinSet::new(),
			in_flight,
			accepted: Instant::now(),
			peer: None,
			watchdog,
			dwr: None,
			dpr_sent: false,
		}
	}

	/// Handles what arrives until the connection ends.
	async fn run<R: AsyncRead + Unpin>(
		&mut self,
		connection: &mut Connection<R>,
		shutdown: &CancellationToken,
	) -> Closed {
		loop {
			if let Some(closed) = self.on_buffered(connection).await {
				return closed;
			}
			while self.handlers.try_join_next().is_some() {}
			let wait = match self.next_wait().await {
				Ok(wait) => wait,
				Err(closed) => return closed,
			};
			let outbox = self.outbox.clone();
			tokio::select! {
				read = connection.fill(wait) => match read {
					Ok(()) => self.watchdog.heard(),
					Err(ReadEnd::Idle) => {},
					Err(ReadEnd::Closed) => return Closed::ByPeer,
					Err(ReadEnd::Io(e)) => return Closed::Io(e),
				},
				_ = outbox.failed() => return Closed::Stalled,
				_ = shutdown.cancelled(), if !self.dpr_sent => {
					if let Some(closed) = self.on_shutdown().await {
						return closed;
					}
				},
			}
		}
	}

	/// How long to wait for the peer now: until the CER is due in
	/// `Wait-CER`, until the watchdog's next step once open (a DWR sent
	/// when it is due); `Err` when the connection ends for want of either.
	async fn next_wait(&mut self) -> Result<Duration, Closed> {
		if self.peer.is_none() {
			let left = self.ctx.policy.cer_timeout.saturating_sub(self.accepted.elapsed());
			return if left.is_zero() { Err(Closed::NoCapabilitiesInTime) } else { Ok(left) };
		}
		match self.watchdog.due(Instant::now()) {
			Due::Wait(left) => Ok(left),
			Due::Close => Err(Closed::Watchdog),
			Due::Probe => {
				let id = self.peers().next_id();
				self.outbox.send(&watchdog_request(&self.ctx.local, id)).await;
				self.dwr = Some(id);
				self.watchdog.probed();
				Ok(self.ctx.policy.watchdog)
			},
		}
	}

	/// Every complete frame in the buffer, in order.
	async fn on_buffered<R: AsyncRead + Unpin>(
		&mut self,
		connection: &mut Connection<R>,
	) -> Option<Closed> {
		loop {
			let closed = match connection.next_buffered() {
				Ok(None) => return None,
				Err(e) => Some(self.on_undelimited(connection, e).await),
				Ok(Some(Inbound::Malformed(e))) => self.on_malformed(e).await,
				Ok(Some(Inbound::Message(message))) if !message.header.is_request() => {
					self.on_answer(message)
				},
				Ok(Some(Inbound::Message(message))) => self.on_request(message).await,
			};
			if closed.is_some() {
				return closed;
			}
		}
	}

	/// A frame that cannot be delimited: an error answer when a request's
	/// header is there, then the connection closes.
	async fn on_undelimited<R: AsyncRead + Unpin>(
		&mut self,
		connection: &Connection<R>,
		e: FrameError,
	) -> Closed {
		tracing::warn!(address = %self.address, error = %e, "unreadable Diameter frame; closing");
		if let Some(header) = connection.request_header() {
			let local = &self.ctx.local;
			let answer = error_answer(local, &header, None, e.result_code(), None, &e.to_string());
			self.outbox.send(&answer).await;
		}
		Closed::Framing(e)
	}

	/// A delimited frame that does not decode: an error answer to a
	/// request; before CER, the connection closes.
	async fn on_malformed(&mut self, e: DecodeError) -> Option<Closed> {
		tracing::warn!(address = %self.address, reason = %e.reason, "malformed Diameter message");
		if e.header.is_request() {
			let local = &self.ctx.local;
			let failed = e.failed.clone();
			let answer = error_answer(local, &e.header, None, e.result_code, failed, &e.reason);
			self.outbox.send(&answer).await;
		}
		self.peer.is_none().then_some(Closed::NoCapabilitiesExchange)
	}

	/// An answer: to one of our requests, the DWA to our DWR, or the DPA to
	/// our DPR. Before CER, any answer closes the connection.
	fn on_answer(&mut self, message: Message) -> Option<Closed> {
		let header = message.header;
		if self.peer.is_none() {
			tracing::warn!(address = %self.address, command = header.command, "answer before CER; closing");
			return Some(Closed::NoCapabilitiesExchange);
		}
		if self.dwr == Some(header.hop_by_hop) && header.command == command::DEVICE_WATCHDOG {
			self.dwr = None;
			return None;
		}
		let waiting =
			self.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(&header.hop_by_hop);
		match waiting {
			Some(tx) => {
				let _ = tx.send(message);
				None
			},
			None if header.command == command::DISCONNECT_PEER && self.dpr_sent => {
				Some(Closed::Shutdown)
			},
			None => {
				tracing::debug!(address = %self.address, command = header.command, "unexpected answer dropped");
				None
			},
		}
	}

	/// A request, by the connection's state and its command.
	async fn on_request(&mut self, message: Message) -> Option<Closed> {
		let Some(peer) = self.peer.as_ref().map(|open| open.info.clone()) else {
			return self.on_cer(message).await;
		};
		match message.header.command {
			command::DEVICE_WATCHDOG => {
				self.on_watchdog_or_disconnect(&message).await;
				None
			},
			command::DISCONNECT_PEER => {
				self.on_watchdog_or_disconnect(&message).await;
				Some(Closed::Disconnected)
			},
			command::CAPABILITIES_EXCHANGE => {
				self.on_second_cer(&message).await;
				None
			},
			_ => {
				self.on_application_request(peer, message).await;
				None
			},
		}
	}

	/// In `Wait-CER`: a CER opens the connection if the peer is allowed and
	/// offers Cx; anything else closes it.
	async fn on_cer(&mut self, cer: Message) -> Option<Closed> {
		if cer.header.command != command::CAPABILITIES_EXCHANGE {
			let command = cer.header.command;
			tracing::warn!(address = %self.address, command, "request before CER; closing");
			return Some(Closed::NoCapabilitiesExchange);
		}
		let (answer, accepted) =
			capabilities_exchange(&self.ctx, &cer, self.address, &self.transport);
		self.outbox.send(&answer).await;
		match accepted {
			Ok((info, slot)) => {
				let transport = self.transport.name();
				tracing::info!(address = %self.address, origin_host = %info.origin_host, role = info.role.name(), transport, "Diameter peer connected");
				let handle = PeerHandle {
					connection: self.number,
					out: self.outbox.clone(),
					pending: self.pending.clone(),
				};
				self.peers().register(&info.origin_host, handle);
				self.peer = Some(Open { info: Arc::new(info), slot });
				None
			},
			Err(code) => Some(Closed::Refused(code)),
		}
	}

	/// DWR or DPR: success and who we are.
	async fn on_watchdog_or_disconnect(&mut self, request: &Message) {
		let answer = watchdog_or_disconnect_answer(&self.ctx.local, &request.header);
		self.outbox.send(&answer).await;
	}

	/// A second CER on an open connection is refused.
	async fn on_second_cer(&mut self, cer: &Message) {
		let answer = error_answer(
			&self.ctx.local,
			&cer.header,
			None,
			result::UNABLE_TO_COMPLY,
			None,
			"capabilities already exchanged on this connection",
		);
		self.outbox.send(&answer).await;
	}

	/// A request for the application: refused if it is not one we serve,
	/// names another sender than the CER, or the peer is over its rate;
	/// otherwise answered once a place in flight is free.
	async fn on_application_request(&mut self, peer: Arc<PeerInfo>, message: Message) {
		let Some(refusal) = self.refusal(&peer, &message) else {
			return self.answer(peer, message).await;
		};
		self.outbox.send(&refusal).await;
	}

	/// The refusal of an application request, if it gets one.
	fn refusal(&self, peer: &PeerInfo, message: &Message) -> Option<Message> {
		let local = &self.ctx.local;
		let open = self.peer.as_ref()?;
		refuse(local, message).or_else(|| origin_mismatch(local, peer, message)).or_else(|| {
			(!open.slot.limits().take()).then(|| {
				error_answer(
					local,
					&message.header,
					message.find(&avp::SESSION_ID),
					result::TOO_BUSY,
					None,
					"request rate above the peer's limit",
				)
			})
		})
	}

	/// Has the application answer `message`, once one of the connection's
	/// places in flight is free (the connection is not read meanwhile).
	async fn answer(&mut self, peer: Arc<PeerInfo>, message: Message) {
		let permit = tokio::select! {
			permit = self.in_flight.clone().acquire_owned() => permit,
			_ = self.outbox.failed() => return,
		};
		let Ok(permit) = permit else { return };
		let ctx = self.ctx.clone();
		let outbox = self.outbox.clone();
		let mut answering = Box::pin(async move {
			let answer = ctx.app.handle(&peer, message).await;
			outbox.send(&answer).await;
			drop(permit);
		});
		// Most answers need no wait (nothing but memory and a write into
		// the journal's file): they go out from this task, with no hand-off
		// to another. Those that wait (a durable append, a vault write, a
		// full outbox) carry on in a task of their own, so that the
		// requests behind them are read.
		if futures::poll!(answering.as_mut()).is_pending() {
			self.handlers.spawn(answering);
		}
	}

	/// Our shutdown: DPR to an open peer, whose DPA (or closing) ends the
	/// connection within the idle timeout; a connection still in
	/// `Wait-CER` ends at once.
	async fn on_shutdown(&mut self) -> Option<Closed> {
		if self.peer.is_none() {
			return Some(Closed::Shutdown);
		}
		self.dpr_sent = true;
		let dpr = disconnect_request(&self.ctx.local, self.peers().next_id());
		self.outbox.send(&dpr).await;
		None
	}

	/// Once the connection ended: requests in flight are answered (those
	/// that cannot be within the grace are abandoned), and the peer no
	/// longer takes our requests. Its connection slot goes with the
	/// session.
	async fn end(&mut self, closed: &Closed) {
		let grace = self.ctx.policy.write_timeout.saturating_add(HANDLERS_GRACE);
		let handlers = &mut self.handlers;
		let drained =
			tokio::time::timeout(grace, async { while handlers.join_next().await.is_some() {} });
		if drained.await.is_err() {
			tracing::warn!(address = %self.address, abandoned = self.handlers.len(), "requests in flight not answered in time; abandoned");
			self.handlers.abort_all();
			while self.handlers.join_next().await.is_some() {}
		}
		let Some(open) = &self.peer else { return };
		let host = &open.info.origin_host;
		self.peers().unregister(host, self.number);
		match closed {
			Closed::Stalled | Closed::Watchdog => {
				tracing::warn!(address = %self.address, origin_host = %host, reason = ?closed, "Diameter peer dropped")
			},
			_ => {
				tracing::info!(address = %self.address, origin_host = %host, reason = ?closed, "Diameter peer disconnected")
			},
		}
	}

	fn peers(&self) -> &Peers {
		&self.ctx.peers
	}
}

//! One peer's byte stream as Diameter messages.
//!
//! The read half is a [`Connection`]: a buffer that frames arrive in, read
//! a chunk at a time and cut into messages, telling a frame that is not
//! complete yet from one that is invalid. The write half runs in a task of
//! its own, fed through a bounded queue ([`Outbox`]), so that an answer is
//! handed over without waiting for the socket.
//!
//! Both the writes and the hand-overs have a deadline: a peer that stops
//! reading fills its socket, then the queue, and would otherwise hold every
//! task that answers it. Past the deadline the outbox is marked failed,
//! which closes the connection (`docs/diameter-peers.md`).

use super::codec::{self, FrameError, Header, Message};
use super::DecodeError;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Frames waiting for the writer task at most: beyond, senders wait.
const OUTBOX_FRAMES: usize = 1024;
/// The most read from the socket at once.
const READ_CHUNK: usize = 16 * 1024;

/// What the next complete frame in the buffer holds.
#[derive(Debug)]
pub enum Inbound {
	/// A message.
	Message(Message),
	/// A frame that was delimited but does not decode; the stream goes on
	/// after it.
	Malformed(DecodeError),
}

/// Why reading stopped.
#[derive(Debug)]
pub enum ReadEnd {
	/// Nothing arrived for the idle timeout.
	Idle,
	/// The peer closed the stream.
	Closed,
	/// The socket failed.
	Io(std::io::Error),
}

/// The read half of a connection and what it has buffered.
pub struct Connection<R> {
	reader: R,
	buffer: Vec<u8>,
	max_message: usize,
}

impl<R: AsyncRead + Unpin> Connection<R> {
	/// A connection reading from `reader`, refusing messages longer than
	/// `max_message`.
	pub fn new(reader: R, max_message: usize) -> Self {
		Connection { reader, buffer: Vec::with_capacity(8192), max_message }
	}

	/// The next complete frame in the buffer, `None` while it holds none.
	/// A frame that cannot be delimited (wrong version, absurd length) is an
	/// error: the stream cannot be trusted past it.
	pub fn next_buffered(&mut self) -> Result<Option<Inbound>, FrameError> {
		let len = match codec::frame_len(&self.buffer, self.max_message)? {
			Some(len) if self.buffer.len() >= len => len,
			_ => return Ok(None),
		};
		let frame: Vec<u8> = self.buffer.drain(..len).collect();
		Ok(Some(match Message::decode(&frame) {
			Ok(message) => Inbound::Message(message),
			Err(e) => Inbound::Malformed(e),
		}))
	}

	/// The header at the front of the buffer, if it is a request's: what an
	/// error answer to an undelimited frame is built from.
	pub fn request_header(&self) -> Option<Header> {
		codec::peek_header(&self.buffer).filter(Header::is_request)
	}

	/// Reads what the peer sends next into the buffer, waiting at most
	/// `idle`.
	pub async fn fill(&mut self, idle: Duration) -> Result<(), ReadEnd> {
		let mut chunk = [0u8; READ_CHUNK];
		match tokio::time::timeout(idle, self.reader.read(&mut chunk)).await {
			Err(_) => Err(ReadEnd::Idle),
			Ok(Ok(0)) => Err(ReadEnd::Closed),
			Ok(Ok(n)) => {
				self.buffer.extend_from_slice(chunk.get(..n).unwrap_or_default());
				Ok(())
			},
			Ok(Err(e)) => Err(ReadEnd::Io(e)),
		}
	}
}

/// Where a connection's messages are queued for its writer task. Cheap to
/// clone; the writer ends once every clone is dropped.
#[derive(Clone)]
pub struct Outbox {
	queue: mpsc::Sender<Vec<u8>>,
	/// Cancelled once a message could not be handed over or written in
	/// time, or a write failed: the connection is of no more use.
	failed: CancellationToken,
	timeout: Duration,
}

impl Outbox {
	/// Queues `message`; one that cannot be encoded (too large) is logged
	/// and dropped, and so is one the writer does not take (see
	/// [`Outbox::send_bytes`]).
	pub async fn send(&self, message: &Message) {
		match message.encode() {
			Ok(bytes) => {
				self.send_bytes(bytes).await;
			},
			Err(e) => tracing::error!(error = %e, "message too large to encode; dropped"),
		}
	}

	/// Queues an encoded message. Returns whether the writer took it: not
	/// once it ended, nor when the queue stayed full for the write timeout,
	/// which also marks the outbox failed.
	pub async fn send_bytes(&self, bytes: Vec<u8>) -> bool {
		if self.failed.is_cancelled() {
			return false;
		}
		tokio::select! {
			sent = tokio::time::timeout(self.timeout, self.queue.send(bytes)) => match sent {
				Ok(sent) => sent.is_ok(),
				Err(_) => {
					self.failed.cancel();
					false
				},
			},
			_ = self.failed.cancelled() => false,
		}
	}

	/// Resolves once the connection can no longer deliver our messages.
	pub async fn failed(&self) {
		self.failed.cancelled().await
	}
}

/// Starts the writer task of `writer`: it writes what the outbox queues, in
/// order, until every [`Outbox`] is dropped, then shuts the stream down; a
/// write that fails or takes longer than `timeout` ends it early and marks
/// the outbox failed.
pub fn spawn_writer<W>(mut writer: W, timeout: Duration) -> (Outbox, JoinHandle<()>)
where
	W: AsyncWrite + Unpin + Send + 'static,
{
	let (queue, mut rx) = mpsc::channel::<Vec<u8>>(OUTBOX_FRAMES);
	let failed = CancellationToken::new();
	let outbox = Outbox { queue, failed: failed.clone(), timeout };
	let task = tokio::spawn(async move {
		while let Some(frame) = rx.recv().await {
			if !matches!(tokio::time::timeout(timeout, writer.write_all(&frame)).await, Ok(Ok(())))
			{
				failed.cancel();
				return;
			}
		}
		let _ = writer.shutdown().await;
	});
	(outbox, task)
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::diameter::dict::{avp, command, APP_COMMON};
	use crate::diameter::Avp;

	fn dwr() -> Vec<u8> {
		Message::request(command::DEVICE_WATCHDOG, APP_COMMON, 7, 7)
			.with(Avp::utf8_of(&avp::ORIGIN_HOST, "scscf.ims.test"))
			.encode()
			.unwrap()
	}

	#[tokio::test]
	async fn a_frame_is_taken_only_once_whole() {
		let frame = dwr();
		let (mut client, server) = tokio::io::duplex(64 * 1024);
		let mut connection = Connection::new(server, 4096);
		client.write_all(&frame[..10]).await.unwrap();
		connection.fill(Duration::from_secs(1)).await.unwrap();
		assert!(connection.next_buffered().unwrap().is_none(), "incomplete");
		client.write_all(&frame[10..]).await.unwrap();
		connection.fill(Duration::from_secs(1)).await.unwrap();
		let Some(Inbound::Message(message)) = connection.next_buffered().unwrap() else {
			panic!("a message")
		};
		assert_eq!(message.header.command, command::DEVICE_WATCHDOG);
		assert!(connection.next_buffered().unwrap().is_none(), "nothing left");
	}

	#[tokio::test]
	async fn an_undelimited_frame_is_an_error_with_its_request_header() {
		let mut frame = dwr();
		frame[0] = 2;
		let (mut client, server) = tokio::io::duplex(64 * 1024);
		let mut connection = Connection::new(server, 4096);
		client.write_all(&frame).await.unwrap();
		connection.fill(Duration::from_secs(1)).await.unwrap();
		assert!(matches!(connection.next_buffered(), Err(FrameError::Version(2))));
		assert_eq!(connection.request_header().map(|h| h.command), Some(command::DEVICE_WATCHDOG));
	}

	#[tokio::test]
	async fn reading_ends_on_close_and_on_idle() {
		let (client, server) = tokio::io::duplex(1024);
		let mut connection = Connection::new(server, 4096);
		drop(client);
		assert!(matches!(connection.fill(Duration::from_secs(1)).await, Err(ReadEnd::Closed)));
		let (_client, server) = tokio::io::duplex(1024);
		let mut connection = Connection::new(server, 4096);
		let idle = connection.fill(Duration::from_millis(20)).await;
		assert!(matches!(idle, Err(ReadEnd::Idle)));
	}

	#[tokio::test]
	async fn the_writer_sends_in_order_and_shuts_down_when_the_outbox_goes() {
		let (mut client, server) = tokio::io::duplex(64 * 1024);
		let (outbox, task) = spawn_writer(server, Duration::from_secs(5));
		assert!(outbox.send_bytes(b"one".to_vec()).await);
		assert!(outbox.send_bytes(b"two".to_vec()).await);
		drop(outbox);
		task.await.unwrap();
		let mut received = Vec::new();
		client.read_to_end(&mut received).await.unwrap();
		assert_eq!(received, b"onetwo");
	}

	#[tokio::test]
	async fn a_peer_that_stops_reading_fails_the_outbox_in_time() {
		let (_client, server) = tokio::io::duplex(64);
		let (outbox, task) = spawn_writer(server, Duration::from_millis(100));
		let started = std::time::Instant::now();
		// The writer takes one frame and blocks on it; the queue then fills.
		let mut taken = 0;
		while outbox.send_bytes(vec![0; 1024]).await {
			taken += 1;
			assert!(taken <= OUTBOX_FRAMES + 1, "the queue is bounded");
		}
		tokio::time::timeout(Duration::from_secs(2), outbox.failed()).await.expect("failed");
		assert!(started.elapsed() < Duration::from_secs(2));
		task.await.unwrap();
		assert!(!outbox.send_bytes(b"late".to_vec()).await, "nothing is taken after");
	}
}

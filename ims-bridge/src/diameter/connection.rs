//! One peer's byte stream as Diameter messages.
//!
//! The read half is a [`Connection`]: a buffer that frames arrive in, read
//! a chunk at a time and cut into messages, telling a frame that is not
//! complete yet from one that is invalid. The write half runs in a task of
//! its own, fed through a bounded queue ([`Outbox`]), so that an answer is
//! handed over without waiting for the socket.

use super::codec::{self, FrameError, Header, Message};
use super::DecodeError;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

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
pub struct Outbox(mpsc::Sender<Vec<u8>>);

impl Outbox {
	/// Queues `message`; one that cannot be encoded (too large) is logged
	/// and dropped, and so is one queued after the writer ended.
	pub async fn send(&self, message: &Message) {
		match message.encode() {
			Ok(bytes) => {
				self.send_bytes(bytes).await;
			},
			Err(e) => tracing::error!(error = %e, "message too large to encode; dropped"),
		}
	}

	/// Queues an encoded message. Returns whether the writer took it.
	pub async fn send_bytes(&self, bytes: Vec<u8>) -> bool {
		self.0.send(bytes).await.is_ok()
	}
}

/// Starts the writer task of `writer`: it writes what the outbox queues, in
/// order, until every [`Outbox`] is dropped or a write fails, then shuts
/// the stream down.
pub fn spawn_writer<W>(mut writer: W) -> (Outbox, JoinHandle<()>)
where
	W: AsyncWrite + Unpin + Send + 'static,
{
	let (tx, mut rx) = mpsc::channel::<Vec<u8>>(OUTBOX_FRAMES);
	let task = tokio::spawn(async move {
		while let Some(frame) = rx.recv().await {
			if writer.write_all(&frame).await.is_err() {
				return;
			}
		}
		let _ = writer.shutdown().await;
	});
	(Outbox(tx), task)
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
		let (outbox, task) = spawn_writer(server);
		assert!(outbox.send_bytes(b"one".to_vec()).await);
		assert!(outbox.send_bytes(b"two".to_vec()).await);
		drop(outbox);
		task.await.unwrap();
		let mut received = Vec::new();
		client.read_to_end(&mut received).await.unwrap();
		assert_eq!(received, b"onetwo");
	}
}

//! The listener of these tests: the real peer layer over loopback TCP with
//! an application that echoes, and a client that speaks Diameter bytes.

use ims_bridge::diameter::codec::{self, flags, Avp, Message};
use ims_bridge::diameter::dict::{avp, command, result, APP_COMMON, APP_CX, VENDOR_3GPP};
use ims_bridge::diameter::peer::{
	answer_for, AllowedPeer, Application, Context, LocalIdentity, PeerInfo, PeerPolicy, PeerRole,
};
use ims_bridge::server;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// Answers every Cx request with 2001 after `delay`, and keeps what it got
/// and how many it answered at once at most.
#[derive(Default)]
pub struct Echo {
	pub seen: Mutex<Vec<(PeerInfo, Message)>>,
	pub delay: Duration,
	answering: AtomicUsize,
	pub most_at_once: AtomicUsize,
}

pub struct EchoApp(Arc<Echo>, LocalIdentity);

impl Application for EchoApp {
	async fn handle(&self, peer: &PeerInfo, request: Message) -> Message {
		let now = self.0.answering.fetch_add(1, Ordering::SeqCst) + 1;
		self.0.most_at_once.fetch_max(now, Ordering::SeqCst);
		if !self.0.delay.is_zero() {
			tokio::time::sleep(self.0.delay).await;
		}
		self.0.answering.fetch_sub(1, Ordering::SeqCst);
		let answer =
			answer_for(&self.1, &request).with(Avp::u32_of(&avp::RESULT_CODE, result::SUCCESS));
		self.0.seen.lock().unwrap().push((peer.clone(), request));
		answer
	}
}

pub fn local() -> LocalIdentity {
	LocalIdentity {
		origin_host: "hss.ims.test".into(),
		origin_realm: "ims.test".into(),
		host_ip: "127.0.0.1".parse().unwrap(),
		product_name: "ims-bridge".into(),
	}
}

/// The S-CSCF's role in these tests.
pub fn scscf_role() -> PeerRole {
	PeerRole::SCscf { server_name: "sip:scscf.ims.test:6060".into() }
}

/// An allowed peer of realm ims.test on 127.0.0.1.
pub fn allowed(origin_host: &str, role: PeerRole) -> AllowedPeer {
	AllowedPeer {
		origin_host: origin_host.into(),
		origin_realm: "ims.test".into(),
		addresses: vec!["127.0.0.1".parse().unwrap()],
		role,
		max_connections: 4,
		plain_tcp: false,
	}
}

pub fn policy() -> PeerPolicy {
	PeerPolicy {
		requests_per_second: 10_000,
		burst: 10_000,
		request_timeout: Duration::from_secs(2),
		..PeerPolicy::new(vec![
			allowed("scscf.ims.test", scscf_role()),
			allowed("icscf.ims.test", PeerRole::ICscf),
		])
	}
}

pub struct Bridge {
	pub address: SocketAddr,
	pub ctx: Arc<Context<EchoApp>>,
	pub echo: Arc<Echo>,
	pub shutdown: CancellationToken,
	pub task: tokio::task::JoinHandle<()>,
}

pub async fn start_with(
	policy: PeerPolicy,
	max_connections: usize,
	delay: Duration,
	tls: Option<tokio_rustls::TlsAcceptor>,
) -> Bridge {
	let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
	let address = listener.local_addr().unwrap();
	let echo = Arc::new(Echo { delay, ..Default::default() });
	let ctx = Arc::new(Context::new(local(), policy, EchoApp(echo.clone(), local())));
	let shutdown = CancellationToken::new();
	let task =
		tokio::spawn(server::run(listener, ctx.clone(), max_connections, tls, shutdown.clone()));
	Bridge { address, ctx, echo, shutdown, task }
}

pub async fn start() -> Bridge {
	start_with(policy(), 16, Duration::ZERO, None).await
}

pub struct Client<S> {
	pub stream: S,
	pub buffer: Vec<u8>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Client<S> {
	pub async fn send(&mut self, message: &Message) {
		self.send_bytes(&message.encode().unwrap()).await;
	}

	pub async fn send_bytes(&mut self, bytes: &[u8]) {
		self.stream.write_all(bytes).await.unwrap();
	}

	/// The next message, or `None` when the bridge closed the connection.
	pub async fn recv(&mut self) -> Option<Message> {
		loop {
			if let Some(len) = codec::frame_len(&self.buffer, 1 << 20).unwrap() {
				if self.buffer.len() >= len {
					let frame: Vec<u8> = self.buffer.drain(..len).collect();
					return Some(Message::decode(&frame).unwrap());
				}
			}
			let mut chunk = [0u8; 4096];
			let n = tokio::time::timeout(Duration::from_secs(5), self.stream.read(&mut chunk))
				.await
				.expect("the bridge answers within 5 s")
				.unwrap_or(0);
			if n == 0 {
				return None;
			}
			self.buffer.extend_from_slice(&chunk[..n]);
		}
	}

	pub async fn exchange(&mut self, message: &Message) -> Message {
		self.send(message).await;
		self.recv().await.expect("an answer")
	}
}

pub async fn connect(address: SocketAddr) -> Client<TcpStream> {
	Client { stream: TcpStream::connect(address).await.unwrap(), buffer: Vec::new() }
}

pub fn cer(origin_host: &str) -> Message {
	let mut cer = Message::request(command::CAPABILITIES_EXCHANGE, APP_COMMON, 1, 1)
		.with(Avp::utf8_of(&avp::ORIGIN_HOST, origin_host))
		.with(Avp::utf8_of(&avp::ORIGIN_REALM, "ims.test"))
		.with(Avp::address_of(&avp::HOST_IP_ADDRESS, "127.0.0.1".parse().unwrap()))
		.with(Avp::u32_of(&avp::VENDOR_ID, 10415))
		.with(Avp::utf8_of(&avp::PRODUCT_NAME, "CDiameterPeer"))
		.with(Avp::grouped_of(
			&avp::VENDOR_SPECIFIC_APPLICATION_ID,
			vec![
				Avp::u32_of(&avp::VENDOR_ID, VENDOR_3GPP),
				Avp::u32_of(&avp::AUTH_APPLICATION_ID, APP_CX),
			],
		));
	cer.header.flags = flags::REQUEST;
	cer
}

pub fn result_code(message: &Message) -> u32 {
	message.required_u32(&avp::RESULT_CODE).unwrap()
}

pub async fn open(address: SocketAddr, origin_host: &str) -> Client<TcpStream> {
	let mut client = connect(address).await;
	let cea = client.exchange(&cer(origin_host)).await;
	assert_eq!(result_code(&cea), result::SUCCESS);
	client
}

/// A MAR from the S-CSCF with hop-by-hop `id`.
pub fn mar(id: u32) -> Message {
	request_from("scscf.ims.test", command::MULTIMEDIA_AUTH, id)
}

/// A Cx request of `command` from `origin_host` with hop-by-hop `id`.
pub fn request_from(origin_host: &str, command: u32, id: u32) -> Message {
	Message::request(command, APP_CX, id, id + 1000)
		.with(Avp::utf8_of(&avp::SESSION_ID, &format!("{origin_host};{id}")))
		.with(Avp::utf8_of(&avp::ORIGIN_HOST, origin_host))
		.with(Avp::utf8_of(&avp::ORIGIN_REALM, "ims.test"))
		.with(Avp::utf8_of(&avp::USER_NAME, "alice@ims.test"))
}

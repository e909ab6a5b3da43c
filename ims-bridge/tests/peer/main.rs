//! The Diameter listener over real TCP (and TLS) on loopback: capabilities
//! exchange, watchdog, disconnect, refusals, limits and shutdown, spoken
//! with real protocol bytes.

#![allow(
	clippy::expect_used,
	clippy::unwrap_used,
	clippy::panic,
	clippy::indexing_slicing,
	reason = "integration-test helpers: a step that fails fails the test"
)]

mod hardening;
mod harness;

use harness::*;
use ims_bridge::diameter::codec::{avp_flags, flags, Avp, Message, Value};
use ims_bridge::diameter::dict::{avp, command, result, APP_COMMON, APP_CX, APP_SH, VENDOR_3GPP};
use ims_bridge::diameter::peer::PeerPolicy;
use ims_bridge::server;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test]
async fn capabilities_watchdog_requests_and_disconnect() {
	let bridge = start().await;
	let mut client = connect(bridge.address).await;

	// CER -> CEA advertising Cx.
	let cea = client.exchange(&cer("scscf.ims.test")).await;
	assert!(!cea.header.is_request());
	assert_eq!(cea.header.command, command::CAPABILITIES_EXCHANGE);
	assert_eq!((cea.header.hop_by_hop, cea.header.end_to_end), (1, 1));
	assert_eq!(result_code(&cea), result::SUCCESS);
	assert_eq!(cea.required_utf8(&avp::ORIGIN_HOST).unwrap(), "hss.ims.test");
	assert_eq!(cea.required_utf8(&avp::ORIGIN_REALM).unwrap(), "ims.test");
	assert_eq!(cea.required_utf8(&avp::PRODUCT_NAME).unwrap(), "ims-bridge");
	assert_eq!(cea.required_u32(&avp::SUPPORTED_VENDOR_ID).unwrap(), VENDOR_3GPP);
	let host_ip = cea.find(&avp::HOST_IP_ADDRESS).unwrap().address(&avp::HOST_IP_ADDRESS);
	assert_eq!(host_ip.unwrap(), "127.0.0.1".parse::<std::net::IpAddr>().unwrap());
	let vsai = cea.find(&avp::VENDOR_SPECIFIC_APPLICATION_ID).unwrap();
	let vsai = vsai.children(&avp::VENDOR_SPECIFIC_APPLICATION_ID).unwrap();
	assert!(vsai
		.iter()
		.any(|a| a.is(&avp::VENDOR_ID) && a.u32(&avp::VENDOR_ID) == Ok(VENDOR_3GPP)));
	assert!(vsai
		.iter()
		.any(|a| a.is(&avp::AUTH_APPLICATION_ID) && a.u32(&avp::AUTH_APPLICATION_ID) == Ok(APP_CX)));
	assert_eq!(bridge.ctx.peers.connected(), vec!["scscf.ims.test".to_string()]);

	// DWR -> DWA with the identifiers echoed.
	let mut dwr = Message::request(command::DEVICE_WATCHDOG, APP_COMMON, 77, 88)
		.with(Avp::utf8_of(&avp::ORIGIN_HOST, "scscf.ims.test"))
		.with(Avp::utf8_of(&avp::ORIGIN_REALM, "ims.test"));
	dwr.header.flags = flags::REQUEST;
	let dwa = client.exchange(&dwr).await;
	assert_eq!((dwa.header.command, dwa.header.hop_by_hop, dwa.header.end_to_end), (280, 77, 88));
	assert_eq!(result_code(&dwa), result::SUCCESS);

	// A Cx request reaches the application, with an unknown AVP without the
	// M bit tolerated (Kamailio's vendor-50 code-494 Call-ID in a SAR).
	let request = mar(5).with(Avp {
		code: 494,
		flags: avp_flags::VENDOR,
		vendor: 50,
		value: Value::Raw(b"call-id".to_vec()),
	});
	let answer = client.exchange(&request).await;
	assert_eq!((answer.header.hop_by_hop, answer.header.end_to_end), (5, 1005));
	assert_eq!(answer.header.flags & flags::REQUEST, 0);
	assert_eq!(answer.header.flags & flags::PROXIABLE, flags::PROXIABLE);
	assert_eq!(answer.required_utf8(&avp::SESSION_ID).unwrap(), "scscf.ims.test;5");
	assert_eq!(result_code(&answer), result::SUCCESS);
	{
		let seen = bridge.echo.seen.lock().unwrap();
		assert_eq!(seen.len(), 1);
		assert_eq!(seen[0].0.origin_host, "scscf.ims.test");
		assert_eq!(seen[0].1, request);
	}

	// DPR -> DPA, then the bridge closes.
	let mut dpr = Message::request(command::DISCONNECT_PEER, APP_COMMON, 9, 9)
		.with(Avp::utf8_of(&avp::ORIGIN_HOST, "scscf.ims.test"))
		.with(Avp::utf8_of(&avp::ORIGIN_REALM, "ims.test"))
		.with(Avp::u32_of(&avp::DISCONNECT_CAUSE, 0));
	dpr.header.flags = flags::REQUEST;
	let dpa = client.exchange(&dpr).await;
	assert_eq!(
		(dpa.header.command, result_code(&dpa)),
		(command::DISCONNECT_PEER, result::SUCCESS)
	);
	assert!(client.recv().await.is_none(), "closed after DPA");
	tokio::time::sleep(Duration::from_millis(50)).await;
	assert!(bridge.ctx.peers.connected().is_empty());
}

#[tokio::test]
async fn unknown_peers_and_peers_without_cx_are_refused() {
	let bridge = start().await;
	let mut client = connect(bridge.address).await;
	let cea = client.exchange(&cer("intruder.ims.test")).await;
	assert_eq!(result_code(&cea), result::UNKNOWN_PEER);
	assert!(client.recv().await.is_none());

	let mut client = connect(bridge.address).await;
	let mut no_cx = cer("scscf.ims.test");
	no_cx.avps.retain(|a| !a.is(&avp::VENDOR_SPECIFIC_APPLICATION_ID));
	no_cx.push(Avp::u32_of(&avp::AUTH_APPLICATION_ID, APP_SH));
	let cea = client.exchange(&no_cx).await;
	assert_eq!(result_code(&cea), result::NO_COMMON_APPLICATION);
	assert!(client.recv().await.is_none());

	// A CER without Origin-Host.
	let mut client = connect(bridge.address).await;
	let mut nameless = cer("scscf.ims.test");
	nameless.avps.retain(|a| !a.is(&avp::ORIGIN_HOST));
	let cea = client.exchange(&nameless).await;
	assert_eq!(result_code(&cea), result::MISSING_AVP);
	assert!(client.recv().await.is_none());

	// Anything but a CER first closes the connection.
	let mut client = connect(bridge.address).await;
	client.send(&mar(1)).await;
	assert!(client.recv().await.is_none());
	assert!(bridge.echo.seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn requests_the_bridge_cannot_serve_get_the_right_errors() {
	let bridge = start().await;
	let mut client = open(bridge.address, "scscf.ims.test").await;

	// Another application: 3007 with the E bit.
	let mut sh = mar(1);
	sh.header.application = APP_SH;
	sh.header.command = 306;
	let answer = client.exchange(&sh).await;
	assert_eq!(result_code(&answer), result::APPLICATION_UNSUPPORTED);
	assert_eq!(answer.header.flags & flags::ERROR, flags::ERROR);
	assert_eq!(answer.required_utf8(&avp::SESSION_ID).unwrap(), "scscf.ims.test;1");

	// A Cx command that is not served (PPR is sent by an HSS, not to it).
	let mut ppr = mar(2);
	ppr.header.command = command::PUSH_PROFILE;
	let answer = client.exchange(&ppr).await;
	assert_eq!(result_code(&answer), result::COMMAND_UNSUPPORTED);
	assert_eq!(answer.header.flags & flags::ERROR, flags::ERROR);

	// An unknown AVP with the M bit: 5001 with Failed-AVP, no E bit.
	let unknown = Avp {
		code: 9999,
		flags: avp_flags::MANDATORY,
		vendor: 0,
		value: Value::Raw(vec![1, 2, 3, 4]),
	};
	let answer = client.exchange(&mar(3).with(unknown.clone())).await;
	assert_eq!(result_code(&answer), result::AVP_UNSUPPORTED);
	assert_eq!(answer.header.flags & flags::ERROR, 0);
	let failed = answer.find(&avp::FAILED_AVP).unwrap().children(&avp::FAILED_AVP).unwrap();
	assert_eq!(failed, &[unknown][..]);

	// A request whose AVP overruns the message: 5014, and the connection
	// stays usable.
	let mut bytes = mar(4).encode().unwrap();
	let last_avp_length = bytes.len() - 16 - 3; // User-Name header: 4 code + 1 flags + 3 length
	bytes[last_avp_length..last_avp_length + 3].copy_from_slice(&[0, 1, 0]);
	client.send_bytes(&bytes).await;
	let answer = client.recv().await.unwrap();
	assert_eq!(answer.header.hop_by_hop, 4);
	assert_eq!(result_code(&answer), result::INVALID_AVP_LENGTH);
	assert!(answer.find(&avp::ERROR_MESSAGE).is_some());
	let answer = client.exchange(&mar(5)).await;
	assert_eq!(result_code(&answer), result::SUCCESS);
	assert_eq!(
		bridge.echo.seen.lock().unwrap().len(),
		1,
		"only the valid request reached the application"
	);
}

#[tokio::test]
async fn an_undelimitable_frame_closes_the_connection() {
	let bridge = start().await;
	// Wrong version.
	let mut client = open(bridge.address, "scscf.ims.test").await;
	let mut bytes = mar(1).encode().unwrap();
	bytes[0] = 2;
	client.send_bytes(&bytes).await;
	let answer = client.recv().await.unwrap();
	assert_eq!(result_code(&answer), result::UNSUPPORTED_VERSION);
	assert!(client.recv().await.is_none());

	// A length beyond the limit.
	let mut client = open(bridge.address, "scscf.ims.test").await;
	client.send_bytes(&[1, 0xff, 0xff, 0xf0, 0x80, 0, 1, 47]).await;
	assert!(client.recv().await.is_none());

	// A length shorter than a header.
	let mut client = open(bridge.address, "scscf.ims.test").await;
	client.send_bytes(&[1, 0, 0, 8, 0x80, 0, 1, 47]).await;
	assert!(client.recv().await.is_none());

	// A truncated message followed by the peer closing: nothing breaks.
	let mut client = open(bridge.address, "scscf.ims.test").await;
	let bytes = mar(2).encode().unwrap();
	client.send_bytes(&bytes[..bytes.len() / 2]).await;
	client.stream.shutdown().await.unwrap();
	assert!(client.recv().await.is_none());
	// The bridge still serves others.
	let mut client = open(bridge.address, "scscf.ims.test").await;
	assert_eq!(result_code(&client.exchange(&mar(3)).await), result::SUCCESS);
}

#[tokio::test]
async fn several_peers_are_served_at_once_and_requests_pipeline() {
	let bridge = start_with(policy(), 16, Duration::from_millis(100), None).await;
	let mut scscf = open(bridge.address, "scscf.ims.test").await;
	let mut icscf = open(bridge.address, "icscf.ims.test").await;
	let mut connected = bridge.ctx.peers.connected();
	connected.sort();
	assert_eq!(connected, vec!["icscf.ims.test", "scscf.ims.test"]);
	// Ten requests sent back to back on one connection are answered
	// concurrently: far less than ten times the handler's delay.
	let started = std::time::Instant::now();
	for id in 0..10 {
		scscf.send(&mar(id)).await;
	}
	let mut ids: Vec<u32> = Vec::new();
	for _ in 0..10 {
		ids.push(scscf.recv().await.unwrap().header.hop_by_hop);
	}
	ids.sort();
	assert_eq!(ids, (0..10).collect::<Vec<_>>());
	assert!(started.elapsed() < Duration::from_millis(900), "{:?}", started.elapsed());
	let uar = request_from("icscf.ims.test", command::USER_AUTHORIZATION, 50);
	assert_eq!(result_code(&icscf.exchange(&uar).await), result::SUCCESS);
}

#[tokio::test]
async fn the_rate_limit_answers_too_busy() {
	let policy = PeerPolicy { requests_per_second: 1, burst: 1, ..policy() };
	let bridge = start_with(policy, 16, Duration::ZERO, None).await;
	let mut client = open(bridge.address, "scscf.ims.test").await;
	let codes: Vec<u32> = {
		let mut codes = Vec::new();
		for id in 0..4 {
			codes.push(result_code(&client.exchange(&mar(id)).await));
		}
		codes
	};
	assert_eq!(&codes[..2], &[result::SUCCESS, result::SUCCESS]);
	assert_eq!(&codes[2..], &[result::TOO_BUSY, result::TOO_BUSY]);
}

#[tokio::test]
async fn the_connection_cap_and_the_address_allow_list_hold() {
	let bridge = start_with(policy(), 1, Duration::ZERO, None).await;
	let mut first = open(bridge.address, "scscf.ims.test").await;
	let mut second = connect(bridge.address).await;
	second.send(&cer("icscf.ims.test")).await;
	assert!(second.recv().await.is_none(), "over the cap: closed");
	assert_eq!(result_code(&first.exchange(&mar(1)).await), result::SUCCESS);

	// No allowed peer connects from 127.0.0.1 here.
	let mut elsewhere = allowed("scscf.ims.test", scscf_role());
	elsewhere.addresses = vec!["10.0.0.1".parse().unwrap()];
	let policy = PeerPolicy { allowed: vec![elsewhere], ..policy() };
	let bridge = start_with(policy, 4, Duration::ZERO, None).await;
	let mut client = connect(bridge.address).await;
	client.send(&cer("scscf.ims.test")).await;
	assert!(client.recv().await.is_none());
}

#[tokio::test]
async fn the_bridge_sends_requests_to_a_peer_and_gets_the_answer() {
	let bridge = start().await;
	let mut client = open(bridge.address, "scscf.ims.test").await;
	let ctx = bridge.ctx.clone();
	let rtr = Message::request(command::REGISTRATION_TERMINATION, APP_CX, 0, 42)
		.with(Avp::utf8_of(&avp::PUBLIC_IDENTITY, "sip:alice@ims.test"));
	let asked = tokio::spawn(async move {
		ctx.peers.request("SCSCF.ims.test", rtr, Duration::from_secs(2)).await
	});
	let received = client.recv().await.unwrap();
	assert!(received.header.is_request());
	assert_eq!(received.header.command, command::REGISTRATION_TERMINATION);
	let rta =
		Message::answer_to(&received.header).with(Avp::u32_of(&avp::RESULT_CODE, result::SUCCESS));
	client.send(&rta).await;
	let answer = asked.await.unwrap().unwrap();
	assert_eq!(result_code(&answer), result::SUCCESS);
	assert_eq!(answer.header.end_to_end, 42);

	let absent = bridge
		.ctx
		.peers
		.request("nobody", Message::request(304, APP_CX, 0, 0), Duration::from_millis(100))
		.await;
	assert!(absent.is_err());
	// A peer that does not answer in time.
	let ctx = bridge.ctx.clone();
	let silent = ctx
		.peers
		.request("scscf.ims.test", Message::request(304, APP_CX, 0, 0), Duration::from_millis(100))
		.await;
	assert!(silent.is_err());
}

#[tokio::test]
async fn shutdown_sends_dpr_and_waits_for_peers() {
	let bridge = start().await;
	let mut client = open(bridge.address, "scscf.ims.test").await;
	bridge.shutdown.cancel();
	let dpr = client.recv().await.unwrap();
	assert_eq!(dpr.header.command, command::DISCONNECT_PEER);
	assert!(dpr.header.is_request());
	assert_eq!(dpr.required_u32(&avp::DISCONNECT_CAUSE).unwrap(), 0);
	let dpa = Message::answer_to(&dpr.header)
		.with(Avp::u32_of(&avp::RESULT_CODE, result::SUCCESS))
		.with(Avp::utf8_of(&avp::ORIGIN_HOST, "scscf.ims.test"))
		.with(Avp::utf8_of(&avp::ORIGIN_REALM, "ims.test"));
	client.send(&dpa).await;
	assert!(client.recv().await.is_none());
	tokio::time::timeout(Duration::from_secs(3), bridge.task).await.expect("run returns").unwrap();
	assert!(TcpStream::connect(bridge.address).await.is_err(), "no longer listening");
}

/// A TLS client presenting `client` (none: no certificate), trusting `ca`.
async fn tls_client(
	address: std::net::SocketAddr,
	ca: &std::path::Path,
	client: Option<&ims_test_harness::pki::Issued>,
) -> std::io::Result<Client<tokio_rustls::client::TlsStream<TcpStream>>> {
	use rustls::pki_types::pem::PemObject;
	use rustls::pki_types::{CertificateDer, PrivateKeyDer};
	let mut roots = rustls::RootCertStore::empty();
	roots.add(CertificateDer::from_pem_file(ca).unwrap()).unwrap();
	let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
		rustls::crypto::ring::default_provider(),
	))
	.with_safe_default_protocol_versions()
	.unwrap()
	.with_root_certificates(roots);
	let config = match client {
		Some(issued) => {
			let chain = vec![CertificateDer::from_pem_file(&issued.cert).unwrap()];
			let key = PrivateKeyDer::from_pem_file(&issued.key).unwrap();
			builder.with_client_auth_cert(chain, key).unwrap()
		},
		None => builder.with_no_client_auth(),
	};
	let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
	let tcp = TcpStream::connect(address).await?;
	let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
	let mut stream = connector.connect(name, tcp).await?;
	// TLS 1.3 reports a refused client certificate only at the first read.
	stream.flush().await?;
	Ok(Client { stream, buffer: Vec::new() })
}

/// Whether the bridge closes `client` without a Diameter answer to a CER
/// (a TLS alert or a plain close).
async fn refused_before_cer<S>(client: &mut Client<S>) -> bool
where
	S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
	if client.stream.write_all(&cer("scscf.ims.test").encode().unwrap()).await.is_err() {
		return true;
	}
	let mut reply = Vec::new();
	let read = client.stream.read_to_end(&mut reply);
	let _ = tokio::time::timeout(Duration::from_secs(5), read).await.expect("closed in time");
	reply.first() != Some(&1)
}

#[tokio::test]
async fn mutual_tls_binds_the_certificate_to_the_origin_host() {
	let dir = tempfile::tempdir().unwrap();
	let pki = ims_test_harness::pki::Pki::new(dir.path(), "operator-ca");
	let server = pki.issue("localhost");
	let acceptor = server::tls_acceptor(&server.cert, &server.key, &pki.ca_pem).unwrap();
	let bridge = start_with(policy(), 8, Duration::ZERO, Some(acceptor)).await;

	// The S-CSCF's own certificate: it is served.
	let scscf = pki.issue("scscf.ims.test");
	let mut client = tls_client(bridge.address, &pki.ca_pem, Some(&scscf)).await.unwrap();
	assert_eq!(result_code(&client.exchange(&cer("scscf.ims.test")).await), result::SUCCESS);
	assert_eq!(result_code(&client.exchange(&mar(1)).await), result::SUCCESS);

	// The I-CSCF's certificate, with a CER naming the S-CSCF: refused.
	let icscf = pki.issue("icscf.ims.test");
	let mut posing = tls_client(bridge.address, &pki.ca_pem, Some(&icscf)).await.unwrap();
	let cea = posing.exchange(&cer("scscf.ims.test")).await;
	assert_eq!(result_code(&cea), result::UNKNOWN_PEER);
	assert!(posing.recv().await.is_none());

	// No certificate, or one another CA signed: no handshake.
	if let Ok(mut anonymous) = tls_client(bridge.address, &pki.ca_pem, None).await {
		assert!(refused_before_cer(&mut anonymous).await, "a client without a certificate");
	}
	let rogue_dir = tempfile::tempdir().unwrap();
	let rogue =
		ims_test_harness::pki::Pki::new(rogue_dir.path(), "rogue-ca").issue("scscf.ims.test");
	if let Ok(mut forged) = tls_client(bridge.address, &pki.ca_pem, Some(&rogue)).await {
		assert!(refused_before_cer(&mut forged).await, "a certificate of another CA");
	}
	assert_eq!(bridge.echo.seen.lock().unwrap().len(), 1, "only the S-CSCF's MAR was answered");

	// Plain TCP on the same port from loopback (a tunnel's end on this
	// host) is still served.
	let mut plain = open(bridge.address, "icscf.ims.test").await;
	let uar = request_from("icscf.ims.test", command::USER_AUTHORIZATION, 2);
	assert_eq!(result_code(&plain.exchange(&uar).await), result::SUCCESS);

	// Unreadable files are reported with their path.
	let missing = dir.path().join("missing.pem");
	let err = server::tls_acceptor(&missing, &server.key, &pki.ca_pem).err().unwrap();
	assert!(err.to_string().contains("missing.pem"), "{err}");
	let err = server::tls_acceptor(&server.cert, &server.key, &missing).err().unwrap();
	assert!(err.to_string().contains("client CA"), "{err}");
}

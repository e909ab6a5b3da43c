//! What keeps one peer from holding the bridge or another peer: the CER
//! deadline, the realm and the sender checked, connections and requests
//! in flight bounded per peer, the watchdog, and the write timeout that
//! drops a peer that stops reading.

use super::harness::*;
use ims_bridge::diameter::codec::{flags, Avp, Message};
use ims_bridge::diameter::dict::{avp, command, result, APP_COMMON};
use ims_bridge::diameter::peer::PeerPolicy;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;

#[tokio::test]
async fn a_connection_without_a_cer_in_time_is_closed() {
	let policy = PeerPolicy { cer_timeout: Duration::from_millis(300), ..policy() };
	let bridge = start_with(policy, 16, Duration::ZERO, None).await;
	// Silent.
	let started = Instant::now();
	let mut silent = connect(bridge.address).await;
	assert!(silent.recv().await.is_none(), "closed");
	assert!(started.elapsed() >= Duration::from_millis(250), "{:?}", started.elapsed());
	// Trickling a CER that never ends does not buy time.
	let started = Instant::now();
	let mut trickle = connect(bridge.address).await;
	let bytes = cer("scscf.ims.test").encode().unwrap();
	for byte in bytes.iter().take(10) {
		if trickle.stream.write_all(&[*byte]).await.is_err() {
			break;
		}
		tokio::time::sleep(Duration::from_millis(50)).await;
	}
	assert!(trickle.recv().await.is_none(), "closed");
	assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
	// An answer before the CER closes the connection at once.
	let mut answering = connect(bridge.address).await;
	let dwa =
		Message::answer_to(&Message::request(command::DEVICE_WATCHDOG, APP_COMMON, 3, 3).header)
			.with(Avp::u32_of(&avp::RESULT_CODE, result::SUCCESS));
	answering.send(&dwa).await;
	let started = Instant::now();
	assert!(answering.recv().await.is_none(), "closed");
	assert!(started.elapsed() < Duration::from_millis(250), "{:?}", started.elapsed());
	// A CER in time opens the connection, and it outlives the CER timeout.
	let mut client = open(bridge.address, "scscf.ims.test").await;
	tokio::time::sleep(Duration::from_millis(400)).await;
	assert_eq!(result_code(&client.exchange(&mar(1)).await), result::SUCCESS);
}

#[tokio::test]
async fn the_realm_and_the_sender_of_the_capabilities_exchange_hold() {
	let bridge = start().await;
	let mut stranger = connect(bridge.address).await;
	let mut cer = cer("scscf.ims.test");
	cer.avps.retain(|a| !a.is(&avp::ORIGIN_REALM));
	cer.push(Avp::utf8_of(&avp::ORIGIN_REALM, "other.test"));
	assert_eq!(result_code(&stranger.exchange(&cer).await), result::UNKNOWN_PEER);
	assert!(stranger.recv().await.is_none());

	let mut client = open(bridge.address, "scscf.ims.test").await;
	// Requests speaking for another peer, or another realm: 5004 with the
	// AVP at fault, and the application never sees them.
	let posing = request_from("icscf.ims.test", command::MULTIMEDIA_AUTH, 1);
	let answer = client.exchange(&posing).await;
	assert_eq!(result_code(&answer), result::INVALID_AVP_VALUE);
	let failed = answer.find(&avp::FAILED_AVP).unwrap().children(&avp::FAILED_AVP).unwrap();
	assert_eq!(failed, &[Avp::utf8_of(&avp::ORIGIN_HOST, "icscf.ims.test")][..]);
	let mut realm = mar(2);
	realm.avps.retain(|a| !a.is(&avp::ORIGIN_REALM));
	realm.push(Avp::utf8_of(&avp::ORIGIN_REALM, "other.test"));
	assert_eq!(result_code(&client.exchange(&realm).await), result::INVALID_AVP_VALUE);
	assert!(bridge.echo.seen.lock().unwrap().is_empty());
	// The same names in another case are the same.
	let shouting = request_from("SCSCF.IMS.TEST", command::MULTIMEDIA_AUTH, 3);
	assert_eq!(result_code(&client.exchange(&shouting).await), result::SUCCESS);
}

#[tokio::test]
async fn a_peer_holds_at_most_its_connections_and_shares_its_rate() {
	let mut policy = PeerPolicy { requests_per_second: 1, burst: 2, ..policy() };
	policy.allowed.iter_mut().for_each(|p| p.max_connections = 2);
	let bridge = start_with(policy, 16, Duration::ZERO, None).await;
	let mut first = open(bridge.address, "scscf.ims.test").await;
	let mut second = open(bridge.address, "scscf.ims.test").await;
	let mut third = connect(bridge.address).await;
	let cea = third.exchange(&cer("scscf.ims.test")).await;
	assert_eq!(result_code(&cea), result::UNABLE_TO_COMPLY);
	assert!(third.recv().await.is_none(), "refused and closed");
	// Another peer is not counted against it.
	let mut icscf = open(bridge.address, "icscf.ims.test").await;

	// Three tokens (rate 1 + burst 2) for the peer, whichever connection
	// spends them.
	let codes = [
		result_code(&first.exchange(&mar(1)).await),
		result_code(&second.exchange(&mar(2)).await),
		result_code(&first.exchange(&mar(3)).await),
		result_code(&second.exchange(&mar(4)).await),
	];
	assert_eq!(codes, [result::SUCCESS, result::SUCCESS, result::SUCCESS, result::TOO_BUSY]);
	let uar = request_from("icscf.ims.test", command::USER_AUTHORIZATION, 5);
	assert_eq!(result_code(&icscf.exchange(&uar).await), result::SUCCESS, "its own bucket");

	// A connection that goes gives its place back.
	drop(second);
	let reopened = async {
		loop {
			let mut again = connect(bridge.address).await;
			if result_code(&again.exchange(&cer("scscf.ims.test")).await) == result::SUCCESS {
				return;
			}
			tokio::time::sleep(Duration::from_millis(20)).await;
		}
	};
	tokio::time::timeout(Duration::from_secs(5), reopened).await.expect("a place again");
}

#[tokio::test]
async fn requests_in_flight_on_a_connection_are_bounded() {
	let policy = PeerPolicy { max_in_flight: 2, ..policy() };
	let bridge = start_with(policy, 16, Duration::from_millis(100), None).await;
	let mut client = open(bridge.address, "scscf.ims.test").await;
	for id in 0..8 {
		client.send(&mar(id)).await;
	}
	for _ in 0..8 {
		assert_eq!(result_code(&client.recv().await.unwrap()), result::SUCCESS);
	}
	assert_eq!(bridge.echo.most_at_once.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_silent_peer_gets_a_dwr_and_is_dropped_if_it_stays_silent() {
	let policy = PeerPolicy { watchdog: Duration::from_millis(300), ..policy() };
	let bridge = start_with(policy, 16, Duration::ZERO, None).await;
	let mut silent = open(bridge.address, "scscf.ims.test").await;
	let mut alive = open(bridge.address, "icscf.ims.test").await;
	// A peer that answers stays, however long.
	let answering = tokio::spawn(async move {
		let until = Instant::now() + Duration::from_millis(1500);
		let mut answered = 0;
		while Instant::now() < until {
			let dwr = alive.recv().await.expect("a DWR, not a close");
			assert_eq!(dwr.header.command, command::DEVICE_WATCHDOG);
			let dwa = Message::answer_to(&dwr.header)
				.with(Avp::u32_of(&avp::RESULT_CODE, result::SUCCESS))
				.with(Avp::utf8_of(&avp::ORIGIN_HOST, "icscf.ims.test"))
				.with(Avp::utf8_of(&avp::ORIGIN_REALM, "ims.test"));
			alive.send(&dwa).await;
			answered += 1;
		}
		(answered, alive)
	});

	let started = Instant::now();
	let dwr = silent.recv().await.expect("a DWR");
	assert!(dwr.header.is_request());
	assert_eq!(dwr.header.command, command::DEVICE_WATCHDOG);
	assert_eq!(dwr.header.flags & flags::PROXIABLE, 0);
	assert_eq!(dwr.required_utf8(&avp::ORIGIN_HOST).unwrap(), "hss.ims.test");
	assert!(silent.recv().await.is_none(), "dropped when the DWR goes unanswered");
	assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());

	let (answered, _alive) = answering.await.unwrap();
	assert!(answered >= 3, "{answered} DWRs");
	assert_eq!(bridge.ctx.peers.connected(), vec!["icscf.ims.test".to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_floods_and_stops_reading_is_dropped_without_delaying_another() {
	let policy = PeerPolicy {
		write_timeout: Duration::from_millis(500),
		requests_per_second: 1_000_000,
		burst: 1_000_000,
		..policy()
	};
	let bridge = start_with(policy, 16, Duration::ZERO, None).await;
	let mut other = open(bridge.address, "icscf.ims.test").await;

	// The flooder reads its CEA, then never reads again.
	let socket = TcpSocket::new_v4().unwrap();
	socket.set_recv_buffer_size(4096).unwrap();
	let stream = socket.connect(bridge.address).await.unwrap();
	let mut flooder = Client { stream, buffer: Vec::new() };
	assert_eq!(result_code(&flooder.exchange(&cer("scscf.ims.test")).await), result::SUCCESS);
	let (mut flood_read, mut flood_write) = flooder.stream.into_split();
	let flood = tokio::spawn(async move {
		let batch: Vec<u8> = (0..100u32).flat_map(|id| mar(id).encode().unwrap()).collect();
		for _ in 0..5_000 {
			if flood_write.write_all(&batch).await.is_err() {
				return true;
			}
		}
		false
	});

	// The other peer's answers keep coming quickly throughout.
	let started = Instant::now();
	let mut slowest = Duration::ZERO;
	for id in 0..200 {
		let asked = Instant::now();
		let uar = request_from("icscf.ims.test", command::USER_AUTHORIZATION, id);
		assert_eq!(result_code(&other.exchange(&uar).await), result::SUCCESS);
		slowest = slowest.max(asked.elapsed());
		tokio::time::sleep(Duration::from_millis(5)).await;
	}
	assert!(slowest < Duration::from_millis(100), "slowest answer {slowest:?}");

	// The flooder was dropped: its writes fail, its stream ends.
	let cut = tokio::time::timeout(Duration::from_secs(20), flood).await;
	assert!(cut.expect("the flood ends").unwrap(), "the bridge closed the flooder");
	let mut rest = Vec::new();
	let drained = tokio::time::timeout(Duration::from_secs(5), flood_read.read_to_end(&mut rest));
	let _ = drained.await.expect("the stream ends");
	let gone = async {
		while bridge.ctx.peers.connected().len() > 1 {
			tokio::time::sleep(Duration::from_millis(20)).await;
		}
	};
	tokio::time::timeout(Duration::from_secs(5), gone).await.expect("the flooder unregistered");
	assert_eq!(bridge.ctx.peers.connected(), vec!["icscf.ims.test".to_string()]);
	assert!(started.elapsed() < Duration::from_secs(20));
	// The peer may come back.
	let mut back = open(bridge.address, "scscf.ims.test").await;
	assert_eq!(result_code(&back.exchange(&mar(1)).await), result::SUCCESS);
}

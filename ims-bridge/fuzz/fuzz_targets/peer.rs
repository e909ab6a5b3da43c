//! The peer state machine on arbitrary bytes from a peer: capabilities
//! exchange, requests, answers, watchdog and disconnect, over an in-memory
//! stream, with the clock paused so that every timeout fires at once. The
//! session must end (the input ends, then the peer closes), never panic,
//! and never hang.
#![no_main]

use ims_bridge::diameter::codec::{Avp, Message};
use ims_bridge::diameter::dict::{avp, result};
use ims_bridge::diameter::peer::{
	answer_for, serve, AllowedPeer, Application, Context, LocalIdentity, PeerInfo, PeerPolicy,
	PeerRole, Transport,
};
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

/// Answers every request with 2001.
struct Echo(LocalIdentity);

impl Application for Echo {
	async fn handle(&self, _peer: &PeerInfo, request: Message) -> Message {
		answer_for(&self.0, &request).with(Avp::u32_of(&avp::RESULT_CODE, result::SUCCESS))
	}
}

fn context() -> Arc<Context<Echo>> {
	let local = LocalIdentity {
		origin_host: "hss.ims.example.net".into(),
		origin_realm: "ims.example.net".into(),
		host_ip: [127, 0, 0, 1].into(),
		product_name: "fuzz".into(),
	};
	let peer = |host: &str, role| AllowedPeer {
		origin_host: host.into(),
		origin_realm: "ims.example.net".into(),
		addresses: vec![[127, 0, 0, 1].into()],
		role,
		max_connections: 2,
		plain_tcp: false,
	};
	let scscf = PeerRole::SCscf { server_name: "sip:127.0.0.1:59071".into() };
	// The names of the captured Kamailio messages of the seed corpus.
	let allowed =
		vec![peer("scscf.ims.example.net", scscf), peer("icscf.ims.example.net", PeerRole::ICscf)];
	let policy = PeerPolicy { max_in_flight: 4, ..PeerPolicy::new(allowed) };
	Arc::new(Context::new(local.clone(), policy, Echo(local)))
}

fuzz_target!(|data: &[u8]| {
	let runtime = tokio::runtime::Builder::new_current_thread()
		.enable_time()
		.start_paused(true)
		.build()
		.expect("a runtime");
	runtime.block_on(async {
		let (mut client, server) = tokio::io::duplex(4096);
		let address = ([127, 0, 0, 1], 3869).into();
		let session = serve(server, address, Transport::Plain, context(), CancellationToken::new());
		let talk = async move {
			// Written a few bytes at a time, reading what comes back between.
			let mut sink = vec![0u8; 4096];
			for chunk in data.chunks(97) {
				if client.write_all(chunk).await.is_err() {
					break;
				}
				let _ = tokio::time::timeout(Duration::from_millis(1), client.read(&mut sink)).await;
			}
			drop(client);
		};
		let (_, closed) = tokio::join!(talk, async {
			tokio::time::timeout(Duration::from_secs(3600), session).await
		});
		closed.expect("the session ends once its peer has gone");
	});
});

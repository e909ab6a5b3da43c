//! `ims-bridge import --from fhoss` against Debian's MariaDB holding a
//! database in FHoSS's `hss_db` shape (`tests/fhoss/schema.sql`): SIP
//! Digest and AKA subscribers, an implicit set, a barred identity and
//! records the ledger cannot take; then SIPp registers the imported
//! subscribers through Kamailio and the bridge.

use crate::common::*;
use crate::cx_client::{code, CxClient};
use ims_bridge::diameter::codec::Avp;
use ims_bridge::diameter::dict::{avp, command, result};
use ims_test_harness::MariaDb;
use std::process::Output;
use std::time::Duration;

const SCHEMA: &str = include_str!("../fhoss/schema.sql");

/// The service data: a presence server triggered by PUBLISH with a
/// presence Event header, in profile 1; a charging collection function.
const SERVICES: &str = r"
INSERT INTO application_server (id, name, server_name, default_handling, service_info)
  VALUES (1, 'presence', 'sip:presence.ims.example.net', 1, 'presence-info');
INSERT INTO tp (id, name, condition_type_cnf) VALUES (1, 'presence publish', 0);
INSERT INTO spt (id_tp, grp, type, method) VALUES (1, 0, 1, 'PUBLISH');
INSERT INTO spt (id_tp, grp, type, header, header_content) VALUES (1, 0, 2, 'Event', '.*presence.*');
INSERT INTO ifc (id, name, id_application_server, id_tp, profile_part_ind) VALUES (1, 'presence', 1, 1, -1);
INSERT INTO sp (id, name) VALUES (1, 'presence_sp');
INSERT INTO sp_ifc (id_sp, id_ifc, priority) VALUES (1, 1, 10);
INSERT INTO charging_info (id, name, pri_ccf) VALUES (1, 'ccf', 'aaa://ccf.ims.example.net');
";

/// The subscribers, as FHoSS's web console writes them: `k` is the SIP
/// Digest password and AKA's K alike, OP and AMF raw bytes, schemes a
/// bit mask (1 AKAv1, 64 NASS-Bundled, 128 SIP Digest, 255 all).
const ROWS: &str = r"
INSERT INTO imsu (id, name) VALUES (1, 'alice'), (2, 'carol'), (3, 'dave'), (4, 'erin'), (5, 'frank');
INSERT INTO impi (id, id_imsu, identity, k, auth_scheme, default_auth_scheme, amf, op, opc, sqn) VALUES
  (1, 1, 'alice@ims.example.net', 'alice-secret', 128, 128, '', '', '', '000000000000'),
  (2, 2, 'carol@ims.example.net', 'carol-key-123456', 1, 1, '00', 'carol-op-1234567', '', '000000000000'),
  (3, 3, 'dave@ims.example.net', 'dave-secret', 255, 128, '', '', '', '000000000000'),
  (4, 4, 'erin@ims.example.net', 'erin-secret', 64, 64, '', '', '', '000000000000'),
  (5, NULL, 'stray@ims.example.net', 'stray-secret', 128, 128, '', '', '', '000000000000'),
  (6, 5, 'frank@ims.example.net', 'frank-secret', 128, 128, '', '', '', '000000000000');
INSERT INTO impu (id, identity, barring, id_sp, id_implicit_set, id_charging_info) VALUES
  (1, 'sip:alice@ims.example.net', 0, 1, 1, 1),
  (2, 'tel:+15550101', 0, 1, 1, 1),
  (3, 'sip:carol@ims.example.net', 0, 1, 3, NULL),
  (4, 'sip:dave@ims.example.net', 1, 1, 4, NULL),
  (5, 'sip:erin@ims.example.net', 0, 1, 5, NULL),
  (6, 'sip:frank@ims.example.net', 0, 1, 6, 1);
INSERT INTO impi_impu (id_impi, id_impu) VALUES (1, 1), (1, 2), (2, 3), (3, 4), (4, 5), (6, 6);
INSERT INTO visited_network (id, identity) VALUES (1, 'visited.example.org');
INSERT INTO impu_visited_network (id_impu, id_visited_network) VALUES (1, 1), (2, 1);
";

fn text(output: &Output) -> String {
	format!(
		"{}{}",
		String::from_utf8_lossy(&output.stdout),
		String::from_utf8_lossy(&output.stderr)
	)
}

#[tokio::test(flavor = "multi_thread")]
async fn fhoss_subscribers_register_through_kamailio_after_the_import() {
	let database = MariaDb::start();
	let url = database.database("hss_db", ("hss", "hss-reader"));
	database.sql(&format!("USE hss_db;\n{SCHEMA}\n{SERVICES}\n{ROWS}"));
	let (_node, setup) = dev_chain().await;

	let import = |url: &str| {
		setup
			.bridge_command()
			.args(["import", "--config"])
			.arg(&setup.config)
			.args(["--from", "fhoss", url])
			.output()
			.unwrap()
	};
	// A wrong password is refused by the server, and never printed.
	let wrong = import(&url.replace("hss-reader", "not-the-password"));
	assert!(!wrong.status.success());
	let said = text(&wrong);
	assert!(said.contains("cannot connect to mysql://hss:***@127.0.0.1"), "{said}");
	assert!(!said.contains("not-the-password"), "{said}");

	let output = import(&url);
	let said = text(&output);
	// Two records cannot be imported, so the run does not end complete.
	assert!(!output.status.success(), "{said}");
	assert!(said.contains("6 subscriber lines: 4 added, 0 already imported, 2 refused"), "{said}");
	assert!(said.contains("realm service data: 3 objects put, 0 already there"), "{said}");
	assert!(
		said.contains("imsu 4: impi 4 has no scheme the ledger offers (auth_scheme 64)"),
		"{said}"
	);
	assert!(said.contains("impi 5: it belongs to no IMS subscription"), "{said}");
	assert!(
		said.contains(
			"imsu 3: impi 3: schemes HTTP_Digest_MD5, Early-IMS-Security, NASS-Bundled dropped"
		),
		"{said}"
	);
	assert!(said.contains("imsu 3: impu 4: every member of its implicit set is barred"), "{said}");
	for secret in ["alice-secret", "carol-key-123456", "carol-op-1234567", "hss-reader"] {
		assert!(!said.contains(secret), "the import printed a secret: {said}");
	}
	let alice = setup.show("alice@ims.example.net");
	assert!(alice.contains("impu tel:+15550101"), "{alice}");
	let dave = setup.show("dave@ims.example.net");
	assert!(dave.contains("barred: true"), "{dave}");
	assert_eq!(setup.show("erin@ims.example.net"), "", "a refused record is not in the vault");

	// Run again, through the running bridge, which reads the database
	// itself: what landed is skipped, the refusals stay.
	let bridge = setup.start_bridge();
	wait_for("the bridge's first load", Duration::from_secs(60), || {
		setup.metric("ims_bridge_index_loads_total{reason=\"start\"}") == Some(1.0)
	});
	let again = text(&import(&url));
	assert!(
		again.contains("6 subscriber lines: 0 added, 4 already imported, 2 refused"),
		"{again}"
	);
	assert!(again.contains("realm service data: 0 objects put, 3 already there"), "{again}");
	let log = bridge.log();
	assert!(log.contains("import started") && log.contains("FHoSS at mysql://hss:***@"), "{log}");
	assert!(!log.contains("hss-reader"), "the bridge logged the database password");
	// The S-CSCF downloads the imported profile: FHoSS's iFC, its
	// application server and its charging function.
	let mut scscf = CxClient::open(setup.hss_port, &format!("scscf.{REALM}"));
	let sar = vec![
		Avp::utf8_of(&avp::USER_NAME, "frank@ims.example.net"),
		Avp::utf8_of(&avp::PUBLIC_IDENTITY, "sip:frank@ims.example.net"),
		Avp::utf8_of(&avp::SERVER_NAME, &format!("sip:127.0.0.1:{}", setup.scscf_port)),
		Avp::u32_of(&avp::SERVER_ASSIGNMENT_TYPE, 1),
		Avp::u32_of(&avp::USER_DATA_ALREADY_AVAILABLE, 0),
	];
	let mut answer = scscf.ask(command::SERVER_ASSIGNMENT, sar.clone());
	for _ in 0..300 {
		if code(&answer) == result::SUCCESS {
			break;
		}
		// The bridge's index loads the subscribers first.
		std::thread::sleep(Duration::from_millis(200));
		answer = scscf.ask(command::SERVER_ASSIGNMENT, sar.clone());
	}
	assert_eq!(code(&answer), result::SUCCESS);
	let user_data = answer.find(&avp::USER_DATA).unwrap().octets(&avp::USER_DATA).unwrap();
	let user_data = String::from_utf8_lossy(user_data);
	for part in [
		"<ServerName>sip:presence.ims.example.net</ServerName>",
		"<Method>PUBLISH</Method>",
		"<Header>Event</Header>",
		"<Priority>10</Priority>",
	] {
		assert!(user_data.contains(part), "{part} in {user_data}");
	}
	let charging = answer.find(&avp::CHARGING_INFORMATION).expect("Charging-Information");
	let functions = charging.children(&avp::CHARGING_INFORMATION).unwrap();
	let ccf = functions.iter().find(|f| f.is(&avp::PRIMARY_CHARGING_COLLECTION_FUNCTION_NAME));
	let ccf = ccf.unwrap().octets(&avp::PRIMARY_CHARGING_COLLECTION_FUNCTION_NAME).unwrap();
	assert_eq!(ccf, b"aaa://ccf.ims.example.net");
	drop(scscf);
	let _scscf = setup.kamailio("scscf");
	let _icscf = setup.kamailio("icscf");
	wait_for("both CSCFs connected to the bridge", Duration::from_secs(60), || {
		setup.metric("ims_bridge_peers") == Some(2.0)
	});
	assert!(setup.sipp("register_digest", "alice", &["-ap", "alice-secret"]), "SIP Digest");
	let aka = ("carol-key-123456", "carol-op-1234567", "00");
	assert!(setup.sipp_aka("register_aka", "carol", aka.0, aka.1, aka.2), "AKAv1-MD5");
	assert!(setup.sipp("register_forbidden", "dave", &[]), "barred identity");
	assert!(setup.sipp("register_forbidden", "erin", &[]), "refused record");
}

/// Fills `hss_db` with `count` subscriptions in the scale benchmark's
/// shape: one IMPI (SIP Digest) and a SIP and a TEL IMPU in one implicit
/// set, made by MariaDB itself from its sequence tables.
fn populate(database: &MariaDb, count: usize) {
	database.sql(&format!(
		"USE hss_db;\n\
		 INSERT INTO imsu (id, name) SELECT seq, CONCAT('sub', seq) FROM seq_1_to_{count};\n\
		 INSERT INTO impi (id, id_imsu, identity, k, auth_scheme, default_auth_scheme, amf, op, opc)\n\
		   SELECT seq, seq, CONCAT('user', seq, '@{REALM}'), CONCAT('pw', seq), 128, 128, '', '', ''\n\
		   FROM seq_1_to_{count};\n\
		 INSERT INTO impu (id, identity, id_sp, id_implicit_set)\n\
		   SELECT 2 * seq - 1, CONCAT('sip:user', seq, '@{REALM}'), 0, seq FROM seq_1_to_{count};\n\
		 INSERT INTO impu (id, identity, id_sp, id_implicit_set)\n\
		   SELECT 2 * seq, CONCAT('tel:+1555', LPAD(seq, 7, '0')), 0, seq FROM seq_1_to_{count};\n\
		 INSERT INTO impi_impu (id_impi, id_impu)\n\
		   SELECT seq, 2 * seq - 1 FROM seq_1_to_{count} UNION ALL SELECT seq, 2 * seq FROM seq_1_to_{count};"
	));
}

/// `scripts/bench.sh fhoss`: BENCH_FHOSS_SUBSCRIBERS (100,000 by default)
/// FHoSS subscriptions imported from MariaDB into `ims-node --dev`; prints
/// the import's own summary (rates end to end, vault and chain).
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark: scripts/bench.sh fhoss"]
async fn bench_fhoss_import() {
	let count: usize = std::env::var("BENCH_FHOSS_SUBSCRIBERS")
		.ok()
		.and_then(|n| n.parse().ok())
		.unwrap_or(100_000);
	let database = MariaDb::start();
	let url = database.database("hss_db", ("hss", "hss-reader"));
	database.sql(&format!("USE hss_db;\n{SCHEMA}"));
	let started = std::time::Instant::now();
	populate(&database, count);
	println!(
		"fhoss: {count} subscriptions written to MariaDB in {:.1} s",
		started.elapsed().as_secs_f64()
	);
	let (_node, setup) = dev_chain().await;
	let started = std::time::Instant::now();
	let output = setup
		.bridge_command()
		.args(["import", "--config"])
		.arg(&setup.config)
		.args(["--from", "fhoss", &url])
		.output()
		.unwrap();
	let elapsed = started.elapsed();
	let said = text(&output);
	assert!(output.status.success(), "{said}");
	print!("{}", String::from_utf8_lossy(&output.stdout));
	println!(
		"fhoss: {count} subscribers from MariaDB into the vault and the finalized chain in {:.1} s ({:.0}/s)",
		elapsed.as_secs_f64(),
		count as f64 / elapsed.as_secs_f64()
	);
}

//! `ims-bridge import --from fhoss` against Debian's MariaDB holding a
//! database in FHoSS's `hss_db` shape (`tests/fhoss/schema.sql`): SIP
//! Digest and AKA subscribers, an implicit set, a barred identity and
//! records the ledger cannot take; then SIPp registers the imported
//! subscribers through Kamailio and the bridge.

use crate::common::*;
use ims_test_harness::MariaDb;
use std::process::Output;
use std::time::Duration;

const SCHEMA: &str = include_str!("../fhoss/schema.sql");

/// The subscribers, as FHoSS's web console writes them: `k` is the SIP
/// Digest password and AKA's K alike, OP and AMF raw bytes, schemes a
/// bit mask (1 AKAv1, 64 NASS-Bundled, 128 SIP Digest, 255 all).
const ROWS: &str = r"
INSERT INTO imsu (id, name) VALUES (1, 'alice'), (2, 'carol'), (3, 'dave'), (4, 'erin');
INSERT INTO impi (id, id_imsu, identity, k, auth_scheme, default_auth_scheme, amf, op, opc, sqn) VALUES
  (1, 1, 'alice@ims.example.net', 'alice-secret', 128, 128, '', '', '', '000000000000'),
  (2, 2, 'carol@ims.example.net', 'carol-key-123456', 1, 1, '00', 'carol-op-1234567', '', '000000000000'),
  (3, 3, 'dave@ims.example.net', 'dave-secret', 255, 128, '', '', '', '000000000000'),
  (4, 4, 'erin@ims.example.net', 'erin-secret', 64, 64, '', '', '', '000000000000'),
  (5, NULL, 'stray@ims.example.net', 'stray-secret', 128, 128, '', '', '', '000000000000');
INSERT INTO impu (id, identity, barring, id_sp, id_implicit_set) VALUES
  (1, 'sip:alice@ims.example.net', 0, 0, 1),
  (2, 'tel:+15550101', 0, 0, 1),
  (3, 'sip:carol@ims.example.net', 0, 0, 3),
  (4, 'sip:dave@ims.example.net', 1, 0, 4),
  (5, 'sip:erin@ims.example.net', 0, 0, 5);
INSERT INTO impi_impu (id_impi, id_impu) VALUES (1, 1), (1, 2), (2, 3), (3, 4), (4, 5);
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
	database.sql(&format!("USE hss_db;\n{SCHEMA}\n{ROWS}"));
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
	assert!(said.contains("5 subscriber lines: 3 added, 0 already imported, 2 refused"), "{said}");
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

	// Run again: what landed is skipped, the refusals stay.
	let again = text(&import(&url));
	assert!(
		again.contains("5 subscriber lines: 0 added, 3 already imported, 2 refused"),
		"{again}"
	);

	let _bridge = setup.start_bridge();
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

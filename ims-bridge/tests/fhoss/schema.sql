-- The tables of FHoSS's `hss_db` that `ims-bridge import --from fhoss`
-- reads, with FHoSS's table names, column names and column types (as its
-- scripts/hss_db.sql creates them), written for the end-to-end tests and
-- the import benchmark. Columns the importer does not read are left out.

CREATE TABLE imsu (
  id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name varchar(255) NOT NULL DEFAULT '',
  scscf_name varchar(255) DEFAULT NULL,
  diameter_name varchar(255) DEFAULT NULL,
  id_capabilities_set int(11) DEFAULT NULL,
  id_preferred_scscf_set int(11) DEFAULT NULL,
  KEY idx_name (name)
);

CREATE TABLE impi (
  id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY,
  id_imsu int(11) DEFAULT NULL,
  identity varchar(255) NOT NULL DEFAULT '',
  k tinyblob NOT NULL,
  auth_scheme int(11) NOT NULL DEFAULT 0,
  default_auth_scheme int(11) NOT NULL DEFAULT 1,
  amf tinyblob NOT NULL,
  op tinyblob NOT NULL,
  opc tinyblob NOT NULL,
  sqn varchar(64) NOT NULL DEFAULT '000000000000',
  ip varchar(64) NOT NULL DEFAULT '',
  line_identifier varchar(64) NOT NULL DEFAULT '',
  KEY idx_identity (identity),
  KEY idx_id_imsu (id_imsu)
);

CREATE TABLE impu (
  id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY,
  identity varchar(255) NOT NULL DEFAULT '',
  type tinyint(4) NOT NULL DEFAULT 0,
  barring tinyint(4) NOT NULL DEFAULT 0,
  user_state tinyint(4) NOT NULL DEFAULT 0,
  id_sp int(11) DEFAULT NULL,
  id_implicit_set int(11) NOT NULL DEFAULT 0,
  id_charging_info int(11) DEFAULT NULL,
  wildcard_psi varchar(255) NOT NULL DEFAULT '',
  display_name varchar(255) NOT NULL DEFAULT '',
  psi_activation tinyint(4) NOT NULL DEFAULT 0,
  can_register tinyint(4) NOT NULL DEFAULT 1,
  KEY idx_identity (identity),
  KEY idx_id_impu_implicitset (id_implicit_set)
);

CREATE TABLE impi_impu (
  id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY,
  id_impi int(11) NOT NULL DEFAULT 0,
  id_impu int(11) NOT NULL DEFAULT 0,
  user_state tinyint(4) NOT NULL DEFAULT 0,
  KEY idx_id_impi (id_impi),
  KEY idx_id_impu (id_impu)
);

CREATE TABLE visited_network (
  id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY,
  identity varchar(255) NOT NULL DEFAULT '',
  KEY idx_identity (identity)
);

CREATE TABLE impu_visited_network (
  id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY,
  id_impu int(11) NOT NULL DEFAULT 0,
  id_visited_network int(11) NOT NULL DEFAULT 0,
  KEY idx_id_impu (id_impu),
  KEY idx_visited_network (id_visited_network)
);

CREATE TABLE application_server (
  id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name varchar(255) NOT NULL DEFAULT '',
  server_name varchar(255) NOT NULL DEFAULT '',
  default_handling int(11) NOT NULL DEFAULT 0,
  service_info varchar(255) NOT NULL DEFAULT '',
  diameter_address varchar(255) NOT NULL DEFAULT '',
  rep_data_size_limit int(11) NOT NULL DEFAULT 0,
  udr tinyint(4) NOT NULL DEFAULT 0,
  pur tinyint(4) NOT NULL DEFAULT 0,
  snr tinyint(4) NOT NULL DEFAULT 0,
  include_register_response tinyint(4) NOT NULL DEFAULT 0,
  include_register_request tinyint(4) NOT NULL DEFAULT 0
);

CREATE TABLE charging_info (
  id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name varchar(255) NOT NULL DEFAULT '',
  pri_ecf varchar(255) NOT NULL DEFAULT '',
  sec_ecf varchar(255) NOT NULL DEFAULT '',
  pri_ccf varchar(255) NOT NULL DEFAULT '',
  sec_ccf varchar(255) NOT NULL DEFAULT ''
);

CREATE TABLE tp (
  id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name varchar(255) NOT NULL DEFAULT '',
  condition_type_cnf int(11) NOT NULL DEFAULT 0
);

CREATE TABLE spt (
  id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY,
  id_tp int(11) NOT NULL DEFAULT 0,
  condition_negated int(11) NOT NULL DEFAULT 0,
  grp int(11) NOT NULL DEFAULT 0,
  type int(11) NOT NULL DEFAULT 0,
  requesturi varchar(255) DEFAULT NULL,
  method varchar(255) DEFAULT NULL,
  header varchar(255) DEFAULT NULL,
  header_content varchar(255) DEFAULT NULL,
  session_case int(11) DEFAULT NULL,
  sdp_line varchar(255) DEFAULT NULL,
  sdp_line_content varchar(255) DEFAULT NULL,
  registration_type int(11) DEFAULT 0,
  KEY idx_trigger_point (id_tp)
);

CREATE TABLE ifc (
  id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name varchar(255) NOT NULL DEFAULT '',
  id_application_server int(11) DEFAULT NULL,
  id_tp int(11) DEFAULT NULL,
  profile_part_ind int(11) DEFAULT NULL
);

CREATE TABLE sp (
  id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name varchar(16) NOT NULL DEFAULT '',
  cn_service_auth int(11) DEFAULT NULL
);

CREATE TABLE sp_ifc (
  id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY,
  id_sp int(11) NOT NULL DEFAULT 0,
  id_ifc int(11) NOT NULL DEFAULT 0,
  priority int(11) NOT NULL DEFAULT 0
);

CREATE TABLE shared_ifc_set (
  id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY,
  id_set int(11) NOT NULL DEFAULT 0,
  name varchar(255) NOT NULL DEFAULT '',
  id_ifc int(11) DEFAULT NULL,
  priority int(11) NOT NULL DEFAULT 0
);

CREATE TABLE sp_shared_ifc_set (
  id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY,
  id_sp int(11) NOT NULL DEFAULT 0,
  id_shared_ifc_set int(11) NOT NULL DEFAULT 0
);

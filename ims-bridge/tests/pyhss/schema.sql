-- The tables of PyHSS's database that `ims-bridge import --from pyhss`
-- reads, with the table names, column names and types of PyHSS's
-- SQLAlchemy models (lib/database.py: AUC, SUBSCRIBER, IMS_SUBSCRIBER) on
-- MySQL, written for the end-to-end test. Columns the importer does not
-- read are left out.

CREATE TABLE auc (
  auc_id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
  ki varchar(32) NOT NULL,
  opc varchar(32) NOT NULL,
  amf varchar(4) NOT NULL,
  sqn bigint DEFAULT NULL,
  iccid varchar(20) DEFAULT NULL UNIQUE,
  imsi varchar(18) DEFAULT NULL UNIQUE
);

CREATE TABLE subscriber (
  subscriber_id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
  imsi varchar(18) DEFAULT NULL UNIQUE,
  enabled tinyint(1) DEFAULT 1,
  auc_id int NOT NULL,
  default_apn int NOT NULL DEFAULT 1,
  apn_list varchar(64) NOT NULL DEFAULT '1',
  msisdn varchar(18) DEFAULT NULL
);

CREATE TABLE ims_subscriber (
  ims_subscriber_id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
  msisdn varchar(18) DEFAULT NULL UNIQUE,
  msisdn_list varchar(1200) DEFAULT NULL,
  imsi varchar(18) DEFAULT NULL,
  ifc_path varchar(512) DEFAULT NULL,
  scscf varchar(512) DEFAULT NULL
);

-- siplua: avpops' `usr_preferences` table, OpenSIPS 3.x layout (version 3), read and written
-- by avp_db_load / avp_db_store / avp_db_delete. `type` 1 marks an integer value, 0 a string.
INSERT IGNORE INTO version (table_name, table_version) values ('usr_preferences','3');
CREATE TABLE IF NOT EXISTS usr_preferences (
    id INT(10) UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    uuid CHAR(64) DEFAULT '' NOT NULL,
    username CHAR(64) DEFAULT '' NOT NULL,
    domain CHAR(64) DEFAULT '' NOT NULL,
    attribute CHAR(32) DEFAULT '' NOT NULL,
    type INT(11) DEFAULT 0 NOT NULL,
    value CHAR(128) DEFAULT '' NOT NULL,
    last_modified DATETIME DEFAULT '1900-01-01 00:00:01' NOT NULL,
    INDEX ua_idx (uuid, attribute),
    INDEX uda_idx (username, domain, attribute),
    INDEX value_idx (value)
) ENGINE=InnoDB;

-- siplua: the auth_db `subscriber` and `uri` tables, OpenSIPS 3.x layout (versions 8 and 2).
-- `password` holds the plain password (calculate_ha1 = 1); `ha1`, `ha1_sha256` and
-- `ha1_sha512t256` the precomputed HA1 per algorithm (calculate_ha1 = 0).
INSERT IGNORE INTO version (table_name, table_version) values ('subscriber','8');
CREATE TABLE IF NOT EXISTS subscriber (
    id INT(10) UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    username CHAR(64) DEFAULT '' NOT NULL,
    domain CHAR(64) DEFAULT '' NOT NULL,
    password CHAR(25) DEFAULT '' NOT NULL,
    ha1 CHAR(64) DEFAULT '' NOT NULL,
    ha1_sha256 CHAR(64) DEFAULT '' NOT NULL,
    ha1_sha512t256 CHAR(64) DEFAULT '' NOT NULL,
    CONSTRAINT account_idx UNIQUE (username, domain),
    INDEX username_idx (username)
) ENGINE=InnoDB;

INSERT IGNORE INTO version (table_name, table_version) values ('uri','2');
CREATE TABLE IF NOT EXISTS uri (
    id INT(10) UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    username CHAR(64) DEFAULT '' NOT NULL,
    domain CHAR(64) DEFAULT '' NOT NULL,
    uri_user CHAR(64) DEFAULT '' NOT NULL,
    last_modified DATETIME DEFAULT '1900-01-01 00:00:01' NOT NULL,
    CONSTRAINT account_idx UNIQUE (username, domain, uri_user)
) ENGINE=InnoDB;

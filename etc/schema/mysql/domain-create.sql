-- siplua: the domain module's `domain` table, OpenSIPS 3.x layout (version 4). One row per
-- domain this proxy serves; `attrs` is handed to the script by is_*_local($var).
INSERT IGNORE INTO version (table_name, table_version) values ('domain','4');
CREATE TABLE IF NOT EXISTS domain (
    id INT(10) UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    domain CHAR(64) DEFAULT '' NOT NULL,
    attrs CHAR(255) DEFAULT NULL,
    accept_subdomain INT(11) DEFAULT 0 NOT NULL,
    last_modified DATETIME DEFAULT '1900-01-01 00:00:01' NOT NULL,
    CONSTRAINT domain_idx UNIQUE (domain)
) ENGINE=InnoDB;

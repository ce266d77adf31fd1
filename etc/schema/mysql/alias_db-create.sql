-- siplua: the alias_db module's `dbaliases` table, OpenSIPS 3.x layout (version 2): the alias
-- alias_username@alias_domain stands for username@domain.
INSERT IGNORE INTO version (table_name, table_version) values ('dbaliases','2');
CREATE TABLE IF NOT EXISTS dbaliases (
    id INT(10) UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    alias_username CHAR(64) DEFAULT '' NOT NULL,
    alias_domain CHAR(64) DEFAULT '' NOT NULL,
    username CHAR(64) DEFAULT '' NOT NULL,
    domain CHAR(64) DEFAULT '' NOT NULL,
    CONSTRAINT alias_idx UNIQUE (alias_username, alias_domain),
    INDEX target_idx (username, domain)
) ENGINE=InnoDB;

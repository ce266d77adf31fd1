-- siplua: the permissions module's `address` table, OpenSIPS 3.x layout (version 5): peers
-- by group, address/mask, port (0 = any) and protocol ('any'), with an optional pattern and
-- the context_info check_*address() hands to the script.
INSERT IGNORE INTO version (table_name, table_version) values ('address','5');
CREATE TABLE IF NOT EXISTS address (
    id INT(10) UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    grp SMALLINT(5) UNSIGNED DEFAULT 1 NOT NULL,
    ip CHAR(50) NOT NULL,
    mask TINYINT DEFAULT 32 NOT NULL,
    port SMALLINT(5) UNSIGNED DEFAULT 0 NOT NULL,
    proto CHAR(4) DEFAULT 'any' NOT NULL,
    pattern CHAR(64) DEFAULT NULL,
    context_info CHAR(32) DEFAULT NULL
) ENGINE=InnoDB;

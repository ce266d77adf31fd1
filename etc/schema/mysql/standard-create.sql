-- siplua: the `version` table every OpenSIPS schema file records itself in.
-- Same layout as OpenSIPS 3.x scripts/mysql/standard-create.sql; IF NOT EXISTS and
-- INSERT IGNORE make the file safe to run again (existing tables are kept).
CREATE TABLE IF NOT EXISTS version (
    table_name CHAR(32) NOT NULL,
    table_version INT UNSIGNED DEFAULT 0 NOT NULL,
    CONSTRAINT t_name_idx UNIQUE (table_name)
) ENGINE=InnoDB;

//! Command-line options, named as OpenSIPS names them where it has them.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// siplua: a SIP proxy and registrar scripted in the OpenSIPS language and Lua.
///
/// With no options it runs its embedded default configuration on 127.0.0.1:5060 (UDP and
/// TCP), logging to standard error.
#[derive(Parser, Debug)]
#[command(name = "siplua", disable_version_flag = true)]
pub struct Cli {
    /// Configuration file (opensips.cfg syntax). Without it, the embedded default runs.
    #[arg(short = 'f', long = "config", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Check the configuration and exit: 0 when it loads, the errors and 1 otherwise.
    #[arg(short = 'c', long = "check")]
    pub check: bool,

    /// Print the version and exit.
    #[arg(short = 'V', long = "version")]
    pub version: bool,

    /// Listen on this socket instead of the configured ones (repeatable), e.g.
    /// `udp:127.0.0.1:5060`, `tcp:0.0.0.0:5070`, `127.0.0.1:5080` (UDP and TCP).
    #[arg(short = 'l', long = "listen", value_name = "SOCKET")]
    pub listen: Vec<String>,

    /// Number of worker threads per UDP socket and for TCP (overrides udp_workers).
    #[arg(short = 'n', long = "workers", value_name = "N")]
    pub workers: Option<usize>,

    /// Log level, OpenSIPS numbering: -3 (alert) .. 4 (debug) (overrides log_level).
    #[arg(
        short = 'L',
        long = "log-level",
        value_name = "LEVEL",
        allow_hyphen_values = true
    )]
    pub log_level: Option<i32>,

    /// A script option `NAME=VALUE` (repeatable), read in the script as `$argv(NAME)`.
    #[arg(short = 'o', value_name = "NAME=VALUE")]
    pub options: Vec<String>,

    /// Stay in the foreground (accepted for OpenSIPS compatibility: siplua never forks).
    #[arg(short = 'F', hide = true)]
    pub foreground: bool,

    /// Log to standard error (accepted for OpenSIPS compatibility: the default).
    #[arg(short = 'E', hide = true)]
    pub stderr: bool,

    /// A tool to run instead of the server.
    #[command(subcommand)]
    pub command: Option<Tool>,
}

/// Tools run from the command line instead of the server.
#[derive(Subcommand, Debug)]
pub enum Tool {
    /// Database tools (the SQL tables of usrloc, acc, auth_db, domain, alias_db, permissions, avpops).
    Db {
        /// What to do.
        #[command(subcommand)]
        action: DbAction,
    },
}

/// `siplua db ...`.
#[derive(Subcommand, Debug)]
pub enum DbAction {
    /// Creates the OpenSIPS-compatible tables (version, location, acc, missed_calls, ...)
    /// that are missing in the database of DB_URL (and the database itself when the server
    /// does not have it); existing tables are kept as they are.
    Init {
        /// mysql://user:password@host[:port]/database
        db_url: String,
        /// Seconds to wait for the server at each step.
        #[arg(long, default_value_t = 5)]
        timeout: u64,
    },
    /// Prints the embedded schema (the files of etc/schema/mysql), for review or for mysql(1).
    Schema,
}

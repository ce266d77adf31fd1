//! The `siplua` binary: command line, configuration loading, start-up and shutdown.

mod catalogue;
mod cli;
mod db_cmd;
mod default_config;
mod log_line;
mod logging;
mod run;
mod socket_arg;

use std::process::ExitCode;

use clap::Parser;
use siplua_core::load::{self, Overrides};

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    if cli.version {
        println!(
            "siplua {} (OpenSIPS 3.x script language, Lua module API)",
            env!("CARGO_PKG_VERSION")
        );
        return ExitCode::SUCCESS;
    }
    logging::init();
    if let Some(cli::Tool::Db { action }) = &cli.command {
        return db_cmd::run(action);
    }

    let mut overrides = Overrides {
        workers: cli.workers,
        log_level: cli.log_level,
        ..Overrides::default()
    };
    for o in &cli.options {
        match o.split_once('=') {
            Some((name, value)) if !name.is_empty() => {
                overrides.argv.push((name.to_owned(), value.to_owned()));
            }
            _ => {
                eprintln!("siplua: -o {o}: expected NAME=VALUE");
                return ExitCode::from(2);
            }
        }
    }
    for l in &cli.listen {
        match socket_arg::parse(l) {
            Ok(s) => overrides.listen.push(s),
            Err(e) => {
                eprintln!("siplua: -l {l}: {e}");
                return ExitCode::from(2);
            }
        }
    }

    let embedded = match &cli.config {
        Some(_) => None,
        None => match default_config::Embedded::write() {
            Ok(e) => Some(e),
            Err(e) => {
                eprintln!("siplua: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    let loaded = match (&cli.config, &embedded) {
        (Some(path), _) => load::load_file(path, &catalogue::all(), &overrides),
        (None, Some(e)) => e.load(&overrides),
        (None, None) => unreachable!("the embedded files are written when no -f is given"),
    };
    let core = match loaded {
        Ok(core) => core,
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            let name = cli
                .config
                .as_ref()
                .map_or("<embedded default>".into(), |p| p.display().to_string());
            eprintln!(
                "siplua: configuration {name} has {} error(s), not starting",
                errors.len()
            );
            return ExitCode::FAILURE;
        }
    };
    if cli.check {
        println!("config file ok, exiting...");
        return ExitCode::SUCCESS;
    }
    logging::configure(&core.config);
    match run::serve(core) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("siplua: {e}");
            ExitCode::FAILURE
        }
    }
}

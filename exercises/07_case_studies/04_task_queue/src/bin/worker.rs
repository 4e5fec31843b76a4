// Given: the worker binary: flags, the readiness line of its /metrics endpoint, then work until killed.

use std::process::ExitCode;

use service_kit::ServiceArgs;
use task_queue::worker::{WorkerConfig, run_worker};

#[tokio::main]
async fn main() -> ExitCode {
    let config = match ServiceArgs::from_env().and_then(|args| {
        let config = WorkerConfig::from_args(&args)?;
        Ok((args.addr, config))
    }) {
        Ok(config) => config,
        Err(why) => {
            eprintln!("worker: {why}");
            return ExitCode::from(2);
        }
    };
    let (addr, config) = config;
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("worker: cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = service_kit::announce(&listener) {
        eprintln!("worker: cannot print the readiness line: {e}");
        return ExitCode::FAILURE;
    }
    match run_worker(listener, config, std::future::pending()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("worker: {e}");
            ExitCode::FAILURE
        }
    }
}

// Given: the binary around the library: flags, the readiness line, then serve until killed.

use std::process::ExitCode;

use service_kit::ServiceArgs;

#[tokio::main]
async fn main() -> ExitCode {
    let args = match ServiceArgs::from_env() {
        Ok(args) => args,
        Err(why) => {
            eprintln!("task_queue: {why}");
            return ExitCode::from(2);
        }
    };
    let config = match task_queue::Config::from_args(&args) {
        Ok(config) => config,
        Err(why) => {
            eprintln!("task_queue: {why}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(args.addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("task_queue: cannot listen on {}: {e}", args.addr);
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = service_kit::announce(&listener) {
        eprintln!("task_queue: cannot print the readiness line: {e}");
        return ExitCode::FAILURE;
    }
    match task_queue::run(listener, config, std::future::pending()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("task_queue: {e}");
            ExitCode::FAILURE
        }
    }
}

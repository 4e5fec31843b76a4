// Given: the binary around the library: flags, the readiness line, then serve until killed.

use std::process::ExitCode;

use service_kit::ServiceArgs;

#[tokio::main]
async fn main() -> ExitCode {
    let args = match ServiceArgs::from_env() {
        Ok(args) => args,
        Err(why) => {
            eprintln!("web_crawler: {why}");
            return ExitCode::from(2);
        }
    };
    let config = match web_crawler::Config::from_args(&args) {
        Ok(config) => config,
        Err(why) => {
            eprintln!("web_crawler: {why}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(args.addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("web_crawler: cannot listen on {}: {e}", args.addr);
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = service_kit::announce(&listener) {
        eprintln!("web_crawler: cannot print the readiness line: {e}");
        return ExitCode::FAILURE;
    }
    match web_crawler::run(listener, config, std::future::pending()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("web_crawler: {e}");
            ExitCode::FAILURE
        }
    }
}

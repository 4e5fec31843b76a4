// Given: the binary around the library: flags, the readiness line, then serve until killed.

use std::process::ExitCode;

use service_kit::ServiceArgs;

#[tokio::main]
async fn main() -> ExitCode {
    let args = match ServiceArgs::from_env() {
        Ok(args) => args,
        Err(why) => {
            eprintln!("url_shortener: {why}");
            return ExitCode::from(2);
        }
    };
    let config = match url_shortener::Config::from_args(&args) {
        Ok(config) => config,
        Err(why) => {
            eprintln!("url_shortener: {why}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(args.addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("url_shortener: cannot listen on {}: {e}", args.addr);
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = service_kit::announce(&listener) {
        eprintln!("url_shortener: cannot print the readiness line: {e}");
        return ExitCode::FAILURE;
    }
    match url_shortener::run(listener, config, std::future::pending()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("url_shortener: {e}");
            ExitCode::FAILURE
        }
    }
}

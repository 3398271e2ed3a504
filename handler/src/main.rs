//! Lambda entry point: configuration at cold start, then wires the runtime
//! to [`handler::handle`].

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = handler::Config::from_env()
        .inspect_err(|e| tracing::error!(error = %e, "invalid configuration"))?;
    let config = &config;
    // lambda_http's adapter (REST and HTTP API proxy events to `http`
    // requests and back, each answered in its own event's format)
    // on the loop that does not grow the environment (lambda-loop's docs).
    let adapter = lambda_http::Adapter::from(lambda_http::service_fn(move |request| {
        handler::handle(config, request)
    }));
    lambda_loop::run(adapter).await
}

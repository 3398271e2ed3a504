//! Lambda entry point: logging and configuration at cold start, then the runtime loop.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_loop::logging::init();
    pretoken::service::run().await
}

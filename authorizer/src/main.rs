//! Lambda entry point: configuration at cold start, then the runtime loop.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    authorizer::logging::init();
    authorizer::service::run().await
}

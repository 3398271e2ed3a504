//! Lambda entry point: wires the runtime loop to [`handler::handle`].

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    // lambda_http's adapter (REST proxy events to `http` requests and back)
    // on the loop that does not grow the environment (lambda-loop's docs).
    let adapter = lambda_http::Adapter::from(lambda_http::service_fn(handler::handle));
    lambda_loop::run(adapter).await
}

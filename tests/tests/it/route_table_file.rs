//! The route table in a file (`ROUTE_SCOPES_FILE`), for tables beyond the
//! 4 KB Lambda allows for all environment variables together, shipped in a
//! layer that `sam build` really produces (examples/route-table-file).

use std::path::{Path, PathBuf};
use std::process::Command;

use authorizer::Config;

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/route-table-file")
}

fn config_from_file(path: &Path) -> Config {
    let file = path.to_str().expect("UTF-8 path").to_string();
    Config::from_lookup(|name| match name {
        "USER_POOL_ID" => Some("us-east-1_AbCdEf123".into()),
        "APP_CLIENT_IDS" => Some("client".into()),
        "ROUTE_SCOPES_FILE" => Some(file.clone()),
        _ => None,
    })
    .expect("the example's route table loads")
}

#[test]
fn the_example_table_is_beyond_the_environment_limit_and_loads_from_its_file() {
    let file = example().join("routes/routes.json");
    let size = std::fs::metadata(&file).unwrap().len();
    assert!(size > 4096, "{size} bytes would fit in the environment");
    let config = config_from_file(&file);
    assert_eq!(config.routes.routes().len(), 301);
    assert_eq!(config.routes.inexact().count(), 0);
}

#[test]
#[ignore = "needs sam from .venv (scripts/test puts it on PATH)"]
fn sam_build_ships_the_route_table_file_in_the_layer_the_authorizer_reads() {
    // Removed when the test ends, also when it fails.
    let scratch = testkit::temp_dir("route-table-file").unwrap();
    let output = Command::new("sam")
        .args([
            "build",
            "RouteTableLayer",
            "--template-file",
            "template.yaml",
            "--build-dir",
        ])
        .arg(scratch.path())
        .current_dir(example())
        .env("SAM_CLI_TELEMETRY", "0")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .output()
        .expect("sam runs (put .venv/bin on PATH)");
    assert!(
        output.status.success(),
        "sam build failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let built = scratch.path().join("RouteTableLayer/routes.json");
    assert_eq!(
        std::fs::read(&built).expect("sam build put routes.json in the layer"),
        std::fs::read(example().join("routes/routes.json")).unwrap()
    );
    // The layer's files are under /opt; the function names the file there.
    let template = std::fs::read_to_string(scratch.path().join("template.yaml")).unwrap();
    assert!(
        template.contains("ROUTE_SCOPES_FILE: /opt/routes.json"),
        "{template}"
    );
    assert!(
        template.contains("- Ref: RouteTableLayer") || template.contains("!Ref RouteTableLayer"),
        "{template}"
    );
    assert!(
        !template
            .lines()
            .any(|line| line.trim_start().starts_with("ROUTE_SCOPES:")),
        "{template}"
    );
    assert_eq!(config_from_file(&built).routes.routes().len(), 301);
}

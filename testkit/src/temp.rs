//! Scratch files and folders for tests and measurements, through the
//! `tempfile` crate: unique names (parallel tests never share one) and
//! removal on drop, also when a test fails.

use std::io::Write;

pub use tempfile::{NamedTempFile, TempDir};

/// A fresh folder under the system's temp dir whose name starts with `prefix`.
pub fn temp_dir(prefix: &str) -> std::io::Result<TempDir> {
    tempfile::Builder::new().prefix(prefix).tempdir()
}

/// A fresh file whose name starts with `prefix`, holding `contents` (a CA
/// bundle, a JWKS snapshot).
pub fn temp_file(prefix: &str, contents: &[u8]) -> std::io::Result<NamedTempFile> {
    let mut file = tempfile::Builder::new().prefix(prefix).tempfile()?;
    file.write_all(contents)?;
    file.flush()?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_files_hold_their_contents_and_go_on_drop() {
        let file = temp_file("kit-", b"abc").unwrap();
        let path = file.path().to_path_buf();
        assert!(
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("kit-")
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"abc");
        drop(file);
        assert!(!path.exists());
        let dir = temp_dir("kit-").unwrap();
        let path = dir.path().to_path_buf();
        std::fs::write(path.join("x"), "y").unwrap();
        drop(dir);
        assert!(!path.exists());
    }
}

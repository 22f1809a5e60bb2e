//! Atomic file writes: a reader (or a process restarted after a crash) sees either the old
//! content of a file or the new one, never a mix or a truncated file.
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("results").join("summary.json");
//! goldilocks_store::write_atomic(&path, b"{\"runs\": 3}").unwrap();
//! assert_eq!(std::fs::read(&path).unwrap(), b"{\"runs\": 3}");
//! ```

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::StoreError;

/// The marker in the names of temporary files: `.<file name>.tmp-<pid>-<counter>`.
const TEMP_MARKER: &str = ".tmp-";

/// Writes bytes to path atomically: a temporary file in the same folder, fsync, rename over
/// the target, fsync the folder. Creates parent folders.
///
/// If anything fails, the temporary file is removed and the target keeps its old content
/// (or stays absent). A crash (power loss, `kill -9`) can leave a temporary file named
/// `.<file name>.tmp-<pid>-<n>` behind, never a partial target; see
/// [`remove_stale_temp_files`].
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    write_atomic_with(path, |file| file.write_all(bytes))
}

/// Like [`write_atomic`], with the content written by `write` into the temporary file.
pub(crate) fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> Result<(), StoreError> {
    let file_name =
        path.file_name().ok_or_else(|| StoreError::NotAFilePath { path: path.to_path_buf() })?;
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir).map_err(StoreError::io("create folder", dir))?;
    let (temp_path, mut file) = create_temp(dir, &file_name.to_string_lossy())?;

    let written = write(&mut file)
        .map_err(StoreError::io("write", &temp_path))
        .and_then(|()| file.sync_all().map_err(StoreError::io("sync", &temp_path)));
    drop(file);
    let renamed = written.and_then(|()| {
        fs::rename(&temp_path, path).map_err(StoreError::io("rename a temporary file onto", path))
    });
    if let Err(error) = renamed {
        // Best effort: the original error is the one worth reporting.
        let _ = fs::remove_file(&temp_path);
        return Err(error);
    }
    sync_dir(dir)
}

/// Creates a new temporary file next to the target, with a name no other writer uses.
fn create_temp(dir: &Path, file_name: &str) -> Result<(PathBuf, File), StoreError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let pid = std::process::id();
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let temp_path = dir.join(format!(".{file_name}{TEMP_MARKER}{pid}-{n}"));
        match OpenOptions::new().write(true).create_new(true).open(&temp_path) {
            Ok(file) => return Ok((temp_path, file)),
            // Left by an earlier process with the same pid: try the next name.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(StoreError::io("create a temporary file in", dir)(e)),
        }
    }
}

/// Flushes the folder entry, so that the rename survives a power loss.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        let synced = File::open(dir).and_then(|d| d.sync_all());
        match synced {
            Ok(()) => {}
            // Some file systems cannot sync a folder; the rename itself has happened.
            Err(e)
                if matches!(e.kind(), io::ErrorKind::InvalidInput | io::ErrorKind::Unsupported) => {
            }
            Err(e) => return Err(StoreError::io("sync folder", dir)(e)),
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Removes the temporary files that interrupted [`write_atomic`] calls left in `dir` (not
/// in its subfolders), returning their paths. Call it only while no other process writes
/// into `dir`, e.g. when resuming an experiment.
pub fn remove_stale_temp_files(dir: &Path) -> Result<Vec<PathBuf>, StoreError> {
    let mut removed = Vec::new();
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(removed),
        Err(e) => return Err(StoreError::io("list", dir)(e)),
    };
    for entry in entries {
        let entry = entry.map_err(StoreError::io("list", dir))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let is_temp = name.starts_with('.') && name.contains(TEMP_MARKER);
        if is_temp && entry.file_type().is_ok_and(|t| t.is_file()) {
            let path = entry.path();
            fs::remove_file(&path).map_err(StoreError::io("remove", &path))?;
            removed.push(path);
        }
    }
    removed.sort();
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn writes_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        write_atomic(&path, b"first").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"first");
        write_atomic(&path, b"second, longer").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second, longer");
        write_atomic(&path, b"").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"");
        assert_eq!(names_in(dir.path()), vec!["a.json"], "no temporary files left behind");
    }

    #[test]
    fn creates_parent_folders() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x").join("y").join("z.bin");
        write_atomic(&path, &[1, 2, 3]).unwrap();
        assert_eq!(fs::read(&path).unwrap(), vec![1, 2, 3]);
    }

    #[test]
    fn failure_midway_keeps_old_content_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        write_atomic(&path, b"old content").unwrap();
        let err = write_atomic_with(&path, |file| {
            file.write_all(b"new con")?;
            Err(io::Error::other("disk full (simulated)"))
        })
        .unwrap_err();
        assert!(matches!(err, StoreError::Io { action: "write", .. }), "{err}");
        assert!(err.to_string().contains("disk full"), "{err}");
        assert_eq!(fs::read(&path).unwrap(), b"old content");
        assert_eq!(names_in(dir.path()), vec!["state.json"]);
    }

    #[test]
    fn failed_rename_keeps_old_content_and_leaves_no_temp_file() {
        // The target is a non-empty folder: the rename fails after the data is written.
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("busy");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("inside.txt"), b"keep me").unwrap();
        let err = write_atomic(&target, b"new").unwrap_err();
        assert!(err.to_string().contains("busy"), "{err}");
        assert_eq!(fs::read(target.join("inside.txt")).unwrap(), b"keep me");
        assert_eq!(names_in(dir.path()), vec!["busy"]);
    }

    #[cfg(unix)]
    #[test]
    fn read_only_folder_is_an_error_naming_the_folder() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("locked");
        fs::create_dir(&sub).unwrap();
        let path = sub.join("f.txt");
        write_atomic(&path, b"old").unwrap();
        fs::set_permissions(&sub, fs::Permissions::from_mode(0o555)).unwrap();
        let probe = OpenOptions::new().write(true).create_new(true).open(sub.join("probe"));
        if probe.is_ok() {
            // Running as root: permissions are not enforced; the other tests cover failures.
            fs::set_permissions(&sub, fs::Permissions::from_mode(0o755)).unwrap();
            return;
        }
        let result = write_atomic(&path, b"new");
        fs::set_permissions(&sub, fs::Permissions::from_mode(0o755)).unwrap();
        let err = result.unwrap_err();
        assert!(err.to_string().contains("locked"), "{err}");
        assert_eq!(fs::read(&path).unwrap(), b"old");
        assert_eq!(names_in(&sub), vec!["f.txt"]);
    }

    #[test]
    fn rejects_paths_without_file_name() {
        let err = write_atomic(Path::new("/"), b"x").unwrap_err();
        assert!(matches!(err, StoreError::NotAFilePath { .. }), "{err}");
    }

    #[test]
    fn removes_stale_temp_files_only() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(".a.json.tmp-123-0"), b"partial").unwrap();
        fs::write(dir.path().join("a.json"), b"whole").unwrap();
        fs::write(dir.path().join(".hidden"), b"keep").unwrap();
        let removed = remove_stale_temp_files(dir.path()).unwrap();
        assert_eq!(removed, vec![dir.path().join(".a.json.tmp-123-0")]);
        assert_eq!(names_in(dir.path()), vec![".hidden", "a.json"]);
        assert!(remove_stale_temp_files(&dir.path().join("absent")).unwrap().is_empty());
    }
}

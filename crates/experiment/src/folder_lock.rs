//! One writer per results folder: an advisory lock on `<dir>/.lock` (the operating system's
//! file lock, `flock` on Linux, through `std::fs::File::lock`), held by the running process
//! for the whole run and released when it ends, however it ends. The file holds the holder's
//! process id, so that a second process on the same folder can say whom it waits for, or
//! refuse with that pid when told not to wait.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Seek, Write};
use std::path::Path;

use crate::ExperimentError;

/// The lock file's name inside a results folder.
pub const LOCK_FILE: &str = ".lock";

/// The held lock of a results folder; dropping it releases the folder.
#[derive(Debug)]
pub struct FolderLock {
    _file: File,
}

/// Takes the lock of `dir` (created when missing). When another process holds it, waits for
/// it with a message naming that process (`wait`), or fails with [`ExperimentError::Busy`].
pub fn lock_results_folder(dir: &Path, wait: bool) -> Result<FolderLock, ExperimentError> {
    let path = dir.join(LOCK_FILE);
    let io_error = |error: std::io::Error| ExperimentError::Write {
        path: path.clone(),
        message: error.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(io_error)?;
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io_error)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let holder = holder_of(&path);
            if !wait {
                return Err(ExperimentError::Busy { dir: dir.to_path_buf(), holder });
            }
            eprintln!(
                "waiting for process {holder}, which is writing {}; it will be reused when done",
                dir.display()
            );
            file.lock().map_err(io_error)?;
        }
        Err(TryLockError::Error(error)) => return Err(io_error(error)),
    }
    file.set_len(0).map_err(io_error)?;
    file.rewind().map_err(io_error)?;
    writeln!(file, "{}", std::process::id()).map_err(io_error)?;
    Ok(FolderLock { _file: file })
}

/// The process id written by the lock's holder ("unknown" when unreadable).
fn holder_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let pid = text.trim();
    if pid.is_empty() {
        "unknown".into()
    } else {
        pid.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused_with_the_holders_pid_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("experiment");
        let held = lock_results_folder(&folder, false).unwrap();
        let pid = std::process::id().to_string();
        assert_eq!(std::fs::read_to_string(folder.join(LOCK_FILE)).unwrap().trim(), pid);
        let error = lock_results_folder(&folder, false).unwrap_err();
        assert!(matches!(&error, ExperimentError::Busy { holder, .. } if *holder == pid));
        assert!(error.to_string().contains("experiment"), "{error}");
        drop(held);
        lock_results_folder(&folder, false).unwrap();
    }

    #[test]
    fn a_waiting_writer_gets_the_folder_when_the_holder_is_done() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().to_path_buf();
        let held = lock_results_folder(&folder, false).unwrap();
        let waiter = std::thread::spawn(move || lock_results_folder(&folder, true).map(|_| ()));
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert!(!waiter.is_finished(), "the waiter must wait while the folder is held");
        drop(held);
        waiter.join().unwrap().unwrap();
    }
}

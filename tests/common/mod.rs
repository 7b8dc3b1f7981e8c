//! Shared helpers of the integration tests: run the binary, make scratch directories, find Python.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vanilla-rnn"))
}

/// The binary started with `args`, its stderr piped (its stdout let go), not waited for.
pub fn spawn(args: &[&str]) -> std::process::Child {
    bin().args(args).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped()).spawn().unwrap()
}

/// Sends `sig` (`-INT`, `-TERM`, `-KILL`) to a spawned run.
pub fn signal(child: &std::process::Child, sig: &str) {
    let ok = Command::new("kill").args([sig, &child.id().to_string()]).status().unwrap().success();
    assert!(ok, "kill {sig}");
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(args: &[&str]) -> Run {
    collect(bin().args(args).output().expect("the binary runs"))
}

pub fn collect(out: Output) -> Run {
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A fresh scratch directory under target/, removed and recreated per test name.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The Python with torch 2.13.0 that scripts/setup.sh found: $PYTHON (scripts/test.sh exports
/// it), else the .python link setup.sh leaves in the checkout (plain `cargo test`).
pub fn python() -> Command {
    let linked = Path::new(env!("CARGO_MANIFEST_DIR")).join(".python");
    let py = std::env::var("PYTHON")
        .ok()
        .or_else(|| linked.exists().then(|| linked.display().to_string()))
        .expect("no Python with torch: run scripts/setup.sh once (or the suite through scripts/test.sh, which exports PYTHON)");
    let mut c = Command::new(py);
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

pub fn py(args: &[&str]) -> Run {
    collect(python().args(args).output().expect("python runs"))
}

/// Writes a CSV series to `path`: the header line, then `row(i)` for i in 0..rows.
pub fn write_series(path: &Path, header: &str, rows: usize, row: impl Fn(usize) -> String) {
    let text = (0..rows).fold(format!("{header}\n"), |t, i| t + &row(i) + "\n");
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// The time label `YYYY-MM` of month `i` counted from January of `first_year`.
pub fn month(first_year: usize, i: usize) -> String {
    format!("{}-{:02}", first_year + i / 12, 1 + i % 12)
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Asserts a failed run: the exit code, one line on stderr containing `needle`, no panic or C++ trace.
pub fn assert_clean_error(r: &Run, code: i32, needle: &str) {
    assert_eq!(r.code, code, "exit code; stderr: {}", r.stderr);
    let lines: Vec<&str> = r.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "exactly one line on stderr, got: {}", r.stderr);
    assert!(lines[0].starts_with("error: "), "{}", lines[0]);
    assert!(lines[0].contains(needle), "expected {needle:?} in {:?}", lines[0]);
    for bad in ["panicked", "RUST_BACKTRACE", "frame #", "Exception raised from"] {
        assert!(!r.stderr.contains(bad), "stderr shows {bad}: {}", r.stderr);
    }
}

/// One tensor of a safetensors file, as plain data to edit.
#[derive(Clone, Debug)]
pub struct RawTensor {
    pub dtype: safetensors::Dtype,
    pub shape: Vec<usize>,
    pub data: Vec<u8>,
}

/// The tensors (by name) and metadata of a safetensors file.
pub fn read_raw(path: &Path) -> (std::collections::BTreeMap<String, RawTensor>, std::collections::HashMap<String, String>) {
    let bytes = std::fs::read(path).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let tensors = st
        .tensors()
        .into_iter()
        .map(|(name, v)| (name, RawTensor { dtype: v.dtype(), shape: v.shape().to_vec(), data: v.data().to_vec() }))
        .collect();
    (tensors, header.metadata().clone().unwrap_or_default())
}

/// Writes tensors and metadata as a safetensors file: a structurally valid file, whatever is inside.
pub fn write_raw(path: &Path, tensors: &std::collections::BTreeMap<String, RawTensor>, meta: &std::collections::HashMap<String, String>) {
    let views: Vec<(String, safetensors::tensor::TensorView)> = tensors
        .iter()
        .map(|(n, t)| (n.clone(), safetensors::tensor::TensorView::new(t.dtype, t.shape.clone(), &t.data).unwrap()))
        .collect();
    safetensors::tensor::serialize_to_file(views, &Some(meta.clone()), path).unwrap();
}

/// A checkpoint edited in place: `edit` changes its tensors and metadata.
pub fn edit_checkpoint(
    path: &Path,
    edit: impl FnOnce(&mut std::collections::BTreeMap<String, RawTensor>, &mut std::collections::HashMap<String, String>),
) {
    let (mut tensors, mut meta) = read_raw(path);
    edit(&mut tensors, &mut meta);
    write_raw(path, &tensors, &meta);
}

/// Copies the regular files of directory `from` into `to` (created).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for f in std::fs::read_dir(from).unwrap().flatten().filter(|f| f.path().is_file()) {
        std::fs::copy(f.path(), to.join(f.file_name())).unwrap();
    }
}

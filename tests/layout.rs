//! The shape of src/ (scripts/arch.py --check, a stdlib-only script run with any python3):
//! imports point one way (down the LAYERS that lib.rs lists, and never between a module and its
//! parent), with no module cycle; every mod.rs only declares and re-exports its children; no
//! function is over 50 lines, and no file over 500, unit tests aside.

use std::process::Command;

#[test]
fn imports_point_one_way_and_functions_stay_short() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("python3").arg(format!("{root}/scripts/arch.py")).arg("--check").output().expect("python3 runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "scripts/arch.py --check:\n{text}");
}

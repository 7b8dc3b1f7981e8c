// Link libtorch so that `target/release/vanilla-rnn` runs as is.
//
// torch-sys declares `links = "tch"` and exports the libtorch it found as DEP_TCH_LIBTORCH_LIB.
// Link arguments printed by a dependency's build script do not reach our binary, so we repeat
// what it needs:
// - Linux: an rpath (no LD_LIBRARY_PATH needed). libtorch_cuda is not linked (nothing references
//   it by symbol): loaded with the CUDA libraries it brings, it costs every run some 300 MB of
//   memory and a quarter of a second, so `--device cuda` (or auto) loads it then, from the same
//   folder (src/train/device.rs).
// - macOS: an rpath, so the binary finds libtorch's dylibs without DYLD_LIBRARY_PATH (no CUDA).
// - Elsewhere (Windows): nothing; put libtorch's lib folder on PATH to run the binary.
// Nothing here needs MKL: the fast step finds MKL in libtorch at run time (src/fast/kernels.rs).
fn main() {
    versions();
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let lib = std::env::var_os("DEP_TCH_LIBTORCH_LIB");
    match os.as_str() {
        "linux" => {
            if let Some(lib) = &lib {
                println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.to_string_lossy());
            }
        }
        "macos" => {
            if let Some(lib) = &lib {
                println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.to_string_lossy());
            }
        }
        other => println!("cargo:warning=vanilla-rnn sets no rpath on {other}: put libtorch's lib folder on the library path to run it"),
    }
}

/// Versions recorded in config.json: tch's from Cargo.lock, libtorch's from the install it links.
fn versions() {
    println!("cargo:rerun-if-changed=Cargo.lock");
    let lock = std::fs::read_to_string("Cargo.lock").unwrap_or_default();
    let tch = lock
        .split("[[package]]")
        .find(|p| p.contains("name = \"tch\"\n"))
        .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = \"")))
        .map(|v| v.trim_end_matches('"').to_string())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=VANILLA_RNN_TCH_VERSION={tch}");
    let lib = std::env::var("DEP_TCH_LIBTORCH_LIB").unwrap_or_default();
    let lib = std::path::Path::new(&lib);
    // The PyPI wheel has torch/version.py beside torch/lib; a libtorch zip has build-version.
    let from_wheel = std::fs::read_to_string(lib.join("../version.py")).ok().and_then(|s| {
        s.lines().find_map(|l| l.strip_prefix("__version__ = ").map(|v| v.trim_matches(|c| c == '\'' || c == '"').to_string()))
    });
    let from_zip = std::fs::read_to_string(lib.join("../build-version")).ok().map(|s| s.trim().to_string());
    let libtorch = from_wheel.or(from_zip).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=VANILLA_RNN_LIBTORCH_VERSION={libtorch}");
}

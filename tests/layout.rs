//! The shape of src/ (scripts/arch.py --check): imports point one way, with no module cycle,
//! and no function is over 60 lines unless a comment above it says why.

mod common;

#[test]
fn imports_point_one_way_and_functions_stay_short() {
    let r = common::py(&["scripts/arch.py", "--check"]);
    assert_eq!(r.code, 0, "scripts/arch.py --check:\n{}{}", r.stdout, r.stderr);
}

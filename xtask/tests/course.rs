//! The course check inside `cargo test`: the course as checked out is sound.
//! One run here; `.ci/determinism N` (in `.ci/run`) and `cargo xtask check --runs N`
//! repeat it and report any verdict that changes.

#[test]
fn the_course_is_sound() {
    let mut out = Vec::new();
    let problems =
        xtask::check::run(&xtask::repo_root(), &xtask::check::CheckOptions::runs(1), &mut out).expect("the check runs");
    assert!(
        problems.is_empty(),
        "{}\n(a learner who solved an exercise sees it listed here: this check is for course authors; use `cargo grade`)",
        String::from_utf8_lossy(&out)
    );
}

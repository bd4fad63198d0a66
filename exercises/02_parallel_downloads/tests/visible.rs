//! First checks for exercise 02. The grader runs stricter hidden tests.

use parallel_downloads::{Download, download_all};

#[test]
fn downloads_every_file_in_order() {
    let _deadline = visible::deadline("02");
    let got = download_all(&["a.zip", "bb.mp4"], |name| name.len());
    let want = vec![Download { name: "a.zip".into(), bytes: 5 }, Download { name: "bb.mp4".into(), bytes: 6 }];
    assert_eq!(got, want);
}

#[test]
fn no_files_means_no_downloads() {
    let _deadline = visible::deadline("02");
    assert!(download_all(&[], |_| 0).is_empty());
}

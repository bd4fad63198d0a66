//! The process/thread table, seen live: a child process and a thread each change
//! the same pantry and write to the same open file, and the parent looks after
//! each of them. Run it with `cargo run -p private_vs_shared` once both
//! functions in lib.rs work.

use std::ffi::CString;
use std::fs::{self, OpenOptions};
use std::io::{self, Seek, Write};
use std::os::fd::AsRawFd;

use private_vs_shared::{in_child_process, in_thread};

fn pid() -> i64 {
    // SAFETY: getpid has no preconditions and is safe in a forked child.
    i64::from(unsafe { libc::getpid() })
}

fn tid() -> i64 {
    // SAFETY: as getpid.
    i64::from(unsafe { libc::gettid() })
}

/// The file descriptor `fd` of this process refers to, as /proc shows it.
fn descriptor(fd: i64) -> String {
    match fs::read_link(format!("/proc/self/fd/{fd}")) {
        Ok(path) => path.display().to_string(),
        Err(_) => "not open".to_string(),
    }
}

fn main() -> io::Result<()> {
    println!("this process: pid {}, its main thread: tid {}\n", pid(), tid());

    println!("who runs the work");
    let child = in_child_process(|| {
        // SAFETY: getppid has no preconditions.
        i64::from(unsafe { libc::getppid() })
    })?;
    println!("  a child process: pid {}, its parent is {}", child.pid, child.answer);
    let (thread_pid, thread_tid) = (in_thread(pid), in_thread(tid));
    println!("  a thread:        pid {thread_pid} (the same process), tid {thread_tid} (a thread of its own)\n");

    println!("memory: a pantry of jars on the heap");
    let mut pantry = Box::new(10_i64);
    let child = in_child_process(|| {
        *pantry -= 3;
        *pantry
    })?;
    println!(
        "  the child took 3 jars: it sees {}, the parent still sees {}  (the child has a copy)",
        child.answer, pantry
    );
    let seen = in_thread(|| {
        *pantry -= 3;
        *pantry
    });
    println!("  a thread took 3 jars:  it sees {seen}, the parent sees {}        (one pantry, shared)\n", pantry);

    println!("open files");
    let path = std::env::temp_dir().join(format!("threadlings-06-demo-{}.txt", pid()));
    let other = std::env::temp_dir().join(format!("threadlings-06-demo-{}-other.txt", pid()));
    fs::write(&other, "")?;
    let mut file = OpenOptions::new().create(true).truncate(true).read(true).write(true).open(&path)?;
    file.write_all(b"parent\n")?;
    let fd = file.as_raw_fd();
    println!("  the parent wrote 7 bytes through descriptor {fd}: offset {}", file.stream_position()?);
    in_child_process(|| {
        let line = b"child\n";
        // SAFETY: writes from a live buffer through the inherited descriptor.
        unsafe { libc::write(fd, line.as_ptr().cast(), line.len()) as i64 }
    })?;
    println!(
        "  the child wrote 6 bytes through its copy of descriptor {fd}: the parent's offset is now {}  \
         (one open file, one offset)",
        file.stream_position()?
    );
    in_thread(|| (&file).write_all(b"thread\n").map_or(-1, |()| 7));
    println!("  a thread wrote 7 bytes through the same File: offset {}", file.stream_position()?);

    // Prepared before the fork: the child should not allocate.
    let other_c = CString::new(other.as_os_str().as_encoded_bytes()).expect("a path without NUL");
    let child = in_child_process(|| {
        // SAFETY: closes the child's copy of a descriptor, then opens a file in the child.
        unsafe {
            libc::close(fd);
            i64::from(libc::open(other_c.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC))
        }
    })?;
    println!(
        "  the child closed its descriptor {fd} and opened {} as descriptor {}; in the parent, descriptor {} is {}",
        other.display(),
        child.answer,
        child.answer,
        descriptor(child.answer)
    );
    let opened = in_thread(|| {
        // SAFETY: opens a file; closed below.
        i64::from(unsafe { libc::open(other_c.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) })
    });
    println!(
        "  a thread opened {} as descriptor {opened}; in the parent it is {}",
        other.display(),
        descriptor(opened)
    );
    // SAFETY: closes the descriptor the thread opened.
    unsafe { libc::close(opened as i32) };

    print!("\nthe file now holds:\n{}", fs::read_to_string(&path)?);
    fs::remove_file(&path)?;
    fs::remove_file(&other)?;
    Ok(())
}

fn main() -> std::process::ExitCode {
    grader::cli::main()
}

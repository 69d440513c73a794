fn main() -> std::process::ExitCode {
    grokform::cli::main()
}

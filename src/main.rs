mod cmd;

fn main() -> std::process::ExitCode {
    cmd::run()
}

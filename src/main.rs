mod cmd;

fn main() -> std::process::ExitCode {
    // Ctrl-C or SIGTERM mid-write must leave no temporary files beside the outputs.
    palaute::output::clean_up_on_signal();
    cmd::run()
}

fn main() {
    std::process::exit(spotcheck::cli::main());
}

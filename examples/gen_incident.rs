//! Builds large, valid incidents for the benchmarks: `gen_incident STORE ENTRIES [INCIDENTS]`.
//! The generator lives in the library (`breach::bench`), beside the code whose records it
//! writes; this is its command line.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    breach::bench::gen_incident(&args);
}

//! Regenerate the whole-brain study's bundled example data:
//!
//! ```text
//! cargo run --release -p neurodyn-pipeline --example whole_brain_data -- data/whole-brain
//! ```
//!
//! writes `example_connectome.zip` and `target_fc.csv` into the folder
//! given (see `data/whole-brain/README.md`). The test
//! `bundled_example_data_is_what_the_generator_writes` checks that the
//! shipped files are this program's output.

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| {
        eprintln!("usage: whole_brain_data <folder>");
        std::process::exit(2)
    });
    let dir = std::path::Path::new(&dir);
    if let Err(e) = neurodyn_pipeline::library::models::neural_mass::write_example_data(dir) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
    println!(
        "wrote {}/example_connectome.zip and target_fc.csv",
        dir.display()
    );
}
